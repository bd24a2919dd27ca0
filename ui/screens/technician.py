"""The technician's settings screen: the same settings as the terminal's config file.

The form is built from the config schema (one tab per section), so it always edits
exactly what the file holds. Device fields are pickers listing what is really
attached: PC/SC readers (pyscard), serial ports (pyserial's list_ports), USB
printers (/sys). Detection, validation, PIN hashing and the atomic save run on a
worker thread. `saved(config)` reports success; `close_requested` asks to leave.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import config as c
from ui.screens.engineer import SERVICE_STYLE, BackgroundCall, start_background

SECTION_WORDS = {
    "terminal": "终端 Terminal",
    "central": "平台 Platform",
    "devices": "设备 Devices",
    "services": "服务 Services",
    "ui": "界面 Screen",
    "offline": "离线 Offline",
    "receipt": "小票 Receipt",
    "admin": "管理 Admin",
    "diagnostics": "诊断 Diagnostics",
    "paths": "路径 Paths",
}
PICKERS = {
    "devices.card_reader.reader": "readers",
    "devices.printer.url": "printers",
    "devices.scanner.port": "serial",
    "devices.cash_acceptor.port": "serial",
}
HIDDEN = {"admin.pin_hash"}  # set through the PIN fields, never shown
ERROR_STYLE = "border: 3px solid #c53030;"


# --- what is attached (no Qt; called on a worker thread) ---------------------------------


def attached_readers() -> list[str]:
    try:
        from smartcard.System import readers

        return [str(r) for r in readers()]
    except Exception:  # pcscd not running: no readers to offer
        return []


def attached_serial_ports() -> list[str]:
    from serial.tools import list_ports

    return sorted(p.device for p in list_ports.comports())


def attached_usb_printers(
    sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev")
) -> list[str]:
    """usb://VID:PID for every USB printer-class interface, then /dev/usb/lp* nodes."""
    found = []
    for interface in sorted((sys_root / "bus/usb/devices").glob("*:*")):
        try:
            if (interface / "bInterfaceClass").read_text().strip() != "07":
                continue
            device = interface.resolve().parent
            vid = (device / "idVendor").read_text().strip()
            pid = (device / "idProduct").read_text().strip()
        except OSError:
            continue
        found.append(f"usb://{vid}:{pid}")
    found += [f"file://{p}" for p in sorted((dev_root / "usb").glob("lp*"))]
    return list(dict.fromkeys(found))


def detect_attached() -> dict[str, list[str]]:
    return {
        "readers": attached_readers(),
        "serial": attached_serial_ports(),
        "printers": attached_usb_printers(),
    }


# --- the form ------------------------------------------------------------------------------


def _schema_leaves() -> list[tuple[str, dict[str, Any]]]:
    schema = c.json_schema()
    defs = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return defs[node["$ref"].split("/")[-1]]
        return resolve(node["allOf"][0]) if "allOf" in node else node

    leaves: list[tuple[str, dict[str, Any]]] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node.get("properties", {}).items():
            target = resolve(prop)
            if "properties" in target:
                walk(target, f"{prefix}{name}.")
            elif f"{prefix}{name}" not in HIDDEN:
                leaves.append((f"{prefix}{name}", {**target, **prop}))

    walk(schema, "")
    return leaves


class _Field:
    """One config key's editor: builds the widget and reads/writes its value."""

    def __init__(self, key: str, spec: dict[str, Any]) -> None:
        self.key, self.spec = key, spec
        self.widget = self._make()

    def _make(self) -> QWidget:
        spec, kind = self.spec, self.spec.get("type")
        if self.key in PICKERS:
            box = QComboBox()
            box.setEditable(True)
            box.setObjectName(self.key)
            return box
        if "enum" in spec:
            box = QComboBox()
            for option in spec["enum"]:
                box.addItem(str(option), option)
            return box
        if kind == "boolean":
            return QCheckBox()
        if kind == "integer":
            spin = QSpinBox()
            spin.setRange(int(spec.get("minimum", 0)), int(spec.get("maximum", 10_000_000)))
            return spin
        if kind == "number":
            spin = QDoubleSpinBox()
            spin.setDecimals(1)
            low = spec.get("minimum", spec.get("exclusiveMinimum", 0))
            spin.setRange(float(low) + (0.1 if "exclusiveMinimum" in spec else 0), 3600.0)
            return spin
        if kind == "array" and "enum" in spec.get("items", {}):
            holder = QWidget()
            row = QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            self.boxes = {}
            for option in spec["items"]["enum"]:
                box = QCheckBox(option)
                self.boxes[option] = box
                row.addWidget(box)
            row.addStretch(1)
            return holder
        return QLineEdit()

    def set(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox) and w.isEditable():
            w.setCurrentText(str(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))
        else:
            for option, box in self.boxes.items():
                box.setChecked(option in value)

    def get(self) -> Any:
        w = self.widget
        if isinstance(w, QComboBox) and w.isEditable():
            return w.currentText().strip()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        if isinstance(w, QLineEdit):
            return w.text()
        return [option for option, box in self.boxes.items() if box.isChecked()]

    def offer(self, choices: list[str]) -> None:
        """Fill a picker with what is attached, keeping the current text."""
        current = self.widget.currentText()
        self.widget.clear()
        self.widget.addItems(["", *choices])
        self.widget.setCurrentText(current)

    def mark(self, problem: str) -> None:
        self.widget.setStyleSheet(ERROR_STYLE if problem else "")
        self.widget.setToolTip(problem)


