"""Where a terminal keeps the secret it got at enrollment.

A JSON file readable by its owner only (0600, like an SSH key): written atomically,
and refused when its permissions let anyone else read it. The secret never appears
in logs, reprs or error messages.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "terminal_secret.json"


class SecretStoreError(Exception):
    """The secret file cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class TerminalCredentials:
    terminal_id: str
    secret: bytes = field(repr=False)
    hospital_id: str = ""
    enrolled_at: str = ""
    demo: bool = False  # the public demo secret, not an enrolled one


class SecretStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def in_dir(cls, data_dir: str | os.PathLike[str]) -> SecretStore:
        return cls(Path(data_dir) / FILE_NAME)

    def save(self, terminal_id: str, secret: bytes, hospital_id: str = "") -> None:
        payload = {
            "terminal_id": terminal_id,
            "hospital_id": hospital_id,
            "secret_b64": base64.b64encode(secret).decode("ascii"),
            "enrolled_at": datetime.now(UTC).isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".secret-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(payload, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("terminal secret for %s saved to %s", terminal_id, self.path)

    def load(self) -> TerminalCredentials | None:
        """The stored credentials, or None when the terminal has not been enrolled."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretStoreError(
                f"{self.path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
                f"run `chmod 600 {self.path}` or enroll again"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return TerminalCredentials(
                terminal_id=data["terminal_id"],
                secret=base64.b64decode(data["secret_b64"], validate=True),
                hospital_id=data.get("hospital_id", ""),
                enrolled_at=data.get("enrolled_at", ""),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SecretStoreError(
                f"{self.path} is damaged ({type(exc).__name__}); enroll the terminal again"
            ) from exc

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


def credentials_for(terminal_id: str, data_dir: str | os.PathLike[str]) -> TerminalCredentials:
    """The terminal's enrolled credentials; for the demo terminal, the public demo secret.

    Raises SecretStoreError when a real terminal has not been enrolled yet.
    """
    stored = SecretStore.in_dir(data_dir).load()
    if stored is not None:
        if stored.terminal_id != terminal_id:
            raise SecretStoreError(
                f"the stored secret belongs to terminal {stored.terminal_id}, not {terminal_id}; "
                "enroll this terminal again"
            )
        return stored
    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID

    if terminal_id == DEMO_TERMINAL_ID:
        log.warning("terminal %s uses the public demo secret", terminal_id)
        return TerminalCredentials(terminal_id, DEMO_SECRET, demo=True)
    raise SecretStoreError(
        f"terminal {terminal_id} is not enrolled: run `kiosk enroll --url URL --code CODE`"
    )
