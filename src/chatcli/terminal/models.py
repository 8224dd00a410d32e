"""`chatcli models …`: pull, list and remove the offline models, on the terminal.

The download itself is `chatcli.local.download` (no terminal in it); this module draws its
progress bar (bytes, rate, time left) on stderr through the sink's console, and turns each
outcome into one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rich.filesize import decimal

from chatcli.i18n import language, t
from chatcli.local import catalogue
from chatcli.local.download import DownloadError, Pulled, fetch, part_path
from chatcli.terminal import sink, subcommand
from chatcli.terminal.subcommand import EXIT_FAILED, EXIT_OK, EXIT_USAGE

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p, sub = subcommand.parser("chatcli models", t("models_description"))
    sub.add_parser("list", help=t("models_help_list"))
    pull = sub.add_parser("pull", help=t("models_help_pull"))
    pull.add_argument("name", help=t("models_help_name"))
    pull.add_argument("--source", choices=catalogue.SOURCES, help=t("models_help_source"))
    pull.add_argument("--endpoint", metavar="URL", help=t("models_help_endpoint"))
    remove = sub.add_parser("remove", help=t("models_help_remove"))
    remove.add_argument("name", help=t("models_help_name"))
    remove.add_argument("-y", "--yes", action="store_true", help=t("sessions_help_yes"))
    return p


def main(argv: list[str]) -> int:
    """`chatcli models …`: 0, 1 when a download fails, 2 for a usage mistake, 130 on Ctrl-C."""
    args = _parser().parse_args(argv)
    try:
        return _ACTIONS[args.action or "list"](args)
    except catalogue.CatalogueError as exc:
        sink.err(str(exc))
        return EXIT_USAGE


def _pull(args: argparse.Namespace) -> int:
    entry = catalogue.find(args.name)
    final = catalogue.models_dir() / entry.file
    if final.is_file() and not final.is_symlink():
        sink.line(t("models_already", name=entry.name, path=final))
        return EXIT_OK
    source = args.source or catalogue.default_source(language())
    url = catalogue.url(entry, source, args.endpoint)
    sink.line(
        t("models_pulling", name=entry.name, size=decimal(entry.size), source=source, url=url)
    )
    part = part_path(final)
    try:
        pulled = _with_bar(entry, lambda progress: fetch(entry, url, final, progress))
    except KeyboardInterrupt:
        kept = part.stat().st_size if part.is_file() else 0
        sink.err(t("models_interrupted", done=decimal(kept), path=part, name=entry.name))
        return EXIT_INTERRUPTED
    except DownloadError as exc:
        if exc.kept:
            sink.err(t("models_resume_hint", reason=exc, done=decimal(exc.kept), name=entry.name))
        else:
            sink.err(str(exc))
        return EXIT_FAILED
    how = t(f"models_by_{pulled.verified_by}")
    sink.line(t("models_pulled", name=entry.name, path=pulled.path, how=how))
    if catalogue.resolve(None) == pulled.path:
        sink.line(t("models_default_now", name=entry.name))
    return EXIT_OK


def _with_bar(
    entry: catalogue.Entry, run: Callable[[Callable[[int, int], None]], Pulled]
) -> Pulled:
    """Run the download under a progress bar, drawn from the first bytes on (a download that
    fails before them leaves no empty bar) and started where a resume starts (so the rate
    counts this run's bytes only)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=sink.console(stderr=True),
    )

    def report(done: int, total: int) -> None:
        if not bar.task_ids:
            if done:
                sink.line(t("models_resuming", done=decimal(done)))
            bar.add_task(entry.name, total=total, completed=done)
            bar.start()
        bar.update(bar.task_ids[0], completed=done)

    try:
        return run(report)
    finally:
        if bar.task_ids:
            bar.stop()


def _list(args: argparse.Namespace) -> int:
    models = catalogue.installed()
    default = _default()
    out = sink.console()
    out.soft_wrap = True  # a long path wraps where the terminal wraps it, a pipe gets it whole
    if models:
        out.print(t("models_installed_title", path=catalogue.models_dir()))
        width = max(len(m.name) for m in models)
        for m in models:
            mark = "*" if m.path == default else " "
            note = _marks([t("models_default_mark")] if m.path == default else [])
            out.print(f"{mark} {m.name.ljust(width)}  {decimal(m.size):>9}  {m.path}{note}")
    else:
        sink.line(t("models_none_installed"))
    pulled = {m.name for m in models}
    known = catalogue.entries()
    width = max(len(name) for name in known)
    out.print(t("models_catalogue_title"))
    for entry in known.values():
        flags = [t("models_pulled_mark")] if entry.name in pulled else []
        if entry.sha256 is None:
            flags.append(t("models_no_sha"))
        row = f"  {entry.name.ljust(width)}  {decimal(entry.size):>9}  {entry.repo}/{entry.file}"
        out.print(row + _marks(flags))
    return EXIT_OK


def _marks(marks: list[str]) -> str:
    return t("models_marks", marks=t("models_marks_joint").join(marks)) if marks else ""


def _default() -> Path | None:
    """The file the offline mode would serve, by the settings chatcli would read."""
    from pydantic import ValidationError

    from chatcli.config.file import ConfigError
    from chatcli.config.settings import Settings

    try:
        chosen = Settings().local_model
    except (ValidationError, ConfigError, OSError, UnicodeDecodeError):
        chosen = None
    try:
        return catalogue.resolve(chosen)
    except catalogue.CatalogueError:
        return None


def _remove(args: argparse.Namespace) -> int:
    found = [m for m in catalogue.installed() if m.name == args.name]
    if not found:
        sink.err(t("models_not_installed", name=args.name))
        return EXIT_USAGE
    model = found[0]
    if not args.yes and not _confirm(t("models_remove_question", name=model.name, path=model.path)):
        return EXIT_OK if sys.stdin.isatty() else EXIT_USAGE
    model.path.unlink()
    part_path(model.path).unlink(missing_ok=True)
    sink.line(t("models_removed", name=model.name))
    return EXIT_OK


def _confirm(question: str) -> bool:
    """A yes/no on the terminal (no is the default); off a terminal, say --yes is needed."""
    if not sys.stdin.isatty():
        sink.err(t("delete_needs_yes"))
        return False
    try:
        answer = input(f"{sink.clean(question)} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in {"y", "yes", "是"}:
        return True
    sink.line(t("not_deleted"))
    return False


_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _list,
    "pull": _pull,
    "remove": _remove,
}
