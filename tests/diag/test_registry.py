"""The diagnostics framework: a crashing, hanging or missing part never stops the report."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drivers.device import HealthLevel, Outcome
from kiosk.config import load_config, try_load_config
from kiosk.diagnostics import (
    Check,
    CheckResult,
    DiagContext,
    ResultStore,
    Verdict,
    report_json,
    report_table,
    run_check,
    select_checks,
)


@pytest.fixture
def ctx(tmp_path: Path) -> DiagContext:
    config = load_config(overrides={"paths": {"data_dir": str(tmp_path / "data")}})
    return DiagContext(config, data_dir=config.data_dir())


def test_every_check_has_name_device_level_and_title():
    checks = select_checks(HealthLevel.INTERACTIVE)
    names = [c.name for c in checks]
    assert len(names) == len(set(names))
    assert {
        "config",
        "disk",
        "dns",
        "network",
        "tls",
        "api",
        "clock",
        "pcscd",
        "readers",
        "card_read",
        "printer",
        "printer_test_slip",
        "scanner",
        "cash_acceptor",
        "outbox",
        "journal",
    } <= set(names)
    assert all(c.title and c.device for c in checks)


def test_levels_include_the_lower_ones():
    internal = {c.name for c in select_checks(HealthLevel.INTERNAL)}
    external = {c.name for c in select_checks(HealthLevel.EXTERNAL)}
    assert internal < external
    assert "printer_test_slip" in external - internal
    assert {c.name for c in select_checks(HealthLevel.INTERNAL, device="printer")} == {"printer"}


def test_a_crashing_check_is_a_fail_with_the_error(ctx: DiagContext):
    def broken(_ctx: DiagContext) -> Verdict:
        raise KeyError("paper_level")

    result = run_check(Check("broken", "printer", HealthLevel.INTERNAL, "t", broken), ctx)
    assert result.outcome is Outcome.FAIL
    assert "KeyError" in result.cause and "kiosk logs export" in result.cause


def test_a_hanging_check_is_a_fail_after_its_limit(ctx: DiagContext):
    release = threading.Event()

    def hangs(_ctx: DiagContext) -> Verdict:
        release.wait(30)
        return Verdict(Outcome.PASS, "late")

    chk = Check("hangs", "card_reader", HealthLevel.INTERNAL, "t", hangs, timeout_s=0.5)
    result = run_check(chk, ctx)
    release.set()
    assert result.outcome is Outcome.FAIL and "no answer within" in result.summary


def test_a_part_not_installed_is_skipped_not_failed(ctx: DiagContext):
    def needs_missing(_ctx: DiagContext) -> Verdict:
        import kiosk_part_that_does_not_exist  # noqa: F401

        return Verdict(Outcome.PASS, "")

    result = run_check(Check("x", "printer", HealthLevel.INTERNAL, "t", needs_missing), ctx)
    assert result.outcome is Outcome.SKIPPED and "not available" in result.summary


def test_bad_config_fails_config_check_and_skips_the_rest(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nidle_timeout_s = 'x'\n", encoding="utf-8")
    loaded = try_load_config(path)
    ctx = DiagContext(loaded.config, loaded.error, loaded.path, tmp_path)
    results = {r.name: r for r in (run_check(c, ctx) for c in select_checks())}
    assert results["config"].outcome is Outcome.FAIL
    assert "ui.idle_timeout_s" in results["config"].summary
    assert results["printer"].outcome is Outcome.SKIPPED
    assert results["api"].outcome is Outcome.SKIPPED


def _result(name: str, device: str, outcome: Outcome, at: datetime) -> CheckResult:
    return CheckResult(name, device, HealthLevel.INTERNAL, outcome, "s", "", {}, at, 0.1)


def test_results_are_kept_with_their_time(tmp_path: Path):
    store = ResultStore(tmp_path)
    t0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    store.record(
        [
            _result("printer", "printer", Outcome.PASS, t0),
            _result("scanner", "scanner", Outcome.SKIPPED, t0),
        ]
    )
    store.record([_result("printer_test_slip", "printer", Outcome.FAIL, t0 + timedelta(hours=1))])
    again = ResultStore(tmp_path)  # another process reading the file
    assert set(again.load()) == {"printer", "scanner", "printer_test_slip"}
    assert again.last_tested() == {"printer": t0 + timedelta(hours=1)}  # a skip is no test


def test_damaged_results_file_starts_afresh(tmp_path: Path):
    store = ResultStore(tmp_path)
    store.path.write_text("{", encoding="utf-8")
    assert store.load() == {}
    store.record([_result("disk", "system", Outcome.PASS, datetime.now(UTC))])
    assert "disk" in store.load()


def test_reports(tmp_path: Path):
    now = datetime.now(UTC)
    results = [
        _result("disk", "system", Outcome.PASS, now),
        _result("printer", "printer", Outcome.FAIL, now),
    ]
    report = report_json(results, {"printer": now})
    assert report["overall"] == "fail"
    assert report["checks"][1]["outcome"] == "fail"
    table = report_table(results)
    assert "FAIL    printer" in table and "1 passed, 0 warnings, 1 failed" in table
