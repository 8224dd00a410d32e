"""Whether a file is a secret: by its name, or by what it holds.

A folder walk or a glob leaves out what this finds (and lists it with the reason); a file
named on its own is read only after the user says yes. Names catch the usual homes of
credentials; content catches them anywhere else: private-key blocks, the token formats of the
big providers (each recognisable by its prefix), credentials inside URLs, and values that look
random assigned to a name like token, secret or password.

Hand-written rather than detect-secrets: on the 2,000-file tree of bench/attach.py it scans
in milliseconds where detect-secrets takes seconds (bench/results.md), and staging is
interactive. What it cannot see: a secret with no known prefix, no telling name and little
randomness (`password = "summer2024"` passes).
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter

NAMES = (
    ".env",
    ".env.*",
    "*.env",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "credentials*",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".yarnrc*",
    ".htpasswd",
    "secrets.*",
    "*.secrets",
    "*_secrets.*",
)
# What a match is called in the line that lists it (never the value itself), the literal
# texts one of which it must contain (a file without any is not searched: staging stays fast),
# and the pattern.
_TOKENS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("private key", ("PRIVATE KEY",), r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("OpenAI-style key", ("sk-",), r"(?<![\w-])sk-(?=[\w-]*\d)[\w-]{20,}"),
    (
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})",
    ),
    ("AWS key", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("Slack token", ("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("GitLab token", ("glpat-",), r"\bglpat-[\w-]{20,}"),
    ("npm token", ("npm_",), r"\bnpm_[A-Za-z0-9]{36}"),
    ("PyPI token", ("pypi-AgE",), r"\bpypi-AgE[\w-]{40,}"),
    ("Google API key", ("AIza",), r"\bAIza[\w-]{35}"),
    ("password in a URL", ("://",), r"://[^\s/:@'\"]+:[^\s/@'\"]{3,}@[\w.-]+"),
)
_KNOWN = tuple((kind, hints, re.compile(pattern)) for kind, hints, pattern in _TOKENS)
_NAMES = (
    "token",
    "secret",
    "passw",
    "pwd",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "private-key",
    "privatekey",
    "credential",
    "authorization",
)
_ASSIGNED = re.compile(
    r"(?i)(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credential|authorization)[\w.-]*['\"]?\s*[:=]\s*['\"]?([^\s'\",;]{12,})"
)
_NOT_A_VALUE = re.compile(r"[()\[\]{}$<>%]")  # a call, an index, ${VAR}, <placeholder>
ENTROPY = 3.0  # bits per character from which an assigned value looks random


def named(name: str) -> bool:
    """Whether a file's name says it holds credentials."""
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in NAMES)


def found(text: str) -> str | None:
    """What kind of secret the text holds (the first kind that matches), or None."""
    for kind, hints, pattern in _KNOWN:
        if any(hint in text for hint in hints) and pattern.search(text):
            return kind
    lowered = text.lower()
    if any(name in lowered for name in _NAMES):
        for assigned in _ASSIGNED.finditer(text):
            if _random(assigned.group(1)):
                return "password or token"
    return None


def _random(value: str) -> bool:
    """A literal that looks generated: letters and digits mixed, and high entropy."""
    letters = any(char.isalpha() for char in value)
    digits = any(char.isdigit() for char in value)
    if _NOT_A_VALUE.search(value) or not (letters and digits):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= ENTROPY
