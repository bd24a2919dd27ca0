"""The patient is identified: a greeting with the masked name and the card balance."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton

from kiosk.money import format_fen
from kiosk.session import PatientView
from ui.screens.base import Screen


class GreetingScreen(Screen):
    finish_tapped = Signal()

    def __init__(self) -> None:
        super().__init__("greeting")
        self.hello = self.label("", "title")
        self.card = self.label("", "note")
        self.balance_caption = self.label("卡内余额 Card balance", "subtitle")
        self.balance = self.label("", "big")
        self.as_of = self.label("", "note")
        self.finish = QPushButton("结束 Finish")
        self.finish.clicked.connect(self.finish_tapped)
        self.layout_.addStretch(1)
        for widget in (self.hello, self.card, self.balance_caption, self.balance, self.as_of):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(2)
        self.layout_.addWidget(self.finish)

    def show_patient(self, patient: PatientView) -> None:
        self.hello.setText(f"您好，{patient.display_name}\nHello, {patient.display_name}")
        self.card.setText(patient.masked_card_number)
        self.balance.setText(format_fen(patient.balance_fen))
        self.as_of.setText(f"截至 As of {patient.balance_as_of[11:16]}")

    def clear(self) -> None:
        for widget in (self.hello, self.card, self.balance, self.as_of):
            widget.clear()
