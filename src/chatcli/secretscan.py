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
# What a match is called in the line that lists it (never the value itself).
_TOKENS: tuple[tuple[str, str], ...] = (
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("OpenAI-style key", r"(?<![\w-])sk-(?=[\w-]*\d)[\w-]{20,}"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})"),
    ("AWS key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("GitLab token", r"\bglpat-[\w-]{20,}"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}"),
    ("PyPI token", r"\bpypi-AgE[\w-]{40,}"),
    ("Google API key", r"\bAIza[\w-]{35}"),
    ("password in a URL", r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]{3,}@[\w.-]+"),
)
_KNOWN = re.compile("|".join(f"(?P<t{i}>{pattern})" for i, (_, pattern) in enumerate(_TOKENS)))
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
    """What kind of secret the text holds (the first one seen), or None."""
    match = _KNOWN.search(text)
    if match is not None and match.lastgroup is not None:
        return _TOKENS[int(match.lastgroup[1:])][0]
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
