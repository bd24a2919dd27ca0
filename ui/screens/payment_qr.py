"""QR payment: the code for the patient's phone, the amount and a countdown to expiry."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk import session as s
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TEXT = Tr("payment_qr", QT_TRANSLATE_NOOP("payment_qr", "请用手机扫码支付 {amount}"))
LEFT = Tr("payment_qr", QT_TRANSLATE_NOOP("payment_qr", "剩余 {m}:{s:02d}"))
CANCEL = Tr("payment_qr", QT_TRANSLATE_NOOP("payment_qr", "取消支付"))


def qr_pixmap(content: str, size: int = 420) -> QPixmap:
    import qrcode

    image = qrcode.make(content, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)


class PaymentQrScreen(MessageScreen):
    title_words = Tr("payment_qr", QT_TRANSLATE_NOOP("payment_qr", "扫码支付"))

    def __init__(self) -> None:
        super().__init__("payment_qr")
        self.code = QLabel()
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown = self.label("", "reference")
        self.cancel = QPushButton()
        self.cancel.clicked.connect(lambda: self.event.emit(s.CancelPayment()))
        self.body.insertWidget(1, self.code)
        self.body.addWidget(self.countdown)
        self.body.addWidget(self.cancel)
        self._expires: datetime | None = None
        self._content = ""
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._count_down)

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        self.cancel.setText(CANCEL.in_language(language))
        payment = state.payment
        if payment is None:
            return
        if payment.qr_content != self._content:
            self._content = payment.qr_content
            self.code.setPixmap(qr_pixmap(payment.qr_content))
        self.lines.setText(TEXT.in_language(language).format(amount=format_fen(payment.amount_fen)))
        self._expires = datetime.fromisoformat(payment.expires_at) if payment.expires_at else None
        self._count_down()
        self._tick.start()

    def _count_down(self) -> None:
        if self._expires is None:
            self.countdown.clear()
            return
        left = max(0, int((self._expires - datetime.now(UTC)).total_seconds()))
        words = LEFT.in_language(self.language)
        self.countdown.setText(words.format(m=left // 60, s=left % 60))

    def clear(self) -> None:
        self._tick.stop()
        self._expires = None
        self._content = ""
        self.code.clear()
        self.countdown.clear()
        super().clear()
