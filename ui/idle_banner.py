"""The countdown before the idle timeout, with "I need more time"."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class IdleBanner(QFrame):
    more_time = Signal()

    def __init__(self, warning_s: int = 15) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.warning_s = warning_s
        self._remaining = warning_s
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("需要更多时间\nI need more time")
        self.button.clicked.connect(self.more_time)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._count_down)
        self.hide()

    def start(self) -> None:
        """Show the countdown; the core decides the actual timeout, this only displays it."""
        self._remaining = self.warning_s
        self._render()
        self.show()
        self._tick.start()

    def stop(self) -> None:
        self._tick.stop()
        self.hide()

    def _count_down(self) -> None:
        self._remaining = max(0, self._remaining - 1)
        self._render()

    def _render(self) -> None:
        self.text.setText(f"{self._remaining} 秒后将自动退出 · Ending in {self._remaining} s")
