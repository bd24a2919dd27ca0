"""The config schema: every key's bad values are refused with the key, the value and what is
allowed; bad files never raise anything but ConfigError; saves are atomic."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as c
from kiosk.config import ConfigError, load_config, try_load_config


def _leaf_fields() -> list[tuple[str, dict[str, Any]]]:
    """Every leaf key of the schema with its JSON-schema description."""
    schema = c.json_schema()
    defs = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return defs[node["$ref"].split("/")[-1]]
        if "allOf" in node:
            return resolve(node["allOf"][0])
        return node

    leaves = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node.get("properties", {}).items():
            target = resolve(prop)
            if target.get("type") == "object" and "properties" in target:
                walk(target, f"{prefix}{name}.")
            else:
                leaves.append((f"{prefix}{name}", {**target, **prop}))

    walk(schema, "")
    return leaves


LEAVES = _leaf_fields()


def _override(dotted: str, value: Any) -> dict[str, Any]:
    *parents, leaf = dotted.split(".")
    data: dict[str, Any] = {leaf: value}
    for part in reversed(parents):
        data = {part: data}
    return data


def _wrong_type(spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind in ("integer", "number"):
        return "not-a-number"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        return 5
    return 12345  # a string field given a number (pydantic does not turn it into text)


def test_defaults_load():
    config = load_config()
    assert config.terminal.id == "DEMO-0001"
    assert config.services.offered == c.ALL_SERVICES
    assert config.admin.pin_hash == ""


def test_schema_json_is_current():
    assert c.SCHEMA_FILE.read_text(encoding="utf-8") == c.schema_text(), (
        "config/schema.json is stale: run `kiosk config schema --write`"
    )


def test_every_leaf_key_is_covered():
    keys = {k for k, _ in LEAVES}
    assert {
        "ui.idle_timeout_s",
        "devices.scanner.baud",
        "admin.pin_hash",
        "central.ca_bundle",
    } <= keys
    assert len(keys) >= 35


@pytest.mark.parametrize(("key", "spec"), LEAVES, ids=[k for k, _ in LEAVES])
def test_wrong_type_names_key_value_and_allowed(key: str, spec: dict[str, Any]):
    bad = _wrong_type(spec)
    with pytest.raises(ConfigError) as err:
        load_config(overrides=_override(key, bad))
    message = str(err.value)
    assert key in message
    if key not in c.SECRET_KEYS:
        assert repr(bad) in message
    problem = next(p for p in err.value.problems if p.key.startswith(key))
    assert problem.allowed.startswith("input should") or "valid" in problem.allowed


def _out_of_range(spec: dict[str, Any]) -> list[Any]:
    values = []
    if "minimum" in spec:
        values.append(spec["minimum"] - 1)
    if "exclusiveMinimum" in spec:
        values.append(spec["exclusiveMinimum"])
    if "maximum" in spec:
        values.append(spec["maximum"] + 1)
    if "enum" in spec:
        values.append("no-such-choice" if spec.get("type") == "string" else 7)
    if "maxLength" in spec:
        values.append("x" * (spec["maxLength"] + 1))
    if spec.get("type") == "array" and "enum" in spec.get("items", {}):
        values.append(["no-such-choice"])
    return values


RANGED = [(k, v) for k, spec in LEAVES for v in _out_of_range(spec)]


@pytest.mark.parametrize(("key", "bad"), RANGED, ids=[f"{k}={v!r}"[:60] for k, v in RANGED])
def test_out_of_range_names_key_value_and_limit(key: str, bad: Any):
    with pytest.raises(ConfigError) as err:
        load_config(overrides=_override(key, bad))
    problem = next(p for p in err.value.problems if p.key.startswith(key))
    # a bad list item is reported at its index (services.offered.0 = 'no-such-choice')
    assert problem.value == (repr(bad[0]) if isinstance(bad, list) else repr(bad))
    assert any(word in problem.allowed for word in ("greater", "less", "should be", "at most"))


def test_range_message_states_the_limit():
    with pytest.raises(ConfigError, match=r"ui\.idle_timeout_s = 5: .*greater than or equal to 10"):
        load_config(overrides={"ui": {"idle_timeout_s": 5}})


def test_choice_message_lists_the_choices():
    with pytest.raises(ConfigError, match=r"ui\.language = 'fr': input should be 'zh' or 'en'"):
        load_config(overrides={"ui": {"language": "fr"}})


SECTIONS = [
    "",
    "terminal",
    "central",
    "devices",
    "devices.printer",
    "services",
    "offline",
    "ui",
    "receipt",
    "admin",
    "diagnostics",
    "paths",
]


@pytest.mark.parametrize("section", SECTIONS)
def test_unknown_key_lists_the_allowed_keys(section: str):
    key = f"{section}.colour" if section else "colour"
    with pytest.raises(ConfigError) as err:
        load_config(overrides=_override(key, "blue"))
    (problem,) = err.value.problems
    assert problem.key == key
    assert problem.value == "'blue'"
    assert "unknown key; allowed keys in" in problem.allowed
    if section == "ui":
        assert "idle_timeout_s" in problem.allowed


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_config(overrides={"ui": {"idle_timeout_s": 1, "langauge": "en"}, "receipt": {"x": 1}})
    assert {p.key for p in err.value.problems} == {"ui.idle_timeout_s", "ui.langauge", "receipt.x"}


def test_cross_field_rules():
    with pytest.raises(ConfigError, match=r"idle_warning_s .* must be less than idle_timeout_s"):
        load_config(overrides={"ui": {"idle_timeout_s": 10, "idle_warning_s": 10}})
    with pytest.raises(ConfigError, match=r"max_single_fen .* must not exceed max_total_fen"):
        load_config(overrides={"offline": {"max_single_fen": 10, "max_total_fen": 5}})


def test_pin_hash_value_is_never_echoed():
    with pytest.raises(ConfigError) as err:
        load_config(overrides={"admin": {"pin_hash": "md5$secretish"}})
    assert "secretish" not in str(err.value)
    assert "admin.pin_hash" in str(err.value)


# --- files -------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_truncated_file(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nid = "K-1"\n[ui]\nlanguage = "e', encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(path)


def test_truncated_at_a_line_still_fails_on_the_value(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nidle_timeout_s = 6", encoding="utf-8")  # 60, cut short
    with pytest.raises(ConfigError, match=r"ui\.idle_timeout_s = 6"):
        load_config(path)


@pytest.mark.parametrize(
    "content",
    [b'{"ui": {"language": "en"}}', b"\x89PNG\r\n\x1a\n\x00\x00", b"ui.language: en\n"],
    ids=["json", "binary", "yaml"],
)
def test_not_toml(tmp_path: Path, content: bytes):
    path = tmp_path / "kiosk.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=str(path.name)):
        load_config(path)


def test_directory_instead_of_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_kiosk_config_env_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "kiosk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_config().ui.language == "en"


def test_try_load_never_raises_and_keeps_the_problems(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nidle_timeout_s = 'soon'\n", encoding="utf-8")
    outcome = try_load_config(path)
    assert outcome.config is None
    assert outcome.path == path
    assert outcome.error.problems[0].key == "ui.idle_timeout_s"
    assert try_load_config(tmp_path / "gone.toml").error is not None


# --- editing and saving ------------------------------------------------------------------


def test_parse_value():
    assert c.parse_value("60") == 60
    assert c.parse_value("true") is True
    assert c.parse_value('["pay", "reprint"]') == ["pay", "reprint"]
    assert c.parse_value("tcp://10.0.0.5:9100") == "tcp://10.0.0.5:9100"


def test_set_key_refuses_unknown_and_sections():
    with pytest.raises(ConfigError, match="unknown key; allowed keys in ui"):
        c.set_key({}, "ui.colour", "red")
    with pytest.raises(ConfigError, match="is a section"):
        c.set_key({}, "devices.printer", "x")
    with pytest.raises(ConfigError, match="is a value, not a section"):
        c.set_key({}, "ui.language.zh", "x")


def test_save_keeps_previous_and_is_readable(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    c.save_terminal_file(path, {"ui": {"language": "en"}})
    c.save_terminal_file(path, {"ui": {"language": "zh", "large_text": True}})
    assert load_config(path).ui.large_text is True
    assert load_config(path.with_name("kiosk.toml.prev")).ui.language == "en"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.toml", "kiosk.toml.prev"]


def test_invalid_save_leaves_the_file_untouched(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"ui\.idle_timeout_s"):
        c.save_terminal_file(path, {"ui": {"idle_timeout_s": 99999}})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.toml"]


def test_crash_before_rename_leaves_old_file_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "kiosk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    before = path.read_bytes()

    def power_cut(*_args: object) -> None:
        raise OSError("simulated power cut before the rename")  # cannot pull power in a test

    monkeypatch.setattr(c.os, "replace", power_cut)
    with pytest.raises(OSError, match="power cut"):
        c.save_terminal_file(path, {"ui": {"language": "zh"}})
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_save_keeps_file_mode(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    os.chmod(path, 0o640)
    c.save_terminal_file(path, {"ui": {"language": "zh"}})
    assert path.stat().st_mode & 0o777 == 0o640


def test_redacted_and_diff():
    data = {"admin": {"pin_hash": "scrypt$1$2$3$abc$def"}, "ui": {"language": "en"}}
    shown = c.redacted(data)
    assert shown["admin"]["pin_hash"] == c.REDACTED
    assert data["admin"]["pin_hash"].startswith("scrypt$")  # the original is untouched
    assert c.diff({"ui": {"language": "zh"}}, data) == [
        ("admin.pin_hash", None, "scrypt$1$2$3$abc$def"),
        ("ui.language", "zh", "en"),
    ]


def test_every_pattern_is_explained_in_words():
    patterns = {spec["pattern"] for _, spec in LEAVES if "pattern" in spec}
    assert patterns and patterns <= set(c._PATTERN_WORDS), "add the pattern to _PATTERN_WORDS"
    with pytest.raises(ConfigError, match=r"devices\.printer\.url = 'lp0': empty \(no printer\)"):
        load_config(overrides={"devices": {"printer": {"url": "lp0"}}})
