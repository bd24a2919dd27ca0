"""The field engineer's diagnostics screen: every check, each runnable alone, in plain words.

All checks run on a worker thread (QThreadPool); results come back to the GUI thread
as signals. The main window connects `close_requested` and, if it wants, the result
signals. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from drivers.device import HealthLevel, Outcome
from kiosk.diagnostics import Check, CheckResult, DiagContext, ResultStore, select_checks
from kiosk.diagnostics.printout import OUTCOME_WORDS
from kiosk.diagnostics.registry import run_check

SERVICE_STYLE = """
QWidget#service { background: #f4f6f8; }
QWidget#service QLabel { color: #102a43; font-size: 18px; }
QWidget#service QLabel[role="heading"] { font-size: 28px; font-weight: bold; }
QWidget#service QLabel[role="prompt"] { background: #ffd24a; padding: 12px; font-size: 22px; }
QWidget#service QPushButton { background: #0b3d5c; color: white; font-size: 18px;
    min-height: 56px; min-width: 120px; padding: 0 16px; border-radius: 8px; }
QWidget#service QPushButton:disabled { background: #9fb3c8; }
QWidget#service QTableWidget { font-size: 16px; color: #102a43; background: white; }
QWidget#service QLineEdit, QWidget#service QComboBox, QWidget#service QSpinBox,
QWidget#service QDoubleSpinBox { font-size: 18px; min-height: 44px; color: #102a43;
    background: white; }
QWidget#service QCheckBox, QWidget#service QGroupBox { font-size: 18px; color: #102a43; }
"""

DEVICE_WORDS = {
    "system": "系统 System",
    "network": "网络 Network",
    "card_reader": "读卡器 Card reader",
    "printer": "打印机 Printer",
    "scanner": "扫码器 Scanner",
    "cash_acceptor": "收钞机 Cash acceptor",
    "serial": "串口 Serial ports",
    "offline_store": "离线队列 Offline queue",
}
OUTCOME_COLOURS = {
    Outcome.PASS: "#c6f6d5",
    Outcome.WARN: "#fefcbf",
    Outcome.FAIL: "#fed7d7",
    Outcome.SKIPPED: "#edf2f7",
}
ROW_MIN_PX = 56
COLUMNS = (
    "设备 Device",
    "检查 Check",
    "结果 Result",
    "发现与处理 Found / what to do",
    "上次测试 Last tested",
    "",
)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class BackgroundCall(QRunnable):
    """Runs `fn` on the Qt thread pool; `done(result)` / `failed(message)` arrive on the GUI
    thread (queued signals). Keep the returned object until it reports."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the screen, never lost
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.signals.done.emit(result)


