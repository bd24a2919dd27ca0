"""Receipt printers on ESC/POS: the device, its document model and a virtual printer.

`Printer` (printer.py) is the device; `Document` (document.py) what it prints;
`Renderer` (render.py) lays documents out; `VirtualPrinter` (virtual.py) is the
simulator that speaks the same bytes over TCP. See README.md in this folder.
"""

from drivers.printer.document import Document, DocumentError
from drivers.printer.printer import Printer, PrinterOptions, PrintReport, Readiness

__all__ = ["Document", "DocumentError", "PrintReport", "Printer", "PrinterOptions", "Readiness"]
