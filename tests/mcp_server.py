"""A small MCP server of the tests' own (the SDK's MCPServer, formerly FastMCP), for what a
real one will not do on demand: a slow tool, one that hangs, a crash mid-call, a 1 MB
result, escape sequences and bidi controls in a result, an image, and audio and a binary
resource beside text.

`MCP_TEST_STATE` names a directory: the server writes its pid there when it starts, and
`slow-started` when the slow tool begins. `MCP_TEST_FAIL_START=1` makes it fail at start,
saying why on stderr, as a misconfigured server would; `MCP_TEST_START_DELAY=S` makes it take
S seconds first. Servers that are hard to end or to read: `MCP_TEST_CHILD=1` starts a
`sleep` of its own (its pid in `child`), `MCP_TEST_STUBBORN=1` ignores SIGTERM and lives on
after stdin's EOF, `MCP_TEST_GARBAGE=1` writes lines that are not MCP on stdout first;
`MCP_TEST_HIDE=NAME` leaves that tool out (one a client remembered, gone).
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mcp.server import MCPServer
from mcp.server.mcpserver.utilities.types import Audio, Image
from mcp.types import BlobResourceContents, EmbeddedResource

STATE = Path(os.environ.get("MCP_TEST_STATE", "."))
HOSTILE = "\x1b]0;pwned\x07\x1b[2Jtitle \u202egnp.exe\u202c end"
# The smallest PNG: one transparent pixel.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

SOUND = b"RIFF" + bytes(996)  # a kilobyte that calls itself a WAV file
BLOB = base64.b64encode(bytes(range(256)) * 8).decode()  # 2 KB of binary

server = MCPServer("own")


@server.tool()
def slow(seconds: float) -> str:
    """Sleep for a while, then say so."""
    (STATE / "slow-started").write_text("1")
    time.sleep(seconds)
    return f"slept {seconds} s"


@server.tool()
def hang() -> str:
    """Never answer."""
    time.sleep(3600)
    return "never"


@server.tool()
def crash() -> str:
    """Die in the middle of the call."""
    print("boom: the test server fell over", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
def big() -> str:
    """A megabyte of text."""
    return "x" * 1_000_000


@server.tool()
def hostile() -> str:
    """Escape sequences and bidi controls."""
    return HOSTILE


@server.tool()
def picture() -> Image:
    """An image."""
    return Image(data=PIXEL, format="png")


@server.tool(structured_output=False)
def media() -> list[object]:
    """Text, an image, a sound and a binary file, in that order."""
    blob = BlobResourceContents(
        uri="file:///data.bin", mime_type="application/octet-stream", blob=BLOB
    )
    return [
        "two things:",
        Image(data=PIXEL, format="png"),
        Audio(data=SOUND, format="wav"),
        EmbeddedResource(type="resource", resource=blob),
    ]


def main() -> None:
    (STATE / "pid").write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("MCP_TEST_START_DELAY", "0")))
    if os.environ.get("MCP_TEST_FAIL_START"):
        print("fatal: cannot open the test database", file=sys.stderr, flush=True)
        sys.exit(1)
    if os.environ.get("MCP_TEST_CHILD"):
        child = subprocess.Popen(["sleep", "1000"], stdin=subprocess.DEVNULL)
        (STATE / "child").write_text(str(child.pid))
    if os.environ.get("MCP_TEST_GARBAGE"):
        sys.stdout.write('this is not JSON\n{"jsonrpc": "2.0", "bogus": true}\n[1, 2\n')
        sys.stdout.flush()
    if os.environ.get("MCP_TEST_HIDE"):
        server.remove_tool(os.environ["MCP_TEST_HIDE"])
    stubborn = bool(os.environ.get("MCP_TEST_STUBBORN"))
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server.run()
    while stubborn:  # stdin is closed: a well-behaved server would be gone by now
        time.sleep(3600)


if __name__ == "__main__":
    main()
