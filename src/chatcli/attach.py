"""Context for the next message: files, folders, globs and URLs, read now and sent with it.

Staging sends nothing. What is staged is read at once (so its cost is known before anything
goes), fenced under its path, and a directory walk or a glob leaves out what a repository
would not share: ignored files (`.gitignore`, read with pathspec), binaries, lock files,
secrets by name or content (secretscan.py), symlinks and files over the size cap, listing what
it left out. A `/run` command runs in a process group that ends with chatcli (procgroup.py).
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatcli import procgroup, secretscan
from chatcli.config.paths import read_regular
from chatcli.conversation.bot import ChatBot, Content, estimate_text
from chatcli.i18n import os_reason, t
from chatcli.images import MAX_BYTES as MAX_IMAGE
from chatcli.images import image_url
from chatcli.store.records import AttachmentRecord

MAX_FILE = 512 * 1024  # one text file in a directory walk
MAX_NAMED = 5 * 1024 * 1024  # one file named on its own, or one URL
MAX_WALK = 5000  # files looked at in one directory walk
VCS_DIRS = {".git", ".hg", ".svn"}
LOCK_FILES = {
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
    "go.sum",
    "Pipfile.lock",
}
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
DOCUMENTS = {".pdf", ".docx", ".xlsx", ".pptx", ".html", ".htm"}
LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".jsx": "jsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".swift": "swift",
    ".sh": "bash",
    ".bash": "bash",
    ".zsh": "zsh",
    ".sql": "sql",
    ".md": "markdown",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".xml": "xml",
    ".css": "css",
    ".vue": "vue",
    ".lua": "lua",
    ".r": "r",
    ".txt": "text",
}


class AttachError(Exception):
    """One line saying why a source cannot be staged; nothing was staged."""


@dataclass(frozen=True)
class Attachment:
    source: str  # as the user named it
    label: str  # as the cost line names it: `src/`, `*.py`, `notes.md`, a URL
    text: str = ""  # what the model reads (fenced), "" for an image
    image: str | None = None  # a data URL (or the image's URL)
    files: int = 1
    size: int = 0  # bytes read
    skipped: tuple[str, ...] = ()  # `name (reason)` for what a walk left out

    @property
    def tokens(self) -> int:
        return estimate_text(self.text) + (765 if self.image else 0)

    @property
    def digest(self) -> str:
        return hashlib.sha256((self.text or self.image or "").encode()).hexdigest()

    @property
    def record(self) -> AttachmentRecord:
        """What the store keeps of it beside the message that carried its text."""
        return AttachmentRecord(
            source=self.label,
            files=self.files,
            size=self.size,
            sha256=self.digest,
            chars=len(self.text),
        )


def decode(data: bytes) -> str | None:
    """The text of a file in UTF-8 (with or without BOM), UTF-16 with BOM or GB18030; None
    for a binary or anything else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in data[:8192]:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def fence(name: str, text: str, language: str | None = None) -> str:
    """The file under its name, in a fence longer than any backtick run inside it (or in its
    name); the language is the extension's unless given. The name is one line that cannot open
    a fence of its own (`header`)."""
    longest = max((len(run) for run in re.findall("`+", text + name)), default=0)
    marks = "`" * max(3, longest + 1)
    if language is None:
        language = LANGUAGES.get(Path(name).suffix.lower(), "")
    return f"{header(name)}\n{marks}{language}\n{text.rstrip()}\n{marks}"


def header(name: str) -> str:
    """A name as one line: line breaks and other control characters written as escapes, and
    `./` before a name that starts like a fence."""
    line = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in name
    )
    return "./" + line if line.startswith(("`", "~")) else line


def load(
    source: str,
    *,
    confirm: Callable[[str], bool],
    timeout: float = 30.0,
    cwd: Path | None = None,
) -> Attachment:
    """One source read now: a URL, a file, a directory or a glob. A secret named on its own
    is read only when `confirm` says yes."""
    if source.startswith(("http://", "https://")):
        return from_url(source, timeout)
    base = cwd or Path.cwd()
    path = Path(source).expanduser()
    full = path if path.is_absolute() else base / path
    if any(char in source for char in "*?[") and not full.exists():
        return from_glob(source, base)
    try:
        mode = full.stat().st_mode
    except OSError as exc:
        raise AttachError(f"{source}: {os_reason(exc)}") from None
    if stat.S_ISDIR(mode):
        return from_directory(source, full)
    named = secretscan.named(full.name)
    if named and not confirm(t("attach_secret_confirm", name=source)):
        raise AttachError(t("attach_secret_declined", name=source))
    return from_file(source, full, confirm=None if named else confirm)


