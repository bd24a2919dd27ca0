"""Follow-ups on the patient flows, end to end through the real parts: a cash top-up
while the platform is down (issue 9), reprint from the journal across sessions (issues
6 and 7)."""

from __future__ import annotations

import pytest

from kiosk.flows import Flow
from kiosk.session import Screen

pytestmark = pytest.mark.pcsc

WANG_BALANCE_FEN = 50000  # P0003 in the simulator's seed


def test_cash_top_up_with_the_platform_down_is_credited_once_when_it_is_back(
    kiosk, virtual_card, virtual_cash_acceptor, virtual_printer, central_sim, central_client
):
    # the offline policy allows 100 yuan in all while the platform is down
    driver = kiosk(
        cash_port=virtual_cash_acceptor.path,
        offline={"max_total_fen": 10000, "max_single_fen": 10000},
    )
    card = virtual_card("ssc_wang", reader=0)
    driver.wait_for(Screen.GREETING)  # seen online once: the patient is in the cache
    card.remove()
    driver.wait_for(Screen.ATTRACT)
    central_sim.set_faults(down=True)
    card = virtual_card("ssc_wang", reader=0)
    driver.wait_for(Screen.GREETING, timeout=30_000)
    greeting = driver.window.greeting
    assert greeting.banner.isVisible()
    offered = {f for f, b in greeting.flow_buttons.items() if b.isVisible()}
    assert Flow.TOP_UP in offered and Flow.REGISTER not in offered
    driver.choose_flow(Flow.TOP_UP)
    driver.wait_for(Screen.AMOUNT)
    driver.tap(driver.option(Screen.AMOUNT, "preset-10000"))
    driver.wait_for(Screen.CONFIRM)
    assert [b.property("option_key") for b in driver.options(Screen.CONFIRM)] == ["cash"]
    driver.tap(driver.option(Screen.CONFIRM, "cash"))
    driver.wait_for(Screen.CASH)
    cash = driver.window.flow_screens[Screen.CASH]
    driver.qtbot.wait(500)  # the validator is enabled for notes
    virtual_cash_acceptor.insert(50)
    driver.qtbot.waitUntil(lambda: cash.total.text() == "¥50.00", timeout=20_000)
    virtual_cash_acceptor.insert(20)
    driver.qtbot.waitUntil(lambda: cash.total.text() == "¥70.00", timeout=20_000)
    driver.tap(cash.done)
    driver.wait_for(Screen.DONE, timeout=30_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "充值凭条" in receipt and "现金 Cash" in receipt and "70.00" in receipt
    assert "待确认" in receipt
    # a second top-up: only the 30 yuan the offline total still allows go in
    driver.tap(driver.window.flow_screens[Screen.DONE].home)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.TOP_UP)
    driver.wait_for(Screen.AMOUNT)
    driver.tap(driver.option(Screen.AMOUNT, "preset-5000"))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "cash"))
    driver.wait_for(Screen.CASH)
    driver.qtbot.wait(500)
    virtual_cash_acceptor.insert(50)  # over what is left: handed back from escrow
    driver.qtbot.waitUntil(lambda: not virtual_cash_acceptor.state.escrow, timeout=20_000)
    assert cash.total.text() == "¥0.00"
    virtual_cash_acceptor.insert(20)
    driver.qtbot.waitUntil(lambda: cash.total.text() == "¥20.00", timeout=20_000)
    driver.tap(cash.done)
    driver.wait_for(Screen.DONE, timeout=30_000)
    assert "20.00" in virtual_printer.wait_for_receipts(2)[1].text
    assert virtual_cash_acceptor.cashbox_fen() == 9000
    central_sim.set_faults()  # the platform is back, nothing credited yet
    assert central_client.get_balance("P0003").balance_fen == WANG_BALANCE_FEN
    card.remove()  # nobody at the kiosk: the sync worker forwards the queued notes
    driver.wait_for(Screen.ATTRACT)
    credited = WANG_BALANCE_FEN + 9000
    driver.qtbot.waitUntil(
        lambda: central_client.get_balance("P0003").balance_fen == credited, timeout=30_000
    )
    assert driver.ui.services.reconcile_interrupted(timeout_s=10.0)  # a second drain
    assert central_client.get_balance("P0003").balance_fen == credited


def test_reprint_offers_this_cards_receipts_from_an_earlier_session(
    kiosk, virtual_card, virtual_printer
):
    driver = kiosk()
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.CHECK_IN)
    driver.wait_for(Screen.BOOKINGS)
    driver.tap(driver.options(Screen.BOOKINGS)[0])
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "none"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    first = virtual_printer.wait_for_receipts(1)[0].text
    assert "签到凭条" in first and "重印" not in first
    card.remove()
    driver.wait_for(Screen.ATTRACT)

    other = virtual_card("ssc_wang", reader=0)  # another patient sees none of it
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.REPRINT)
    driver.wait_for(Screen.RECEIPTS)
    assert driver.options(Screen.RECEIPTS) == []
    other.remove()
    driver.wait_for(Screen.ATTRACT)

    card = virtual_card("pboc_zhang", reader=0)  # the same card, a new session
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.REPRINT)
    driver.wait_for(Screen.RECEIPTS)
    earlier = driver.options(Screen.RECEIPTS)
    assert len(earlier) == 1 and "签到凭条" in earlier[0].text()
    driver.tap(earlier[0])
    driver.wait_for(Screen.DONE, timeout=30_000)
    again = virtual_printer.wait_for_receipts(2)[1].text
    assert "重印 REPRINT" in again
    assert again.replace("\n", "").count("签到凭条") == 1
    body = [line for line in first.splitlines() if "排队号" in line or "参考号" in line]
    assert body and all(line in again for line in body)  # the same receipt, marked
    card.remove()  # before teardown, which removes the cards in insertion order
