"""Benchmark of the outbox: 1,000 e-mails delivered through the real huey consumer to a
local SMTP server (aiosmtpd on 127.0.0.1). Target: all delivered within 30 s.

The rows are written through the outbox API (notify.email, one transaction), queued after
commit (notify.flush), then a thread consumer — as `make run` and `huey_consumer -k thread`
run it — sends them. The run checks that every row arrived exactly once.

    python -m bench outbox
    BENCH_DATABASE_URL=postgresql://…/portal_bench python -m bench outbox
"""
from __future__ import annotations

import collections
import signal
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COUNT = 1000
WORKERS = 4
TARGET_SECONDS = 30


class Sink:
    """aiosmtpd handler counting messages by Message-ID."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = collections.Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.ids[message["Message-ID"]] += 1
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def deliver_batch(app, count: int = COUNT, workers: int = WORKERS, timeout: float = 300):
    """Write `count` e-mails, start a consumer and time until the SMTP server has them all.

    Returns (seconds, per-row latencies in ms from commit to sent, duplicates, missing)."""
    from aiosmtpd.controller import Controller

    import tasks
    from bench.common import free_port
    from domain.outbox import notify
    from models import Notification, User, db

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    saved = dict(tasks._settings)
    tasks.configure({"smtp_url": f"smtp://127.0.0.1:{port}"})
    tasks.huey.immediate = False
    tasks.huey.flush()
    consumer = None
    try:
        with app.test_request_context():
            with db.atomic():
                ids = [notify.email(f"bench{n}@example.ru", "account_confirmed",
                                    user=User(email=f"bench{n}@example.ru")).id
                       for n in range(count)]
            committed = time.perf_counter()
            notify.flush()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        consumer = tasks.huey.create_consumer(workers=workers, worker_type="thread",
                                              periodic=False, initial_delay=0.01,
                                              backoff=1.15, max_delay=0.1)
        consumer.start()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        deadline = time.monotonic() + timeout
        while sink.total() < count and time.monotonic() < deadline:
            time.sleep(0.02)
        seconds = time.perf_counter() - committed
        with db.connection_context():
            rows = list(Notification.select(Notification.id, Notification.created_at,
                                            Notification.sent_at)
                        .where(Notification.id.in_(ids)))
        unsent = sum(1 for r in rows if r.sent_at is None)
        duplicates = sum(n - 1 for n in sink.ids.values() if n > 1)
        missing = max(unsent, count - len(sink.ids))
        latencies = sorted((r.sent_at - r.created_at).total_seconds() * 1000
                           for r in rows if r.sent_at)
        return seconds, latencies, duplicates, missing
    finally:
        if consumer:
            consumer.stop(graceful=True)
        tasks.huey.flush()
        tasks._settings.clear()
        tasks._settings.update(saved)
        controller.stop()


def run(report):
    """Deliver 1,000 e-mails and report the time (and commit-to-sent latency per e-mail)."""
    from bench.common import Result, percentile
    server = report.server()
    report(f"  delivering {COUNT:,} e-mails through huey ({WORKERS} threads) to aiosmtpd …")
    seconds, latencies, duplicates, missing = deliver_batch(server.app)
    if not latencies:
        raise RuntimeError("no e-mail was delivered")
    result = Result(requests=len(latencies), concurrency=WORKERS,
                    median_ms=latencies[len(latencies) // 2], p95_ms=percentile(latencies, 0.95),
                    rps=len(latencies) / seconds)
    report.add(f"{COUNT:,} e-mails commit→SMTP (latency per e-mail; req/s = e-mails/s)", result)
    verdict = "OK" if seconds <= TARGET_SECONDS and not duplicates and not missing else "MISSED"
    report.note(f"[outbox] {COUNT:,} e-mails delivered to aiosmtpd in {seconds:.1f} s "
                f"({WORKERS} consumer threads; target ≤ {TARGET_SECONDS} s: {verdict}); "
                f"duplicates {duplicates}, missing {missing}")


if __name__ == "__main__":
    from bench.common import script_main
    script_main(run, "outbox", __doc__)
