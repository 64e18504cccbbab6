"""The clone cache never stores credentials: a real smart-HTTP git server (git http-backend behind
HTTP Basic auth, on 127.0.0.1) refuses anonymous clones, so the scan succeeding proves the
credentials reached git; grepping the whole cache proves they landed nowhere on disk."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from audit.repos.sources import GitTree, resolve_rev, sync_clone, url_credentials

USER, TOKEN = "deploy-bot", "glpat-Cl0neT0ken-n3ver-st0red"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


def _backend(root: Path):
    expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()

    def app(environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"auth required"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": environ["PATH_INFO"],
               "QUERY_STRING": environ.get("QUERY_STRING", ""), "REQUEST_METHOD": environ["REQUEST_METHOD"],
               "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""), "REMOTE_USER": USER, "REMOTE_ADDR": "127.0.0.1",
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


@pytest.fixture
def authed_remote(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "work"
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True, env=env)
    (work / "Dockerfile").write_text("FROM python:3.12\n")
    subprocess.run(["git", "-C", str(work), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init"],
                   check=True, env=env)
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "app.git")], check=True, env=env)
    server = make_server("127.0.0.1", 0, _backend(root), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{USER}:{TOKEN}@127.0.0.1:{server.server_port}/app.git"
    finally:
        server.shutdown()
        server.server_close()


def _grep(folder: Path, needle: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()] + \
        [str(p) for p in folder.rglob("*") if needle in p.name]


def test_an_authenticated_clone_keeps_no_credential_in_the_cache(authed_remote: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    anonymous = authed_remote.replace(f"{USER}:{TOKEN}@", "")
    with pytest.raises(Exception, match="git clone"):  # the server really requires the credentials
        sync_clone(anonymous, tmp_path / "anon-cache", timeout=60)
    git_dir, changed = sync_clone(authed_remote, cache, timeout=60)
    assert changed and (git_dir / "HEAD").exists()
    _, head = resolve_rev(git_dir, None)
    tree = GitTree(git_dir, head, fresh=True)
    entries = tree.entries()
    assert [e.path for e in entries] == ["Dockerfile"]
    config = (git_dir / "config").read_text()
    assert anonymous in config and TOKEN not in config and USER not in config
    # a later run fetches through the same route, and the blob fetch of a partial clone needs auth too
    git_dir2, _ = sync_clone(authed_remote, cache, timeout=60)
    assert git_dir2 == git_dir
    authed = GitTree(git_dir, head, fresh=True, auth=url_credentials(authed_remote)[1])
    authed.entries()
    assert authed.read(["Dockerfile"])["Dockerfile"] == b"FROM python:3.12\n"
    assert _grep(cache, TOKEN) == [] and _grep(cache, USER) == []
