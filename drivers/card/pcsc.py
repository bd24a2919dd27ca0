"""The pcscd backend, on pyscard's low-level `smartcard.scard` API.

pyscard's own monitors die silently when pcscd restarts; here every pcscd
failure becomes `BackendUnavailable`, so the service re-establishes its context.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from functools import lru_cache

from smartcard import scard

from drivers.card.apdu import CardError, CardRemovedError, MuteCardError
from drivers.card.backend import BackendUnavailable, ReaderState

log = logging.getLogger(__name__)

PNP = "\\\\?PnP?\\Notification"
SHARING_RETRY_S = 2.0  # another application may hold the card briefly (exclusive read)
REMOVAL_SETTLE_S = 1.5  # pcscd notices a pulled card on its next presence poll
SCARD_PRESENT = 0x0004  # pcsclite.h card state from SCardStatus; pyscard does not export it
# Reader state bits, looked up once for the insertion path.
_STATE_PRESENT, _STATE_MUTE = scard.SCARD_STATE_PRESENT, scard.SCARD_STATE_MUTE
_STATE_CHANGED = scard.SCARD_STATE_CHANGED
_monotonic = time.monotonic  # looked up once: read at every APDU

# pcscd gone, restarting or our context dead: re-establish.
_SERVICE_LOST = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_F_COMM_ERROR,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_INTERNAL_ERROR,
    scard.SCARD_E_NO_MEMORY,
}
_CARD_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
}


def _code(hresult: int) -> int:
    """pyscard hands back negative numbers for the 0x8010xxxx codes on some builds."""
    return hresult & 0xFFFFFFFF


def _lost(hresult: int) -> bool:
    return _code(hresult) in {_code(c) for c in _SERVICE_LOST}


def _message(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{_code(hresult):08X})"


def atr_length(atr: bytes) -> int:
    """The length of the ATR at the start of `atr` (ISO 7816-3 §8.2), whose buffer
    pyscard hands back zero-padded from SCardGetStatusChange."""
    if len(atr) < 2:
        return len(atr)
    pos, indicator, protocols = 1, atr[1], set()
    historical = indicator & 0x0F
    while True:
        present = bin(indicator >> 4).count("1")
        has_next = indicator & 0x80
        pos += present
        if not has_next or pos >= len(atr):
            break
        indicator = atr[pos]
        protocols.add(indicator & 0x0F)
    length = pos + 1 + historical + (1 if protocols - {0} else 0)  # TCK unless T=0 only
    return min(length, len(atr))


@lru_cache(maxsize=64)
def _trimmed_atr(raw_atr: bytes) -> bytes:
    """The ATR without pyscard's zero padding; a card model always gives the same one."""
    return raw_atr[: atr_length(raw_atr)]


def _state(event: int, atr: list[int], seen_at: float) -> ReaderState:
    return ReaderState(
        event & _STATE_PRESENT != 0,
        _trimmed_atr(bytes(atr)),
        (event >> 16) & 0xFFFF,
        event & _STATE_MUTE != 0,
        event & ~_STATE_CHANGED,
        seen_at,
    )


