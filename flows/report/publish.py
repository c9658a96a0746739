"""``pamphleteer serve --http HOST:PORT``: build/ over HTTP for a local network (e-reader apps
browse its OPDS catalogue, browsers its index).

The standard library's file server, serving only ``build/``: no listing of folders, nothing whose
path has a part starting with a dot (the build's own records), the catalogue and the feed with
their media types. For a local network, not the open Internet: put a real web server there.
"""

from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flows.model import PamphleteerError

_TYPES = {
    ".epub": "application/epub+zip",
    ".atom": "application/atom+xml",
    ".xml": "application/atom+xml;profile=opds-catalog",  # the catalogue's feeds
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
}


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **_TYPES}

    def send_head(self) -> Any:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if any(part.startswith(".") for part in path.split("/") if part):
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def list_directory(self, path: Any) -> Any:
        self.send_error(404, "Not found")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        pass


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) as a host and a port; an error saying so."""
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\d{1,5})|([^:\s\[\]]+):(\d{1,5})", text.strip())
    port = int((m[2] or m[4]) if m else 0)
    if not m or not 0 < port < 65536:
        raise PamphleteerError(f"--http {text}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return (m[1] or m[3]), port


def start(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Serve ``folder`` on ``host:port`` in a background thread; stop it with ``shutdown()``."""
    if not folder.is_dir():
        raise PamphleteerError(f"{folder}: no such folder to serve (build first)")
    server_class = type("Server", (ThreadingHTTPServer,), {"daemon_threads": True})
    if ":" in host:
        import socket

        server_class.address_family = socket.AF_INET6
    try:
        server = server_class((host, port), partial(_Handler, directory=str(folder)))
    except OSError as exc:
        raise PamphleteerError(
            f"--http {host}:{port}: cannot listen there ({exc.strerror})"
        ) from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/"
