"""A stable device path for a simulator that can be unplugged and plugged back.

A real USB-serial scanner comes back under the same udev name
(/dev/serial/by-id/...). A pty gets a new /dev/pts/N each time, so a simulator
keeps a symlink at a fixed path pointing at its current pty, and removes it
while unplugged.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from drivers.serialport.pty import VirtualPort


class PluggablePort:
    """A `VirtualPort` behind an optional fixed symlink; `unplug()` and `plug()` it."""

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        self.link = Path(link) if link else None
        self.port: VirtualPort | None = None
        self.plug()

    @property
    def path(self) -> str:
        """The path a driver opens: the symlink if there is one, else the pty itself."""
        if self.link:
            return str(self.link)
        if self.port is None:
            raise RuntimeError("unplugged, and there is no fixed path")
        return self.port.path

    @property
    def plugged(self) -> bool:
        return self.port is not None

    def plug(self) -> None:
        if self.port is not None:
            return
        self.port = VirtualPort()
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.port.path)
            tmp.replace(self.link)

    def unplug(self) -> None:
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        if self.port is not None:
            self.port.close()
            self.port = None

    def close(self) -> None:
        self.unplug()