def from_file(source: str, path: Path, confirm: Callable[[str], bool] | None = None) -> Attachment:
    """One file named on its own; with `confirm`, a text holding a secret is read only when
    it says yes (without, the user has said yes already)."""
    suffix = path.suffix.lower()
    if suffix in IMAGES:
        try:
            return Attachment(source, source, image=image_url(str(path)), size=MAX_IMAGE)
        except ValueError as exc:
            raise AttachError(str(exc)) from None
    try:
        size = path.stat().st_size
        if size > MAX_NAMED:
            raise AttachError(
                t("attach_too_big", name=source, mb=size / 1e6, cap=MAX_NAMED // 10**6)
            )
        data = read_regular(path)
    except OSError as exc:
        raise AttachError(f"{source}: {os_reason(exc)}") from None
    if suffix in {".html", ".htm"}:
        page = html_text(decode(data) or data.decode("utf-8", errors="replace"))
        return Attachment(source, source, fence(source, page), size=size)
    if suffix in DOCUMENTS:
        return Attachment(source, source, fence(source, document_text(path, source)), size=size)
    text = decode(data)
    if text is None:
        raise AttachError(t("attach_binary", name=source))
    kind = secretscan.found(text) if confirm is not None else None
    question = t("attach_secret_content_confirm", name=source, kind=kind)
    if kind is not None and confirm is not None and not confirm(question):
        raise AttachError(t("attach_secret_declined", name=source))
    return Attachment(source, source, fence(source, text), size=size)


def document_text(path: Path, source: str) -> str:
    """PDF, Word, Excel, PowerPoint and HTML as Markdown, through markitdown (extra `docs`)."""
    try:
        from markitdown import MarkItDown
    except ImportError:
        raise AttachError(t("attach_needs_docs", name=source)) from None
    try:
        return str(MarkItDown().convert(str(path)).text_content)
    except Exception as exc:  # a broken document: one line, whatever the converter raised
        raise AttachError(f"{source}: {type(exc).__name__}: {exc}".splitlines()[0]) from None


@dataclass
class _Walk:
    root: Path
    prefix: str = ""  # how the user named the root, before each name shown
    texts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored: int = 0
    size: int = 0

    def attachment(self, source: str, label: str) -> Attachment:
        """What the walk read, as one staged item."""
        return Attachment(
            source,
            label,
            "\n\n".join(self.texts),
            files=len(self.texts),
            size=self.size,
            skipped=tuple(self.skipped),
        )

    def visit(self, path: Path) -> None:
        name = self.prefix + path.relative_to(self.root).as_posix()
        reason = _left_out(path)
        if reason is None:
            try:
                data = read_regular(path)
            except OSError as exc:
                reason = os_reason(exc)
            else:
                reason = self.take(name, data)
        if reason is not None:
            self.skipped.append(f"{name} ({reason})")

    def nothing(self, line: str) -> str:
        """Why nothing was staged, with what was left out and why."""
        left_out = skipped_line(self.attachment("", ""))
        return f"{line}; {left_out}" if left_out else line

    def take(self, name: str, data: bytes) -> str | None:
        """The file's text fenced under its name, or why it stays out: binary, or holding
        a secret (secretscan.py)."""
        text = decode(data)
        if text is None:
            return t("attach_reason_binary")
        kind = secretscan.found(text)
        if kind is not None:
            return t("attach_reason_secret_in", kind=kind)
        self.texts.append(fence(name, text))
        self.size += len(data)
        return None


def _left_out(path: Path) -> str | None:
    """Why a file found by a walk stays out, or None."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return t("attach_reason_symlink")
    if not stat.S_ISREG(info.st_mode):
        return t("attach_reason_special")
    if path.name in LOCK_FILES or path.suffix == ".lock":
        return t("attach_reason_lock")
    if secretscan.named(path.name):
        return t("attach_reason_secret")
    if path.suffix.lower() in IMAGES:
        return t("attach_reason_binary")
    if info.st_size > MAX_FILE:
        return t("attach_reason_big", kb=MAX_FILE // 1024)
    return None


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, ignored) for every file under root in a stable order, honouring each
    directory's .gitignore for what is below it; ignored directories are not entered."""
    import pathspec

    specs: list[tuple[Path, Any]] = []

    def ignored(path: Path, is_dir: bool) -> bool:
        for base, spec in specs:
            if base in path.parents:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
        return False

    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        specs = [(b, s) for b, s in specs if b == here or b in here.parents]
        gitignore = here / ".gitignore"
        if gitignore.is_file():
            lines = (decode(gitignore.read_bytes()) or "").splitlines()
            specs.append((here, pathspec.GitIgnoreSpec.from_lines(lines)))
        dirs[:] = sorted(
            d for d in dirs if d not in VCS_DIRS and not ignored(here / d, is_dir=True)
        )
        linked = [d for d in dirs if (here / d).is_symlink()]  # listed, never entered
        for name in sorted([*files, *linked]):
            yield here / name, ignored(here / name, is_dir=False)


def from_directory(source: str, root: Path) -> Attachment:
    walk = _Walk(root, "" if source in {".", "./"} else source.rstrip("/") + "/")
    for seen, (path, ignored) in enumerate(_walk(root)):
        if seen >= MAX_WALK:
            raise AttachError(t("attach_too_many", name=source, n=MAX_WALK))
        if ignored:
            walk.ignored += 1
        else:
            walk.visit(path)
    if not walk.texts:
        raise AttachError(walk.nothing(t("attach_empty_dir", name=source)))
    return walk.attachment(source, source.rstrip("/") + "/")


def from_glob(pattern: str, base: Path) -> Attachment:
    # pathlib's `**` does not follow symlinked folders, so a link loop cannot run away.
    anchor = Path(Path(pattern).anchor) if Path(pattern).is_absolute() else base
    relative = Path(pattern).relative_to(anchor).as_posix() if anchor != base else pattern
    files = sorted(p for p in anchor.glob(relative) if p.is_file())
    if not files:
        raise AttachError(t("attach_no_match", pattern=pattern))
    walk = _Walk(anchor)
    for path in files[:MAX_WALK]:
        walk.visit(path)
    if not walk.texts:
        raise AttachError(walk.nothing(t("attach_no_match", pattern=pattern)))
    return walk.attachment(pattern, pattern)


def from_url(url: str, timeout: float) -> Attachment:
    """The page's text (HTML reduced to what a reader sees), fetched with redirects and a
    size cap, all of it within `timeout` (not each read: a page that trickles is cut off)."""
    import httpx2 as httpx

    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(follow_redirects=True, timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise AttachError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_NAMED:
                    raise AttachError(t("attach_url_too_big", url=url, cap=MAX_NAMED // 10**6))
                if time.monotonic() > deadline:
                    raise AttachError(t("attach_url_timeout", url=url, s=timeout))
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            charset = response.charset_encoding
            final = str(response.url)
    except httpx.TimeoutException:
        raise AttachError(t("attach_url_timeout", url=url, s=timeout)) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise AttachError(f"{url}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    label = landed(url, final)
    text = _url_text(url, data, kind, charset)
    return Attachment(url, label, fence(url if label == url else final, text), size=len(data))


def landed(url: str, final: str) -> str:
    """The URL as the staging line names it: with where it ended up when a redirect took it
    to another scheme, host or port."""
    from urllib.parse import urlsplit

    asked, got = urlsplit(url), urlsplit(final)
    if (asked.scheme, asked.hostname, asked.port) == (got.scheme, got.hostname, got.port):
        return url
    return f"{url} → {final}"


def _url_text(url: str, data: bytes, kind: str, charset: str | None) -> str:
    if kind in {"text/html", "application/xhtml+xml"}:
        return html_text(data.decode(charset or "utf-8", errors="replace"))
    if kind.startswith("text/") or kind in {"application/json", "application/xml", ""}:
        text = data.decode(charset, errors="replace") if charset else decode(data)
        if text is not None:
            return text
    suffix = {"application/pdf": ".pdf"}.get(kind)
    if suffix is None:
        raise AttachError(t("attach_url_kind", url=url, kind=kind or "?"))
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(data)
        file.flush()
        return document_text(Path(file.name), url)


def html_text(html: str) -> str:
    """A page as Markdown (markitdown, when the `docs` extra is there) or as plain text; only
    what a reader sees (`visible_html`)."""
    html = visible_html(html)
    try:
        from markitdown import MarkItDown, StreamInfo
    except ImportError:
        return _plain_html(html)
    import io

    result = MarkItDown().convert_stream(
        io.BytesIO(html.encode()), stream_info=StreamInfo(extension=".html", charset="utf-8")
    )
    return str(result.text_content)


_HIDDEN_STYLE = re.compile(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def visible_html(html: str) -> str:
    """The page without the elements a reader never sees: `hidden`, aria-hidden="true",
    display:none or visibility:hidden in their own style (text planted there for a model
    does not reach it). Styles from style sheets are not read."""
    from html.parser import HTMLParser

    class Visible(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)
            self.parts: list[str] = []
            self.hiding: str | None = None  # the tag that opened the hidden element
            self.depth = 0  # how many of that tag are open inside it

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.hiding is not None:
                self.depth += tag == self.hiding
                return
            found = dict(attrs)
            hidden = (
                "hidden" in found
                or (found.get("aria-hidden") or "").strip().lower() == "true"
                or bool(_HIDDEN_STYLE.search(found.get("style") or ""))
            )
            if hidden and tag not in _VOID:
                self.hiding, self.depth = tag, 1
            elif not hidden:
                self.parts.append(self.get_starttag_text() or "")

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.hiding is None:
                self.parts.append(self.get_starttag_text() or "")

        def handle_endtag(self, tag: str) -> None:
            if self.hiding is None:
                self.parts.append(f"</{tag}>")
            elif tag == self.hiding:
                self.depth -= 1
                if self.depth == 0:
                    self.hiding = None

        def unknown_decl(self, data: str) -> None:
            self.keep(f"<![{data}]>")

        def handle_data(self, data: str) -> None:
            self.keep(data)

        def handle_entityref(self, name: str) -> None:
            self.keep(f"&{name};")

        def handle_charref(self, name: str) -> None:
            self.keep(f"&#{name};")

        def handle_decl(self, decl: str) -> None:
            self.keep(f"<!{decl}>")

        def keep(self, text: str) -> None:
            if self.hiding is None:
                self.parts.append(text)

    parser = Visible()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _plain_html(html: str) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.hidden += tag in {"script", "style", "noscript", "template"}
            if tag in {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"}:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in {"script", "style", "noscript", "template"} and self.hidden > 0

        def handle_data(self, data: str) -> None:
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-_])")
CLIPBOARDS = (
    ("wl-paste", "--no-newline"),
    ("xclip", "-selection", "clipboard", "-out"),
    ("xsel", "--clipboard", "--output"),
    ("pbpaste",),
)


def run_command(command: str, cwd: Path | None = None) -> tuple[Attachment, int, bool]:
    """A shell command's output (stdout and stderr as they came), its exit status, and
    whether it left processes running in the background (they end when chatcli does).

    The command gets no terminal: its own process group, stdin empty (procgroup.py). So
    Ctrl-C reaches chatcli only, as KeyboardInterrupt, which ends the whole group here and
    goes on to the caller; output over the cap ends it too and stages nothing, as a file
    over it would."""
    process = procgroup.start(command, cwd)
    try:
        data = procgroup.read_until_done(process, MAX_NAMED)
        status = process.wait() if data is not None else None
    except BaseException:
        procgroup.end(process)
        raise
    if data is None or status is None:
        procgroup.end(process)
        raise AttachError(t("run_too_big", cap=MAX_NAMED // 10**6))
    left = procgroup.leave_running(process)
    text = _ESCAPES.sub("", decode(data) or data.decode("utf-8", errors="replace"))
    body = fence(f"$ {command}", text or "(no output)", language="")
    note = f"[exit status {status}]" if status >= 0 else f"[killed by signal {-status}]"
    item = Attachment(f"$ {command}", f"$ {command}", f"{body}\n{note}", size=len(data))
    return item, status, left


def from_clipboard(timeout: float = 10.0) -> Attachment:
    """The clipboard's text, from the first terminal clipboard program here that answers."""
    found = [program for program in CLIPBOARDS if shutil.which(program[0])]
    if not found:
        raise AttachError(t("paste_no_clipboard", programs=", ".join(p[0] for p in CLIPBOARDS)))
    problem = ""
    for program in found:
        try:
            result = subprocess.run(
                program, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            problem = f"{program[0]}: {exc}"
            continue
        if result.returncode == 0:
            return _pasted(result.stdout)
        said = result.stderr.decode(errors="replace").strip().splitlines()
        problem = f"{program[0]}: " + (said[0] if said else f"exit status {result.returncode}")
    raise AttachError(t("paste_failed", reason=problem))


def _pasted(data: bytes) -> Attachment:
    if len(data) > MAX_NAMED:
        raise AttachError(t("paste_too_big", mb=len(data) / 1e6, cap=MAX_NAMED // 10**6))
    text = decode(data)
    if text is None:
        raise AttachError(t("paste_not_text"))
    if not text.strip():
        raise AttachError(t("paste_empty"))
    label = t("paste_label")
    return Attachment(label, label, fence("clipboard", text, language=""), size=len(data))


SKIPPED_SHOWN = 8  # names of left-out files shown; the rest are counted


def describe(item: Attachment, scale: float = 1.0) -> str:
    """`src/ (14 files, ≈8,200 tokens)`; `scale`: the bot's token scale, so an item's size
    is counted as the context budget counts it (ChatBot.estimate)."""
    tokens = math.ceil(item.tokens * scale)
    if item.files > 1 or item.label.endswith("/"):
        return t("attach_files_item", label=item.label, n=item.files, tokens=tokens)
    return t("attach_item", label=item.label, tokens=tokens)


def skipped_line(item: Attachment) -> str | None:
    if not item.skipped:
        return None
    shown = ", ".join(item.skipped[:SKIPPED_SHOWN])
    more = len(item.skipped) - SKIPPED_SHOWN
    return t("attach_skipped", names=shown) + (t("attach_more", n=more) if more > 0 else "")


def check(bot: ChatBot, stage: Stage, message: str) -> tuple[Content, str]:
    """The message with the staged context and the cost line to show before it goes.
    AttachError when even with every earlier turn left out it would not fit the context."""
    content = stage.compose(message)
    new = {"role": "user", "content": content}
    plan = bot.plan(new)
    budget, window = bot.prompt_budget, bot.context_window
    if plan.tokens > budget:  # the same numbers as the cost line, and what makes them too many
        largest = sorted(stage.items, key=lambda item: item.tokens, reverse=True)[:3]
        raise AttachError(
            t(
                "attach_over_budget",
                used=plan.tokens,
                window=window,
                reserve=window - budget,
                over=plan.tokens - budget,
                largest=", ".join(describe(item, bot.token_scale) for item in largest),
            )
        )
    items = " · ".join("+ " + describe(item, bot.token_scale) for item in stage.items)
    return content, t("attach_cost", items=items, used=plan.tokens, window=window)


def stage_sources(
    stage: Stage,
    sources: list[str],
    *,
    confirm: Callable[[str], bool],
    timeout: float,
    say: Callable[[str], None],
    fail: Callable[[str], None],
    scale: float = 1.0,
) -> None:
    """Each source read and staged, or refused in one line; the others still go in."""
    for source in sources:
        try:
            item = load(source, confirm=confirm, timeout=timeout)
        except AttachError as exc:
            fail(str(exc))
            continue
        stage.items.append(item)
        say("+ " + describe(item, scale))
        left_out = skipped_line(item)
        if left_out:
            say("  " + left_out)


class Stage:
    """What goes with the next message."""

    def __init__(self) -> None:
        self.items: list[Attachment] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def tokens(self) -> int:
        return sum(item.tokens for item in self.items)

    def records(self) -> tuple[AttachmentRecord, ...]:
        return tuple(item.record for item in self.items)

    def drop(self, number: int | None) -> list[Attachment]:
        """The N-th item (1-based), or all of them; what was dropped."""
        if number is None:
            dropped, self.items = self.items, []
            return dropped
        return [self.items.pop(number - 1)]

    def compose(self, message: str) -> Content:
        """The message as sent: every staged text before it, images as image parts."""
        texts = [item.text for item in self.items if item.text]
        text = "\n\n".join([*texts, message]) if texts else message
        images = [item.image for item in self.items if item.image]
        if not images:
            return text
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
        return parts