class PcscSession:
    def __init__(self, context: int, reader: str) -> None:
        self.reader = reader
        self._handle, self._protocol = self._connect(context, reader)
        self._atr_cache: bytes | None = None
        self.sent_at: float | None = None  # for the service's mute watchdog

    @property
    def atr(self) -> bytes:
        """Asked of pcscd only when the reader state gave none (saves a round trip)."""
        if self._atr_cache is None:
            self._atr_cache = self._atr()
        return self._atr_cache

    @staticmethod
    def _connect(context: int, reader: str) -> tuple[int, int]:
        deadline = time.monotonic() + SHARING_RETRY_S
        while True:
            hresult, handle, protocol = scard.SCardConnect(
                context,
                reader,
                scard.SCARD_SHARE_EXCLUSIVE,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if hresult == scard.SCARD_S_SUCCESS:
                return handle, protocol
            if _code(hresult) == _code(scard.SCARD_E_SHARING_VIOLATION) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.05)
                continue
            raise _connect_error(hresult)

    def _atr(self) -> bytes:
        hresult, _reader, _state_word, _protocol, atr = scard.SCardStatus(self._handle)
        if _code(hresult) != scard.SCARD_S_SUCCESS:
            return b""
        return bytes(atr)[: atr_length(bytes(atr))]

    def transmit(self, apdu: bytes) -> bytes:
        self.sent_at = _monotonic()
        hresult, response = scard.SCardTransmit(self._handle, self._protocol, list(apdu))
        if hresult == scard.SCARD_S_SUCCESS and len(response) >= 2:
            return bytes(response)
        # vpcd answers an empty response when the card left; pcscd may not know yet.
        if self._wait_gone(REMOVAL_SETTLE_S):
            raise CardRemovedError("card removed during the read")
        if _lost(hresult):
            raise CardError(f"pcscd lost during the read: {_message(hresult)}")
        raise CardError(f"no valid answer from the card: {_message(hresult)}")

    def still_present(self) -> bool:
        hresult, _reader, state, _protocol, _atr = scard.SCardStatus(self._handle)
        return _code(hresult) == scard.SCARD_S_SUCCESS and bool(state & SCARD_PRESENT)

    def _wait_gone(self, settle_s: float) -> bool:
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            if not self.still_present():
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        scard.SCardDisconnect(self._handle, scard.SCARD_LEAVE_CARD)


def _connect_error(hresult: int) -> CardError:
    code = _code(hresult)
    if code in {_code(c) for c in _CARD_GONE}:
        return CardRemovedError(f"card gone before it could be opened: {_message(hresult)}")
    if code == _code(scard.SCARD_W_UNRESPONSIVE_CARD):
        return MuteCardError("card does not answer reset (no ATR)")
    if code == _code(scard.SCARD_E_SHARING_VIOLATION):
        return CardError("card held by another application", code="card_busy")
    if _lost(hresult):
        return CardError(f"pcscd not available: {_message(hresult)}", code="pcsc_unavailable")
    return CardError(f"cannot open the card: {_message(hresult)}")


class PcscBackend:
    name = "pcsc"

    def __init__(self) -> None:
        self._context: int | None = None
        self._pnp_state = scard.SCARD_STATE_UNAWARE

    def establish(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != scard.SCARD_S_SUCCESS:
            raise BackendUnavailable(f"pcscd not available: {_message(hresult)}")
        self._context, self._pnp_state = context, scard.SCARD_STATE_UNAWARE

    def release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def _require_context(self) -> int:
        if self._context is None:
            raise BackendUnavailable("no PC/SC context")
        return self._context

    def list_readers(self) -> list[str]:
        hresult, readers = scard.SCardListReaders(self._require_context(), [])
        code = _code(hresult)
        if code == scard.SCARD_S_SUCCESS:
            return list(readers)
        if code == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        raise BackendUnavailable(f"cannot list readers: {_message(hresult)}")

    def wait(
        self, known: Mapping[str, ReaderState], readers: list[str]
    ) -> dict[str, ReaderState] | None:
        watched = [(r, known[r].raw if r in known else scard.SCARD_STATE_UNAWARE) for r in readers]
        hresult, states = scard.SCardGetStatusChange(
            self._require_context(), scard.INFINITE, [*watched, (PNP, self._pnp_state)]
        )
        seen_at = time.perf_counter()  # the insertion event: a read is timed from here
        if hresult != scard.SCARD_S_SUCCESS:
            return self._wait_failed(hresult)
        current = {}
        for reader, event, atr in states:
            if reader == PNP:
                self._pnp_state = event & ~scard.SCARD_STATE_CHANGED
            else:
                current[reader] = _state(event, atr, seen_at)
        return current

    @staticmethod
    def _wait_failed(hresult: int) -> dict[str, ReaderState] | None:
        code = _code(hresult)
        if code in (_code(scard.SCARD_E_CANCELLED), _code(scard.SCARD_E_TIMEOUT)):
            return None
        if code == _code(scard.SCARD_E_UNKNOWN_READER):
            return {}  # a reader went between listing and waiting: list again
        raise BackendUnavailable(f"waiting for card events failed: {_message(hresult)}")

    def cancel(self) -> None:
        context = self._context
        if context is not None:
            scard.SCardCancel(context)

    def connect(self, reader: str) -> PcscSession:
        return PcscSession(self._require_context(), reader)
