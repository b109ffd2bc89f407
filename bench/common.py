"""Shared benchmark machinery: the app under gunicorn, an HTTP client, timing and the report.

The server runs `bench.wsgi:app` with gunicorn (sync workers, 2 by default) on a free port
of 127.0.0.1, against a bench database: a SQLite file in a temporary folder, or the
PostgreSQL database named by BENCH_DATABASE_URL (BENCH_REDIS_URL likewise picks Redis for
the queue). This process points its own environment at the same database, so a bench module
can seed data in-process with `server.app` before it measures.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
DEFAULT_CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchError(RuntimeError):
    """A benchmark could not measure what it meant to (wrong status, server down)."""


# ---------------------------------------------------------------- HTTP client

class Client:
    """One keep-alive HTTP connection with a cookie jar (http.client re-opens the
    connection by itself when the server closes it, as gunicorn's sync workers do)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        """Send one request; returns (status, headers, body) and keeps Set-Cookie."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # a kept-alive socket the server had closed: retry once
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.will_close:
            self.conn.close()
        return response.status, dict(response.headers), data

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict) -> tuple[int, dict, bytes]:
        """POST an urlencoded form (the page's CSRF token must be among the fields)."""
        body = urlencode(fields).encode()
        return self.request("POST", path, body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf_token(self, path: str) -> str:
        """GET a page with a form and return its csrf_token (the cookie is kept)."""
        status, _, body = self.get(path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or \
            re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', body)
        if status != 200 or not match:
            raise BenchError(f"no CSRF token on {path} (status {status})")
        return match.group(1).decode()

    def submit(self, path: str, fields: dict, expect: int = 302) -> tuple[int, dict, bytes]:
        """Fill and post the form of a page as a browser would (with its CSRF token)."""
        token = self.csrf_token(path)
        status, headers, body = self.post_form(path, dict(fields, csrf_token=token))
        if status != expect:
            raise BenchError(f"POST {path}: status {status}, expected {expect}")
        return status, headers, body

    def login(self, email: str, password: str, path: str = "/login") -> "Client":
        """Log in through the login form; the session cookie stays in this client."""
        self.submit(path, {"email": email, "password": password})
        return self

    def clone(self) -> "Client":
        """Another connection carrying the same cookies (one per concurrent thread)."""
        other = Client(self.host, self.port)
        other.cookies = dict(self.cookies)
        return other

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- server

class BenchServer:
    """The app under gunicorn against the bench database; start() and stop()."""

    def __init__(self, workers: int = WORKERS, app: str = "bench.wsgi:app"):
        self.workers, self.app_spec = workers, app
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        self.process: subprocess.Popen | None = None
        self._app = None
        self.database_url = os.environ.get("BENCH_DATABASE_URL") or \
            f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self.env = dict(os.environ, INSTANCE_DIR=str(self.tmp / "instance"),
                        DATABASE_URL=self.database_url, SECRET_KEY="bench-secret-key",
                        PYTHONPATH=str(ROOT))
        self.env.pop("SMTP_URL", None)  # mail goes to the bench's outbox folder
        if os.environ.get("BENCH_REDIS_URL"):
            self.env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        else:
            self.env.pop("REDIS_URL", None)

    @property
    def label(self) -> str:
        db = "PostgreSQL" if self.database_url.startswith("postgres") else "SQLite"
        return f"gunicorn {self.workers} sync workers, {db}"

    def start(self) -> "BenchServer":
        """Create or upgrade the schema, then start gunicorn and wait until it answers."""
        # This process uses the same database, for seeding through self.app.
        for key in ("INSTANCE_DIR", "DATABASE_URL", "SECRET_KEY"):
            os.environ[key] = self.env[key]
        if "REDIS_URL" in self.env:
            os.environ["REDIS_URL"] = self.env["REDIS_URL"]
        else:
            os.environ.pop("REDIS_URL", None)
        from run import init_db
        with self.app.app_context():
            init_db()
        self.log_path = self.tmp / "gunicorn.log"
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", self.app_spec],
            cwd=str(ROOT), env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    @property
    def app(self):
        """An in-process app on the bench database (for seeding; never served)."""
        if self._app is None:
            from run import create_app
            self._app = create_app()
        return self._app

    def _wait_ready(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError("gunicorn exited:\n" + self.log_path.read_text()[-3000:])
            try:
                status, _, _ = self.client().get("/bench/bare")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError("gunicorn did not answer in time:\n" + self.log_path.read_text()[-3000:])

    def client(self) -> Client:
        """An anonymous client of this server."""
        return Client("127.0.0.1", self.port)

    def register(self, fields: dict) -> Client:
        """Register an applicant through the registration form; returns the logged-in client."""
        client = self.client()
        client.submit("/register", fields)
        return client

    def stop(self):
        """Stop gunicorn and remove the temporary folder (the SQLite database with it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- measuring

@dataclass
class Result:
    """Timings of N requests of one page."""
    requests: int
    concurrency: int
    median_ms: float
    p95_ms: float
    rps: float


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of the values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def measure(client: Client, path: str, requests: int = DEFAULT_REQUESTS,
            concurrency: int = DEFAULT_CONCURRENCY, expect: int = 200,
            warmup: int = 10, method: str = "GET") -> Result:
    """GET the path `requests` times from `concurrency` threads (each its own keep-alive
    connection with the client's cookies); every answer must have status `expect`."""
    for _ in range(warmup):
        status, _, _ = client.request(method, path)
        if status != expect:
            raise BenchError(f"{method} {path}: status {status}, expected {expect}")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_thread = [requests // concurrency + (1 if i < requests % concurrency else 0)
                  for i in range(concurrency)]

    def worker(count: int):
        own = client.clone()
        mine = []
        try:
            for _ in range(count):
                start = time.perf_counter()
                status, _, _ = own.request(method, path)
                mine.append((time.perf_counter() - start) * 1000)
                if status != expect:
                    errors.append(f"{method} {path}: status {status}, expected {expect}")
                    return
        finally:
            own.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in per_thread]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise BenchError(errors[0])
    return Result(requests=len(latencies), concurrency=concurrency,
                  median_ms=statistics.median(latencies), p95_ms=percentile(latencies, 0.95),
                  rps=len(latencies) / elapsed)


# ---------------------------------------------------------------- report

class Report:
    """Rows of results, grouped by bench, with a ratio to a baseline row; printed as a table."""

    def __init__(self, server_factory=BenchServer):
        self.rows: list[tuple[str, str, Result, str | None]] = []
        self.notes: list[str] = []
        self._server_factory = server_factory
        self._server: BenchServer | None = None
        self.group = ""

    def server(self) -> BenchServer:
        """The shared gunicorn server, started on first use."""
        if self._server is None:
            self._server = self._server_factory().start()
        return self._server

    def add(self, name: str, result: Result, baseline: str | None = None):
        """Record a row; `baseline` names an earlier row of this group for the ratio."""
        self.rows.append((self.group, name, result, baseline))
        print(f"  {name}: median {result.median_ms:.2f} ms, p95 {result.p95_ms:.2f} ms, "
              f"{result.rps:.0f} req/s", flush=True)

    def __call__(self, text: str):
        """A progress line: printed now, not kept in the saved results."""
        print(text, flush=True)

    def note(self, text: str):
        """A line printed under the table (e.g. a skipped bench or another tool's output)."""
        self.notes.append(text)

    def _find(self, group: str, name: str) -> Result | None:
        for g, n, result, _ in self.rows:
            if g == group and n == name:
                return result
        return None

    def table(self) -> str:
        """The results as a fixed-width text table."""
        header = ("bench", "page", "n", "median ms", "p95 ms", "req/s", "× bare (median)")
        lines = []
        for group, name, result, baseline in self.rows:
            base = self._find(group, baseline) if baseline else None
            ratio = f"{result.median_ms / base.median_ms:.1f}" if base else "—"
            lines.append((group, name, str(result.requests), f"{result.median_ms:.2f}",
                          f"{result.p95_ms:.2f}", f"{result.rps:.0f}", ratio))
        widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]

        def fmt(row):
            return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(row, widths)))
        out = [fmt(header), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in lines]
        return "\n".join(out)

    def text(self) -> str:
        """Everything to print and save: context, the table, the notes."""
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        head = [f"Benchmark {time.strftime('%Y-%m-%d %H:%M:%S')} "
                f"({os.cpu_count()} CPUs, load average {load}: other load skews the numbers)"]
        if self._server:
            head.append(f"Server: {self._server.label}; concurrency {DEFAULT_CONCURRENCY} "
                        f"keep-alive clients (sync workers close each connection)")
        parts = ["\n".join(head), self.table()]
        if self.notes:
            parts.append("\n".join(self.notes))
        return "\n\n".join(parts) + "\n"

    def close(self):
        """Stop the shared server."""
        if self._server:
            self._server.stop()


def script_main(run, group: str, doc: str, sized: bool = False):
    """`python bench/bench_x.py`: run one module's run(report) alone and print its table.

    sized: the module's run takes (appeals, applicants), settable from the command line."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if sized:
        parser.add_argument("--appeals", type=int, default=100_000)
        parser.add_argument("--applicants", type=int, default=20_000)
    args = parser.parse_args()
    report = Report()
    report.group = group
    try:
        run(report, args.appeals, args.applicants) if sized else run(report)
    finally:
        report.close()
    print("\n" + report.text())

