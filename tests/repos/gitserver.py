"""A smart-HTTP git server for tests: `git http-backend` behind HTTP Basic auth on 127.0.0.1.

It refuses anonymous requests, so a clone that succeeds proves the credentials reached git."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


def _backend(root: Path, user: str, password: str):
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def app(environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"auth required"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": environ["PATH_INFO"],
               "QUERY_STRING": environ.get("QUERY_STRING", ""), "REQUEST_METHOD": environ["REQUEST_METHOD"],
               "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""), "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
               "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""), "PATH": "/usr/bin:/bin",
               "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "uploadpack.allowFilter", "GIT_CONFIG_VALUE_0": "true",
               "GIT_CONFIG_KEY_1": "uploadpack.allowAnySHA1InWant", "GIT_CONFIG_VALUE_1": "true"}
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        headers = [tuple(h.split(": ", 1)) for h in head.decode().split("\r\n") if ": " in h]
        status = next((v for k, v in headers if k.lower() == "status"), "200 OK")
        start_response(status, [(k, v) for k, v in headers if k.lower() != "status"])
        return [payload]

    return app



@contextmanager
def serve_git(root: Path, user: str, password: str) -> Iterator[int]:
    """Serve the bare repositories under `root` at http://127.0.0.1:<port>/<name>.git (yields the port)."""
    server = make_server("127.0.0.1", 0, _backend(root, user, password), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
