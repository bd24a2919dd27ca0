"""Voice prompts: off by default; when on, each key screen is announced once, in the
patient's language, without waiting on the GUI thread."""

from __future__ import annotations

import os
import stat
import time

from kiosk import session as s
from ui.voice import Voice


def stand_in_espeak(tmp_path):
    """espeak-ng is not installed here: a real executable in its place records its arguments."""
    record = tmp_path / "spoken.txt"
    program = tmp_path / "espeak-ng"
    program.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return str(program), record


def test_off_by_default_says_nothing(tmp_path):
    program, record = stand_in_espeak(tmp_path)
    voice = Voice(enabled=False, program=program)
    voice.screen_shown(s.Screen.ATTRACT, "zh")
    time.sleep(0.2)
    assert not record.exists()


def test_key_screens_are_announced_once_in_the_patients_language(tmp_path):
    program, record = stand_in_espeak(tmp_path)
    voice = Voice(enabled=True, program=program)
    voice.screen_shown(s.Screen.GREETING, "zh")
    voice.screen_shown(s.Screen.GREETING, "zh")  # a re-render is not a new screen
    voice._speaking.wait(5)
    voice.screen_shown(s.Screen.CONFIRM, "en")
    voice._speaking.wait(5)
    lines = record.read_text().splitlines()
    assert lines == ["-v cmn 请选择您要办理的业务", "-v en Please confirm and choose how to pay"]
    assert os.access(program, os.X_OK)
