"""A bad or missing config never bricks the kiosk (issue 8): `kiosk run`'s own service
builder on a broken file starts on the "needs configuration" screen; a technician fixes
it (behind the admin PIN when one is set) and the kiosk starts its services, then
serves a card through the real pcscd and the platform simulator."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt

from central_sim import DEMO_TERMINAL_ID
from kiosk import config as c
from kiosk.admin_auth import hash_pin
from kiosk.commands.run import _build_services
from kiosk.session import Screen
from tests.ui.conftest import Driver
from ui.kiosk_ui import KioskUi

pytestmark = pytest.mark.pcsc


def terminal_data(central_sim, virtual_printer, data_dir: Path) -> dict:
    data_dir.mkdir(exist_ok=True)
    return {
        "terminal": {"id": DEMO_TERMINAL_ID},
        "central": {"url": central_sim.url},
        "devices": {
            "card_reader": {"backend": "pcsc", "reader": "Virtual PCD 00 00"},
            "printer": {"url": virtual_printer.url},
        },
        "paths": {"data_dir": str(data_dir)},
    }


@pytest.fixture
def kiosk_on_file(qtbot, qapp):
    started: list[KioskUi] = []
    root = logging.getLogger()
    handlers = list(root.handlers)

    def start(path: Path) -> Driver:
        ui = KioskUi(qapp, lambda: _build_services(str(path)), config_path=str(path))
        started.append(ui)
        ui.show(fullscreen=False, size=QSize(1080, 1920))
        return Driver(qtbot, ui)

    yield start
    for ui in started:
        ui.shutdown()
        ui.window.close()
        ui.window.deleteLater()
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)  # `kiosk run` logs to a file in the test's data dir
        handler.close()


def wait_for_needs_config(driver: Driver):
    driver.qtbot.waitUntil(lambda: driver.ui.needs_config is not None, timeout=20_000)
    screen = driver.ui.needs_config
    driver.qtbot.waitUntil(screen.isVisible, timeout=5_000)
    assert driver.ui.services is None  # nothing started on a config that does not load
    return screen


def serves_a_card(driver: Driver, virtual_card) -> None:
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING, timeout=30_000)
    assert "张*" in driver.window.greeting.hello.text()
    card.remove()
    driver.wait_for(Screen.ATTRACT)


def test_a_truncated_file_is_fixed_by_restoring_the_previous_version(
    kiosk_on_file, virtual_card, virtual_printer, central_sim, tmp_path
):
    path = tmp_path / "kiosk.toml"
    good = terminal_data(central_sim, virtual_printer, tmp_path / "data")
    c.save_terminal_file(path, good)
    c.save_terminal_file(path, {**good, "ui": {"idle_timeout_s": 120}})
    text = path.read_bytes()
    path.write_bytes(text[: len(text) // 2])  # a power cut mid-copy, say
    driver = kiosk_on_file(path)
    screen = wait_for_needs_config(driver)
    assert screen.save_button.isHidden() and screen.restore_button.isVisible()
    assert "暂停服务" in driver.window.attract.note.text()  # what a patient would read
    with driver.qtbot.waitSignal(driver.ui.services_ready, timeout=30_000):
        driver.qtbot.mouseClick(screen.restore_button, Qt.MouseButton.LeftButton)
    assert driver.ui.needs_config is None and driver.window.service_page is None
    assert c.load_config(path).central.url == central_sim.url
    serves_a_card(driver, virtual_card)


def test_a_wrong_typed_key_is_fixed_behind_the_admin_pin(
    kiosk_on_file, virtual_card, virtual_printer, central_sim, tmp_path
):
    path = tmp_path / "kiosk.toml"
    good = terminal_data(central_sim, virtual_printer, tmp_path / "data")
    c.save_terminal_file(path, {**good, "admin": {"pin_hash": hash_pin("2468")}})
    text = path.read_text(encoding="utf-8") + '\n[ui]\nidle_timeout_s = "soon"\n'
    path.write_text(text, encoding="utf-8")
    driver = kiosk_on_file(path)
    screen = wait_for_needs_config(driver)
    assert not screen.unlocked and not screen.save_button.isEnabled()
    row = next(r for r in screen.rows if r.problem.key == "ui.idle_timeout_s")
    assert not row.edit.isVisible()  # the details are for the technician only
    screen.pin.setText("2468")
    driver.qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    driver.qtbot.waitUntil(lambda: screen.unlocked, timeout=30_000)
    assert row.edit.isVisible() and row.edit.text() == "soon"
    row.edit.setText("90")
    with driver.qtbot.waitSignal(driver.ui.services_ready, timeout=30_000):
        driver.qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert driver.ui.services.config.ui.idle_timeout_s == 90
    assert c.load_config(path).ui.idle_timeout_s == 90
    serves_a_card(driver, virtual_card)
