"""Test-suite root. Every module in tests/harness/ is a pytest plugin of shared fixtures.

Harness modules (one per room): pcsc (pcscd + virtual cards), central (platform
simulator), printer (socket printer), serial (pseudo-terminals), qt (offscreen Qt).
"""

import os
import pkgutil
from pathlib import Path

# Qt must be told before any Qt import: tests never need a real screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_HARNESS = Path(__file__).with_name("harness")
pytest_plugins = sorted(f"tests.harness.{m.name}" for m in pkgutil.iter_modules([str(_HARNESS)]))
