"""The models `chatcli models pull NAME` knows, where each comes from, and where it lands.

Each entry is one GGUF file of a repository that exists under the same name on Hugging Face
and on ModelScope. Sizes and SHA-256 digests were looked up, not measured here (this machine
reaches neither site): where no digest was found the entry says so (`sha256=None`), and the
download is checked against the size and, when the server sends one, Hugging Face's LFS
digest (`X-Linked-Etag`). `CHATCLI_CATALOGUE` names a JSON file of further entries
(`{"NAME": {"repo": …, "file": …, "size": …, "sha256": …}}`): your own mirror's files.

Standard library only, so `chatcli models list` and the offline start pay nothing for it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from chatcli.config.paths import data_dir, read_regular
from chatcli.errors import ChatcliError
from chatcli.i18n import os_reason, t

SOURCES = ("modelscope", "huggingface")
HF_ENDPOINT = "https://huggingface.co"
MODELSCOPE_ENDPOINT = "https://modelscope.cn"
PART_SUFFIX = ".part"
BUNDLED = "bundled"  # the name of the model inside the `local` extra
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Entry:
    """One pullable file: `repo` is `owner/name` on both sites, `size` in bytes."""

    name: str
    repo: str
    file: str
    size: int
    sha256: str | None
    note: str = ""


# Sources of the values, for whoever updates them:
# - qwen2.5-0.5b: the size of Qwen's q4_k_m file (491,400,032 bytes, "468 MB" in the
#   listings that quote it); no published SHA-256 was found: verified by size and LFS ETag.
# - qwen2.5-1.5b: size and SHA-256 of Qwen's q8_0 file as recorded by a project that
#   benchmarks it (its q4_k_m file had no digest anywhere we looked).
# - qwen3-0.6b: Qwen's own GGUF repository has the Q8_0 file only; its size and SHA-256 as
#   two independent projects record them.
CATALOGUE: dict[str, Entry] = {
    entry.name: entry
    for entry in (
        Entry(
            "qwen2.5-0.5b",
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
            "qwen2.5-0.5b-instruct-q4_k_m.gguf",
            491_400_032,
            None,
        ),
        Entry(
            "qwen2.5-1.5b",
            "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
            "qwen2.5-1.5b-instruct-q8_0.gguf",
            1_894_532_128,
            "d7efb072e7724d25048a4fda0a3e10b04bdef5d06b1403a1c93bd9f1240a63c8",
        ),
        Entry(
            "qwen3-0.6b",
            "Qwen/Qwen3-0.6B-GGUF",
            "Qwen3-0.6B-Q8_0.gguf",
            639_446_688,
            "9465e63a22add5354d9bb4b99e90117043c7124007664907259bd16d043bb031",
        ),
    )
}


class CatalogueError(ChatcliError):
    """An unknown name, or a CHATCLI_CATALOGUE file that cannot be used."""


def entries() -> dict[str, Entry]:
    """The built-in entries and those of CHATCLI_CATALOGUE (which win on a shared name)."""
    extra = os.environ.get("CHATCLI_CATALOGUE")
    if not extra:
        return dict(CATALOGUE)
    path = Path(extra).expanduser()
    try:
        table = json.loads(read_regular(path))
        found = {
            name: Entry(
                name,
                str(v["repo"]),
                Path(str(v["file"])).name,
                int(v["size"]),
                str(v["sha256"]).lower() if v.get("sha256") else None,
            )
            for name, v in table.items()
        }
    except OSError as exc:
        raise CatalogueError(t("models_catalogue_bad", path=path, reason=os_reason(exc))) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        reason = t("models_catalogue_shape", detail=exc)
        raise CatalogueError(t("models_catalogue_bad", path=path, reason=reason)) from None
    return {**CATALOGUE, **found}


def find(name: str) -> Entry:
    known = entries()
    if name not in known:
        raise CatalogueError(t("models_unknown", name=name, known=", ".join(known)))
    return known[name]


def default_source(language: str) -> str:
    """ModelScope for Chinese users (reachable in mainland China), else Hugging Face."""
    return "modelscope" if language == "zh" else "huggingface"


def url(entry: Entry, source: str, endpoint: str | None = None) -> str:
    """The file's download address; `endpoint` (or HF_ENDPOINT, MODELSCOPE_ENDPOINT) replaces
    the site, e.g. a mirror such as https://hf-mirror.com."""
    if source == "modelscope":
        base = endpoint or os.environ.get("MODELSCOPE_ENDPOINT") or MODELSCOPE_ENDPOINT
        return f"{base.rstrip('/')}/models/{entry.repo}/resolve/master/{entry.file}"
    base = endpoint or os.environ.get("HF_ENDPOINT") or HF_ENDPOINT
    return f"{base.rstrip('/')}/{entry.repo}/resolve/main/{entry.file}"


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def models_dir() -> Path:
    """Where pulled models live: `models/` in chatcli's data directory, private."""
    path = data_dir() / "models"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@dataclass(frozen=True)
class Installed:
    name: str
    path: Path
    size: int
    mtime: float


def installed() -> list[Installed]:
    """The pulled models, newest first; a file no entry names is listed by its stem."""
    by_file = {entry.file: entry.name for entry in entries().values()}
    found = []
    for path in models_dir().glob("*.gguf"):
        info = path.lstat()
        if path.is_symlink() or not path.is_file():
            continue
        found.append(
            Installed(by_file.get(path.name, path.stem), path, info.st_size, info.st_mtime)
        )
    return sorted(found, key=lambda m: m.mtime, reverse=True)


def resolve(local_model: Path | None) -> Path | None:
    """The model the offline mode serves: `local_model` as a path, or as the name of a pulled
    model; unset, the most recently pulled one; None means the bundled model (also asked
    for by name: `bundled`)."""
    name = None if local_model is None else str(local_model)
    if name == BUNDLED:
        return None
    models = installed()
    if local_model is None:
        return models[0].path if models else None
    for model in models:
        if model.name == name:
            return model.path
    if name in entries():
        raise CatalogueError(t("models_not_pulled", name=name))
    return local_model
