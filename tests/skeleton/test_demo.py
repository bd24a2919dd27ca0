"""`kiosk demo` as a person without a screen runs it: the scripted tour, offscreen."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

TOUR_SHOTS = [
    "1-attract.png",
    "2-greeting.png",
    "3-attract-after-pull.png",
    "4-error-expired-card.png",
    "5-attract-after-pull.png",
    "6-greeting-by-health-qr.png",
    "7-attract-after-finish.png",
]


def run_tour(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KIOSK_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", "--tour", str(tmp_path / "shots"), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def assert_tour_shots(tmp_path):
    for name in TOUR_SHOTS:
        image = QImage(str(tmp_path / "shots" / name))
        assert not image.isNull(), f"{name} missing"
        assert (image.width(), image.height()) == (540, 960)


@pytest.mark.pcsc
def test_demo_tour_through_pcscd(tmp_path, pcscd):
    result = run_tour(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo tour done" in result.stdout
    assert "cards via pcsc" in result.stderr
    assert_tour_shots(tmp_path)


def test_demo_tour_falls_back_to_the_in_process_reader(tmp_path):
    result = run_tour(tmp_path, "--inprocess")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cards via inprocess" in result.stderr
    assert_tour_shots(tmp_path)
