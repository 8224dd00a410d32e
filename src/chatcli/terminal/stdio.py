"""The standard streams as they are: closed descriptors, full disks, any locale.

Imported before anything else runs, so it loads nothing but the standard library.
"""

from __future__ import annotations

import codecs
import errno
import os
import sys
from typing import IO, Any, TextIO

FALLBACK = "chatcli-fallback"

# chatcli's own symbols, for an output encoding that cannot show them (LANG=C, GBK, …).
_ASCII = {
    **dict.fromkeys("─━—–·", "-"),
    **dict.fromkeys("“”", '"'),
    **dict.fromkeys("‘’", "'"),
    "⏹": "[x]",
    "⏎": "\\n",
    "…": "...",
    "•": "*",
    "⚠": "!",
    "→": "->",
    "│": "|",
}


def _fallback(error: UnicodeError) -> tuple[str, int]:
    """What cannot be encoded becomes ASCII, never an exception: control pictures become
    caret notation (␛ → ^[), known symbols their ASCII look-alike, anything else `?`."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if 0x2400 <= code < 0x2420:
            out.append("^" + chr(code - 0x2400 + 0x40))
        elif code == 0x2421:
            out.append("^?")
        else:
            out.append(_ASCII.get(char, "?"))
    return "".join(out), error.end


codecs.register_error(FALLBACK, _fallback)


class OutputFailed(Exception):
    """Writing to stdout failed for good (a full disk, an I/O error): one line, exit 1."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))


class Guarded:
    """A text stream whose write errors become OutputFailed; a closed pipe stays
    BrokenPipeError, which ends chatcli quietly (`chatcli … | head`)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, data: str) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def stdout() -> TextIO:
    """sys.stdout, guarded."""
    return Guarded(sys.stdout)  # type: ignore[return-value]


def guard() -> bool:
    """Descriptors 0-2 that are closed get /dev/null, so no file chatcli opens later takes
    their place (the database written to as if it were stdout), and stdout and stderr never
    raise on a character the locale cannot encode. Returns False when stdout was closed."""
    had_stdout = _open(sys.stdout)
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if not _open(getattr(sys, name)):
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=FALLBACK)
    return had_stdout


def _open(stream: IO[str] | None) -> bool:
    if stream is None:
        return False
    try:
        os.fstat(stream.fileno())
    except OSError as exc:
        return exc.errno != errno.EBADF
    except ValueError:  # not backed by a descriptor (tests): it is there
        return True
    return True


def discard_stdout() -> None:
    """Point stdout at /dev/null, so the final flush at exit does not fail a second time."""
    if sys.stdout is not None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
