"""`--providers` and `--show-config`: what chatcli would use, and why, without the keys."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr
from rich.cells import cell_len

from chatcli.config.file import config_path
from chatcli.config.providers import DEFAULT_PROVIDER, Provider, known_names, resolve
from chatcli.config.settings import OPENAI_URL, Origin, Settings, dotenv_variables, find_variable
from chatcli.i18n import t
from chatcli.terminal.sink import clean, mask_secret

SHOWN_FIRST = ("provider", "base_url", "api_key", "model", "max_tokens_field")
NOT_SHOWN = {"providers", "mcp"}  # tables that may hold keys


def show_config(settings: Settings, out: TextIO) -> None:
    path = config_path()
    state = "" if path.is_file() else t("config_file_absent")
    out.write(clean(t("config_file_line", path=path) + state) + "\n\n")
    fields = [
        *SHOWN_FIRST,
        *(f for f in Settings.model_fields if f not in SHOWN_FIRST and f not in NOT_SHOWN),
    ]
    rows = [
        [field, _value(getattr(settings, field)), _origin(settings.origin(field))]
        for field in fields
    ]
    if settings.provider is None:
        rows[0][1] = DEFAULT_PROVIDER
    out.write(_columns(rows))
    _show_servers(settings, out)


def _show_servers(settings: Settings, out: TextIO) -> None:
    """The MCP servers configured (config file, then --mcp-config): name, what runs, and
    the tools approved in advance; never their env or headers (they may hold keys)."""
    from chatcli.tools.config import McpConfigError, read_mcp_json

    servers = dict(settings.mcp.servers)
    try:
        if settings.mcp_config is not None:
            servers.update(read_mcp_json(settings.mcp_config))
    except McpConfigError as exc:
        out.write("\n" + clean(t("mcp_config_bad", detail=exc)) + "\n")
    if not servers:
        return
    rows = [t("mcp_servers_head").split("|")]
    for name, server in servers.items():
        what = server.url or shlex.join([server.command or "", *server.args])
        label = name + (t("mcp_server_disabled") if server.disabled else "")
        rows.append([label, what, ", ".join(server.auto_approve) or "-"])
    out.write("\n" + _columns(rows))


def list_providers(settings: Settings, out: TextIO) -> None:
    current = settings.provider or DEFAULT_PROVIDER
    dotenv = dotenv_variables()
    rows = [t("providers_head").split("|")]
    for name in known_names(settings.providers):
        provider = resolve(name, settings.providers)
        label = name
        if name == current:
            label += t("provider_current")
        if name in settings.providers:
            label += t("provider_from_config")
        rows.append(
            [
                label,
                _url(provider),
                provider.model or "-",
                provider.api_key_env or "-",
                _key_status(provider, dotenv),
            ]
        )
    out.write(_columns(rows))


def _url(provider: Provider) -> str:
    if provider.local:
        return "llama.cpp (--local)"
    url = provider.base_url or OPENAI_URL
    return f"{url} (${provider.base_url_env})" if provider.base_url_env else url


def _key_status(provider: Provider, dotenv: Any) -> str:
    if provider.api_key is not None:
        return t("key_found", where=t("origin_config", where=config_path()))
    if not provider.needs_key:
        return t("key_not_needed")
    found = find_variable(provider.api_key_env, dotenv)
    return t("key_found", where=_origin(found[1])) if found else t("key_absent")


def _value(value: Any) -> str:
    if value is None:
        return t("not_set")
    if isinstance(value, SecretStr):
        return mask_secret(value.get_secret_value())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _origin(origin: Origin) -> str:
    return t(f"origin_{origin.kind}", where=origin.where)


def _columns(rows: list[list[str]]) -> str:
    """Rows padded to aligned columns, measuring wide (CJK) characters as two cells; every
    cell cleaned by the sink (values come from files and the environment)."""
    rows = [[clean(cell) for cell in row] for row in rows]
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - cell_len(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
