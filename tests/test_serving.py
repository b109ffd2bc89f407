"""The two servers of the portal do not announce themselves: `make run`'s werkzeug server
(run.http_server) and gunicorn with deploy/gunicorn.conf.py answer without a Server header."""
import http.client
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("database")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> http.client.HTTPResponse:
    """One GET to 127.0.0.1:port; the response with its body read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def raw_exchange(port: int, request: bytes) -> bytes:
    """The server's whole answer to raw request bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def make_run_server(app):
    """run.http_server on a free port, serving in a thread."""
    server = run.http_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_make_run_server_names_neither_itself_nor_python(make_run_server):
    response = get(make_run_server, "/login")
    assert response.status == 200
    assert response.getheader("Server") is None
    assert response.getheader("Content-Security-Policy", "").startswith("default-src 'self'")
    # the server's own answer to a request it refuses to read (101 headers)
    answer = raw_exchange(make_run_server, b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n")
    assert answer.split(b"\r\n")[0].endswith(b" 431 Too many headers")
    assert b"\r\nserver:" not in answer.lower() and b"werkzeug" not in answer.lower()


@pytest.fixture
def gunicorn_port(tmp_path):
    """gunicorn with the deployment's settings, one worker, on a fresh SQLite database."""
    port = free_port()
    env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1",
               INSTANCE_DIR=str(tmp_path / "instance"), SECRET_KEY="serving-test",
               DATABASE_URL=f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}")
    env.pop("REDIS_URL", None)
    with open(tmp_path / "gunicorn.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "run:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_listening(port, process, tmp_path / "gunicorn.log")
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_until_listening(port: int, process, log_path, timeout: float = 30):
    """Return once the server accepts connections; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the server did not start listening"
            time.sleep(0.1)


def test_gunicorn_with_the_deployment_settings_does_not_name_itself(gunicorn_port):
    response = get(gunicorn_port, "/static/portal.css")
    assert response.status == 200
    assert response.getheader("Server") is None
    assert response.getheader("Date")  # gunicorn's other headers stay
    assert response.getheader("Content-Security-Policy", "").startswith("default-src 'self'")
