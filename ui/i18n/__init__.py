"""The UI's own words, translated with Qt's tools: Chinese is the source language in
the code (`QT_TRANSLATE_NOOP`), English comes from `kiosk_en.qm` (compiled by
pyside6-lrelease from `kiosk_en.ts`, which pyside6-lupdate keeps in step with the
code: `python -m ui.i18n.build`).

What the core says (patient messages, the platform's names) already comes in both
languages as `kiosk.messages.Words`; a `Tr` answers the same `in_language()`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QTranslator

HERE = Path(__file__).resolve().parent
LANGUAGES = ("zh", "en")  # zh is the source language


@cache
def translator(language: str) -> QTranslator | None:
    path = HERE / f"kiosk_{language}.qm"
    loaded = QTranslator()
    return loaded if path.exists() and loaded.load(str(path)) else None


def translate(context: str, source: str, language: str) -> str:
    """`source` (Chinese) in `language`; the source itself when no translation exists."""
    if language == "zh":
        return source
    found = translator(language)
    text = found.translate(context, source) if found is not None else ""
    return text or source


class Tr:
    """A UI string: Chinese source plus its context, translated when shown."""

    __slots__ = ("context", "source")

    def __init__(self, context: str, source: str) -> None:
        self.context = context
        self.source = source

    @property
    def zh(self) -> str:
        return self.source

    @property
    def en(self) -> str:
        return translate(self.context, self.source, "en")

    def in_language(self, language: str) -> str:
        return translate(self.context, self.source, language)

    def __repr__(self) -> str:
        return f"Tr({self.context!r}, {self.source!r})"
