"""The attract screen: what the kiosk shows while nobody is using it."""

from __future__ import annotations

from PySide6.QtCore import Signal

from ui.screens.base import Screen


class AttractScreen(Screen):
    painted = Signal()  # first paint, for the start-up benchmark

    def __init__(self) -> None:
        super().__init__("attract")
        self.layout_.addStretch(2)
        self.layout_.addWidget(self.label("请插入就诊卡", "title"))
        self.layout_.addWidget(self.label("Please insert your medical card", "subtitle"))
        self.layout_.addStretch(1)
        self.note = self.label("支持联名就诊卡、社保卡 · Medical and social security cards", "note")
        self.layout_.addWidget(self.note)
        self.layout_.addStretch(2)
        self._painted_once = False

    def set_scanner(self, fitted: bool) -> None:
        """Where a scanner is fitted, a patient QR code identifies as well as a card."""
        self.note.setText(
            "支持联名就诊卡、社保卡，或扫描电子健康卡二维码\n"
            "Medical and social security cards, or scan your health QR code"
            if fitted
            else "支持联名就诊卡、社保卡 · Medical and social security cards"
        )

    def set_out_of_service(self, reference: str) -> None:
        """The kiosk could not start its services: say so instead of inviting a card."""
        self.note.setText(
            f"暂停服务，请到人工窗口办理 · Out of service, please go to a staffed counter\n"
            f"参考号 Reference: {reference}"
        )

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted_once:
            self._painted_once = True
            self.painted.emit()
