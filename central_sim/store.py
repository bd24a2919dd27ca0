"""The simulator's state in SQLite, and the platform's rules applied to it.

Rows keep their reply as JSON (`data`) next to the columns queries need. Every
state change runs inside one SQLite transaction together with its idempotency
record, so a crash can never apply a request without remembering its key (or the
other way round), and a restart on the same file replays the same answers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from central_sim import (
    DEMO_ENROLL_CODE,
    DEMO_HOSPITAL_ID,
    DEMO_SECRET,
    DEMO_TERMINAL_ID,
    TIMEZONE,
    seed,
)
from central_sim.bookings import BookingRules
from central_sim.errors import ApiError, conflict, not_found
from central_sim.faults import Faults
from central_sim.orders import OrderRules
from kiosk.central import models as m

TZ = ZoneInfo(TIMEZONE)
IDEMPOTENCY_RETENTION = dt.timedelta(days=30)
SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, secret_b64 TEXT NOT NULL,
    enrolled_at TEXT NOT NULL, last_heartbeat TEXT);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, used_by TEXT, used_at TEXT);
CREATE TABLE IF NOT EXISTS nonces (
    terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at REAL NOT NULL,
    PRIMARY KEY (terminal_id, nonce));
CREATE INDEX IF NOT EXISTS nonces_by_age ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS idempotency (
    terminal_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, key));
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS hospitals (hospital_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS departments (
    department_id TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doctors (
    doctor_id TEXT PRIMARY KEY, department_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, department_id TEXT NOT NULL, doctor_id TEXT NOT NULL,
    date TEXT NOT NULL, places_left INTEGER NOT NULL, next_queue INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_dept ON sessions (department_id, date);
CREATE TABLE IF NOT EXISTS patients (
    patient_id TEXT PRIMARY KEY, card_type TEXT NOT NULL, card_number TEXT NOT NULL,
    qr_token TEXT NOT NULL UNIQUE, balance_fen INTEGER NOT NULL, data TEXT NOT NULL,
    UNIQUE (card_type, card_number));
CREATE TABLE IF NOT EXISTS charges (
    charge_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bookings (
    booking_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, session_id TEXT NOT NULL,
    status TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, client_ref TEXT NOT NULL,
    status TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (terminal_id, client_ref));
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, at TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transactions_by_patient ON transactions (patient_id, at);
"""


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store(BookingRules, OrderRules):
    """All state of one simulated platform. One thread at a time (the lock guards that)."""

    def __init__(
        self, path: str | Path | None, seed_value: int = 1, faults: Faults | None = None
    ) -> None:
        self.path = str(path) if path else ":memory:"
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes
        self.db.executescript(SCHEMA)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(TZ)
        self.faults = faults or Faults()
        self.public_url = ""
        if self._meta("schema_version") is None:
            self._seed(seed_value)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- plumbing ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def now(self) -> dt.datetime:
        return self.clock().astimezone(TZ)

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self.now():%Y%m%d}{secrets.token_hex(4).upper()}"

    # --- seeding ------------------------------------------------------------------------

    def _seed(self, seed_value: int) -> None:
        now = self.now()
        data = seed.build(now.date(), TZ, seed_value)
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO hospitals VALUES (?, ?)",
                [(h["hospital_id"], _js(h)) for h in data.hospitals],
            )
            db.executemany(
                "INSERT INTO departments VALUES (?, ?, ?)",
                [(d["department_id"], d["hospital_id"], _js(d)) for d in data.departments],
            )
            db.executemany(
                "INSERT INTO doctors VALUES (?, ?, ?)",
                [(d["doctor_id"], d["department_id"], _js(d)) for d in data.doctors],
            )
            db.executemany(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s["session_id"],
                        s["department_id"],
                        s["doctor_id"],
                        s["date"],
                        s["places_left"],
                        s["places_total"] - s["places_left"] + 1,
                        _js(s),
                    )
                    for s in data.sessions
                ],
            )
            db.executemany(
                "INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        p["patient_id"],
                        p["card_type"],
                        p["card_number"],
                        p["qr_token"],
                        p["balance_fen"],
                        _js(p),
                    )
                    for p in data.patients
                ],
            )
            db.executemany(
                "INSERT INTO charges VALUES (?, ?, ?, ?)",
                [(c["charge_id"], c["patient_id"], c["status"], _js(c)) for c in data.charges],
            )
            db.executemany(
                "INSERT INTO transactions VALUES (?, ?, ?, ?)",
                [
                    (t["transaction_id"], t["patient_id"], t["at"], _js(t))
                    for t in data.transactions
                ],
            )
            db.execute(
                "INSERT INTO terminals VALUES (?, ?, ?, ?, NULL)",
                (
                    DEMO_TERMINAL_ID,
                    DEMO_HOSPITAL_ID,
                    base64.b64encode(DEMO_SECRET).decode(),
                    now.isoformat(),
                ),
            )
            db.execute(
                "INSERT INTO enroll_codes VALUES (?, ?, NULL, NULL)",
                (DEMO_ENROLL_CODE, DEMO_HOSPITAL_ID),
            )
            for patient_id, session_id, channel in data.outside_bookings:
                self._insert_booking(db, patient_id, session_id, channel, None, now)
            db.execute("INSERT INTO meta VALUES ('seeded_at', ?)", (now.isoformat(),))
            db.execute("INSERT INTO meta VALUES ('seed', ?)", (str(seed_value),))
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    # --- terminals and signatures ----------------------------------------------------------

    def terminal_secret(self, terminal_id: str) -> bytes | None:
        row = self._one("SELECT secret_b64 FROM terminals WHERE terminal_id=?", terminal_id)
        return base64.b64decode(row[0]) if row else None

    def remember_nonce(self, terminal_id: str, nonce: str, ttl_s: float) -> bool:
        """Record a nonce; False when it was already seen (a replay)."""
        now = self.now().timestamp()
        with self.transaction() as db:
            db.execute("DELETE FROM nonces WHERE seen_at < ?", (now - ttl_s,))
            try:
                db.execute("INSERT INTO nonces VALUES (?, ?, ?)", (terminal_id, nonce, now))
            except sqlite3.IntegrityError:
                return False
        return True

    def add_enroll_code(self, hospital_id: str) -> str:
        code = "ENROLL-" + secrets.token_hex(5).upper()
        with self.transaction() as db:
            db.execute("INSERT INTO enroll_codes VALUES (?, ?, NULL, NULL)", (code, hospital_id))
        return code

    def enroll(self, db: sqlite3.Connection, req: m.EnrollmentRequest) -> m.Enrollment:
        row = db.execute("SELECT * FROM enroll_codes WHERE code=?", (req.enroll_code,)).fetchone()
        if row is None:
            raise ApiError(
                403,
                "enroll_code_invalid",
                "注册码无效。",
                "The enrollment code is not valid.",
            )
        if row["used_by"] is not None:
            raise conflict(
                "enroll_code_used", "注册码已被使用。", "The enrollment code has been used."
            )
        secret = secrets.token_bytes(32)
        now = self.now()
        db.execute(
            "UPDATE enroll_codes SET used_by=?, used_at=? WHERE code=?",
            (req.terminal_id, now.isoformat(), req.enroll_code),
        )
        db.execute(
            "INSERT OR REPLACE INTO terminals VALUES (?, ?, ?, ?, NULL)",
            (
                req.terminal_id,
                row["hospital_id"],
                base64.b64encode(secret).decode(),
                now.isoformat(),
            ),
        )
        return m.Enrollment(
            terminal_id=req.terminal_id,
            hospital_id=row["hospital_id"],
            secret_b64=base64.b64encode(secret).decode(),
            enrolled_at=now,
        )

    def heartbeat(
        self, db: sqlite3.Connection, terminal_id: str, req: m.HeartbeatRequest
    ) -> m.HeartbeatReply:
        now = self.now()
        db.execute(
            "UPDATE terminals SET last_heartbeat=? WHERE terminal_id=?",
            (_js({**req.model_dump(mode="json"), "received_at": now.isoformat()}), terminal_id),
        )
        skew = round((now - req.sent_at).total_seconds())
        return m.HeartbeatReply(terminal_id=terminal_id, server_time=now, clock_skew_s=skew)

    def last_heartbeat(self, terminal_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT last_heartbeat FROM terminals WHERE terminal_id=?", terminal_id)
        return json.loads(row[0]) if row and row[0] else None

    # --- idempotency -----------------------------------------------------------------------

    def idempotent(
        self,
        terminal_id: str,
        key: str,
        request_hash: str,
        apply: Callable[[sqlite3.Connection], Any],
    ) -> tuple[int, dict[str, Any], bool]:
        """Run `apply` once per (terminal, key): returns (status, body, replayed).

        Results and refusals (4xx) are both remembered: the same request always gets
        the same answer. A different request under a used key is refused with 409.
        """
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM idempotency WHERE terminal_id=? AND key=?", (terminal_id, key)
            ).fetchone()
            if row is not None:
                if row["request_hash"] != request_hash:
                    raise conflict(
                        "idempotency_key_reused",
                        "请求编号重复，请重新操作。",
                        "This Idempotency-Key was already used for a different request.",
                    )
                return row["status"], json.loads(row["body"]), True
            try:
                status, body = 200, apply(db).model_dump(mode="json")
            except ApiError as exc:
                status, body = exc.status, exc.reply()
            db.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                (terminal_id, key, request_hash, status, _js(body), self.now().isoformat()),
            )
            cutoff = (self.now() - IDEMPOTENCY_RETENTION).isoformat()
            db.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))
        return status, body, False

    # --- reference data ----------------------------------------------------------------------

    def hospitals(self) -> list[m.Hospital]:
        return [
            m.Hospital.model_validate_json(r[0]) for r in self._all("SELECT data FROM hospitals")
        ]

    def hospital(self, hospital_id: str) -> m.Hospital:
        row = self._one("SELECT data FROM hospitals WHERE hospital_id=?", hospital_id)
        if row is None:
            raise not_found("hospital", "医院")
        return m.Hospital.model_validate_json(row[0])

    def departments(self, hospital_id: str) -> list[m.Department]:
        self.hospital(hospital_id)
        rows = self._all(
            "SELECT data FROM departments WHERE hospital_id=? ORDER BY department_id", hospital_id
        )
        return [m.Department.model_validate_json(r[0]) for r in rows]

    def department(self, department_id: str) -> m.Department:
        row = self._one("SELECT data FROM departments WHERE department_id=?", department_id)
        if row is None:
            raise not_found("department", "科室")
        return m.Department.model_validate_json(row[0])

    def doctors(self, department_id: str) -> list[m.Doctor]:
        self.department(department_id)
        rows = self._all(
            "SELECT data FROM doctors WHERE department_id=? ORDER BY doctor_id", department_id
        )
        return [m.Doctor.model_validate_json(r[0]) for r in rows]

    def doctor(self, doctor_id: str) -> m.Doctor:
        row = self._one("SELECT data FROM doctors WHERE doctor_id=?", doctor_id)
        if row is None:
            raise not_found("doctor", "医生")
        return m.Doctor.model_validate_json(row[0])

    def _session_from(self, row: sqlite3.Row) -> m.Session:
        data = json.loads(row["data"])
        data["places_left"] = row["places_left"]
        hospital = self.hospital(data["hospital_id"])
        ends = dt.datetime.fromisoformat(data["ends_at"])
        start_date = dt.date.fromisoformat(data["date"])
        last_day = self.now().date() + dt.timedelta(days=hospital.booking_window_days)
        data["bookable"] = bool(
            row["places_left"] > 0 and self.now() < ends and start_date <= last_day
        )
        return m.Session.model_validate(data)

    def sessions(
        self,
        department_id: str,
        date_from: dt.date,
        date_to: dt.date,
        doctor_id: str | None,
    ) -> list[m.Session]:
        self.department(department_id)
        sql = "SELECT * FROM sessions WHERE department_id=? AND date BETWEEN ? AND ?"
        args: list[Any] = [department_id, date_from.isoformat(), date_to.isoformat()]
        if doctor_id:
            sql += " AND doctor_id=?"
            args.append(doctor_id)
        rows = self._all(sql + " ORDER BY date, session_id", *args)
        return [self._session_from(r) for r in rows]

    def session(self, session_id: str, db: sqlite3.Connection | None = None) -> m.Session:
        row = (
            (db or self.db)
            .execute("SELECT * FROM sessions WHERE session_id=?", (session_id,))
            .fetchone()
        )
        if row is None:
            raise not_found("session", "出诊场次")
        return self._session_from(row)

    # --- patients -------------------------------------------------------------------------------

    def _patient_from(self, row: sqlite3.Row) -> m.Patient:
        data = json.loads(row["data"])
        return m.Patient(
            patient_id=data["patient_id"],
            name=data["name"],
            card_type=data["card_type"],
            card_number_masked=_mask(data["card_number"], 4, 4),
            id_number_masked=_mask(data["id_number"], 3, 4) if data["id_number"] else "",
            birth_year=data["birth_year"],
        )

    def patient_by_card(self, card_type: str, card_number: str) -> m.Patient:
        row = self._one(
            "SELECT * FROM patients WHERE card_type=? AND card_number=?", card_type, card_number
        )
        if row is None:
            raise ApiError(
                404,
                "card_not_registered",
                "此卡未在本院登记，请到服务台办理。",
                "This card is not registered here. Please go to the service desk.",
            )
        return self._patient_from(row)

    def patient_by_qr(self, token: str) -> m.Patient:
        row = self._one("SELECT * FROM patients WHERE qr_token=?", token)
        if row is None:
            raise ApiError(
                404,
                "qr_not_recognised",
                "无法识别此二维码，请出示电子健康卡二维码。",
                "This QR code is not recognised. Please show your health card QR code.",
            )
        return self._patient_from(row)

    def patient(self, patient_id: str, db: sqlite3.Connection | None = None) -> sqlite3.Row:
        row = (
            (db or self.db)
            .execute("SELECT * FROM patients WHERE patient_id=?", (patient_id,))
            .fetchone()
        )
        if row is None:
            raise not_found("patient", "患者")
        return row

    def balance(self, patient_id: str) -> m.Balance:
        with self.lock:
            row = self.patient(patient_id)
        return m.Balance(
            patient_id=patient_id, balance_fen=row["balance_fen"], currency="CNY", as_of=self.now()
        )

    def transactions(self, patient_id: str, limit: int) -> list[m.Transaction]:
        with self.lock:
            self.patient(patient_id)
        rows = self._all(
            "SELECT data FROM transactions WHERE patient_id=? ORDER BY at DESC, rowid DESC LIMIT ?",
            patient_id,
            limit,
        )
        return [m.Transaction.model_validate_json(r[0]) for r in rows]

    def charges(self, patient_id: str, status: str | None) -> list[m.Charge]:
        with self.lock:
            self.patient(patient_id)
        sql, args = "SELECT data FROM charges WHERE patient_id=?", [patient_id]
        if status:
            sql, args = sql + " AND status=?", [*args, status]
        rows = self._all(sql + " ORDER BY charge_id", *args)
        return [m.Charge.model_validate_json(r[0]) for r in rows]

    def _move_money(
        self,
        db: sqlite3.Connection,
        patient_id: str,
        kind: m.TransactionKind,
        amount_fen: int,
        method: str,
        on_balance: bool,
        text: tuple[str, str],
        order_id: str | None,
    ) -> m.Transaction:
        """Record a movement; only movements on the card balance change the balance."""
        row = self.patient(patient_id, db)
        balance = row["balance_fen"] + amount_fen if on_balance else row["balance_fen"]
        if balance < 0:
            raise conflict(
                "insufficient_balance",
                "卡内余额不足，请先充值或选择其他支付方式。",
                "Not enough money on the card. Top up or choose another way to pay.",
            )
        if on_balance:
            db.execute(
                "UPDATE patients SET balance_fen=? WHERE patient_id=?", (balance, patient_id)
            )
        tx = m.Transaction(
            transaction_id=self._new_id("T"),
            kind=kind,
            amount_fen=amount_fen,
            currency="CNY",
            method=method,
            balance_after_fen=balance if on_balance else None,
            at=self.now(),
            description_zh=text[0],
            description_en=text[1],
            order_id=order_id,
        )
        db.execute(
            "INSERT INTO transactions VALUES (?, ?, ?, ?)",
            (tx.transaction_id, patient_id, tx.at.isoformat(), tx.model_dump_json()),
        )
        return tx


def _mask(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
