"""Seed data of a fresh simulator: 3 hospitals, 20 departments, 60 doctors, two weeks of
sessions from today (Asia/Shanghai), 50 patients (the demo cards' four among them),
outstanding charges with items, balances and history.

Deterministic for a given seed and day, so tests and demos see the same world.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pypinyin import Style, lazy_pinyin

from central_sim import DEMO_QR_TOKENS

SESSION_DAYS = 14
MORNING = (dt.time(8, 0), dt.time(12, 0))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))

HOSPITALS: list[dict[str, Any]] = [
    {
        "hospital_id": "H001",
        "name_zh": "示范医院",
        "name_en": "Demo Hospital",
        "address_zh": "示范市健康路1号",
        "address_en": "1 Health Road, Demo City",
        "phone": "010-12345678",
        "booking_window_days": 7,
        "cancel_rule": {"min_hours_before_start": 2, "refund_percent": 100},
    },
    {
        "hospital_id": "H002",
        "name_zh": "示范医院城东分院",
        "name_en": "Demo Hospital, East Branch",
        "address_zh": "示范市东环路88号",
        "address_en": "88 East Ring Road, Demo City",
        "phone": "010-12345679",
        "booking_window_days": 14,
        "cancel_rule": {"min_hours_before_start": 24, "refund_percent": 100},
    },
    {
        "hospital_id": "H003",
        "name_zh": "示范儿童医院",
        "name_en": "Demo Children's Hospital",
        "address_zh": "示范市童心街6号",
        "address_en": "6 Tongxin Street, Demo City",
        "phone": "010-12345680",
        "booking_window_days": 14,
        "cancel_rule": {"min_hours_before_start": 0, "refund_percent": 80},
    },
]

DEPARTMENTS: dict[str, list[tuple[str, str]]] = {
    "H001": [
        ("心血管内科", "Cardiology"),
        ("呼吸内科", "Respiratory Medicine"),
        ("消化内科", "Gastroenterology"),
        ("神经内科", "Neurology"),
        ("内分泌科", "Endocrinology"),
        ("普通外科", "General Surgery"),
        ("骨科", "Orthopaedics"),
        ("皮肤科", "Dermatology"),
    ],
    "H002": [
        ("全科医学科", "General Practice"),
        ("眼科", "Ophthalmology"),
        ("耳鼻咽喉科", "Ear, Nose and Throat"),
        ("口腔科", "Stomatology"),
        ("妇科", "Gynaecology"),
        ("中医科", "Traditional Chinese Medicine"),
    ],
    "H003": [
        ("儿科", "Paediatrics"),
        ("小儿呼吸科", "Paediatric Respiratory Medicine"),
        ("小儿消化科", "Paediatric Gastroenterology"),
        ("儿童保健科", "Child Health Care"),
        ("小儿外科", "Paediatric Surgery"),
        ("新生儿科", "Neonatology"),
    ],
}

# (title zh, title en, fee in fen, places per session)
TITLES = [
    ("主任医师", "Chief Physician", 5000, 20),
    ("副主任医师", "Associate Chief Physician", 3000, 25),
    ("主治医师", "Attending Physician", 1500, 30),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文斌"


@dataclass(frozen=True)
class DemoPatient:
    patient_id: str
    name: str
    card_type: str
    card_number: str
    id_number: str
    balance_fen: int
    birth_year: int | None


DEMO_PATIENTS = [
    DemoPatient("P0001", "张伟", "pboc", "6217000010001234569", "110101198001011232", 12850, 1980),
    DemoPatient("P0002", "LI/NA", "pboc", "6217000010007654323", "", 3000, None),
    DemoPatient("P0003", "王芳", "social_security", "A01234567", "310101197505052348", 50000, 1975),
    DemoPatient("P0004", "陈静", "pboc", "6217000010009998884", "440300196211114565", 800, 1962),
]


@dataclass
class SeedData:
    hospitals: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    doctors: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)
    charges: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    # (patient_id, session_id, channel) of bookings made elsewhere (phone, web)
    outside_bookings: list[tuple[str, str, str]] = field(default_factory=list)


def pinyin_initials(name_zh: str) -> str:
    return "".join(lazy_pinyin(name_zh, style=Style.FIRST_LETTER)).upper()


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit, as bank card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def _rooms(dept_index: int, doctor_index: int) -> tuple[str, str]:
    floor = 1 + dept_index % 5
    zone = "ABCD"[dept_index % 4]
    room = floor * 100 + 1 + doctor_index
    return (
        f"门诊楼{floor}层{zone}区{room}诊室",
        f"Outpatient Bldg, F{floor} Zone {zone}, Room {room}",
    )


def build(today: dt.date, tz: dt.tzinfo, seed: int = 1) -> SeedData:
    rng = random.Random(seed)
    data = SeedData(hospitals=[dict(h) for h in HOSPITALS])
    _departments_and_doctors(data, rng)
    _sessions(data, rng, today, tz)
    _patients(data, rng)
    _charges_and_history(data, rng, today, tz)
    _outside_bookings(data, today)
    return data


def _departments_and_doctors(data: SeedData, rng: random.Random) -> None:
    dept_no = 0
    for hospital_id, depts in DEPARTMENTS.items():
        for name_zh, name_en in depts:
            dept_no += 1
            dept_id = f"D{dept_no:03d}"
            building = "门诊楼" if hospital_id != "H003" else "儿科楼"
            data.departments.append(
                {
                    "department_id": dept_id,
                    "hospital_id": hospital_id,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "pinyin_initials": pinyin_initials(name_zh),
                    "location_zh": f"{building}{1 + dept_no % 5}层",
                    "location_en": f"{'Outpatient' if hospital_id != 'H003' else 'Paediatric'} "
                    f"Bldg, floor {1 + dept_no % 5}",
                }
            )
            for t, (title_zh, title_en, _fee, _places) in enumerate(TITLES):
                doc_no = len(data.doctors) + 1
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
                data.doctors.append(
                    {
                        "doctor_id": f"DR{doc_no:03d}",
                        "department_id": dept_id,
                        "name": name,
                        "title_zh": title_zh,
                        "title_en": title_en,
                        "specialty_zh": f"{name_zh}常见病、多发病",
                        "specialty_en": f"Common conditions in {name_en.lower()}",
                        "_title_index": t,
                        "_dept_index": dept_no - 1,
                    }
                )


def _sessions(data: SeedData, rng: random.Random, today: dt.date, tz: dt.tzinfo) -> None:
    dept_hospital = {d["department_id"]: d["hospital_id"] for d in data.departments}
    for doctor in data.doctors:
        _title_zh, _title_en, fee, places = TITLES[doctor["_title_index"]]
        room_zh, room_en = _rooms(doctor["_dept_index"], doctor["_title_index"])
        for day in range(SESSION_DAYS):
            date = today + dt.timedelta(days=day)
            for period, (start, end) in (("morning", MORNING), ("afternoon", AFTERNOON)):
                roll = rng.random()
                if roll < 0.08:
                    left = 0  # full
                elif roll < 0.15:
                    left = 1  # the last place
                else:
                    left = rng.randint(places // 3, places)
                code = "AM" if period == "morning" else "PM"
                data.sessions.append(
                    {
                        "session_id": f"S-{doctor['doctor_id']}-{date:%Y%m%d}-{code}",
                        "hospital_id": dept_hospital[doctor["department_id"]],
                        "department_id": doctor["department_id"],
                        "doctor_id": doctor["doctor_id"],
                        "date": date.isoformat(),
                        "period": period,
                        "starts_at": _iso(dt.datetime.combine(date, start, tz)),
                        "ends_at": _iso(dt.datetime.combine(date, end, tz)),
                        "fee_fen": fee,
                        "currency": "CNY",
                        "places_total": places,
                        "places_left": left,
                        "room_zh": room_zh,
                        "room_en": room_en,
                    }
                )
    for doctor in data.doctors:
        del doctor["_title_index"], doctor["_dept_index"]


def _patients(data: SeedData, rng: random.Random) -> None:
    for demo in DEMO_PATIENTS:
        data.patients.append(
            {
                "patient_id": demo.patient_id,
                "name": demo.name,
                "card_type": demo.card_type,
                "card_number": demo.card_number,
                "id_number": demo.id_number,
                "birth_year": demo.birth_year,
                "balance_fen": demo.balance_fen,
                "qr_token": DEMO_QR_TOKENS[demo.patient_id],
            }
        )
    for n in range(5, 51):
        year = rng.randint(1940, 2020)
        if n % 3 == 0:
            card_type, card_number = (
                "social_security",
                f"{'ABCDEFGH'[n % 8]}{rng.randint(0, 99999999):08d}",
            )
        else:
            card_type = "pboc"
            card_number = luhn_complete(f"621700002{rng.randint(0, 999999999):09d}")
        id_number = f"{rng.randint(110000, 659000)}{year}{rng.randint(1, 12):02d}" + (
            f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}{rng.choice('0123456789X')}"
        )
        data.patients.append(
            {
                "patient_id": f"P{n:04d}",
                "name": rng.choice(SURNAMES)
                + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                "card_type": card_type,
                "card_number": card_number,
                "id_number": id_number,
                "birth_year": year,
                "balance_fen": rng.randrange(0, 200_000, 50),
                "qr_token": f"EHC1:P{n:04d}:{rng.randrange(16**6):06X}",
            }
        )


CHARGE_TEMPLATES: dict[str, list[tuple[str, str, str, str, int]]] = {
    # category: items (name zh, name en, unit zh, unit en, unit price fen)
    "prescription": [
        ("阿莫西林胶囊", "Amoxicillin capsules", "盒", "box", 1850),
        ("布洛芬缓释胶囊", "Ibuprofen SR capsules", "盒", "box", 2360),
        ("复方甘草片", "Compound liquorice tablets", "瓶", "bottle", 980),
        ("硝苯地平控释片", "Nifedipine CR tablets", "盒", "box", 3320),
    ],
    "lab": [
        ("血常规", "Complete blood count", "项", "test", 2500),
        ("肝功能", "Liver function panel", "项", "test", 6800),
        ("尿常规", "Urinalysis", "项", "test", 1500),
    ],
    "imaging": [
        ("胸部X线摄影", "Chest X-ray", "次", "exam", 9000),
        ("腹部彩超", "Abdominal ultrasound", "次", "exam", 16000),
    ],
    "treatment": [
        ("静脉输液", "Intravenous infusion", "次", "session", 1200),
        ("换药", "Wound dressing", "次", "session", 2000),
    ],
}
TITLES_OF_CATEGORY = {
    "prescription": ("西药处方", "Prescription"),
    "lab": ("检验申请", "Laboratory tests"),
    "imaging": ("检查申请", "Imaging"),
    "treatment": ("治疗费用", "Treatment"),
}

# demo patients' charges: (patient, category, [(item index, quantity)], status, days ago)
DEMO_CHARGES = [
    ("P0001", "prescription", [(0, 2), (1, 1), (2, 1)], "unpaid", 0),
    ("P0001", "lab", [(0, 1), (1, 1)], "unpaid", 0),
    ("P0001", "imaging", [(0, 1)], "paid", 20),
    ("P0003", "imaging", [(1, 1)], "unpaid", 1),
    ("P0004", "prescription", [(3, 1), (1, 1)], "unpaid", 0),
]


def _charge(
    charge_no: int,
    patient_id: str,
    category: str,
    lines: list[tuple[int, int]],
    status: str,
    created: dt.datetime,
    department: dict[str, Any],
) -> dict[str, Any]:
    items = []
    for index, quantity in lines:
        name_zh, name_en, unit_zh, unit_en, price = CHARGE_TEMPLATES[category][index]
        items.append(
            {
                "name_zh": name_zh,
                "name_en": name_en,
                "quantity": quantity,
                "unit_zh": unit_zh,
                "unit_en": unit_en,
                "unit_price_fen": price,
                "amount_fen": price * quantity,
            }
        )
    title_zh, title_en = TITLES_OF_CATEGORY[category]
    return {
        "charge_id": f"C{charge_no:05d}",
        "patient_id": patient_id,
        "hospital_id": department["hospital_id"],
        "department_name_zh": department["name_zh"],
        "department_name_en": department["name_en"],
        "category": category,
        "title_zh": title_zh,
        "title_en": title_en,
        "items": items,
        "amount_fen": sum(i["amount_fen"] for i in items),
        "currency": "CNY",
        "status": status,
        "created_at": _iso(created),
        "paid_order_id": "HIST" if status == "paid" else None,
    }


def _charges_and_history(data: SeedData, rng: random.Random, today: dt.date, tz: dt.tzinfo) -> None:
    noon = dt.datetime.combine(today, dt.time(9, 30), tz)
    for patient_id, category, lines, status, days_ago in DEMO_CHARGES:
        dept = data.departments[0 if patient_id != "P0003" else 1]
        created = noon - dt.timedelta(days=days_ago)
        data.charges.append(
            _charge(len(data.charges) + 1, patient_id, category, lines, status, created, dept)
        )
    for patient in data.patients[4:]:
        if rng.random() < 0.5:
            category = rng.choice(list(CHARGE_TEMPLATES))
            count = len(CHARGE_TEMPLATES[category])
            picks = rng.sample(range(count), rng.randint(1, min(2, count)))
            lines = [(i, rng.randint(1, 2)) for i in picks]
            dept = rng.choice(data.departments)
            created = noon - dt.timedelta(days=rng.randint(0, 3))
            data.charges.append(
                _charge(
                    len(data.charges) + 1,
                    patient["patient_id"],
                    category,
                    lines,
                    "unpaid",
                    created,
                    dept,
                )
            )
    for patient in data.patients:
        data.transactions.extend(_history(patient, rng, noon))


def _history(patient: dict[str, Any], rng: random.Random, noon: dt.datetime) -> Iterator[dict]:
    """A few past movements, consistent backwards with today's balance."""
    balance = patient["balance_fen"]
    when = noon - dt.timedelta(days=2)
    for n in range(rng.randint(2, 4)):
        if n % 2 == 0 and balance >= 1500:
            amount, kind = -min(balance, rng.choice([1500, 3000, 5000])), "payment"
            zh, en, method = "挂号费", "Registration fee", "card_balance"
        else:
            amount, kind = rng.choice([10000, 20000, 50000]), "top_up"
            zh, en, method = "自助机充值", "Kiosk top-up", "qr"
        yield {
            "transaction_id": f"T-{patient['patient_id']}-H{n}",
            "patient_id": patient["patient_id"],
            "kind": kind,
            "amount_fen": amount,
            "currency": "CNY",
            "method": method,
            "balance_after_fen": balance,
            "at": _iso(when),
            "description_zh": zh,
            "description_en": en,
            "order_id": None,
        }
        balance -= amount
        if balance < 0:
            return
        when -= dt.timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 5))


def _outside_bookings(data: SeedData, today: dt.date) -> None:
    """Appointments booked by phone or web, waiting for check-in at the kiosk."""
    later = today + dt.timedelta(days=3)
    data.outside_bookings = [
        ("P0001", f"S-DR001-{today:%Y%m%d}-PM", "phone"),
        ("P0001", f"S-DR004-{later:%Y%m%d}-AM", "web"),
        ("P0003", f"S-DR002-{today:%Y%m%d}-PM", "web"),
        ("P0004", f"S-DR031-{today:%Y%m%d}-AM", "phone"),
    ]
