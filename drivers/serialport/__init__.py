"""Shared serial-port plumbing for the serial devices (scanner, cash acceptor).

`pty` gives real pseudo-terminals for simulators and tests; `worker` is the
hardware thread every serial driver runs on: it opens the port, recovers after
an unplug, and runs calls from other threads on the hardware thread.
"""

from drivers.serialport.pty import VirtualPort, open_pty_pair
from drivers.serialport.worker import PortGone, SerialWorker

__all__ = ["PortGone", "SerialWorker", "VirtualPort", "open_pty_pair"]
