"""Does the platform's ledger agree with the outbox? Shared by the crash and sync tests.

Reads the simulator's SQLite file directly (read-only): the platform's own record
of orders and money movements, not what its API chooses to say.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

from offline_store import OfflineStore, State


def platform_orders(sim_db: Path, terminal_id: str) -> dict[str, dict]:
    """client_ref → {order_id, status, amount_fen, patient_id, top_ups} for one terminal."""
    conn = sqlite3.connect(f"file:{sim_db}?mode=ro", uri=True, timeout=30)
    try:
        orders = {
            row[0]: {"order_id": row[1], "status": row[2], **_order_fields(row[3])}
            for row in conn.execute(
                "SELECT client_ref, order_id, status, data FROM orders WHERE terminal_id = ?",
                (terminal_id,),
            )
        }
        moves = Counter(
            json.loads(row[0]).get("order_id")
            for row in conn.execute("SELECT data FROM transactions")
        )
    finally:
        conn.close()
    for order in orders.values():
        order["movements"] = moves.get(order["order_id"], 0)
    return orders


def _order_fields(data: str) -> dict:
    order = json.loads(data)
    return {"amount_fen": order["amount_fen"], "patient_id": order["patient_id"]}


def disagreements(store: OfflineStore, sim_db: Path, terminal_id: str) -> list[str]:
    """Everything that breaks "confirmed exactly once or visibly rejected; none lost"."""
    orders = platform_orders(sim_db, terminal_id)
    rows = {
        ref: (State(state), amount)
        for ref, state, amount in store.conn.execute(
            "SELECT client_ref, state, amount_fen FROM outbox WHERE type != 'check_in'"
        )
    }
    problems = [
        f"{ref}: applied on the platform, unknown to the outbox"
        for ref in orders.keys() - rows.keys()
    ]
    for ref, (state, amount) in rows.items():
        order = orders.get(ref)
        if order and order["movements"] > 1:
            problems.append(f"{ref}: money moved {order['movements']} times")
        if state == State.CONFIRMED:
            if order is None or order["status"] != "fulfilled":
                problems.append(f"{ref}: confirmed locally, platform has {order}")
            elif order["amount_fen"] != amount or order["movements"] != 1:
                problems.append(f"{ref}: confirmed, platform amount/movements {order}")
        elif state in (State.REJECTED, State.NEEDS_ATTENTION) and _fulfilled(order):
            problems.append(f"{ref}: rejected locally but fulfilled on the platform")
    return problems


def _fulfilled(order: dict | None) -> bool:
    return order is not None and order["status"] == "fulfilled"
