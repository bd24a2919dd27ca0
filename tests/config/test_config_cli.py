"""`kiosk config show|validate|set|diff|schema` as an engineer types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiosk import config as c


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_validate_good_and_bad(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert kiosk("config", "validate", str(good)).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[ui]\nidle_timeout_s = 5\ncolour = 'red'\n", encoding="utf-8")
    result = kiosk("config", "validate", str(bad))
    assert result.returncode == 1
    assert "ui.idle_timeout_s = 5: input should be greater than or equal to 10" in result.stderr
    assert "ui.colour = 'red': unknown key" in result.stderr


def test_validate_missing_and_not_toml(tmp_path: Path):
    assert "config file not found" in kiosk("config", "validate", str(tmp_path / "x")).stderr
    junk = tmp_path / "junk.toml"
    junk.write_bytes(b"\xff\xfe\x00garbage")
    result = kiosk("config", "validate", str(junk))
    assert result.returncode == 1 and "not UTF-8" in result.stderr


def test_set_then_show_then_diff(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    result = kiosk("--config", str(path), "config", "set", "ui.idle_timeout_s", "90")
    assert result.returncode == 0, result.stderr
    kiosk("--config", str(path), "config", "set", "devices.printer.url", "tcp://10.1.2.3:9100")
    shown = json.loads(kiosk("--config", str(path), "config", "show", "--json").stdout)
    assert shown["ui"]["idle_timeout_s"] == 90
    assert shown["devices"]["printer"]["url"] == "tcp://10.1.2.3:9100"
    diff = kiosk("--config", str(path), "config", "diff").stdout
    assert "ui.idle_timeout_s: 60 -> 90" in diff
    assert (tmp_path / "kiosk.toml.prev").exists()


def test_set_refuses_bad_values_and_keeps_the_file(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    before = path.read_bytes()
    for key, value, expected in [
        ("ui.idle_timeout_s", "abc", "valid integer"),
        ("ui.idle_timeout_s", "5000", "less than or equal to 600"),
        ("ui.colour", "red", "unknown key"),
        ("devices.printer.url", "lp0", "devices.printer.url = 'lp0'"),
    ]:
        result = kiosk("--config", str(path), "config", "set", key, value)
        assert result.returncode == 1 and expected in result.stderr, (key, result.stderr)
    assert path.read_bytes() == before


def test_set_needs_a_terminal_file():
    env = {"KIOSK_CONFIG": ""}
    result = kiosk("config", "set", "ui.language", "en", env=env)
    assert result.returncode == 1 and "--config" in result.stderr


def test_show_hides_the_pin_hash(tmp_path: Path):
    from kiosk.admin_auth import hash_pin

    path = tmp_path / "kiosk.toml"
    secret = hash_pin("1234")
    c.save_terminal_file(path, {"admin": {"pin_hash": secret}})
    shown = kiosk("--config", str(path), "config", "show").stdout
    assert secret not in shown and c.REDACTED in shown
    assert secret not in kiosk("--config", str(path), "config", "diff").stdout
    refused = kiosk("--config", str(path), "config", "set", "admin.pin_hash", "scrypt$x")
    assert refused.returncode == 1 and "set-pin" in refused.stderr


def test_schema_command_matches_file():
    assert kiosk("config", "schema").stdout == c.SCHEMA_FILE.read_text(encoding="utf-8")


def _set_pin(path: Path, typed: str) -> subprocess.CompletedProcess:
    # no terminal in a test: getpass reads the typed PIN from stdin, as over a piped SSH
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(path), "config", "set-pin"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )


def test_set_pin_stores_only_a_hash(tmp_path: Path):
    from kiosk.admin_auth import verify_pin

    path = tmp_path / "kiosk.toml"
    result = _set_pin(path, "864200\n864200\n")
    assert result.returncode == 0, result.stderr
    stored = c.load_config(path).admin.pin_hash
    assert verify_pin("864200", stored) and "864200" not in path.read_text()


def test_set_pin_refuses_mismatch_and_bad_format(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    assert "differ" in _set_pin(path, "1234\n4321\n").stderr
    assert "4 to 12 digits" in _set_pin(path, "12ab\n12ab\n").stderr
    assert not path.exists()
