"""What `chatcli sessions` and `chatcli models` share: exit statuses, and a parser whose
mistakes are one line through the sink (argparse's words in the interface's language)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from chatcli.i18n import argparse_in_language
from chatcli.terminal import sink

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sink.line(f"{self.prog}: {message}")
        self.exit(EXIT_USAGE)


def parser(prog: str, description: str) -> tuple[Parser, argparse._SubParsersAction[Parser]]:
    """The parser of `prog` and its subcommands' adder."""
    argparse_in_language()
    top = Parser(prog=prog, description=description)
    return top, top.add_subparsers(dest="action", parser_class=Parser)
