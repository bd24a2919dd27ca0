"""Renders every patient screen with demo data (no devices, no network), for
`kiosk screenshots` and the docs: the same widgets the kiosk shows, fed states."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from drivers.printer.document import Document
from kiosk import session as s
from kiosk.flows import Flow, Health, Step, offered_flows
from kiosk.messages import Words, patient_message
from ui.main_window import MainWindow
from ui.style import apply_global_style

PATIENT = s.PatientView(
    "张*", "pboc", "6217***********4569", 12850, "2026-11-23T09:30:00+08:00", "P0001"
)
DEPARTMENTS = tuple(
    s.Option(key, Words(zh, en), Words(where_zh, where_en), search=initials)
    for key, zh, en, where_zh, where_en, initials in (
        ("D01", "心血管内科", "Cardiology", "门诊楼 2 层", "Clinic bldg, 2F", "XXGNK"),
        ("D02", "呼吸内科", "Respiratory", "门诊楼 2 层", "Clinic bldg, 2F", "HXNK"),
        ("D03", "消化内科", "Gastroenterology", "门诊楼 3 层", "Clinic bldg, 3F", "XHNK"),
        ("D04", "神经内科", "Neurology", "门诊楼 3 层", "Clinic bldg, 3F", "SJNK"),
        ("D05", "普通外科", "General surgery", "门诊楼 4 层", "Clinic bldg, 4F", "PTWK"),
        ("D06", "骨科", "Orthopaedics", "门诊楼 4 层", "Clinic bldg, 4F", "GK"),
        ("D07", "儿科", "Paediatrics", "儿科楼 1 层", "Children's bldg, 1F", "EK"),
        ("D08", "眼科", "Ophthalmology", "门诊楼 5 层", "Clinic bldg, 5F", "YK"),
    )
)
SESSIONS = (
    s.Option("S1", Words("王建国 主任医师", "Wang Jianguo, Chief physician"),
             Words("上午 · 余 7 号", "Morning · 7 left"), 5000),
    s.Option("S2", Words("李敏 副主任医师", "Li Min, Associate chief"),
             Words("下午 · 余 12 号", "Afternoon · 12 left"), 3000),
    s.Option("S3", Words("陈晨 主治医师", "Chen Chen, Attending"),
             Words("上午 · 已满", "Morning · full"), 1500, enabled=False),
)  # fmt: skip
DAYS = tuple(
    s.Option(f"2026-11-{d}", Words(f"11月{d}日 周{w}", f"{e} {d} Nov"))
    for d, w, e in ((24, "二", "Tue"), (25, "三", "Wed"), (26, "四", "Thu"), (27, "五", "Fri"))
)
BOOKINGS = (
    s.Option("B1", Words("心血管内科 王建国", "Cardiology Wang Jianguo"),
             Words("11-23 下午 · 2 诊室", "23 Nov Afternoon · Room 2"), 5000,
             data=(("refund_fen", 5000),)),
)  # fmt: skip
CHARGES = (
    s.Option("C1", Words("西药处方", "Prescription"), Words("心血管内科", "Cardiology"), 8650),
    s.Option("C2", Words("血常规检验", "Blood test"), Words("检验科", "Laboratory"), 2500),
    s.Option("C3", Words("胸部 X 光", "Chest X-ray"), Words("放射科", "Radiology"), 12000),
)
HISTORY = tuple(
    s.Option(key, Words(zh, en), Words(when_zh, when_en), fen)
    for key, zh, en, when_zh, when_en, fen in (
        ("balance", "卡内余额", "Card balance", "截至 09:30", "as of 09:30", 12850),
        ("T1", "挂号费", "Registration fee", "11-21 09:30", "21 Nov 09:30", -5000),
        ("T2", "自助机充值", "Kiosk top-up", "11-06 08:30", "06 Nov 08:30", 20000),
    )
)
PRESETS = tuple(s._amount_option(fen) for fen in (5000, 10000, 20000, 50000))
RECEIPT = (
    "示范医院 Demo Hospital", "挂号凭条 Registration", "患者 Patient: 张*",
    "排队号 Queue number", "12", "科室 Department: 心血管内科", "诊室 Room: 2 诊室",
    "合计 Total: ¥50.00", "状态 Status: 已确认 confirmed",
)  # fmt: skip
OUTCOME = s.Outcome(
    Flow.REGISTER,
    True,
    Words("挂号成功", "You are registered"),
    (Words("排队号 12", "Queue number 12"), Words("诊室 2 诊室", "Room 2")),
    "DEMO-0001-20261123-3F9A1C",
    Document(()),
    RECEIPT,
)


def qr_expiry() -> str:
    return (datetime.now(UTC) + timedelta(minutes=4, seconds=59)).isoformat()


def demo_states() -> list[tuple[str, s.SessionState]]:
    """One state per screen (and the notable variants), in the order a patient sees them."""
    health = Health()
    home = s.SessionState(
        screen=s.Screen.GREETING,
        session_no=1,
        patient=PATIENT,
        health=health,
        offered=offered_flows([f.value for f in Flow], health),
    )
    dept = s.Option("D01", DEPARTMENTS[0].title)
    session = SESSIONS[0]
    in_flow = replace(home, flow=Flow.REGISTER)
    confirm_picks = ((Step.DEPARTMENTS, dept), (Step.SESSIONS, session))
    methods = tuple(s.Option(m, s.METHOD_WORDS[m], amount_fen=5000) for m in ("card_balance", "qr"))
    offline = replace(health, platform=False)
    error = s.ShownError(patient_message("PLACE-TAKEN-REFUNDED"), "PLACE-TAKEN-REFUNDED-7C2E")
    return [
        ("01-attract", s.SessionState()),
        ("02-reading", s.SessionState(screen=s.Screen.READING, session_no=1)),
        ("03-home", home),
        ("04-home-offline", replace(home, health=offline,
                                    patient=replace(PATIENT, balance_last_known=True),
                                    offered=offered_flows([f.value for f in Flow], offline))),
        ("05-departments", replace(in_flow, screen=s.Screen.DEPARTMENTS, options=DEPARTMENTS)),
        ("06-days", replace(home, flow=Flow.BOOK, screen=s.Screen.DAYS, options=DAYS)),
        ("07-sessions", replace(in_flow, screen=s.Screen.SESSIONS, options=SESSIONS,
                                picks=confirm_picks[:1])),
        ("08-confirm", replace(in_flow, screen=s.Screen.CONFIRM, options=methods,
                               picks=confirm_picks, amount_fen=5000)),
        ("09-confirm-no-paper", replace(in_flow, screen=s.Screen.CONFIRM, options=methods,
                                        picks=confirm_picks, amount_fen=5000,
                                        notice=patient_message("PRINTER-UNAVAILABLE"))),
        ("10-working", replace(in_flow, screen=s.Screen.WORKING)),
        ("11-payment-qr", replace(in_flow, screen=s.Screen.PAYMENT_QR, payment=s.PaymentView(
            "O1", "https://pay.example/O1?t=demo", 5000, qr_expiry()))),
        ("12-printing", replace(in_flow, screen=s.Screen.PRINTING)),
        ("12c-cash", replace(home, flow=Flow.TOP_UP, screen=s.Screen.CASH, amount_fen=20000,
                             cash_in_fen=15000)),
        ("12b-scan-payment-code", replace(in_flow, screen=s.Screen.SCAN_CODE, amount_fen=5000)),
        ("13-done", replace(in_flow, screen=s.Screen.DONE, outcome=OUTCOME)),
        ("14-done-on-screen-receipt", replace(in_flow, screen=s.Screen.DONE, outcome=OUTCOME,
                                              health=replace(health, printer=False))),
        ("15-bookings", replace(home, flow=Flow.CHECK_IN, screen=s.Screen.BOOKINGS,
                                options=BOOKINGS)),
        ("16-cancel", replace(home, flow=Flow.CANCEL, screen=s.Screen.BOOKINGS,
                              options=BOOKINGS)),
        ("17-charges", replace(home, flow=Flow.PAY, screen=s.Screen.CHARGES, options=CHARGES,
                               selected=frozenset({"C1", "C2"}))),
        ("18-amount", replace(home, flow=Flow.TOP_UP, screen=s.Screen.AMOUNT, amount_fen=20000,
                              options=PRESETS)),
        ("19-balance", replace(home, flow=Flow.BALANCE, screen=s.Screen.BALANCE, options=HISTORY)),
        ("20-receipts", replace(home, flow=Flow.REPRINT, screen=s.Screen.RECEIPTS,
                                options=(s.Option(OUTCOME.reference, OUTCOME.headline,
                                                  Words(OUTCOME.reference, OUTCOME.reference)),))),
        ("21-error", replace(home, screen=s.Screen.ERROR, error=error)),
    ]  # fmt: skip


def render_all(
    out_dir: str | Path, language: str, size: tuple[int, int], large_text: bool = False
) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    apply_global_style(app, large_text=large_text)
    window = MainWindow(lambda event: None)
    window.resize(QSize(*size))
    window.show()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, state in demo_states():
        window.render(state)
        window.language = language
        window.render(state)
        app.processEvents()
        path = out / f"{name}.png"
        window.grab().save(str(path))
        written.append(path)
    window.close()
    return written
