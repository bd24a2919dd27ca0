"""The result: what happened, the reference, and the receipt on screen when not printed."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QPlainTextEdit, QPushButton

from kiosk import session as s
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TAKE = Tr("done", QT_TRANSLATE_NOOP("done", "请取走凭条"))
ON_SCREEN = Tr("done", QT_TRANSLATE_NOOP("done", "凭条（未打印）"))
REFERENCE = Tr("done", QT_TRANSLATE_NOOP("done", "参考号 {ref}"))
FINISH = Tr("done", QT_TRANSLATE_NOOP("done", "结束"))


class DoneScreen(MessageScreen):
    title_words = Tr("done", QT_TRANSLATE_NOOP("done", "办理结果"))

    def __init__(self) -> None:
        super().__init__("done")
        self.reference = self.label("", "reference")
        self.reference.setWordWrap(False)
        self.receipt = QPlainTextEdit()
        self.receipt.setReadOnly(True)
        self.finish = QPushButton()
        self.finish.clicked.connect(lambda: self.event.emit(s.Finish()))
        self.body.addWidget(self.reference)
        self.body.addWidget(self.receipt, 1)
        self.body.addWidget(self.finish)

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        self.back.hide()
        self.finish.setText(FINISH.in_language(language))
        outcome = state.outcome
        if outcome is None:
            return
        lines = [self.words(outcome.headline), *(self.words(w) for w in outcome.lines)]
        printed = outcome.document is not None and state.health.printer and state.notice is None
        if printed:
            lines.append(TAKE.in_language(language))
        self.lines.setText("\n".join(lines))
        self.reference.setText(REFERENCE.in_language(language).format(ref=outcome.reference))
        show_receipt = bool(outcome.receipt_text) and not printed
        self.receipt.setVisible(show_receipt)
        self.receipt.setPlainText(
            "\n".join((ON_SCREEN.in_language(language), *outcome.receipt_text))
            if show_receipt
            else ""
        )

    def clear(self) -> None:
        self.reference.clear()
        self.receipt.clear()
        super().clear()
