"""The screen a kiosk starts on when its config is missing or bad: it never bricks.

Patients see one calm sentence ("out of service"); a technician sees every problem
with the key, the bad value and what is allowed, and can fix each value, remove an
unknown key, restore the previous version of the file (NAME.prev) or start again
from the defaults. When the file carries an admin PIN hash the fixes need the PIN
(with the same persisted lockout as everywhere). Saving is validated and atomic,
on a worker thread; `config_fixed(config)` tells the main window to start normally.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk import config as c
from ui.screens.engineer import SERVICE_STYLE, BackgroundCall, start_background

DEFAULT_DATA_DIR = Path.home() / ".local/share/lobby-kiosk"


def remove_key(data: dict[str, Any], dotted: str) -> dict[str, Any]:
    """A copy of `data` without `dotted` (for an unknown key the schema refuses)."""
    import copy

    result = copy.deepcopy(data)
    *parents, leaf = dotted.split(".")
    node: Any = result
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)
    return result


def _raw_value(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _value_text(value: Any) -> str:
    """How a value is typed back: TOML for lists and booleans, plain text for strings."""
    if value is None or isinstance(value, str):
        return value or ""
    import tomli_w

    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


class _ProblemRow:
    def __init__(self, problem: c.ConfigProblem, raw: dict[str, Any]) -> None:
        self.problem = problem
        self.unknown = problem.allowed.startswith("unknown key")
        self.editable = bool(problem.key) and not self.unknown and "." in problem.key
        self.key_label = QLabel(problem.key or "文件 file")
        self.allowed = QLabel(problem.allowed)
        self.allowed.setWordWrap(True)
        self.edit = QLineEdit(_value_text(_raw_value(raw, problem.key)) if self.editable else "")
        self.edit.setObjectName(f"fix:{problem.key}")
        self.edit.setVisible(self.editable)
        self.remove = QCheckBox("删除此项 remove this key")
        self.remove.setObjectName(f"remove:{problem.key}")
        self.remove.setVisible(self.unknown)
        self.remove.setChecked(self.unknown)


class NeedsConfigScreen(QWidget):
    config_fixed = Signal(object)  # the KioskConfig that now loads
    close_requested = Signal()

    def __init__(self, outcome: c.LoadOutcome) -> None:
        super().__init__()
        self.setObjectName("service")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(SERVICE_STYLE)
        self._calls: list[BackgroundCall] = []
        self.path = outcome.path
        self.rows: list[_ProblemRow] = []
        self._raw, self._raw_error = self._read_raw()
        self._build(outcome.error)
        self._unlocked = not self._pin_hash()
        self._apply_lock()

    # --- what is on disk -----------------------------------------------------------------

    def _read_raw(self) -> tuple[dict[str, Any], str]:
        if self.path is None:
            return {}, ""
        try:
            return c.read_toml(self.path), ""
        except c.ConfigError as exc:
            return {}, str(exc)

    def _previous(self) -> Path | None:
        if self.path is None:
            return None
        prev = self.path.with_name(self.path.name + ".prev")
        return prev if prev.is_file() else None

    def _pin_hash(self) -> str:
        for source in (self._raw, self._prev_raw()):
            value = _raw_value(source, "admin.pin_hash")
            if isinstance(value, str) and value:
                return value
        return ""

    def _prev_raw(self) -> dict[str, Any]:
        prev = self._previous()
        try:
            return c.read_toml(prev) if prev else {}
        except c.ConfigError:
            return {}

    def _data_dir(self) -> Path:
        chosen = _raw_value(self._raw, "paths.data_dir") or os.environ.get("KIOSK_DATA_DIR")
        return Path(chosen) if isinstance(chosen, str) and chosen else DEFAULT_DATA_DIR

    # --- layout --------------------------------------------------------------------------

    def _build(self, error: c.ConfigError | None) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        title = QLabel("暂停服务 Out of service")
        title.setProperty("role", "heading")
        patient = QLabel(
            "本机需要工作人员设置，请到人工窗口办理。\n"
            "This kiosk needs a technician. Please go to a staffed counter."
        )
        where = self.path or "none (set --config or $KIOSK_CONFIG)"
        self.detail = QLabel(f"配置文件 Config file: {where}")
        self.detail.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(patient)
        layout.addWidget(self.detail)
        self.headings = QWidget()
        heading_row = QHBoxLayout(self.headings)
        heading_row.setContentsMargins(0, 0, 0, 0)
        for text in ("项 Key", "允许 Allowed", "改为 Fix"):
            heading_row.addWidget(QLabel(text), 1)
        layout.addWidget(self.headings)
        grid = QGridLayout()
        problems = error.problems if error else []
        for i, problem in enumerate(problems):
            row = _ProblemRow(problem, self._raw)
            self.rows.append(row)
            grid.addWidget(row.key_label, i, 0)
            grid.addWidget(row.allowed, i, 1)
            grid.addWidget(row.edit if row.editable else row.remove, i, 2)
        layout.addLayout(grid)
        pin_row = QHBoxLayout()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("管理密码 Admin PIN")
        self.unlock_button = QPushButton("解锁 Unlock")
        self.unlock_button.clicked.connect(self.unlock)
        pin_row.addWidget(self.pin)
        pin_row.addWidget(self.unlock_button)
        layout.addLayout(pin_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("保存修改 Save fixes")
        self.restore_button = QPushButton("恢复上一版本 Restore previous")
        self.defaults_button = QPushButton("从默认值开始 Start from defaults")
        self.save_button.clicked.connect(self.save_fixes)
        self.restore_button.clicked.connect(self.restore_previous)
        self.defaults_button.clicked.connect(self.start_from_defaults)
        self.save_button.setVisible(
            any(r.editable or r.unknown for r in self.rows) and not self._raw_error
        )
        self.restore_button.setVisible(self._previous() is not None)
        for b in (self.save_button, self.restore_button, self.defaults_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)

    def _apply_lock(self) -> None:
        for b in (self.save_button, self.restore_button, self.defaults_button):
            b.setEnabled(self._unlocked)
        self.detail.setVisible(self._unlocked)
        self.headings.setVisible(self._unlocked)
        for row in self.rows:
            # the details are for the technician: a patient sees only "out of service"
            for widget in (row.key_label, row.allowed):
                widget.setVisible(self._unlocked)
            row.edit.setVisible(self._unlocked and row.editable)
            row.remove.setVisible(self._unlocked and row.unknown)
        self.pin.setVisible(not self._unlocked)
        self.unlock_button.setVisible(not self._unlocked)

    @property
    def unlocked(self) -> bool:
        return self._unlocked

    # --- actions -------------------------------------------------------------------------

    def unlock(self) -> None:
        pin, pin_hash, data_dir = self.pin.text(), self._pin_hash(), self._data_dir()
        self.pin.clear()
        self.unlock_button.setEnabled(False)

        def work() -> Any:
            from kiosk.admin_auth import AdminGate

            return AdminGate(pin_hash, data_dir).attempt(pin)

        start_background(work, self._unlock_result, self._failed, self._calls)

    def _unlock_result(self, attempt: Any) -> None:
        self.unlock_button.setEnabled(True)
        self._unlocked = attempt.granted
        self.status.setText("" if attempt.granted else attempt.message)
        self._apply_lock()

    def save_fixes(self) -> None:
        data = self._raw
        try:
            for row in self.rows:
                if row.editable:
                    data = c.set_key(data, row.problem.key, c.parse_value(row.edit.text()))
                elif row.unknown and row.remove.isChecked():
                    data = remove_key(data, row.problem.key)
        except c.ConfigError as exc:
            self._show_problems(exc.problems)
            return
        self._save(data)

    def restore_previous(self) -> None:
        prev = self._previous()
        if prev is None:
            return
        try:
            self._save(c.read_toml(prev))
        except c.ConfigError as exc:
            self._show_problems(exc.problems)

    def start_from_defaults(self) -> None:
        self._save({})

    def _save(self, data: dict[str, Any]) -> None:
        if self.path is None:
            self.status.setText(
                "没有配置文件路径 No config file path: start the kiosk with "
                "--config FILE or $KIOSK_CONFIG."
            )
            return
        path = self.path
        for b in (self.save_button, self.restore_button, self.defaults_button):
            b.setEnabled(False)

        def work() -> Any:
            try:
                return c.save_terminal_file(path, data)
            except c.ConfigError as exc:
                return exc.problems

        start_background(work, self._saved, self._failed, self._calls)

    def _saved(self, outcome: Any) -> None:
        self._apply_lock()
        if isinstance(outcome, list):
            self._show_problems(outcome)
            return
        self.status.setText("已保存，正在启动。 Saved: starting.")
        self.config_fixed.emit(outcome)

    def _show_problems(self, problems: list[c.ConfigProblem]) -> None:
        shown = "\n".join(str(p) for p in problems)
        self.status.setText(f"仍有问题，未保存 Still wrong, not saved:\n{shown}")

    def _failed(self, message: str) -> None:
        self._apply_lock()
        self.unlock_button.setEnabled(True)
        self.status.setText(f"失败 Failed: {message}")