def start_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None],
    keep: list,
) -> BackgroundCall:
    call = BackgroundCall(fn)
    keep.append(call)  # the signals object must outlive the worker

    def finished(handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def deliver(value: Any) -> None:
            if call in keep:
                keep.remove(call)
            handler(value)

        return deliver

    call.signals.done.connect(finished(on_done))
    call.signals.failed.connect(finished(on_failed))
    QThreadPool.globalInstance().start(call)
    return call


class _PromptRelay(QObject):
    """Interactive checks ask for a card or a scan from the worker thread."""

    asked = Signal(str)


class EngineerScreen(QWidget):
    check_finished = Signal(object)  # CheckResult
    run_finished = Signal(list)  # list[CheckResult] of a "run all"
    report_printed = Signal(bool, str)  # ok, operator message
    close_requested = Signal()
    # each result, emitted on the worker thread, shown on the GUI thread (queued)
    _relay_result = Signal(object)

    def __init__(self, context_factory: Callable[[], DiagContext]) -> None:
        """`context_factory` makes a fresh DiagContext (it may load the config: it runs on a
        worker thread, never here)."""
        super().__init__()
        self.setObjectName("service")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(SERVICE_STYLE)
        self._context_factory = context_factory
        self._relay = _PromptRelay()
        self._relay.asked.connect(self._show_prompt)
        self._relay_result.connect(self._show)
        self._calls: list[BackgroundCall] = []
        self._pending: dict[str, CheckResult] = {}
        self._results: dict[str, CheckResult] = {}
        self.checks = select_checks(HealthLevel.INTERACTIVE)
        self._rows = {c.name: i for i, c in enumerate(self.checks)}
        self._build()
        self._load_history()

    # --- layout ----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        title = QLabel("设备诊断 Diagnostics")
        title.setProperty("role", "heading")
        self.status = QLabel("点“全部检查”开始。 Tap “Check all” to start.")
        self.prompt = QLabel("")
        self.prompt.setProperty("role", "prompt")
        self.prompt.setWordWrap(True)
        self.prompt.hide()
        self.table = QTableWidget(len(self.checks), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setMinimumSectionSize(ROW_MIN_PX)
        self.table.verticalHeader().setDefaultSectionSize(ROW_MIN_PX)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for row, chk in enumerate(self.checks):
            self._set_row(row, chk, None)
            button = QPushButton("检查 Run")
            button.setStyleSheet("min-height: 40px; margin: 4px;")
            button.setObjectName(f"run:{chk.name}")
            button.clicked.connect(lambda _=False, name=chk.name: self.run_one(name))
            self.table.setCellWidget(row, 5, button)
        buttons = QHBoxLayout()
        self.run_internal = QPushButton("全部检查 Check all")
        self.run_external = QPushButton("全部检查并打印测试页 Check all + test slip")
        self.print_button = QPushButton("打印报告 Print report")
        self.close_button = QPushButton("关闭 Close")
        self.run_internal.clicked.connect(lambda: self.run_all(HealthLevel.INTERNAL))
        self.run_external.clicked.connect(lambda: self.run_all(HealthLevel.EXTERNAL))
        self.print_button.clicked.connect(self.print_report)
        self.close_button.clicked.connect(self.close_requested)
        for b in (self.run_internal, self.run_external, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addWidget(self.prompt)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def _set_row(self, row: int, chk: Check, result: CheckResult | None, last: str = "") -> None:
        level = {"internal": "", "external": " (测试 test)", "interactive": " (需操作 hands-on)"}
        cells = [
            DEVICE_WORDS.get(chk.device, chk.device),
            chk.title + level[chk.level.value],
            OUTCOME_WORDS[result.outcome] if result else "—",
            (result.summary + (f"\n→ {result.cause}" if result.cause else "")) if result else "",
            last,
        ]
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if result is not None:
                item.setBackground(QColor(OUTCOME_COLOURS[result.outcome]))
            self.table.setItem(row, col, item)

    def _load_history(self) -> None:
        def load() -> dict[str, CheckResult]:
            ctx = self._context_factory()
            return ResultStore(ctx.data_dir).load() if ctx.data_dir else {}

        start_background(load, self._show_history, lambda _msg: None, self._calls)

    def _show_history(self, history: dict[str, CheckResult]) -> None:
        for name, result in history.items():
            if name in self._rows and name not in self._results:
                self._show(result, fresh=False)

    # --- running -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run_one(self, name: str) -> None:
        chk = next(c for c in self.checks if c.name == name)
        self._run([chk], single=True)

    def run_all(self, level: HealthLevel = HealthLevel.INTERNAL) -> None:
        self._run(select_checks(level), single=False)

    def _run(self, checks: list[Check], single: bool) -> None:
        if self.busy:
            return
        self._set_busy(True)
        self.status.setText("正在检查… Checking…")
        names = [c.name for c in checks]
        for name in names:
            self._pending[name] = None  # type: ignore[assignment]
            self.table.item(self._rows[name], 2).setText("检查中 Checking…")

        def work() -> list[CheckResult]:
            ctx = self._context_factory()
            ctx.prompt = self._relay.asked.emit
            results = []
            for chk in checks:
                result = run_check(chk, ctx)
                results.append(result)
                self._relay_result.emit(result)
            if ctx.data_dir is not None:
                ResultStore(ctx.data_dir).record(results)
            return results

        start_background(work, self._finished, self._crashed, self._calls)

    def _finished(self, results: list[CheckResult]) -> None:
        self._pending.clear()
        self._set_busy(False)
        self.prompt.hide()
        faults = sum(r.outcome is Outcome.FAIL for r in results)
        warnings = sum(r.outcome is Outcome.WARN for r in results)
        if faults:
            self.status.setText(f"{faults} 项故障，请按提示处理。 {faults} faults: see what to do.")
        elif warnings:
            self.status.setText(f"{warnings} 项需注意。 {warnings} need attention.")
        else:
            self.status.setText("全部正常。 All checks passed.")
        self.run_finished.emit(results)

    def _crashed(self, message: str) -> None:
        self._pending.clear()
        self._set_busy(False)
        self.status.setText(f"检查未能完成 The checks could not run: {message}")

    def _show(self, result: CheckResult, fresh: bool = True) -> None:
        self._results[result.name] = result
        chk = self.checks[self._rows[result.name]]
        when = result.checked_at.astimezone().strftime("%m-%d %H:%M")
        self._set_row(self._rows[result.name], chk, result, when)
        self.table.resizeRowToContents(self._rows[result.name])
        if fresh:
            self._pending.pop(result.name, None)
            self.check_finished.emit(result)

    def _show_prompt(self, message: str) -> None:
        self.prompt.setText(message)
        self.prompt.show()

    def _set_busy(self, busy: bool) -> None:
        for button in (self.run_internal, self.run_external, self.print_button):
            button.setEnabled(not busy)
        for row in range(self.table.rowCount()):
            self.table.cellWidget(row, 5).setEnabled(not busy)

    # --- report ------------------------------------------------------------------------

    def results(self) -> list[CheckResult]:
        return [self._results[c.name] for c in self.checks if c.name in self._results]

    def print_report(self) -> None:
        results = self.results()
        if not results:
            self.report_printed.emit(False, "先检查再打印。 Run the checks first.")
            return

        def work() -> tuple[bool, str]:
            from kiosk.diagnostics.printout import print_report

            ctx = self._context_factory()
            if ctx.config is None:
                return False, "配置无效，无法打印。 The config does not load: cannot print."
            printer = ctx.config.devices.printer
            outcome = print_report(
                printer.url, printer.paper_width_mm, results, ctx.config.terminal.id
            )
            if outcome.ok:
                return True, "报告已打印。 Report printed."
            return False, f"报告未打印 Not printed: {outcome.message}"

        self.print_button.setEnabled(False)
        start_background(work, self._printed, lambda m: self._printed((False, m)), self._calls)

    def _printed(self, outcome: tuple[bool, str]) -> None:
        ok, message = outcome
        self.print_button.setEnabled(not self.busy)
        self.status.setText(message)
        self.report_printed.emit(ok, message)
