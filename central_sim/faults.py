"""The fault switches of the demo panel and the tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    down: bool = False  # /v1 connections are dropped: the platform looks unreachable
    latency_ms: int = 0  # every /v1 reply is held back this long, after the request is applied
    error_rate: float = 0.0  # this share of /v1 requests get a 503 before anything is applied
    garbled: bool = False  # /v1 replies are applied, then sent back as broken JSON
    payment_never_completes: bool = False  # QR payments stay pending until they expire
    place_taken_after_payment: bool = False  # booking fails after payment: money is returned
    qr_pays_after_s: float = 1.0  # the simulated phone pays a QR order this long after it
    qr_expires_after_s: float = 300.0  # an unpaid QR code expires this long after the order

    def update(self, **changes: Any) -> None:
        """Change some switches; an unknown name or a value out of range changes nothing."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault switch(es): {', '.join(sorted(unknown))}")
        new = Faults(**{**asdict(self), **changes})
        for f in fields(self):
            value = getattr(new, f.name)
            if f.type in ("bool", bool) and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false")
            if f.type in ("int", "float") and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ValueError(f"{f.name} must be a number")
        if not 0.0 <= new.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if min(new.latency_ms, new.qr_pays_after_s, new.qr_expires_after_s) < 0:
            raise ValueError("latency_ms and the qr_* times must not be negative")
        for f in fields(self):
            setattr(self, f.name, getattr(new, f.name))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Traffic:
    """What reached the simulator: lets tests count a client's attempts."""

    v1_requests: int = 0
