"""Every patient flow end to end on the touchscreen: a card through the real pcscd, the
real platform simulator, and the receipt decoded at the virtual printer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.flows import Flow
from kiosk.session import Screen
from tests.ui.conftest import ZHANG_NUMBER, patient_traces

pytestmark = pytest.mark.pcsc
TZ = ZoneInfo("Asia/Shanghai")


def bookable(central_client, day: dt.date | None = None) -> tuple[str, str]:
    """A department and a session the demo patient can book and afford today."""
    day = day or dt.datetime.now(TZ).date()
    departments = central_client.list_departments("H001")[4:14]  # past the seeded bookings
    for department in departments:
        for session in central_client.list_sessions(department.department_id, day):
            if session.bookable and session.fee_fen <= 5000:
                return department.department_id, session.session_id
    pytest.skip("no bookable session left today in the simulator's schedule")


def register(driver, central_client, method: str = "card_balance") -> None:
    department, session = bookable(central_client)
    driver.choose_flow(Flow.REGISTER)
    driver.wait_for(Screen.DEPARTMENTS)
    driver.tap(driver.option(Screen.DEPARTMENTS, department))
    driver.wait_for(Screen.SESSIONS)
    driver.tap(driver.option(Screen.SESSIONS, session))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, method))


def test_same_day_registration_prints_a_receipt_within_five_taps(
    kiosk, virtual_card, virtual_printer, central_client
):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    register(driver, central_client)
    driver.wait_for(Screen.DONE, timeout=30_000)
    assert driver.taps <= 5
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "挂号凭条" in receipt and "排队号" in receipt and "张*" in receipt
    assert ZHANG_NUMBER not in receipt
    done = driver.window.flow_screens[Screen.DONE]
    assert "挂号成功" in done.lines.text() and "请取走凭条" in done.lines.text()
    assert not done.receipt.isVisible()  # printed: no on-screen copy needed


def test_registration_in_english_and_large_text(
    kiosk, virtual_card, virtual_printer, central_client
):
    driver = kiosk(large_text=True)
    virtual_card("ssc_wang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.tap(driver.window.greeting.lang)
    assert driver.window.greeting.flow_buttons[Flow.REGISTER].text() == "Register today"
    register(driver, central_client, method="qr")
    driver.wait_for(Screen.DONE, timeout=40_000)  # the simulated phone pays the QR code
    done = driver.window.flow_screens[Screen.DONE]
    assert "You are registered" in done.lines.text()
    assert done.home.text() == "Home"
    assert "挂号凭条" in virtual_printer.wait_for_receipts(1)[0].text


def test_card_pulled_mid_flow_leaves_nothing_of_the_patient(kiosk, virtual_card, central_client):
    driver = kiosk()
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.PAY)
    driver.wait_for(Screen.CHARGES)
    charges = driver.options(Screen.CHARGES)
    assert charges
    charge_titles = [b.text().split("\n")[0] for b in charges]
    driver.tap(charges[0])
    card.remove()
    driver.wait_for(Screen.ATTRACT)
    assert patient_traces(driver.window) == []
    leftover = [
        t
        for t in charge_titles
        if any(t in x for x in patient_traces(driver.window, charge_titles))
    ]
    assert leftover == []
    assert driver.ui.services.core.state.patient is None


def test_idle_timeout_inside_a_flow_ends_the_session(kiosk, virtual_card):
    driver = kiosk(idle_timeout_s=10, idle_warning_s=4)
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.BALANCE)
    driver.wait_for(Screen.BALANCE)
    assert "128.50" in " ".join(b.text() for b in driver.options(Screen.BALANCE))
    driver.qtbot.waitUntil(lambda: driver.window.banner.isVisible(), timeout=15_000)
    driver.wait_for(Screen.ATTRACT, timeout=15_000)
    assert patient_traces(driver.window) == []


def test_qr_payment_expiring_takes_nothing(kiosk, virtual_card, virtual_printer, central_sim):
    central_sim.set_faults(payment_never_completes=True, qr_expires_after_s=3)
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.TOP_UP)
    driver.wait_for(Screen.AMOUNT)
    driver.tap(driver.option(Screen.AMOUNT, "preset-5000"))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "qr"))
    driver.wait_for(Screen.PAYMENT_QR)
    qr = driver.window.flow_screens[Screen.PAYMENT_QR]
    assert not qr.code.pixmap().isNull() and "50.00" in qr.lines.text()
    driver.wait_for(Screen.DONE, timeout=30_000)
    done = driver.window.flow_screens[Screen.DONE]
    assert "过期" in done.lines.text() and done.reference.text().startswith(
        "参考号 PAYMENT-EXPIRED-"
    )
    assert virtual_printer.receipts == []


def test_payment_failing_says_nothing_was_taken(
    kiosk, virtual_card, virtual_printer, central_sim, central_client
):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    # meanwhile the patient's balance is spent elsewhere (at a counter): the platform's
    # own database is changed, as another channel would
    with central_sim.store.transaction() as db:
        db.execute("UPDATE patients SET balance_fen = 0 WHERE patient_id = 'P0001'")
    register(driver, central_client)
    driver.wait_for(Screen.ERROR, timeout=20_000)
    assert driver.window.error.reference.text().startswith("PAYMENT-FAILED-")
    assert "nothing was taken" in driver.window.error.en.text()
    assert virtual_printer.receipts == []
    driver.tap(driver.window.error.home)
    driver.wait_for(Screen.GREETING)


def test_printer_out_of_paper_is_said_before_payment(
    kiosk, virtual_card, virtual_printer, central_client
):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    virtual_printer.set_paper("out")
    register(driver, central_client)
    driver.wait_for(Screen.CONFIRM)
    confirm = driver.window.flow_screens[Screen.CONFIRM]
    driver.qtbot.waitUntil(lambda: confirm.notice.isVisible(), timeout=10_000)
    assert "打印机" in confirm.notice.text()
    before = central_client.get_balance("P0001").balance_fen
    assert before == 12850  # nothing was taken yet
    driver.tap(driver.option(Screen.CONFIRM, "card_balance"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    done = driver.window.flow_screens[Screen.DONE]
    assert done.receipt.isVisible() and "挂号凭条" in done.receipt.toPlainText()
    assert virtual_printer.receipts == []


def test_place_taken_after_payment_gives_the_money_back(
    kiosk, virtual_card, virtual_printer, central_sim, central_client
):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    central_sim.set_faults(place_taken_after_payment=True)
    register(driver, central_client)
    driver.wait_for(Screen.DONE, timeout=30_000)
    done = driver.window.flow_screens[Screen.DONE]
    assert "退回" in done.lines.text()
    assert done.reference.text().startswith("参考号 PLACE-TAKEN-REFUNDED-")
    central_sim.set_faults()
    assert central_client.get_balance("P0001").balance_fen == 12850


def test_platform_down_narrows_home_with_a_plain_banner(kiosk, virtual_card, central_sim):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    central_sim.set_faults(down=True)
    driver.choose_flow(Flow.REGISTER)
    driver.wait_for(Screen.ERROR, timeout=30_000)
    assert driver.window.error.reference.text().startswith("SERVICE-LIMITED-")
    driver.tap(driver.window.error.home)
    driver.wait_for(Screen.GREETING)
    greeting = driver.window.greeting
    assert greeting.banner.isVisible() and "无法连接" in greeting.banner.text()
    offered = {f for f, b in greeting.flow_buttons.items() if b.isVisible()}
    assert offered == {Flow.CHECK_IN, Flow.BALANCE, Flow.REPRINT}


def test_advance_booking_for_a_later_day(kiosk, virtual_card, virtual_printer, central_client):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    tomorrow = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    department, session = bookable(central_client, tomorrow)
    driver.choose_flow(Flow.BOOK)
    driver.wait_for(Screen.DEPARTMENTS)
    driver.tap(driver.option(Screen.DEPARTMENTS, department))
    driver.wait_for(Screen.DAYS)
    driver.tap(driver.option(Screen.DAYS, tomorrow.isoformat()))
    driver.wait_for(Screen.SESSIONS)
    driver.tap(driver.option(Screen.SESSIONS, session))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "card_balance"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "预约凭条" in receipt and tomorrow.isoformat() in receipt


def test_check_in_of_a_phone_booking_then_reprint(kiosk, virtual_card, virtual_printer):
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.CHECK_IN)
    driver.wait_for(Screen.BOOKINGS)
    bookings = driver.options(Screen.BOOKINGS)
    assert bookings, "the simulator seeds a phone booking for today"
    driver.tap(bookings[0])
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "none"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    first = virtual_printer.wait_for_receipts(1)[0].text
    assert "签到凭条" in first and "排队号" in first
    driver.tap(driver.window.flow_screens[Screen.DONE].home)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.REPRINT)
    driver.wait_for(Screen.RECEIPTS)
    driver.tap(driver.options(Screen.RECEIPTS)[0])
    driver.wait_for(Screen.DONE, timeout=30_000)
    again = virtual_printer.wait_for_receipts(2)[1].text
    assert "签到凭条" in again and "重印 REPRINT" in again


def test_cancel_a_booking_with_its_refund(kiosk, virtual_card, virtual_printer, central_client):
    _department, session = bookable(
        central_client, dt.datetime.now(TZ).date() + dt.timedelta(days=3)
    )
    booked = central_client.book("P0003", session, "card_balance", client_ref="TEST-CANCEL-0001")
    assert booked.status == "fulfilled"
    driver = kiosk()
    virtual_card("ssc_wang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.CANCEL)
    driver.wait_for(Screen.BOOKINGS)
    driver.tap(driver.option(Screen.BOOKINGS, booked.booking.booking_id))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "none"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "退号凭条" in receipt and "退款 Refund" in receipt


def test_pay_outstanding_fees_itemised(kiosk, virtual_card, virtual_printer, central_client):
    unpaid = central_client.list_charges("P0001")
    assert unpaid
    driver = kiosk()
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.PAY)
    driver.wait_for(Screen.CHARGES)
    driver.tap(driver.option(Screen.CHARGES, unpaid[0].charge_id))
    charges = driver.window.flow_screens[Screen.CHARGES]
    driver.qtbot.waitUntil(charges.next.isEnabled, timeout=5_000)
    driver.tap(charges.next)
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "qr"))
    driver.wait_for(Screen.DONE, timeout=40_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "缴费凭条" in receipt
    assert unpaid[0].charge_id not in [c.charge_id for c in central_client.list_charges("P0001")]


def test_top_up_with_the_keypad_by_qr(kiosk, virtual_card, virtual_printer, central_client):
    driver = kiosk()
    virtual_card("pboc_li", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.TOP_UP)
    driver.wait_for(Screen.AMOUNT)
    amount = driver.window.flow_screens[Screen.AMOUNT]
    for key in "88":
        driver.tap(amount.keys[key])
    driver.qtbot.waitUntil(lambda: amount.amount.text() == "¥88.00", timeout=5_000)
    driver.tap(amount.next)
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "qr"))
    driver.wait_for(Screen.DONE, timeout=40_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "充值凭条" in receipt and "88.00" in receipt
    assert central_client.get_balance("P0002").balance_fen == 3000 + 8800


def test_no_printer_shows_the_receipt_on_screen_and_hides_reprint(kiosk, virtual_card):
    driver = kiosk(printer=False)
    virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    assert not driver.window.greeting.flow_buttons[Flow.REPRINT].isVisible()
    driver.choose_flow(Flow.CHECK_IN)
    driver.wait_for(Screen.BOOKINGS)
    driver.tap(driver.options(Screen.BOOKINGS)[0])
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "none"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    done = driver.window.flow_screens[Screen.DONE]
    assert done.receipt.isVisible() and "签到凭条" in done.receipt.toPlainText()
    driver.tap(done.finish)
    driver.wait_for(Screen.ATTRACT)
    assert done.receipt.toPlainText() == ""


def test_patient_switches_large_text_and_contrast_until_the_session_ends(kiosk, virtual_card, qapp):
    driver = kiosk()
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)
    greeting = driver.window.greeting
    title_before = greeting.hello.fontInfo().pixelSize()
    driver.tap(greeting.large_text)
    driver.tap(greeting.contrast)
    assert greeting.hello.fontInfo().pixelSize() > title_before
    assert "#ffff00" in qapp.styleSheet()  # black on yellow buttons
    card.remove()
    driver.wait_for(Screen.ATTRACT)
    driver.qtbot.waitUntil(lambda: "#ffff00" not in qapp.styleSheet(), timeout=5_000)
    assert driver.window.attract.note.fontInfo().pixelSize() < 40  # the next patient: defaults


def test_a_patient_qr_code_under_the_scanner_identifies_without_a_card(
    kiosk, virtual_scanner, virtual_printer, pcscd
):
    from central_sim import DEMO_QR_TOKENS

    driver = kiosk(scanner_port=virtual_scanner.path)
    from drivers.device import DeviceState

    driver.qtbot.waitUntil(lambda: "QR" in driver.window.attract.note.text(), timeout=10_000)
    scanner = driver.ui.services.scanner
    driver.qtbot.waitUntil(lambda: scanner.status.state is DeviceState.READY, timeout=10_000)
    virtual_scanner.scan(DEMO_QR_TOKENS["P0003"])
    driver.wait_for(Screen.GREETING)
    assert "王*" in driver.window.greeting.hello.text()
    assert driver.window.greeting.balance.text() == "¥500.00"
    driver.tap(driver.window.greeting.finish)
    driver.wait_for(Screen.ATTRACT)
    assert patient_traces(driver.window, ("王", "500.00")) == []


def test_platform_down_check_in_of_a_cached_appointment_is_queued_and_sent_later(
    kiosk, virtual_card, virtual_printer, central_sim, central_client
):
    driver = kiosk()
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING)  # seen online once: today's appointments are kept
    card.remove()
    driver.wait_for(Screen.ATTRACT)
    central_sim.set_faults(down=True)
    card = virtual_card("pboc_zhang", reader=0)
    driver.wait_for(Screen.GREETING, timeout=30_000)
    greeting = driver.window.greeting
    assert greeting.banner.isVisible() and "最后已知" in greeting.as_of.text()
    assert {f for f, b in greeting.flow_buttons.items() if b.isVisible()} == {
        Flow.CHECK_IN, Flow.BALANCE, Flow.REPRINT,
    }  # fmt: skip
    driver.choose_flow(Flow.CHECK_IN)
    driver.wait_for(Screen.BOOKINGS, timeout=30_000)
    booking_key = driver.options(Screen.BOOKINGS)[0].property("option_key")
    driver.tap(driver.option(Screen.BOOKINGS, booking_key))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "none"))
    driver.wait_for(Screen.DONE, timeout=30_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "签到凭条" in receipt and "待确认" in receipt and "排队号" in receipt
    central_sim.set_faults()  # the platform is back
    assert central_client.get_booking(booking_key).status == "booked"
    card.remove()  # nobody at the kiosk: the queued check-in is forwarded
    driver.wait_for(Screen.ATTRACT)
    driver.qtbot.waitUntil(
        lambda: central_client.get_booking(booking_key).status == "checked_in", timeout=30_000
    )


def test_paying_with_the_patients_own_payment_code_and_a_declined_one(
    kiosk, virtual_card, virtual_scanner, virtual_printer, central_client
):
    from drivers.device import DeviceState

    driver = kiosk(scanner_port=virtual_scanner.path)
    scanner = driver.ui.services.scanner
    driver.qtbot.waitUntil(lambda: scanner.status.state is DeviceState.READY, timeout=10_000)
    card = virtual_card("pboc_li", reader=0)
    driver.wait_for(Screen.GREETING)
    for code, expected in (("134567890123450000", "declined"), ("134567890123456789", "paid")):
        driver.choose_flow(Flow.TOP_UP)
        driver.wait_for(Screen.AMOUNT)
        driver.tap(driver.option(Screen.AMOUNT, "preset-5000"))
        driver.wait_for(Screen.CONFIRM)
        driver.tap(driver.option(Screen.CONFIRM, "payment_code"))
        driver.wait_for(Screen.SCAN_CODE)
        virtual_scanner.scan(code)
        driver.wait_for(Screen.DONE, timeout=30_000)
        done = driver.window.flow_screens[Screen.DONE]
        if expected == "declined":
            assert done.reference.text().startswith("参考号 PAYMENT-FAILED-")
            assert central_client.get_balance("P0002").balance_fen == 3000
            driver.tap(done.home)
            driver.wait_for(Screen.GREETING)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "付款码 Payment code" in receipt and "134567890123456789" not in receipt
    assert central_client.get_balance("P0002").balance_fen == 3000 + 5000
    card.remove()


def test_cash_top_up_through_the_bill_validator(
    kiosk, virtual_card, virtual_cash_acceptor, virtual_printer, central_client
):
    driver = kiosk(cash_port=virtual_cash_acceptor.path)
    card = virtual_card("ssc_wang", reader=0)
    driver.wait_for(Screen.GREETING)
    driver.choose_flow(Flow.TOP_UP)
    driver.wait_for(Screen.AMOUNT)
    driver.tap(driver.option(Screen.AMOUNT, "preset-10000"))
    driver.wait_for(Screen.CONFIRM)
    driver.tap(driver.option(Screen.CONFIRM, "cash"))
    driver.wait_for(Screen.CASH)
    cash = driver.window.flow_screens[Screen.CASH]
    driver.qtbot.wait(500)  # the validator is enabled for notes
    virtual_cash_acceptor.insert(50)
    driver.qtbot.waitUntil(lambda: cash.total.text() == "¥50.00", timeout=20_000)
    driver.tap(cash.done)
    driver.wait_for(Screen.DONE, timeout=30_000)
    receipt = virtual_printer.wait_for_receipts(1)[0].text
    assert "充值凭条" in receipt and "现金 Cash" in receipt and "待确认" in receipt
    card.remove()  # nobody at the kiosk: the note's top-up is forwarded
    driver.wait_for(Screen.ATTRACT)
    driver.qtbot.waitUntil(
        lambda: central_client.get_balance("P0003").balance_fen == 50000 + 5000, timeout=30_000
    )
