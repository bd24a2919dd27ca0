"""The simulator's HTTP application: the contract's routes (FastAPI), signature checks and
fault injection (one ASGI middleware), and the admin endpoints of the demo panel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import random
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from central_sim.errors import ApiError
from central_sim.faults import Faults, Traffic
from central_sim.openapi_doc import customise_openapi
from central_sim.store import Store, request_hash
from kiosk.central import models as m
from kiosk.central import signing

MAX_BODY = 64 * 1024
MAX_SESSION_RANGE_DAYS = 31
UNSIGNED = frozenset({"/v1/enrollments"})


def create_app(store: Store, faults: Faults, traffic: Traffic | None = None) -> FastAPI:
    traffic = traffic or Traffic()
    app = FastAPI(
        title="Hospital kiosk central platform",
        version=m.API_VERSION,
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,  # operationId = handler name
    )
    app.state.store = store
    app.state.faults = faults
    app.include_router(_contract_routes(store, faults))
    app.include_router(_admin_routes(store, faults, traffic))
    _install_error_handlers(app)
    app.add_middleware(_SignatureAndFaults, store=store, faults=faults, traffic=traffic)
    customise_openapi(app)
    return app


# --- errors ----------------------------------------------------------------------------------


def _error_response(request: Request, exc: ApiError, headers: dict | None = None) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "")
    return JSONResponse(exc.reply(request_id), status_code=exc.status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(request, exc)

    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error_response(
            request,
            ApiError(
                422,
                "invalid_request",
                "请求内容有误。",
                f"Invalid request: {where}: {first.get('msg', '')}",
            ),
        )

    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        error = ApiError(exc.status_code, code, "请求无法处理。", str(exc.detail))
        return _error_response(request, error, headers=getattr(exc, "headers", None))

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        error = ApiError(500, "internal_error", "系统内部错误。", "Internal error.", True)
        return _error_response(request, error)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crash)


# --- signatures and faults -------------------------------------------------------------------


def _auth_error(code: str, en: str) -> ApiError:
    return ApiError(401, code, "终端认证失败，请联系工作人员。", en)


class _SignatureAndFaults:
    """Pure ASGI middleware for /v1: reads the body once, injects faults, checks the signature.

    Runs before routing and body parsing, so an unsigned request never reaches a handler.
    """

    def __init__(self, app: Callable, store: Store, faults: Faults, traffic: Traffic) -> None:
        self.app, self.store, self.faults, self.traffic = app, store, faults, traffic

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        self.traffic.v1_requests += 1
        request_id = "R" + secrets.token_hex(6).upper()
        scope.setdefault("state", {})["request_id"] = request_id
        try:
            body = await _read_body(receive)
            if self.faults.error_rate and random.random() < self.faults.error_rate:
                raise ApiError(
                    503,
                    "platform_unavailable",
                    "医院系统繁忙，请稍后再试。",
                    "The platform is temporarily unavailable (simulated).",
                    retryable=True,
                )
            if scope["path"] not in UNSIGNED:
                scope["state"]["terminal_id"] = self._verify(scope, body)
        except ApiError as exc:
            await _send_json(send, exc.status, exc.reply(request_id), request_id)
            return
        scope["state"]["body"] = body
        await self._run_buffered(scope, body, send, request_id)

    def _verify(self, scope: dict, body: bytes) -> str:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        got = {h: headers.get(h.lower(), "") for h in signing.SIGNED_HEADERS}
        if not all(got.values()) or not re.fullmatch(r"\d{1,12}", got[signing.H_TIMESTAMP]):
            raise _auth_error("auth_missing", "The request is not signed (X-Kiosk-* headers).")
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", got[signing.H_NONCE]):
            raise _auth_error("auth_missing", "X-Kiosk-Nonce must be 16-64 of [A-Za-z0-9_-].")
        terminal_id = got[signing.H_TERMINAL]
        secret = self.store.terminal_secret(terminal_id)
        if secret is None:
            raise _auth_error("terminal_unknown", "This terminal is not enrolled.")
        now = self.store.now().timestamp()
        if abs(now - int(got[signing.H_TIMESTAMP])) > signing.MAX_CLOCK_SKEW_S:
            raise _auth_error(
                "timestamp_stale",
                f"X-Kiosk-Timestamp is more than {signing.MAX_CLOCK_SKEW_S} s from the "
                "platform's clock: check the terminal's clock.",
            )
        path = scope.get("raw_path") or scope["path"].encode()
        path = path.decode("latin-1")
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        expected = signing.signature(
            secret,
            scope["method"],
            path,
            got[signing.H_TIMESTAMP],
            got[signing.H_NONCE],
            got[signing.H_CONTENT],
        )
        if not hmac.compare_digest(expected, got[signing.H_SIGNATURE].lower()):
            raise _auth_error("signature_invalid", "The signature does not match (wrong secret?).")
        if not hmac.compare_digest(signing.body_sha256(body), got[signing.H_CONTENT].lower()):
            raise _auth_error("body_hash_mismatch", "The body is not the one that was signed.")
        if not self.store.remember_nonce(terminal_id, got[signing.H_NONCE], signing.NONCE_TTL_S):
            raise _auth_error("nonce_replayed", "This nonce was already used: a replay.")
        return terminal_id

    async def _run_buffered(self, scope: dict, body: bytes, send: Callable, rid: str) -> None:
        """Run the app, hold its reply (latency), maybe garble it, then send it."""
        messages: list[dict] = []
        sent_body = False

        async def replay() -> dict:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def hold(message: dict) -> None:
            messages.append(message)

        await self.app(scope, replay, hold)
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if self.faults.garbled:
            messages = _garble(messages)
        for message in messages:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)


async def _read_body(receive: Callable[[], Awaitable[dict]]) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(
                413, "body_too_large", "请求过大。", f"Bodies are limited to {MAX_BODY} B."
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _garble(messages: list[dict]) -> list[dict]:
    junk = b'{"order_id": "O\xff\xfe garbled", "status": '
    out = []
    for message in messages:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(junk)).encode()))
            message = {**message, "status": 200, "headers": headers}
        elif message["type"] == "http.response.body":
            message = {**message, "body": junk if not out or len(out) == 1 else b""}
        out.append(message)
    return out


async def _send_json(send: Callable, status: int, body: dict, request_id: str) -> None:
    payload = JSONResponse(body).body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# --- the contract's routes ----------------------------------------------------------------------

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="unique per state change; the same key and body return the first result",
    ),
]
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


def _idempotent(
    store: Store, request: Request, key: str, scope_id: str, apply: Callable
) -> JSONResponse:
    state = request.state
    path = request.url.path
    fingerprint = request_hash(request.method, path, state.body)
    status, body, replayed = store.idempotent(scope_id, key, fingerprint, apply)
    if status >= 400:
        body = {**body, "request_id": state.request_id}
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)


def _contract_routes(store: Store, faults: Faults) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/enrollments", response_model=m.Enrollment, tags=["terminal"])
    async def enroll(request: Request, body: m.EnrollmentRequest, key: IdempotencyKey):
        """Exchange a one-time enrollment code for the terminal's secret. The only unsigned call."""
        return _idempotent(
            store, request, key, f"enroll:{body.terminal_id}", lambda db: store.enroll(db, body)
        )

    @r.get("/ping", response_model=m.Ping, tags=["terminal"])
    async def ping(request: Request):
        """Check connectivity and credentials."""
        return m.Ping(
            status="ok",
            api_version=m.API_VERSION,
            terminal_id=request.state.terminal_id,
            server_time=store.now(),
        )

    @r.post("/heartbeat", response_model=m.HeartbeatReply, tags=["terminal"])
    async def heartbeat(request: Request, body: m.HeartbeatRequest, key: IdempotencyKey):
        """Device states, outbox depth and software version, every minute or so."""
        tid = request.state.terminal_id
        return _idempotent(store, request, key, tid, lambda db: store.heartbeat(db, tid, body))

    @r.get("/hospitals", response_model=m.HospitalList, tags=["hospitals"])
    async def list_hospitals():
        items = store.hospitals()
        return m.HospitalList(items=items, total=len(items))

    @r.get(
        "/hospitals/{hospital_id}/departments", response_model=m.DepartmentList, tags=["hospitals"]
    )
    async def list_departments(hospital_id: PathId):
        items = store.departments(hospital_id)
        return m.DepartmentList(items=items, total=len(items))

    @r.get("/departments/{department_id}/doctors", response_model=m.DoctorList, tags=["hospitals"])
    async def list_doctors(department_id: PathId):
        items = store.doctors(department_id)
        return m.DoctorList(items=items, total=len(items))

    @r.get("/sessions", response_model=m.SessionList, tags=["hospitals"])
    async def list_sessions(
        department_id: Annotated[str, Query(min_length=1, max_length=64)],
        date_from: dt.date,
        date_to: dt.date | None = None,
        doctor_id: Annotated[str | None, Query(max_length=64)] = None,
    ):
        """A department's sessions (morning, afternoon) with fee and places left.

        At most 31 days from date_from are returned; date_to before date_from: none.
        """
        span = dt.timedelta(days=MAX_SESSION_RANGE_DAYS)
        last = date_from + span if date_from <= dt.date.max - span else dt.date.max
        date_to = min(date_to or date_from, last)
        items = store.sessions(department_id, date_from, date_to, doctor_id)
        return m.SessionList(items=items, total=len(items))

    @r.get("/sessions/{session_id}", response_model=m.Session, tags=["hospitals"])
    async def get_session(session_id: PathId):
        return store.session(session_id)

    @r.post("/patients/lookup-by-card", response_model=m.Patient, tags=["patients"])
    async def lookup_patient_by_card(body: m.CardLookup):
        """Read-only: a POST so the card number stays out of URLs and access logs."""
        return store.patient_by_card(body.card_type.value, body.card_number)

    @r.post("/patients/lookup-by-qr", response_model=m.Patient, tags=["patients"])
    async def lookup_patient_by_qr(body: m.QrLookup):
        """Read-only: the token of an electronic health card's QR code."""
        return store.patient_by_qr(body.qr_token)

    @r.get("/patients/{patient_id}/balance", response_model=m.Balance, tags=["patients"])
    async def get_balance(patient_id: PathId):
        return store.balance(patient_id)

    @r.get(
        "/patients/{patient_id}/transactions", response_model=m.TransactionList, tags=["patients"]
    )
    async def list_transactions(
        patient_id: PathId, limit: Annotated[int, Query(ge=1, le=100)] = 20
    ):
        items = store.transactions(patient_id, limit)
        return m.TransactionList(items=items, total=len(items))

    @r.get("/patients/{patient_id}/bookings", response_model=m.BookingList, tags=["bookings"])
    async def list_bookings(patient_id: PathId, status: m.BookingStatus | None = None):
        items = store.bookings(patient_id, status.value if status else None)
        return m.BookingList(items=items, total=len(items))

    @r.get("/patients/{patient_id}/charges", response_model=m.ChargeList, tags=["charges"])
    async def list_charges(patient_id: PathId, status: Literal["unpaid", "paid"] | None = "unpaid"):
        items = store.charges(patient_id, status)
        return m.ChargeList(items=items, total=len(items))

    @r.get("/bookings/{booking_id}", response_model=m.Booking, tags=["bookings"])
    async def get_booking(booking_id: PathId):
        with store.lock:
            return store.booking(booking_id)

    @r.post("/bookings/{booking_id}/cancel", response_model=m.Booking, tags=["bookings"])
    async def cancel_booking(
        request: Request,
        booking_id: PathId,
        key: IdempotencyKey,
        body: Annotated[m.CancelBookingRequest, Body()],
    ):
        """Cancel under the hospital's rule (Hospital.cancel_rule); refunds the original route."""
        tid = request.state.terminal_id
        return _idempotent(
            store, request, key, tid, lambda db: store.cancel_booking(db, booking_id)
        )

    @r.post("/bookings/{booking_id}/check-in", response_model=m.Booking, tags=["bookings"])
    async def check_in(
        request: Request,
        booking_id: PathId,
        key: IdempotencyKey,
        body: Annotated[m.CheckInRequest, Body()],
    ):
        """Check in on the day of the appointment; the reply carries queue number and room."""
        tid = request.state.terminal_id
        return _idempotent(
            store, request, key, tid, lambda db: store.check_in(db, booking_id, body.checked_in_at)
        )

    @r.post("/orders", response_model=m.Order, tags=["orders"])
    async def create_order(request: Request, body: m.OrderRequest, key: IdempotencyKey):
        """Pay for a booking, charges or a top-up. See the README for the order lifecycle."""
        tid = request.state.terminal_id
        return _idempotent(store, request, key, tid, lambda db: store.create_order(db, tid, body))

    @r.get("/orders/by-client-ref/{client_ref}", response_model=m.Order, tags=["orders"])
    async def find_order_by_client_ref(request: Request, client_ref: PathId):
        """This terminal's order with that client_ref; 404 order_not_found: never applied."""
        return store.order_by_client_ref(request.state.terminal_id, client_ref)

    @r.get("/orders/{order_id}", response_model=m.Order, tags=["orders"])
    async def get_order(order_id: PathId):
        """Poll this for a QR payment: until `status` is final."""
        return store.order(order_id)

    @r.post("/orders/{order_id}/cancel", response_model=m.Order, tags=["orders"])
    async def cancel_order(
        request: Request,
        order_id: PathId,
        key: IdempotencyKey,
        body: Annotated[m.CancelOrderRequest, Body()],
    ):
        """Give up on an order still waiting for payment; a late payment is returned."""
        tid = request.state.terminal_id
        return _idempotent(store, request, key, tid, lambda db: store.cancel_order(db, order_id))

    return r


