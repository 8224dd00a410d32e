"""Roles for recurring work: a Markdown file whose body is the system prompt (or, with
`{{input}}`, a template each message fills) and whose optional front matter sets the model,
the provider and generation parameters.

```
---
model: deepseek-chat
temperature: 0.2
---
你是一位严谨的代码审查者……
```

Roles live in the config directory's `roles/` folder; a few built-in ones need no file. A
user's file of the same name wins. Flags still win over a role's front matter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatcli.config import paths
from chatcli.config.file import config_path
from chatcli.config.settings import INPUT, GenerationParams, describe_validation_error
from chatcli.i18n import os_reason, t

MAX_ROLE = 256 * 1024
STARTUP_FIELDS = ("model", "provider")  # chosen when chatcli starts: `--role` only
FIELDS = (*STARTUP_FIELDS, *GenerationParams.model_fields)

BUILTIN: dict[str, str] = {
    "中英互译": (
        "---\ntemperature: 0.2\n---\n"
        "把下面的文字翻译成另一种语言：中文译成英文，英文（或其他语言）译成中文。"
        "只输出译文，保留原文的格式、代码和专有名词，不要解释。\n\n{{input}}"
    ),
    "代码审查": (
        "---\ntemperature: 0.2\n---\n"
        "你是一位严谨的资深工程师，负责代码审查。指出缺陷、安全问题、边界情况和可读性问题，"
        "按严重程度排序，每条给出位置和具体的修改建议；没有问题的地方不必夸奖。用中文回答。"
    ),
    "shell": (
        "---\ntemperature: 0\n---\n"
        "Turn the request below into exactly one POSIX shell command for Linux. Output the "
        "command and nothing else: no explanation, no code fence, no leading `$`.\n\n{{input}}"
    ),
    "润色": (
        "---\ntemperature: 0.4\n---\n"
        "润色下面的文字（中文或英文，保持原语言）：让它更通顺、准确、简洁，保留原意和语气，"
        "不要添加新内容。只输出润色后的文字。\n\n{{input}}"
    ),
}


class RoleError(Exception):
    """A role that cannot be used, in one line (naming file and line where there is one)."""


@dataclass(frozen=True)
class Role:
    name: str
    prompt: str  # the system prompt, or the template when it holds {{input}}
    settings: dict[str, Any] = field(default_factory=dict)  # the front matter
    origin: str = ""  # the file, or "" for a built-in role

    @property
    def is_template(self) -> bool:
        return INPUT in self.prompt

    @property
    def params(self) -> dict[str, Any]:
        return {k: v for k, v in self.settings.items() if k not in STARTUP_FIELDS}

    @property
    def summary(self) -> str:
        return next((line.strip() for line in self.prompt.splitlines() if line.strip()), "")

    def fill(self, message: str) -> str:
        return self.prompt.replace(INPUT, message)


def roles_dir() -> Path:
    return config_path().parent / "roles"


def parse(name: str, text: str, where: str = "") -> Role:
    """A role's text: optional `---` front matter of `key: value` lines (values read as JSON
    when they are JSON: numbers, true/false, ["lists"], "quoted"), then the prompt."""
    label = where or name
    settings: dict[str, Any] = {}
    lines = text.splitlines()
    body = text
    if lines and lines[0].strip() == "---":
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        except StopIteration:
            raise RoleError(t("role_unclosed", where=label)) from None
        for number, line in enumerate(lines[1:end], start=2):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, colon, raw = line.partition(":")
            key = key.strip()
            if not colon or key not in FIELDS:
                raise RoleError(t("role_bad_key", where=f"{label}:{number}", name=key or line))
            settings[key] = _value(raw.strip())
        body = "\n".join(lines[end + 1 :])
    role = Role(name, body.strip(), settings, where)
    try:
        GenerationParams.model_validate(role.params)
    except ValidationError as exc:
        problem = describe_validation_error(exc, set(), as_setting=True)
        raise RoleError(f"{label}: {problem}") from None
    for key in STARTUP_FIELDS:
        if key in settings and not (isinstance(settings[key], str) and settings[key]):
            raise RoleError(t("role_bad_value", where=label, name=key))
    if not role.prompt:
        raise RoleError(t("role_empty", where=label))
    return role


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def find(name: str) -> Role:
    path = roles_dir() / f"{name}.md"
    if "/" not in name and path.is_file():
        try:
            data = paths.read_regular(path)
        except OSError as exc:
            raise RoleError(f"{path}: {os_reason(exc)}") from None
        if len(data) > MAX_ROLE:
            raise RoleError(t("role_too_big", where=path))
        try:
            return parse(name, data.decode("utf-8-sig"), str(path))
        except UnicodeDecodeError:
            raise RoleError(t("role_not_utf8", where=path)) from None
    if name in BUILTIN:
        return parse(name, BUILTIN[name])
    raise RoleError(t("role_unknown", name=name, known=", ".join(sorted(names()))))


def names() -> set[str]:
    folder = roles_dir()
    mine = {p.stem for p in folder.glob("*.md")} if folder.is_dir() else set()
    return mine | set(BUILTIN)


def listing() -> list[tuple[str, str, str]]:
    """(name, where it comes from, first line) for every role, user files first."""
    rows = []
    for name in sorted(names(), key=lambda n: (n in BUILTIN, n)):
        try:
            role = find(name)
        except RoleError as exc:
            rows.append((name, "!", str(exc)))
            continue
        rows.append((name, t("role_builtin") if not role.origin else role.origin, role.summary))
    return rows


def init_role(name: str) -> Path:
    """A starter role file to edit, readable by its owner only; never overwrites."""
    if not name or "/" in name or name.startswith("."):
        raise RoleError(t("role_bad_name", name=name))
    folder = roles_dir()
    path = folder / f"{name}.md"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths.write_private(path, t("role_starter"), exclusive=True)
    except FileExistsError:
        raise RoleError(t("role_exists", path=path)) from None
    except OSError as exc:
        raise RoleError(f"{path}: {os_reason(exc)}") from None
    return path
