"""The technician, engineer and needs-configuration screens, offscreen, with real parts behind
them: the platform simulator, the virtual printer, pcscd's readers, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config as c
from kiosk.admin_auth import hash_pin
from kiosk.diagnostics import DiagContext

pytest.importorskip("pytestqt")

WAIT_MS = 60_000


# --- needs configuration ----------------------------------------------------------------


def _needs_config(qtbot, path: Path):
    from ui.screens.needs_config import NeedsConfigScreen

    screen = NeedsConfigScreen(c.try_load_config(path))
    qtbot.addWidget(screen)
    return screen


def test_bad_value_is_shown_and_fixed(qtbot, tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nidle_timeout_s = 5\ncolour = 'red'\n", encoding="utf-8")
    screen = _needs_config(qtbot, path)
    rows = {r.problem.key: r for r in screen.rows}
    assert "greater than or equal to 10" in rows["ui.idle_timeout_s"].allowed.text()
    assert rows["ui.idle_timeout_s"].edit.text() == "5"
    assert rows["ui.colour"].remove.isChecked()
    rows["ui.idle_timeout_s"].edit.setText("90")
    with qtbot.waitSignal(screen.config_fixed, timeout=WAIT_MS) as fixed:
        screen.save_button.click()
    assert fixed.args[0].ui.idle_timeout_s == 90
    assert c.load_config(path).ui.idle_timeout_s == 90
    assert (tmp_path / "kiosk.toml.prev").exists()


def test_a_wrong_fix_is_refused_and_nothing_saved(qtbot, tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nidle_timeout_s = 5\n", encoding="utf-8")
    before = path.read_bytes()
    screen = _needs_config(qtbot, path)
    screen.rows[0].edit.setText("7")
    screen.save_button.click()
    qtbot.waitUntil(lambda: "not saved" in screen.status.text(), timeout=WAIT_MS)
    assert "ui.idle_timeout_s = 7" in screen.status.text()
    assert path.read_bytes() == before


def test_not_toml_offers_previous_version(qtbot, tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(path, {"ui": {"language": "en"}})
    c.save_terminal_file(path, {"ui": {"language": "zh"}})
    path.write_bytes(b"\x00\x01garbage [[[")  # the file got corrupted
    screen = _needs_config(qtbot, path)
    assert screen.save_button.isHidden() and not screen.restore_button.isHidden()
    with qtbot.waitSignal(screen.config_fixed, timeout=WAIT_MS) as fixed:
        screen.restore_button.click()
    assert fixed.args[0].ui.language == "en"


def test_missing_file_starts_from_defaults(qtbot, tmp_path: Path):
    path = tmp_path / "new" / "kiosk.toml"
    screen = _needs_config(qtbot, path)
    assert "config file not found" in screen.rows[0].allowed.text()
    with qtbot.waitSignal(screen.config_fixed, timeout=WAIT_MS):
        screen.defaults_button.click()
    assert path.exists()


def test_fixes_need_the_admin_pin_when_one_is_set(qtbot, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(path, {"admin": {"pin_hash": hash_pin("2468")}})
    text = path.read_text(encoding="utf-8") + "\n[ui]\nidle_timeout_s = 1\n"
    path.write_text(text, encoding="utf-8")
    screen = _needs_config(qtbot, path)
    screen.show()
    assert not screen.unlocked and not screen.save_button.isEnabled()
    assert not screen.rows[0].key_label.isVisible()  # a patient sees only "out of service"
    screen.pin.setText("1111")
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: "wrong PIN" in screen.status.text(), timeout=WAIT_MS)
    assert not screen.unlocked
    screen.pin.setText("2468")
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: screen.unlocked, timeout=WAIT_MS)
    assert screen.save_button.isEnabled()
    assert screen.rows[0].key_label.isVisible() and screen.rows[0].edit.isVisible()


# --- technician ---------------------------------------------------------------------------


@pytest.fixture
def technician(qtbot, tmp_path: Path, pcscd):
    from ui.screens.technician import TechnicianScreen

    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(path, {"paths": {"data_dir": str(tmp_path / "data")}})
    screen = TechnicianScreen(path, c.load_config(path))
    qtbot.addWidget(screen)
    return screen


def test_technician_pickers_list_the_attached_readers(qtbot, technician):
    reader = technician.fields["devices.card_reader.reader"].widget
    qtbot.waitUntil(lambda: reader.findText("Virtual PCD 00 00") >= 0, timeout=WAIT_MS)
    assert technician.detect_button.isEnabled()


def test_technician_edits_every_file_setting(technician):
    keys = {k for k, _ in c.flatten(c.load_config().model_dump(mode="json")).items()}
    assert set(technician.fields) == keys - {"admin.pin_hash"}


def test_technician_saves_a_change_and_a_pin(qtbot, technician):
    technician.fields["ui.idle_timeout_s"].widget.setValue(120)
    technician.fields["ui.language"].set("en")
    technician.fields["services.offered"].set(["check_in", "reprint"])
    technician.pin.setText("97531")
    technician.pin_again.setText("97531")
    with qtbot.waitSignal(technician.saved, timeout=WAIT_MS) as saved:
        technician.save_button.click()
    config = saved.args[0]
    assert config.ui.idle_timeout_s == 120 and config.ui.language == "en"
    assert config.services.offered == ["check_in", "reprint"]
    assert config.admin.pin_hash.startswith("scrypt$")
    assert c.load_config(technician.config_path) == config
    assert technician.pin.text() == ""


def test_technician_refuses_bad_values_and_marks_the_field(qtbot, technician):
    before = technician.config_path.read_bytes()
    technician.fields["terminal.id"].set("lobby 7")  # a space is not allowed in an id
    technician.fields["devices.printer.url"].set("lp0")
    with qtbot.waitSignal(technician.save_failed, timeout=WAIT_MS) as failed:
        technician.save_button.click()
    assert {p.key for p in failed.args[0]} == {"terminal.id", "devices.printer.url"}
    assert "3px solid" in technician.fields["terminal.id"].widget.styleSheet()
    assert technician.config_path.read_bytes() == before


def test_technician_pin_mismatch_and_bad_pin(qtbot, technician):
    technician.pin.setText("1234")
    technician.pin_again.setText("1235")
    technician.save_button.click()
    assert "differ" in technician.status.text()
    technician.pin.setText("12")
    technician.pin_again.setText("12")
    with qtbot.waitSignal(technician.save_failed, timeout=WAIT_MS) as failed:
        technician.save_button.click()
    assert "4 to 12 digits" in failed.args[0][0].allowed


def test_usb_printers_found_in_sysfs(tmp_path: Path):
    from ui.screens.technician import attached_usb_printers

    # no USB printer can be plugged in here: a sysfs tree of the same shape stands in for one
    device = tmp_path / "sys/devices/pci0/usb1/1-2"
    (device / "1-2:1.0").mkdir(parents=True)
    (device / "idVendor").write_text("0416\n")
    (device / "idProduct").write_text("5011\n")
    (device / "1-2:1.0/bInterfaceClass").write_text("07\n")
    links = tmp_path / "sys/bus/usb/devices"
    links.mkdir(parents=True)
    (links / "1-2:1.0").symlink_to(device / "1-2:1.0")
    (tmp_path / "dev/usb").mkdir(parents=True)
    (tmp_path / "dev/usb/lp0").touch()
    found = attached_usb_printers(tmp_path / "sys", tmp_path / "dev")
    assert found == ["usb://0416:5011", f"file://{tmp_path}/dev/usb/lp0"]


# --- engineer -------------------------------------------------------------------------------


@pytest.fixture
def engineer(qtbot, tmp_path: Path, central_sim, virtual_printer, pcscd):
    from ui.screens.engineer import EngineerScreen

    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(
        path,
        {
            "central": {"url": central_sim.url},
            "devices": {"printer": {"url": virtual_printer.url}},
            "paths": {"data_dir": str(tmp_path / "data")},
        },
    )
    screen = EngineerScreen(lambda: DiagContext.from_config_path(path))
    qtbot.addWidget(screen)
    screen.printer = virtual_printer
    return screen


def _row_text(screen, name: str, column: int) -> str:
    return screen.table.item(screen._rows[name], column).text()


def test_engineer_runs_all_checks_in_plain_words(qtbot, engineer):
    with qtbot.waitSignal(engineer.run_finished, timeout=WAIT_MS) as finished:
        engineer.run_internal.click()
    results = {r.name: r for r in finished.args[0]}
    assert results["printer"].outcome.value == "pass"
    assert _row_text(engineer, "printer", 2) == "正常 OK"
    assert _row_text(engineer, "scanner", 2) == "未测 Not tested"
    assert _row_text(engineer, "printer", 4)  # last tested: now
    assert "All checks passed" in engineer.status.text()


def test_engineer_runs_one_check_alone(qtbot, engineer):
    engineer.printer.set_paper("out")
    with qtbot.waitSignal(engineer.check_finished, timeout=WAIT_MS) as one:
        engineer.run_one("printer")
    assert one.args[0].name == "printer"
    qtbot.waitUntil(lambda: not engineer.busy, timeout=WAIT_MS)
    assert _row_text(engineer, "printer", 2) == "故障 Fault"
    assert "load paper" in _row_text(engineer, "printer", 3)
    assert _row_text(engineer, "api", 2) == "—"  # the others did not run


def test_engineer_prints_the_report(qtbot, engineer):
    with qtbot.waitSignal(engineer.run_finished, timeout=WAIT_MS):
        engineer.run_internal.click()
    with qtbot.waitSignal(engineer.report_printed, timeout=WAIT_MS) as printed:
        engineer.print_button.click()
    assert printed.args[0] is True
    (receipt,) = engineer.printer.wait_for_receipts(1)
    assert "设备诊断 Diagnostics" in receipt.text and "printer/printer" in receipt.text


def test_engineer_shows_last_results_from_before(qtbot, engineer, tmp_path: Path):
    from ui.screens.engineer import EngineerScreen

    with qtbot.waitSignal(engineer.run_finished, timeout=WAIT_MS):
        engineer.run_internal.click()
    again = EngineerScreen(engineer._context_factory)  # the kiosk restarted
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: _row_text(again, "disk", 2) == "正常 OK", timeout=WAIT_MS)


def test_engineer_interactive_check_asks_then_reads_the_card(qtbot, tmp_path: Path, virtual_card):
    from ui.screens.engineer import EngineerScreen

    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(
        path,
        {
            "devices": {"card_reader": {"reader": "Virtual PCD 00 01"}},
            "paths": {"data_dir": str(tmp_path / "data")},
        },
    )
    screen = EngineerScreen(lambda: DiagContext.from_config_path(path))
    qtbot.addWidget(screen)
    screen.show()
    screen.run_one("card_insert")
    qtbot.waitUntil(lambda: screen.prompt.isVisible(), timeout=WAIT_MS)
    assert "Insert a patient card" in screen.prompt.text()
    with qtbot.waitSignal(screen.check_finished, timeout=WAIT_MS) as finished:
        virtual_card("ssc_wang", reader=1)
    assert finished.args[0].outcome.value == "pass", finished.args[0]
    assert finished.args[0].details["card_type"] == "social_security"
    qtbot.waitUntil(lambda: not screen.prompt.isVisible(), timeout=WAIT_MS)
