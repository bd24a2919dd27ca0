"""The rooms of docs/ARCHITECTURE.md, enforced: each may import only what the page says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# room -> top-level packages it must never import
FORBIDDEN = {
    "drivers": {"kiosk", "ui", "offline_store", "central_sim", "PySide6", "httpx"},
    "offline_store": {"kiosk", "ui", "drivers", "central_sim", "PySide6", "httpx"},
    "kiosk": {"ui", "PySide6"},
    "central_sim": {"ui", "PySide6", "drivers", "offline_store"},
}
# the demo rig and command handlers start simulators; that is their job
ALLOWED_EXCEPTIONS = {("kiosk", "central_sim")}


def imported_packages(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_only_what_the_architecture_allows(room):
    violations = []
    for path in sorted((ROOT / room).rglob("*.py")):
        # Command handlers are the composition root: `kiosk run`, `demo` and `screenshots`
        # start the Qt UI, importing it inside the handler, never at module level.
        is_command = path.parent == ROOT / "kiosk" / "commands"
        bad = imported_packages(path, top_level_only=is_command) & FORBIDDEN[room]
        bad = {name for name in bad if (room, name) not in ALLOWED_EXCEPTIONS}
        if bad:
            violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []
