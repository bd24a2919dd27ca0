"""QR and barcode scanner: driver, code classification and a pty simulator."""

from drivers.scanner.codes import CodeKind, CodeRules, PaymentProvider, ScannedCode, classify
from drivers.scanner.driver import SerialScanner

__all__ = ["CodeKind", "CodeRules", "PaymentProvider", "ScannedCode", "SerialScanner", "classify"]
