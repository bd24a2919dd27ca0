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

# Minimum touch target: 2 cm at the panel's DPI; 160 px covers 2 cm up to ~200 dpi.
MIN_TOUCH_PX = 160


def base_font(point_size: int) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(point_size)
    return font


def apply_global_style(app: QApplication, large_text: bool = False) -> None:
    scale = 1.4 if large_text else 1.0
    app.setFont(base_font(round(20 * scale)))
    app.setStyleSheet(
        f"""
        QWidget#screen {{ background: {BACKGROUND}; }}
        QLabel {{ color: {FOREGROUND}; }}
        QLabel[role="title"] {{ font-size: {round(56 * scale)}px; font-weight: bold; }}
        QLabel[role="heading"] {{ font-size: {round(44 * scale)}px; font-weight: bold; }}
        QLabel[role="reference"] {{ font-size: {round(30 * scale)}px; font-weight: bold;
                                    color: {ACCENT}; }}
        QLabel[role="subtitle"] {{ font-size: {round(34 * scale)}px; }}
        QLabel[role="big"] {{ font-size: {round(72 * scale)}px; font-weight: bold;
                              color: {ACCENT}; }}
        QLabel[role="note"] {{ font-size: {round(24 * scale)}px; }}
        QPushButton {{ background: {BUTTON}; color: {BUTTON_TEXT}; border-radius: 16px;
                       font-size: {round(34 * scale)}px; font-weight: bold;
                       min-height: {MIN_TOUCH_PX}px; min-width: {MIN_TOUCH_PX * 2}px;
                       padding: 0 32px; }}
        QFrame#banner {{ background: {ACCENT}; border-radius: 12px; }}
        QFrame#banner QLabel {{ color: {BUTTON_TEXT}; font-size: {round(30 * scale)}px; }}
        """
    )
