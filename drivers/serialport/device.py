"""The common part of every device on a serial port: one SerialWorker thread that
opens the port, runs the driver's step and recovers after an unplug."""

from __future__ import annotations

from abc import abstractmethod

import serial

from drivers.device import Device, DeviceState, DeviceStatus
from drivers.serialport.worker import SerialWorker


class SerialDevice(Device):
    """A `Device` on a serial port. Subclasses say what one step of work is."""

    kind = "serial device"  # operator wording: "no scanner fitted"

    def __init__(self, name: str, port: str, baud: int) -> None:
        super().__init__(name)
        self.port = port
        self.baud = baud
        self._worker: SerialWorker | None = None

    def open(self) -> None:
        if not self.port:
            self._set_status(DeviceStatus(DeviceState.NO_DEVICE, f"no {self.kind} fitted"))
            return
        if self._worker is None:
            self._worker = SerialWorker(
                self.name,
                self.port,
                self.baud,
                step=self._step,
                on_open=self._on_open,
                on_lost=self._on_lost,
            )
        self._worker.start()

    def close(self) -> None:
        if self._worker:
            self._worker.stop()
            self._worker = None
        self._set_status(DeviceStatus(DeviceState.OFFLINE, "closed"))

    @abstractmethod
    def _step(self, port: serial.Serial) -> None:
        """One unit of work on the hardware thread; raise PortGone when the port died."""

    @abstractmethod
    def _on_open(self, port: serial.Serial) -> None:
        """The port was (re)opened."""

    @abstractmethod
    def _on_lost(self, reason: str, present: bool) -> None:
        """The port stopped working; `present` tells whether the device node is still there."""
