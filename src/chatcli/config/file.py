"""The TOML config file: where it lives, reading it with errors that name file and line, and
the commented starter that `--init-config` writes.

Stdlib, platformdirs and i18n only, so `--config-path` and `--init-config` stay cheap.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from chatcli.config import paths
from chatcli.i18n import os_reason, t

CONFIG_ENV = "CHATCLI_CONFIG"


class ConfigError(Exception):
    """A configuration mistake, already worded for the user (exit code 2)."""


def config_path() -> Path:
    """The config file: $CHATCLI_CONFIG, else config.toml in the user config directory."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("chatcli", appauthor=False)) / "config.toml"


def check_path(path: Path) -> None:
    """Only a regular file is a config file (a FIFO or a device would be read forever); a
    missing one is a mistake only when named by $CHATCLI_CONFIG (the default place may
    simply have none)."""
    try:
        paths.check_regular(path)
    except IsADirectoryError:
        raise ConfigError(t("cfg_is_dir", path=path)) from None
    except OSError as exc:
        raise ConfigError(t("cfg_unreadable", path=path, reason=os_reason(exc))) from None
    if os.environ.get(CONFIG_ENV) and not path.exists():
        raise ConfigError(t("cfg_missing", path=path, var=CONFIG_ENV))


def read_config(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed file and its text (for line numbers in later messages)."""
    try:
        data = paths.read_regular(path)
    except OSError as exc:
        raise ConfigError(t("cfg_unreadable", path=path, reason=os_reason(exc))) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(t("cfg_not_utf8", where=f"{path}:{line}")) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        line, what = _decode_error_position(exc, text)
        raise ConfigError(f"{path}:{line}: {what}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise ConfigError(t("cfg_too_deep", path=path)) from None


def _decode_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """Line and message of a TOML error; Python 3.14 has `lineno`, 3.11 only the message."""
    message = str(getattr(exc, "msg", None) or exc)
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno, _lower_first(message)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        what = message[: match.start()]
        return int(match.group(1)), f"{_lower_first(what)} (column {match.group(2)})"
    what = re.sub(r"\s*\(at end of document\)$", "", message)
    return text.count("\n") + 1, f"{_lower_first(what)} (at the end of the file)"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")


def line_of(text: str, key: str, table: str = "") -> int | None:
    """The line where `key` is assigned inside `[table]` ("" for the top level), for messages."""
    current = ""
    assignment = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            current = re.sub(r"[\"'\s]", "", header.group(1))
            if current == table and not key:
                return number
        elif current == table and key and assignment.match(line):
            return number
    return None


def where(path: Path, text: str, key: str, table: str = "") -> str:
    """`path:line` for a key in the file (just `path` if the line cannot be found)."""
    line = line_of(text, key, table)
    return f"{path}:{line}" if line else str(path)


def init_config(path: Path) -> None:
    """Write the starter file, readable by its owner only; never overwrite an existing one."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(t("cfg_unwritable", path=path, reason=os_reason(exc))) from None
    try:
        paths.write_private(path, t("cfg_starter"), exclusive=True)
    except FileExistsError:
        raise ConfigError(t("cfg_exists", path=path)) from None
    except OSError as exc:
        raise ConfigError(t("cfg_unwritable", path=path, reason=os_reason(exc))) from None
