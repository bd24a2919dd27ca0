"""The UI's words go through Qt's translation tools, and none is left untranslated."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

from ui.i18n import translate
from ui.i18n.build import QM, TS, lrelease, lupdate


def messages(ts) -> dict[tuple[str, str], tuple[str, str]]:
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.find("name").text
        for message in context.iter("message"):
            translation = message.find("translation")
            found[(name, message.find("source").text)] = (
                translation.text or "",
                translation.get("type", ""),
            )
    return found


def test_every_ui_string_in_the_code_has_a_finished_english_translation(tmp_path):
    fresh = tmp_path / "kiosk_en.ts"
    shutil.copy(TS, fresh)
    lupdate(fresh)  # what the code says now, merged with the committed translations
    now = messages(fresh)
    assert now.keys() == messages(TS).keys(), "run: python -m ui.i18n.build"
    unfinished = [key for key, (text, kind) in now.items() if not text or kind == "unfinished"]
    assert unfinished == []


def test_the_committed_qm_is_compiled_from_the_committed_ts(tmp_path):
    compiled = tmp_path / "kiosk_en.qm"
    lrelease(TS, compiled)
    assert compiled.read_bytes() == QM.read_bytes(), "run: python -m ui.i18n.build"


def test_the_translations_are_what_the_screens_get():
    for (context, source), (text, _) in messages(TS).items():
        assert translate(context, source, "en") == text
        assert translate(context, source, "zh") == source
