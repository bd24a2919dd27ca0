"""Look and feel shared by all screens: large type, high contrast, big touch targets."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

# Noto/WenQuanYi first so Chinese never falls back to boxes; the kiosk image installs one.
FONT_FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Noto Sans", "DejaVu Sans"]

BACKGROUND = "#0b3d5c"  # deep hospital blue: white text on it passes WCAG AAA
FOREGROUND = "#ffffff"
ACCENT = "#ffd24a"
BUTTON = "#ffffff"
BUTTON_TEXT = "#0b3d5c"

# High contrast (the patient's switch): white on black, black on yellow, 21:1 and 19:1.
HIGH_CONTRAST = {"background": "#000000", "foreground": "#ffffff", "accent": "#ffff00",
                 "button": "#ffff00", "button_text": "#000000"}  # fmt: skip

# Minimum touch target: 2 cm at the panel's DPI; 160 px covers 2 cm up to ~200 dpi.
MIN_TOUCH_PX = 160
CM_PER_INCH = 2.54


def touch_px(dpi: float) -> int:
    """Pixels of a 2 cm target at `dpi`, never below the 160 px floor."""
    return max(MIN_TOUCH_PX, round(2 / CM_PER_INCH * dpi)) if dpi > 0 else MIN_TOUCH_PX


def base_font(point_size: int) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(point_size)
    return font


def apply_global_style(
    app: QApplication,
    large_text: bool = False,
    high_contrast: bool = False,
    min_touch_px: int = MIN_TOUCH_PX,
) -> None:
    scale = 1.4 if large_text else 1.0
    colours = HIGH_CONTRAST if high_contrast else {
        "background": BACKGROUND, "foreground": FOREGROUND, "accent": ACCENT,
        "button": BUTTON, "button_text": BUTTON_TEXT,
    }  # fmt: skip
    bg, fg, accent = colours["background"], colours["foreground"], colours["accent"]
    button, button_text, touch = colours["button"], colours["button_text"], min_touch_px
    font = base_font(round(20 * scale))
    if app.font() != font:
        app.setFont(font)
    sheet = f"""
        QWidget#screen {{ background: {bg}; }}
        QLabel {{ color: {fg}; }}
        QLabel[role="title"] {{ font-size: {round(56 * scale)}px; font-weight: bold; }}
        QLabel[role="heading"] {{ font-size: {round(44 * scale)}px; font-weight: bold; }}
        QLabel[role="reference"] {{ font-size: {round(30 * scale)}px; font-weight: bold;
                                    color: {accent}; }}
        QLabel[role="subtitle"] {{ font-size: {round(34 * scale)}px; }}
        QLabel[role="big"] {{ font-size: {round(72 * scale)}px; font-weight: bold;
                              color: {accent}; }}
        QLabel[role="note"] {{ font-size: {round(24 * scale)}px; }}
        QPushButton {{ background: {button}; color: {button_text}; border-radius: 16px;
                       font-size: {round(34 * scale)}px; font-weight: bold;
                       min-height: {touch}px; min-width: {touch * 2}px;
                       padding: 0 32px; }}
        QPushButton[role="nav"] {{ min-width: {touch}px;
                                   font-size: {round(30 * scale)}px; }}
        QPushButton:checked {{ background: {accent}; }}
        QPushButton:disabled {{ background: #8aa4b5; color: #41596a; }}
        QLabel#notice {{ background: {accent}; color: {button_text}; border-radius: 12px;
                         padding: 12px; }}
        QLineEdit, QPlainTextEdit {{ font-size: {round(32 * scale)}px; min-height: 96px;
                                     background: #ffffff; color: #000000; }}
        QScrollArea {{ background: transparent; }}
        QFrame#banner {{ background: {accent}; border-radius: 12px; }}
        QFrame#banner QLabel {{ color: {button_text}; font-size: {round(30 * scale)}px; }}
        """
    if app.styleSheet() != sheet:  # re-polishing every widget is not free: only on a change
        app.setStyleSheet(sheet)
