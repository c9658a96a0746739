"""A scripted HTTP server on 127.0.0.1 for the fetch tests: each path answers from a queue of
canned responses (the last one repeats) and every request's headers are kept for inspection.

A reply can also misbehave the way hostile or broken servers do: stream a body far bigger than
anything held in memory, drip it a byte at a time, or never answer at all."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_FILLER = b"<p>" + b"Filler words of a page that never ends. " * 1600 + b"</p>\n"  # ~64 KiB


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    # Answer 304 when the request's If-None-Match equals this ETag.
    etag: str | None = None
    # After ``body``, this many bytes of generated filler (no Content-Length unless ``headers``
    # gives one): a body of any size, never held whole by the server.
    stream: int = 0
    # Seconds to wait before each byte of the body: a server that drip-feeds.
    drip: float = 0.0
    # Never answer; the connection stays open until the server stops.
    silent: bool = False


@dataclass
class Script:
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Bytes of body written for each path (what the client actually read, give or take the
    # socket buffers).
    sent: dict[str, int] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    # Asked first with each request's path (query included): a reply, or None for the routes.
    dynamic: Callable[[str], Reply | None] | None = None

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            headers = {k.lower(): v for k, v in self.headers.items()}
            script.requests.append((self.path, headers))
            queue = script.routes.get(self.path) or [Reply(404, b"<title>404 Not Found</title>")]
            made = script.dynamic(self.path) if script.dynamic else None
            reply = made or (queue.pop(0) if len(queue) > 1 else queue[0])
            if reply.silent:
                script.stopping.wait()
                return
            if reply.etag and headers.get("if-none-match") == reply.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if reply.etag:
                self.send_header("ETag", reply.etag)
            if not reply.stream and "content-length" not in {k.lower() for k in reply.headers}:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            # The client stops reading: that is what a refused body looks like from here.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._body(reply)

        def _body(self, reply: Reply) -> None:
            if reply.drip:
                for i in range(len(reply.body)):
                    if script.stopping.wait(reply.drip):
                        return
                    self.wfile.write(reply.body[i : i + 1])
                    self._count(1)
            else:
                self.wfile.write(reply.body)
                self._count(len(reply.body))
            left = reply.stream
            while left > 0 and not script.stopping.is_set():
                chunk = _FILLER[:left]
                self.wfile.write(chunk)
                self._count(len(chunk))
                left -= len(chunk)

        def _count(self, n: int) -> None:
            script.sent[self.path] = script.sent.get(self.path, 0) + n

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(script: Script) -> Iterator[str]:
    """Serve ``script`` on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    # Polled often: a test waits for the server to stop at its end.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        script.stopping.set()
        server.shutdown()
        server.server_close()
