"""Results kept with their time (so "last tested" is known per device) and the reports."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.device import Outcome
from kiosk.diagnostics.registry import CheckResult

RESULTS_FILE = "diagnostics.json"


class ResultStore:
    """The last result of every check, in one JSON file in the data dir."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / RESULTS_FILE

    def load(self) -> dict[str, CheckResult]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {name: CheckResult.from_dict(r) for name, r in raw.items()}
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError):
            return {}  # a damaged history is only history: start afresh

    def record(self, results: Iterable[CheckResult]) -> None:
        merged = self.load()
        merged.update({r.name: r for r in results})
        payload = {name: r.to_dict() for name, r in merged.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".diagnostics.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def last_tested(self) -> dict[str, datetime]:
        """Per device, when a check that really ran (not skipped) last finished."""
        latest: dict[str, datetime] = {}
        for r in self.load().values():
            if r.outcome is not Outcome.SKIPPED and (
                r.device not in latest or r.checked_at > latest[r.device]
            ):
                latest[r.device] = r.checked_at
        return latest


def worst(results: Iterable[CheckResult]) -> Outcome:
    outcomes = {r.outcome for r in results}
    for outcome in (Outcome.FAIL, Outcome.WARN, Outcome.PASS):
        if outcome in outcomes:
            return outcome
    return Outcome.SKIPPED


def report_json(
    results: list[CheckResult], last_tested: dict[str, datetime] | None = None
) -> dict[str, Any]:
    return {
        "overall": worst(results).value,
        "checks": [r.to_dict() for r in results],
        "last_tested": {k: v.isoformat() for k, v in (last_tested or {}).items()},
    }


_MARK = {Outcome.PASS: "PASS", Outcome.WARN: "WARN", Outcome.FAIL: "FAIL", Outcome.SKIPPED: "skip"}


def report_table(results: list[CheckResult]) -> str:
    rows = [("RESULT", "DEVICE", "CHECK", "FOUND")]
    for r in results:
        found = r.summary + (f" -- {r.cause}" if r.cause else "")
        rows.append((_MARK[r.outcome], r.device, r.name, found))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    counts = {o: sum(r.outcome is o for r in results) for o in Outcome}
    lines.append(
        f"\n{counts[Outcome.PASS]} passed, {counts[Outcome.WARN]} warnings, "
        f"{counts[Outcome.FAIL]} failed, {counts[Outcome.SKIPPED]} skipped"
    )
    return "\n".join(lines)