class TechnicianScreen(QWidget):
    saved = Signal(object)  # the new KioskConfig, after an atomic save
    save_failed = Signal(list)  # list[ConfigProblem]
    devices_detected = Signal(dict)
    close_requested = Signal()

    def __init__(self, config_path: str | os.PathLike[str], config: c.KioskConfig) -> None:
        super().__init__()
        self.setObjectName("service")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(SERVICE_STYLE)
        self.config_path = Path(config_path)
        self.fields: dict[str, _Field] = {}
        self._calls: list[BackgroundCall] = []
        self._build()
        self.show_config(config)
        self.refresh_devices()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        title = QLabel("终端设置 Terminal settings")
        title.setProperty("role", "heading")
        self.status = QLabel(f"配置文件 Config file: {self.config_path}")
        self.status.setWordWrap(True)
        self.tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        for key, spec in _schema_leaves():
            section = key.split(".")[0]
            if section not in forms:
                page = QWidget()
                forms[section] = QFormLayout(page)
                scroll = QScrollArea()
                scroll.setWidgetResizable(True)
                scroll.setWidget(page)
                self.tabs.addTab(scroll, SECTION_WORDS.get(section, section))
            field = _Field(key, spec)
            self.fields[key] = field
            forms[section].addRow(key.split(".", 1)[1], field.widget)
        admin = forms.get("admin") or self._admin_form()
        self.pin = QLineEdit()
        self.pin_again = QLineEdit()
        for edit in (self.pin, self.pin_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText("留空则不变 blank: unchanged")
        admin.addRow("新管理密码 New admin PIN", self.pin)
        admin.addRow("再输一次 Again", self.pin_again)
        buttons = QHBoxLayout()
        self.detect_button = QPushButton("刷新设备 Refresh devices")
        self.save_button = QPushButton("保存 Save")
        self.close_button = QPushButton("关闭 Close")
        self.detect_button.clicked.connect(self.refresh_devices)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close_requested)
        buttons.addWidget(self.detect_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

    def _admin_form(self) -> QFormLayout:
        page = QWidget()
        self.tabs.addTab(page, SECTION_WORDS["admin"])
        return QFormLayout(page)

    def show_config(self, config: c.KioskConfig) -> None:
        self._shown = c.flatten(config.model_dump(mode="json"))
        for key, field in self.fields.items():
            field.set(self._shown[key])
            field.mark("")

    def changes(self) -> dict[str, Any]:
        """The keys whose value in the form differs from the config shown."""
        return {k: f.get() for k, f in self.fields.items() if f.get() != self._shown.get(k)}

    # --- devices ------------------------------------------------------------------------

    def refresh_devices(self) -> None:
        self.detect_button.setEnabled(False)
        start_background(detect_attached, self._offer_devices, self._detect_failed, self._calls)

    def _offer_devices(self, attached: dict[str, list[str]]) -> None:
        self.detect_button.setEnabled(True)
        for key, kind in PICKERS.items():
            self.fields[key].offer(attached.get(kind, []))
        self.devices_detected.emit(attached)

    def _detect_failed(self, message: str) -> None:
        self.detect_button.setEnabled(True)
        self.status.setText(f"设备检测失败 Device detection failed: {message}")

    # --- saving -------------------------------------------------------------------------

    def save(self) -> None:
        changes, pin, again = self.changes(), self.pin.text(), self.pin_again.text()
        if pin != again:
            self.status.setText("两次输入的密码不同。 The two PINs differ.")
            return
        if not changes and not pin:
            self.status.setText("没有修改。 Nothing changed.")
            return
        self.save_button.setEnabled(False)
        path = self.config_path

        def work() -> c.KioskConfig | list[c.ConfigProblem]:
            from kiosk.admin_auth import PinError, hash_pin

            try:
                data = c.read_toml(path) if path.exists() else {}
                for key, value in changes.items():
                    data = c.set_key(data, key, value)
                if pin:
                    data = c.set_key(data, "admin.pin_hash", hash_pin(pin))
                return c.save_terminal_file(path, data)
            except PinError as exc:
                return [c.ConfigProblem("admin.pin", "", str(exc))]
            except c.ConfigError as exc:
                return exc.problems

        start_background(work, self._saved, self._save_crashed, self._calls)

    def _saved(self, outcome: c.KioskConfig | list[c.ConfigProblem]) -> None:
        self.save_button.setEnabled(True)
        for field in self.fields.values():
            field.mark("")
        if isinstance(outcome, list):
            for problem in outcome:
                field = self.fields.get(problem.key)
                if field is not None:
                    field.mark(problem.allowed)
            shown = "\n".join(str(p) for p in outcome)
            self.status.setText(
                f"未保存，请修改红框中的项 Not saved, fix the marked fields:\n{shown}"
            )
            self.save_failed.emit(outcome)
            return
        self.pin.clear()
        self.pin_again.clear()
        self.show_config(outcome)
        self.status.setText(f"已保存 Saved: {self.config_path}")
        self.saved.emit(outcome)

    def _save_crashed(self, message: str) -> None:
        self.save_button.setEnabled(True)
        self.status.setText(f"未保存 Not saved: {message}")
