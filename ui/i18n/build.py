"""Keep the translations in step with the code, with Qt's own tools:

    .venv/bin/python -m ui.i18n.build

1. pyside6-lupdate reads every `QT_TRANSLATE_NOOP` in ui/ and updates kiosk_en.ts
   (new strings arrive marked unfinished; translations already there are kept);
2. pyside6-lrelease compiles kiosk_en.ts into kiosk_en.qm, which the kiosk loads.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UI = HERE.parent
TS = HERE / "kiosk_en.ts"
QM = HERE / "kiosk_en.qm"
NOT_OURS = {"engineer.py", "technician.py", "needs_config.py"}  # their own wording


def sources() -> list[Path]:
    return sorted(p for p in UI.rglob("*.py") if p.name not in NOT_OURS and "i18n" not in p.parts)


def tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def lupdate(ts: Path = TS) -> None:
    files = [str(p) for p in sources()]
    subprocess.run(
        [tool("pyside6-lupdate"), *files, "-source-language", "zh_CN",
         "-target-language", "en", "-no-obsolete", "-locations", "none", "-ts", str(ts)],
        check=True, capture_output=True,
    )  # fmt: skip


def lrelease(ts: Path = TS, qm: Path = QM) -> None:
    subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True,
                   capture_output=True)  # fmt: skip


if __name__ == "__main__":
    lupdate()
    lrelease()
    print(f"updated {TS.name} and {QM.name}")
