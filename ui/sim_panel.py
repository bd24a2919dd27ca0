"""The simulator panel: a second window, shown only by the demo, that plays the
patient's hands (insert and pull a card) and the printer's paper (read the receipt)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from central_sim import DEMO_QR_TOKENS
from kiosk.demo import DemoRig

log = logging.getLogger(__name__)

DEMO_CARDS = [
    ("pboc_zhang", "联名卡 张伟 PBOC (9F0B name)"),
    ("pboc_li", "联名卡 LI/NA PBOC (5F20 only)"),
    ("ssc_wang", "社保卡 王芳 Social security"),
    ("pboc_chen_expired", "过期卡 Expired PBOC"),
    ("unknown", "未知卡 Unknown card"),
    ("mute", "无响应卡 Mute card"),
]


# what a patient may hold under the scanner: health card QR codes of demo patients
# (the platform resolves them) and payment codes of the patient's phone
DEMO_CODES = [
    ("health card QR 张伟", DEMO_QR_TOKENS["P0001"]),
    ("health card QR 王芳", DEMO_QR_TOKENS["P0003"]),
    ("WeChat Pay code", "134567890123456789"),
    ("Alipay code", "284567890123456789"),
]
DEMO_NOTES = (10, 20, 50, 100)


class SimPanel(QWidget):
    action_done = Signal(str)

    def __init__(self, rig: DemoRig) -> None:
        super().__init__()
        self.setWindowTitle("Demo simulator panel")
        self.rig = rig
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Demo simulators</b> — this window exists only in the demo"))
        self.card_path = QLabel(self._card_path_text())
        self.card_path.setWordWrap(True)
        layout.addWidget(self.card_path)
        layout.addWidget(self._cards_box())
        layout.addWidget(self._scanner_box())
        layout.addWidget(self._cash_box())
        layout.addWidget(self._platform_box())
        layout.addWidget(self._receipt_box(), 1)
        self.status = QLabel("")
        layout.addWidget(self.status)
        self.action_done.connect(self.status.setText)

    def _card_path_text(self) -> str:
        path = self.rig.card_path
        if path.backend == "pcsc":
            return f"Cards: real pcscd + vpcd reader ({path.why})"
        return f"Cards: in-process reader, same card code and images — {path.why}"

    def _cards_box(self) -> QGroupBox:
        box = QGroupBox("Card reader")
        grid = QGridLayout(box)
        self.card_buttons: dict[str, QPushButton] = {}
        for i, (image, label) in enumerate(DEMO_CARDS):
            button = QPushButton(f"Insert {label}")
            button.clicked.connect(lambda _=False, im=image: self._insert(im))
            grid.addWidget(button, i // 2, i % 2)
            self.card_buttons[image] = button
        self.pull_button = QPushButton("Pull card")
        self.pull_button.clicked.connect(lambda: self._off_gui("card pulled", self.rig.pull_card))
        grid.addWidget(self.pull_button, len(DEMO_CARDS) // 2 + 1, 0, 1, 2)
        return box

    def _scanner_box(self) -> QGroupBox:
        box = QGroupBox("QR scanner")
        grid = QGridLayout(box)
        self.scan_buttons: dict[str, QPushButton] = {}
        for i, (label, code) in enumerate(DEMO_CODES):
            button = QPushButton(f"Scan {label}")
            button.clicked.connect(
                lambda _=False, c=code, n=label: self._off_gui(
                    f"scanned {n}", lambda: self.rig.scan(c)
                )
            )
            grid.addWidget(button, i // 2, i % 2)
            self.scan_buttons[label] = button
        return box

    def _cash_box(self) -> QGroupBox:
        box = QGroupBox("Cash acceptor")
        row = QHBoxLayout(box)
        self.note_buttons: dict[int, QPushButton] = {}
        for yuan in DEMO_NOTES:
            button = QPushButton(f"¥{yuan} note")
            button.clicked.connect(
                lambda _=False, y=yuan: self._off_gui(
                    f"fed a ¥{y} note", lambda: self.rig.insert_note(y)
                )
            )
            row.addWidget(button)
            self.note_buttons[yuan] = button
        return box

    def _platform_box(self) -> QGroupBox:
        box = QGroupBox("Central platform")
        column = QVBoxLayout(box)
        column.addWidget(QLabel(f"Simulator at {self.rig.central.url}"))
        self.platform_down = QCheckBox("Platform down")
        self.platform_down.toggled.connect(
            lambda down: self._off_gui(
                f"platform {'down' if down else 'up'}",
                lambda: self.rig.central.set_faults(down=down),
            )
        )
        column.addWidget(self.platform_down)
        return box

    def _receipt_box(self) -> QGroupBox:
        box = QGroupBox(f"Receipt printer at {self.rig.printer.url}")
        column = QVBoxLayout(box)
        self.receipt = QPlainTextEdit()
        self.receipt.setReadOnly(True)
        self.paper = QComboBox()
        self.paper.addItems(["ok", "near-end", "out"])
        self.paper.currentTextChanged.connect(
            lambda paper: self._off_gui(
                f"printer paper {paper}", lambda: self.rig.printer.set_paper(paper)
            )
        )
        paper_row = QHBoxLayout()
        paper_row.addWidget(QLabel("Paper"))
        paper_row.addWidget(self.paper, 1)
        refresh = QPushButton("Show last receipt")
        refresh.clicked.connect(self.show_last_receipt)
        column.addLayout(paper_row)
        column.addWidget(refresh)
        column.addWidget(self.receipt, 1)
        return box

    def show_last_receipt(self) -> None:
        text = self.rig.last_receipt_text()
        self.receipt.setPlainText(text or "(no receipt printed yet)")

    def _insert(self, image: str) -> None:
        self._off_gui(f"inserted {image}", lambda: self.rig.insert_card(image))

    def _off_gui(self, done: str, action: Callable[[], None]) -> None:
        """Simulator actions talk to sockets: never on the GUI thread."""

        def run() -> None:
            try:
                action()
            except Exception as exc:
                log.exception("demo panel action failed")
                self.action_done.emit(f"failed: {exc}")
                return
            self.action_done.emit(done)

        threading.Thread(target=run, name="demo-panel", daemon=True).start()
