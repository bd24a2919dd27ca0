"""Offline store checks: the outbox backlog and the journal's hash chain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from drivers.device import HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, needs_config


@contextmanager
def _store(ctx: DiagContext) -> Iterator[Any | None]:
    """The offline store, or None when it has never been created (nothing queued yet)."""
    from kiosk.offline_secret import load_store_secret, store_path
    from offline_store import OfflineStore

    path = store_path(ctx.config)
    if not path.exists():
        yield None
        return
    store = OfflineStore(
        path, load_store_secret(ctx.config, create=False), ref_prefix=ctx.config.terminal.id
    )
    try:
        yield store
    finally:
        store.close()


def _open_failed(exc: Exception) -> Verdict:
    return Verdict(
        Outcome.FAIL,
        f"the offline store does not open: {exc}",
        "do not delete it (it may hold unsent payments): export the logs "
        "(kiosk logs export) and call support",
    )


@check("outbox", "offline_store", HealthLevel.INTERNAL, "Transactions waiting to be sent")
def outbox(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    from offline_store import State, StoreError

    try:
        with _store(ctx) as store:
            if store is None:
                return Verdict(Outcome.PASS, "nothing queued (no offline store yet)")
            backlog = store.outbox.backlog()
            attention = store.outbox.counts().get(State.NEEDS_ATTENTION, 0)
    except StoreError as exc:
        return _open_failed(exc)
    age_h = backlog.oldest_age_s(datetime.now(UTC)) / 3600
    limits, diag = ctx.config.offline, ctx.config.diagnostics
    details = {
        "waiting": str(backlog.count),
        "total_fen": str(backlog.total_fen),
        "oldest_age_h": f"{age_h:.1f}",
        "needs_attention": str(attention),
    }
    summary = f"{backlog.count} waiting, oldest {age_h:.1f} h"
    if backlog.count >= limits.max_count or age_h >= limits.max_age_h:
        return Verdict(
            Outcome.FAIL,
            f"{summary}: at the offline limit",
            "the platform has not taken the queue: see the network and api checks",
            details,
        )
    if attention:
        return Verdict(
            Outcome.WARN,
            f"{summary}; {attention} need an engineer",
            "review them in the engineer screen (the platform refused or lost them)",
            details,
        )
    if backlog.count and age_h >= diag.outbox_warn_age_h:
        return Verdict(
            Outcome.WARN, f"{summary}: not being sent", "see the network and api checks", details
        )
    return Verdict(Outcome.PASS, summary, details=details)


@check("journal", "offline_store", HealthLevel.INTERNAL, "Journal intact (hash chain)")
def journal(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    from offline_store import StoreError

    try:
        with _store(ctx) as store:
            if store is None:
                return Verdict(Outcome.PASS, "no journal yet")
            problems = store.verify_journal()
            count = store.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    except StoreError as exc:
        return _open_failed(exc)
    if problems:
        shown = "; ".join(p.message for p in problems[:3])
        return Verdict(
            Outcome.FAIL,
            f"{len(problems)} journal problems: {shown}",
            "the journal was altered or damaged: keep the file, export the logs "
            "(kiosk logs export) and report it",
            {"entries": str(count)},
        )
    return Verdict(Outcome.PASS, f"{count} entries, chain intact", details={"entries": str(count)})
