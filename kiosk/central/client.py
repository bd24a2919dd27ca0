"""The kiosk's client of the central platform (contract/openapi.json).

Blocking httpx calls: run them on a worker thread, never on the GUI thread (pass
`guard_thread=threading.main_thread()` in the GUI app and a call from there raises).

- Every request is signed (kiosk.central.signing); every reply is validated
  against the contract's models before it is returned.
- Every state-changing call takes `idempotency_key`; when none is given one is
  made: for orders it is derived from `client_ref` ("order:" + client_ref), so
  re-sending the same order after a crash can never pay twice; elsewhere a fresh
  UUID (pass your own to make retries across restarts safe).
- Retries happen only where safe: reads are retried on connection failures,
  timeouts and retryable 5xx; writes only when the request provably never left
  (connection refused) or the platform said 503 before applying anything. After a
  timeout a write raises `Timeout(outcome_unknown=True)`: retry it with the same
  key, or ask `find_order_by_client_ref`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from kiosk.central import models as m
from kiosk.central.errors import (
    CentralError,
    MalformedReply,
    Rejected,
    ServerFault,
    Timeout,
    Unreachable,
)
from kiosk.central.signing import sign_headers

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRY_PAUSE_S = 0.2


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def order_idempotency_key(client_ref: str) -> str:
    """The key create_order uses when none is given: one order per client reference."""
    return f"order:{client_ref}"


class _HmacAuth(httpx.Auth):
    """Signs each attempt afresh (new timestamp and nonce), so a retry is never a replay."""

    requires_request_body = True

    def __init__(self, terminal_id: str, secret: bytes) -> None:
        self._terminal_id = terminal_id
        self._secret = secret

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        path = request.url.raw_path.decode("ascii")
        request.headers.update(
            sign_headers(self._secret, self._terminal_id, request.method, path, request.content)
        )
        yield request


class _NoTrustTransport(httpx.BaseTransport):
    """Stands in when the configured CA bundle cannot be read: every https request fails as
    an unreachable platform naming the bundle, so the kiosk starts (offline) instead of
    crashing, and never falls back to trusting some other set of CAs. Plain http (a test
    set-up) needs no CA and goes through."""

    def __init__(self, problem: str, plain: httpx.BaseTransport) -> None:
        self.problem = problem
        self._plain = plain

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            raise httpx.ConnectError(self.problem, request=request)
        return self._plain.handle_request(request)

    def close(self) -> None:
        self._plain.close()


def _tls_verify(ca_bundle: str | os.PathLike[str] | None) -> ssl.SSLContext | bool:
    """What httpx's `verify=` gets: None keeps httpx's own default (certifi's bundle); ""
    is the system's CA store (what an empty `central.ca_bundle` means); a path trusts only
    the CAs in that PEM file (a platform with a private CA). Raises OSError or
    ssl.SSLError when the file cannot be read or holds no certificate."""
    if ca_bundle is None:
        return True
    return ssl.create_default_context(cafile=os.fspath(ca_bundle) or None)


def _nodelay_transport(
    ca_bundle: str | os.PathLike[str] | None = None,
) -> httpx.BaseTransport:
    """httpx writes a request's headers and body separately; without TCP_NODELAY the body
    waits for the platform's delayed ACK (about 40 ms a request on Linux)."""
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    try:
        verify = _tls_verify(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        problem = f"the CA bundle {os.fspath(ca_bundle or '')} cannot be used ({exc})"
        log.error("%s: fix central.ca_bundle; no https request can reach the platform", problem)
        return _NoTrustTransport(problem, httpx.HTTPTransport(socket_options=nodelay))
    return httpx.HTTPTransport(verify=verify, socket_options=nodelay)


def _dump(body: BaseModel) -> bytes:
    data = body.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CentralClient:
    """One terminal's connection to the platform. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        terminal_id: str,
        secret: bytes,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 2.0,
        *,
        read_attempts: int = 2,
        guard_thread: threading.Thread | None = None,
        transport: httpx.BaseTransport | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> None:
        """`ca_bundle`: the CAs that may sign the platform's certificate (see `_tls_verify`);
        pass `config.central.ca_bundle`. A bundle that cannot be read makes every request
        raise Unreachable naming it. Ignored when `transport` is given."""
        self.base_url = base_url.rstrip("/")
        self.terminal_id = terminal_id
        self._read_attempts = max(1, read_attempts)
        self._guard_thread = guard_thread
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_HmacAuth(terminal_id, secret),
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers={"Accept": "application/json", "User-Agent": "lobby-kiosk"},
            transport=transport or _nodelay_transport(ca_bundle),
        )

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- terminal ---------------------------------------------------------------------

    @staticmethod
    def enroll(
        base_url: str,
        enroll_code: str,
        terminal_id: str,
        software_version: str = "",
        idempotency_key: str | None = None,
        timeout_s: float = 10.0,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> m.Enrollment:
        """Exchange a one-time code for the terminal secret (the one unsigned call).

        `ca_bundle` as in the constructor: the secret goes only to a platform it vouches for."""
        body = m.EnrollmentRequest(
            enroll_code=enroll_code, terminal_id=terminal_id, software_version=software_version
        )
        key = idempotency_key or new_idempotency_key()
        with httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=_nodelay_transport(ca_bundle),
        ) as http:
            request = http.build_request(
                "POST",
                "/v1/enrollments",
                content=_dump(body),
                headers={IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"},
            )
            response = _send(http, request, key)
        return _parse(response, m.Enrollment, key)

    def ping(self) -> m.Ping:
        return self._get("/v1/ping", m.Ping)

    def heartbeat(
        self,
        software_version: str,
        devices: Iterable[m.DeviceReport] = (),
        outbox_depth: int = 0,
        oldest_outbox_age_s: int = 0,
        idempotency_key: str | None = None,
    ) -> m.HeartbeatReply:
        body = m.HeartbeatRequest(
            software_version=software_version,
            devices=list(devices),
            outbox_depth=outbox_depth,
            oldest_outbox_age_s=oldest_outbox_age_s,
            sent_at=dt.datetime.now(dt.UTC),
        )
        return self._post("/v1/heartbeat", body, m.HeartbeatReply, idempotency_key)

    # --- patients -----------------------------------------------------------------------

    def lookup_patient_by_card(self, card_type: str, card_number: str) -> m.Patient:
        body = m.CardLookup(card_type=m.CardType(card_type), card_number=card_number)
        return self._read_post("/v1/patients/lookup-by-card", body, m.Patient)

    def lookup_patient_by_qr(self, qr_token: str) -> m.Patient:
        return self._read_post(
            "/v1/patients/lookup-by-qr", m.QrLookup(qr_token=qr_token), m.Patient
        )

    def get_balance(self, patient_id: str) -> m.Balance:
        return self._get(f"/v1/patients/{patient_id}/balance", m.Balance)

    def list_transactions(self, patient_id: str, limit: int = 20) -> list[m.Transaction]:
        path = f"/v1/patients/{patient_id}/transactions"
        return self._get(path, m.TransactionList, {"limit": limit}).items

    def list_bookings(
        self, patient_id: str, status: m.BookingStatus | str | None = None
    ) -> list[m.Booking]:
        params = {"status": str(status)} if status else None
        return self._get(f"/v1/patients/{patient_id}/bookings", m.BookingList, params).items

    def list_charges(self, patient_id: str, status: str = "unpaid") -> list[m.Charge]:
        path = f"/v1/patients/{patient_id}/charges"
        return self._get(path, m.ChargeList, {"status": status}).items

    # --- hospitals, departments, doctors, sessions ------------------------------------------

    def list_hospitals(self) -> list[m.Hospital]:
        return self._get("/v1/hospitals", m.HospitalList).items

    def list_departments(self, hospital_id: str) -> list[m.Department]:
        return self._get(f"/v1/hospitals/{hospital_id}/departments", m.DepartmentList).items

    def list_doctors(self, department_id: str) -> list[m.Doctor]:
        return self._get(f"/v1/departments/{department_id}/doctors", m.DoctorList).items

    def list_sessions(
        self,
        department_id: str,
        date_from: dt.date,
        date_to: dt.date | None = None,
        doctor_id: str | None = None,
    ) -> list[m.Session]:
        params: dict[str, Any] = {
            "department_id": department_id,
            "date_from": date_from.isoformat(),
            "date_to": (date_to or date_from).isoformat(),
        }
        if doctor_id:
            params["doctor_id"] = doctor_id
        return self._get("/v1/sessions", m.SessionList, params).items

    def get_session(self, session_id: str) -> m.Session:
        return self._get(f"/v1/sessions/{session_id}", m.Session)

    # --- bookings ---------------------------------------------------------------------------

    def get_booking(self, booking_id: str) -> m.Booking:
        return self._get(f"/v1/bookings/{booking_id}", m.Booking)

    def cancel_booking(
        self, booking_id: str, reason: str = "", idempotency_key: str | None = None
    ) -> m.Booking:
        """Cancel under the hospital's rule; the refund (if any) is in `Booking.refund`."""
        body = m.CancelBookingRequest(reason=reason)
        return self._post(f"/v1/bookings/{booking_id}/cancel", body, m.Booking, idempotency_key)

    def check_in(
        self,
        booking_id: str,
        checked_in_at: dt.datetime | None = None,
        idempotency_key: str | None = None,
    ) -> m.Booking:
        body = m.CheckInRequest(checked_in_at=checked_in_at)
        return self._post(f"/v1/bookings/{booking_id}/check-in", body, m.Booking, idempotency_key)

    # --- orders and payments -----------------------------------------------------------------

    def create_order(self, order: m.OrderRequest, idempotency_key: str | None = None) -> m.Order:
        key = idempotency_key or order_idempotency_key(order.client_ref)
        return self._post("/v1/orders", order, m.Order, key)

    def book(
        self,
        patient_id: str,
        session_id: str,
        payment_method: m.PaymentMethod | str,
        client_ref: str,
        idempotency_key: str | None = None,
        **payment: Any,
    ) -> m.Order:
        """Book and pay a session; `payment`: payment_code=... or cash_fen=... as needed."""
        order = m.OrderRequest(
            client_ref=client_ref,
            patient_id=patient_id,
            pay_for=m.PayForBooking(purpose="booking", session_id=session_id),
            payment=m.pay_by(payment_method, **payment),
        )
        return self.create_order(order, idempotency_key)

    def pay_charges(
        self,
        patient_id: str,
        charge_ids: list[str],
        payment_method: m.PaymentMethod | str,
        client_ref: str,
        idempotency_key: str | None = None,
        **payment: Any,
    ) -> m.Order:
        order = m.OrderRequest(
            client_ref=client_ref,
            patient_id=patient_id,
            pay_for=m.PayForCharges(purpose="charges", charge_ids=charge_ids),
            payment=m.pay_by(payment_method, **payment),
        )
        return self.create_order(order, idempotency_key)

    def top_up(
        self,
        patient_id: str,
        amount_fen: int,
        payment_method: m.PaymentMethod | str,
        client_ref: str,
        idempotency_key: str | None = None,
        **payment: Any,
    ) -> m.Order:
        """Add money to the card balance (QR, payment code or cash; cash: pass cash_fen too)."""
        order = m.OrderRequest(
            client_ref=client_ref,
            patient_id=patient_id,
            pay_for=m.PayForTopUp(purpose="top_up", amount_fen=amount_fen),
            payment=m.pay_by(payment_method, **payment),
        )
        return self.create_order(order, idempotency_key)

    def get_order(self, order_id: str) -> m.Order:
        return self._get(f"/v1/orders/{order_id}", m.Order)

    def find_order_by_client_ref(self, client_ref: str) -> m.Order | None:
        """The order this terminal created with `client_ref`, or None if the platform has none.

        None is a definite answer: the platform never applied that order, so it is
        safe to send it again (with the same idempotency key).
        """
        try:
            return self._get(f"/v1/orders/by-client-ref/{client_ref}", m.Order)
        except Rejected as exc:
            if exc.code == "order_not_found":
                return None
            raise

    def cancel_order(
        self, order_id: str, reason: str = "", idempotency_key: str | None = None
    ) -> m.Order:
        """Give up on an order still waiting for payment (QR). A paid order is not cancelled."""
        body = m.CancelOrderRequest(reason=reason)
        return self._post(f"/v1/orders/{order_id}/cancel", body, m.Order, idempotency_key)

    def wait_for_payment(
        self,
        order_id: str,
        timeout_s: float,
        poll_s: float = 1.0,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> m.Order:
        """Poll a QR order until it is final, `timeout_s` passes or `should_stop()` says so.

        Returns the last order seen (possibly still pending_payment: the caller
        then cancels it). Transient errors while polling are logged and ridden out.
        """
        deadline = time.monotonic() + timeout_s
        order: m.Order | None = None
        while True:
            try:
                order = self.get_order(order_id)
                if order.is_final:
                    return order
            except (Unreachable, Timeout, ServerFault) as exc:
                log.warning("polling order %s: %s", order_id, exc.operator)
            if time.monotonic() >= deadline or should_stop():
                if order is None:
                    return self.get_order(order_id)
                return order
            time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))

    # --- plumbing -------------------------------------------------------------------------

    def _check_thread(self) -> None:
        if self._guard_thread is not None and threading.current_thread() is self._guard_thread:
            raise RuntimeError("CentralClient called on the GUI thread; use a worker thread")

    def _get(self, path: str, reply: type[T], params: dict[str, Any] | None = None) -> T:
        request = self._http.build_request("GET", path, params=params)
        return self._send_with_retries(request, reply, None, read_only=True)

    def _read_post(self, path: str, body: BaseModel, reply: type[T]) -> T:
        """A POST that only reads (lookups: the card number belongs in a body, not a URL)."""
        request = self._http.build_request(
            "POST", path, content=_dump(body), headers={"Content-Type": "application/json"}
        )
        return self._send_with_retries(request, reply, None, read_only=True)

    def _post(self, path: str, body: BaseModel, reply: type[T], key: str | None) -> T:
        key = key or new_idempotency_key()
        request = self._http.build_request(
            "POST",
            path,
            content=_dump(body),
            headers={IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"},
        )
        return self._send_with_retries(request, reply, key, read_only=False)

    def _send_with_retries(
        self, request: httpx.Request, reply: type[T], key: str | None, *, read_only: bool
    ) -> T:
        self._check_thread()
        attempts = self._read_attempts if read_only else 2
        for attempt in range(1, attempts + 1):
            try:
                return _parse(_send(self._http, request, key), reply, key)
            except CentralError as exc:
                if attempt == attempts or not _may_retry(exc, read_only):
                    raise
                log.info("retrying %s %s: %s", request.method, request.url.path, exc.operator)
                time.sleep(_RETRY_PAUSE_S * attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _may_retry(exc: CentralError, read_only: bool) -> bool:
    if read_only:
        return isinstance(exc, Unreachable | Timeout) or (
            isinstance(exc, ServerFault) and exc.retryable
        )
    # a write is re-sent only when it certainly was not applied
    never_sent = isinstance(exc, Unreachable) and not exc.outcome_unknown
    refused_before_apply = isinstance(exc, ServerFault) and exc.status == 503 and exc.retryable
    return never_sent or refused_before_apply


def _send(http: httpx.Client, request: httpx.Request, key: str | None) -> httpx.Response:
    """Send once; transport failures become typed errors."""
    where = f"{request.method} {request.url.path}"
    wrote = request.method != "GET"
    started = time.monotonic()
    try:
        response = http.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise Unreachable(
            f"central platform unreachable at {request.url.host}:{request.url.port} ({where}): "
            f"{exc}",
            idempotency_key=key,
        ) from exc
    except httpx.TimeoutException as exc:
        raise Timeout(
            f"central platform did not answer {where} in time; "
            + ("it may have applied the request" if wrote else "nothing was changed"),
            outcome_unknown=wrote,
            idempotency_key=key,
        ) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise Unreachable(
            f"central platform dropped the connection during {where}: {exc}",
            outcome_unknown=wrote,
            idempotency_key=key,
        ) from exc
    except httpx.HTTPError as exc:
        raise Unreachable(f"HTTP failure during {where}: {exc}", idempotency_key=key) from exc
    log.debug(
        "%s -> %s in %.0f ms", where, response.status_code, (time.monotonic() - started) * 1e3
    )
    return response


def _parse(response: httpx.Response, reply: type[T], key: str | None) -> T:
    where = f"{response.request.method} {response.request.url.path}"
    status = response.status_code
    if status >= 400:
        raise _error_from(response, where, key)
    try:
        return reply.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors()[0]
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        raise MalformedReply(
            f"central platform's reply to {where} does not match the contract ({detail})",
            status=status,
            outcome_unknown=response.request.method != "GET",
            request_id=response.headers.get("X-Request-Id", ""),
            idempotency_key=key,
        ) from exc


def _error_from(response: httpx.Response, where: str, key: str | None) -> CentralError:
    status = response.status_code
    request_id = response.headers.get("X-Request-Id", "")
    try:
        error = m.ErrorReply.model_validate_json(response.content)
    except ValidationError:
        error = None
    if status >= 500:
        code = error.code if error else f"http_{status}"
        retryable = error.retryable if error else status in (502, 503, 504)
        return ServerFault(
            f"central platform failed on {where}: HTTP {status} {code}",
            status=status,
            retryable=retryable,
            outcome_unknown=status != 503 and response.request.method != "GET",
            request_id=request_id,
            idempotency_key=key,
        )
    if error is None:
        return MalformedReply(
            f"central platform refused {where} with HTTP {status} but no contract error body",
            status=status,
            request_id=request_id,
            idempotency_key=key,
        )
    return Rejected(
        f"central platform refused {where}: {error.code} ({error.message_en})",
        status=status,
        code=error.code,
        message_zh=error.message_zh,
        message_en=error.message_en,
        retryable=error.retryable,
        request_id=error.request_id or request_id,
        idempotency_key=key,
    )
