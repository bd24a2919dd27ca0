"""Optional voice prompts on the key screens ([ui] voice = true; off by default).

Spoken by espeak-ng (Debian `espeak-ng`, Mandarin and English voices) in a child
process, so the GUI thread never waits on audio; a new prompt cuts the previous one.
Only screen titles and instructions are spoken, never patient data.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

from kiosk import session as s

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn", "en": "en"}
PROMPTS = {
    s.Screen.ATTRACT: ("请插入就诊卡", "Please insert your medical card"),
    s.Screen.GREETING: ("请选择您要办理的业务", "Please choose what you would like to do"),
    s.Screen.DEPARTMENTS: ("请选择科室", "Please choose a department"),
    s.Screen.SESSIONS: ("请选择医生和时段", "Please choose a doctor and session"),
    s.Screen.CONFIRM: ("请确认并选择支付方式", "Please confirm and choose how to pay"),
    s.Screen.PAYMENT_QR: ("请用手机扫码支付", "Please scan the code with your phone to pay"),
    s.Screen.DONE: ("办理完成，请取走凭条和卡片", "Done. Please take your receipt and your card"),
    s.Screen.ERROR: ("抱歉，请查看屏幕上的提示", "Sorry, please read the message on the screen"),
}


class Voice:
    def __init__(self, enabled: bool, program: str = "espeak-ng") -> None:
        self.program = shutil.which(program) if enabled else None
        if enabled and self.program is None:
            log.warning("voice prompts are on but %s is not installed", program)
        self._speaking: subprocess.Popen[bytes] | None = None
        self._last: s.Screen | None = None

    def screen_shown(self, screen: s.Screen, language: str) -> None:
        if self.program is None or screen is self._last:
            return
        self._last = screen
        prompt = PROMPTS.get(screen)
        if prompt is not None:
            self.say(prompt[0] if language == "zh" else prompt[1], language)

    def say(self, text: str, language: str) -> None:
        if self.program is None:
            return
        if self._speaking is not None and self._speaking.poll() is None:
            self._speaking.terminate()  # the patient moved on: the old prompt stops
        self._speaking = subprocess.Popen(
            [self.program, "-v", VOICES.get(language, "en"), text],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
