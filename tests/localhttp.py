"""A scripted HTTP server on 127.0.0.1 for the fetch tests: each path answers from a queue of
canned responses (the last one repeats) and every request's headers are kept for inspection."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    # Answer 304 when the request's If-None-Match equals this ETag.
    etag: str | None = None


@dataclass
class Script:
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            headers = {k.lower(): v for k, v in self.headers.items()}
            script.requests.append((self.path, headers))
            queue = script.routes.get(self.path) or [Reply(404, b"<title>404 Not Found</title>")]
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
            if reply.etag and headers.get("if-none-match") == reply.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if reply.etag:
                self.send_header("ETag", reply.etag)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(script: Script) -> Iterator[str]:
    """Serve ``script`` on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
