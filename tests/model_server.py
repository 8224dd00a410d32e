"""A loopback file server for `chatcli models pull`: Hugging Face's and ModelScope's URL forms,
HTTP Range, a request log, and the faults a download meets.

Any path whose last component names a served file gets that file. Faults, each for the
first request only unless said otherwise: `cut_at` (the connection ends after that many
bytes of the file, with the full length promised), `stall_at` (the body stops there until
`release()`), `digest` (the file is answered with a redirect carrying `X-Linked-Etag`, as
Hugging Face does, then served from /cdn/), `status` (every request gets that status).

    python tests/model_server.py FILE [--port N] [--cut-at BYTES] [--stall-at BYTES]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHUNK = 1 << 16
_RANGE = re.compile(r"bytes=(\d+)-$")


@dataclass
class Request:
    path: str
    range: str | None


@dataclass
class ModelServer:
    files: dict[str, Path]
    cut_at: int | None = None
    stall_at: int | None = None
    digest: str | None = None
    status: int | None = None
    log: list[Request] = field(default_factory=list)
    _released: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self, port: int = 0) -> ModelServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def release(self) -> None:
        self._released.set()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        wanted = request.headers.get("Range")
        self.log.append(Request(request.path, wanted))
        first = len(self.log) == 1
        name = request.path.rsplit("/", 1)[-1]
        if self.status is not None or name not in self.files:
            self._empty(request, self.status or 404)
            return
        if self.digest is not None and not request.path.startswith("/cdn/"):
            request.send_response(302)
            request.send_header("Location", f"/cdn/{name}")
            request.send_header("X-Linked-Etag", f'"{self.digest}"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        path = self.files[name]
        size = path.stat().st_size
        match = _RANGE.match(wanted or "")
        start = int(match.group(1)) if match else 0
        if start >= size and match:
            self._empty(request, 416)
            return
        request.send_response(206 if match else 200)
        if match:
            request.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        request.send_header("Content-Length", str(size - start))
        request.send_header("Content-Type", "application/octet-stream")
        request.end_headers()
        stop = self.cut_at if first and self.cut_at is not None else size
        stall = self.stall_at if first else None
        with path.open("rb") as file, contextlib.suppress(OSError):
            file.seek(start)
            offset = start
            while offset < stop:
                limit = stop if stall is None or offset >= stall else min(stop, stall)
                block = file.read(min(CHUNK, limit - offset))
                if block:
                    request.wfile.write(block)
                    request.wfile.flush()
                    offset += len(block)
                if offset == stall:
                    self._released.wait()
                    stall = None
        if stop < size:
            request.close_connection = True
            with contextlib.suppress(OSError):
                request.connection.shutdown(2)

    @staticmethod
    def _empty(request: BaseHTTPRequestHandler, status: int) -> None:
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--cut-at", type=int)
    parser.add_argument("--stall-at", type=int)
    args = parser.parse_args()
    server = ModelServer({args.file.name: args.file}, args.cut_at, args.stall_at)
    server.start(args.port)
    print(f"serving {args.file.name} ({os.path.getsize(args.file):,} bytes) at {server.endpoint}")
    threading.Event().wait()


if __name__ == "__main__":
    main()