# --- admin (demo panel, tests): not part of the contract --------------------------------------


def _admin_routes(store: Store, faults: Faults, traffic: Traffic) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/admin/faults")
    async def get_faults():
        return faults.as_dict()

    @r.post("/admin/faults")
    async def set_faults(changes: dict[str, Any]):
        try:
            faults.update(**changes)
        except (ValueError, TypeError) as exc:
            raise ApiError(422, "invalid_request", "参数有误。", str(exc)) from exc
        return faults.as_dict()

    @r.post("/admin/enroll-codes")
    async def new_code(hospital_id: str = "H001"):
        return {"enroll_code": store.add_enroll_code(hospital_id), "hospital_id": hospital_id}

    @r.get("/admin/state")
    async def state():
        return {"counts": store.counts(), "faults": faults.as_dict(), "traffic": asdict(traffic)}

    @r.get("/admin/terminals/{terminal_id}/heartbeat")
    async def last_heartbeat(terminal_id: str):
        return store.last_heartbeat(terminal_id) or {}

    @r.post("/admin/orders/{order_id}/pay")
    async def pay(order_id: str):
        """The simulated phone pays a QR order now."""
        return store.pay_by_id(order_id).model_dump(mode="json")

    @r.get("/pay/{order_id}", response_class=HTMLResponse)
    async def pay_page(order_id: str):
        """What the QR code opens on a phone: a one-button simulated payment page."""
        order = store.order(order_id)
        yuan = f"{order.amount_fen // 100}.{order.amount_fen % 100:02d}"
        return (
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<h2>模拟支付 Simulated payment</h2><p>¥{yuan} · {order.status.value}</p>"
            f"<form method=post action='/pay/{order.order_id}'>"
            "<button style='font-size:2em'>支付 Pay</button></form>"
        )

    @r.post("/pay/{order_id}", response_class=HTMLResponse)
    async def pay_from_page(order_id: str):
        order = store.pay_by_id(order_id)
        return f"<!doctype html><meta charset=utf-8><h2>{order.status.value}</h2>"

    return r
