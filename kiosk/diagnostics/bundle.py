"""The support archive behind `kiosk logs export`: what an engineer attaches to a ticket.

Nothing secret goes in: the config is redacted (admin PIN hash), the terminal secret
and the store key are not read, and log text is masked again for long digit runs
(card and ID numbers) in case anything slipped past the logging filter.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.logsetup import _LONG_DIGITS

LOG_DIR = "logs"
LOG_SUFFIXES = (".log", ".txt", ".jsonl")
MAX_LOG_BYTES = 20 * 2**20  # per file: the newest part is what support reads


def mask_text(text: str) -> str:
    return _LONG_DIGITS.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 8) + m.group(2), text)


def write_bundle(
    target: str | os.PathLike[str], config_path: str | None, run_diagnostics: bool = True
) -> list[str]:
    """Write the archive atomically; returns the names of its members."""
    from kiosk.diagnostics import DiagContext

    ctx = DiagContext.from_config_path(config_path)
    members: dict[str, bytes] = {}
    members["config.json"] = _json(_config_part(ctx))
    members["diagnostics.json"] = _json(_diagnostics_part(ctx, run_diagnostics))
    members["journal_summary.json"] = _json(_journal_part(ctx))
    for name, data in _log_files(ctx):
        members[f"logs/{name}"] = data
    members["manifest.json"] = _json(
        {
            "terminal_id": ctx.config.terminal.id if ctx.config else None,
            "software_version": __version__,
            "created_at": datetime.now(UTC).isoformat(),
            "members": sorted(members),
        }
    )
    _write_tar(Path(target), members)
    return sorted(members)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _config_part(ctx: Any) -> dict[str, Any]:
    from kiosk import config as c

    part: dict[str, Any] = {"file": str(ctx.config_path) if ctx.config_path else None}
    if ctx.config is not None:
        part["effective"] = c.redacted(ctx.config.model_dump(mode="json"))
    else:
        part["problems"] = [str(p) for p in ctx.config_error.problems]
    if ctx.config_path and ctx.config_path.is_file():
        try:
            part["terminal_file"] = c.redacted(c.read_toml(ctx.config_path))
        except c.ConfigError as exc:
            part["terminal_file_error"] = str(exc)
    return part


def _diagnostics_part(ctx: Any, run: bool) -> dict[str, Any]:
    from kiosk.diagnostics import ResultStore, report_json, run_checks

    results = run_checks(ctx) if run else []
    last: dict[str, Any] = {}
    if ctx.data_dir is not None:
        store = ResultStore(ctx.data_dir)
        if results:
            store.record(results)
        last = {name: r.to_dict() for name, r in store.load().items()}
        report = report_json(results, store.last_tested())
    else:
        report = report_json(results)
    return {"this_run": report, "last_result_of_each_check": last}


def _journal_part(ctx: Any) -> dict[str, Any]:
    if ctx.config is None:
        return {"skipped": "the config does not load"}
    from kiosk.offline_secret import load_store_secret, store_path
    from offline_store import OfflineStore, StoreError

    path = store_path(ctx.config)
    if not path.exists():
        return {"store": str(path), "exists": False}
    try:
        store = OfflineStore(
            path, load_store_secret(ctx.config, create=False), ref_prefix=ctx.config.terminal.id
        )
    except StoreError as exc:
        return {"store": str(path), "error": str(exc)}
    try:
        backlog = store.outbox.backlog()
        entries = store.journal.entries(limit=200)
        return {
            "store": str(path),
            "outbox_by_state": {str(k): v for k, v in store.outbox.counts().items()},
            "waiting": backlog.count,
            "waiting_total_fen": backlog.total_fen,
            "oldest_waiting": backlog.oldest_created_at,
            "journal_problems": [p.message for p in store.verify_journal()],
            # events and references only: the detail can hold patient data
            "recent_events": [
                {"seq": e.seq, "at": e.at, "event": e.event, "client_ref": e.client_ref}
                for e in entries[-50:]
            ],
        }
    finally:
        store.close()


def _log_files(ctx: Any) -> list[tuple[str, bytes]]:
    if ctx.data_dir is None or not (ctx.data_dir / LOG_DIR).is_dir():
        return []
    files = []
    for path in sorted((ctx.data_dir / LOG_DIR).rglob("*")):
        if path.is_file() and (path.suffix in LOG_SUFFIXES or ".log." in path.name):
            raw = path.read_bytes()[-MAX_LOG_BYTES:]
            text = mask_text(raw.decode("utf-8", errors="replace"))
            files.append((str(path.relative_to(ctx.data_dir / LOG_DIR)), text.encode("utf-8")))
    return files


def _write_tar(target: Path, members: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    now = time.time()
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(f"kiosk-support/{name}")
            info.size, info.mtime, info.mode = len(data), now, 0o644
            tar.addfile(info, io.BytesIO(data))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
