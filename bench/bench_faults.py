"""Fault run of the outbox in the scaled layout's shape: e-mails keep arriving while the
queue consumer (`huey_consumer run.huey -w 2 -k thread`, a separate process) is killed
with SIGKILL several times and the SMTP server is stopped for a while. Prints how many
e-mails were delivered, lost and doubled, and how long the backlog took to drain after the
last fault.

    python bench/bench_faults.py                      # SQLite + SqliteHuey in a temp folder
    BENCH_DATABASE_URL=postgresql://…/portal_bench BENCH_REDIS_URL=redis://127.0.0.1:6379/14 \\
        python bench/bench_faults.py
    FAULT_EVENTS=600 FAULT_KILLS=5 python bench/bench_faults.py

The guarantee it checks: at least once with a stable Message-ID per outbox row (a message
the SMTP server accepted in the very instant of a kill may come twice with the same id).
"""
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("FAULT_EVENTS", "400"))
KILLS = int(os.environ.get("FAULT_KILLS", "4"))
EVENT_SECONDS = float(os.environ.get("FAULT_EVENT_SECONDS", "40"))  # events spread over this
SMTP_DOWN_SECONDS = float(os.environ.get("FAULT_SMTP_DOWN_SECONDS", "10"))
SMTP_DELAY = float(os.environ.get("FAULT_SMTP_DELAY", "0.1"))  # seconds per message
DRAIN_TIMEOUT = 300


class Sink:
    """aiosmtpd handler counting messages by Message-ID, a little slow like a real server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = collections.Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        await asyncio.sleep(SMTP_DELAY)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.ids[message["Message-ID"]] += 1
        return "250 OK"


def _environment(instance: str, smtp_port: int) -> dict:
    env = dict(os.environ, INSTANCE_DIR=instance, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{instance}/faults.sqlite3"
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    else:
        env.pop("REDIS_URL", None)
    return env


def _consumer(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "run.huey",
                             "-w", "2", "-k", "thread"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    instance = tempfile.mkdtemp(prefix="portal-faults-")
    sys.path.insert(0, str(ROOT))
    from bench.common import free_port
    smtp_port = free_port()
    env = _environment(instance, smtp_port)
    os.environ.update({k: v for k, v in env.items() if k in ("INSTANCE_DIR", "DATABASE_URL",
                                                             "REDIS_URL", "SMTP_URL")})
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)

    from aiosmtpd.controller import Controller

    import tasks
    from domain.outbox import notify
    from models import Notification, User, db, utcnow
    from run import create_app, init_db

    app = create_app()
    with app.app_context():
        init_db()
    tasks.huey.immediate = False
    tasks.huey.flush()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    ids, done = [], threading.Event()

    def write_events():
        with app.test_request_context():
            for n in range(EVENTS):
                with db.atomic():
                    ids.append(notify.email(f"fault{n}@example.ru", "account_confirmed",
                                            user=User(email=f"fault{n}@example.ru")).id)
                notify.flush()
                time.sleep(EVENT_SECONDS / EVENTS)
        done.set()

    consumer = _consumer(env)
    writer = threading.Thread(target=write_events, daemon=True)
    started = time.monotonic()
    writer.start()
    faults, crashes = [], []
    pause = EVENT_SECONDS / (KILLS + 2)
    for kill in range(KILLS):
        time.sleep(pause)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
        with db.connection_context():
            held = [r.id for r in Notification.select(Notification.id).where(
                Notification.sent_at.is_null() & Notification.claimed_until.is_null(False))]
        crashes.append((utcnow(), held))
        faults.append(f"{time.monotonic() - started:5.1f} s consumer killed "
                      f"holding {len(held)} row(s)")
        time.sleep(1)
        consumer = _consumer(env)
        if kill == KILLS // 2:
            smtp.stop()
            faults.append(f"{time.monotonic() - started:5.1f} s SMTP server stopped")
            time.sleep(SMTP_DOWN_SECONDS)
            smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
            smtp.start()
            faults.append(f"{time.monotonic() - started:5.1f} s SMTP server back")
    done.wait()
    last_fault = time.monotonic()
    deadline = last_fault + DRAIN_TIMEOUT
    with db.connection_context():
        while time.monotonic() < deadline:
            if not Notification.select().where(Notification.sent_at.is_null()).exists():
                break
            time.sleep(0.2)
        unsent = Notification.select().where(Notification.sent_at.is_null()).count()
        recovery = [(Notification.get_by_id(i).sent_at - at).total_seconds()
                    for at, held in crashes for i in held
                    if Notification.get_by_id(i).sent_at]
    drained = time.monotonic() - last_fault
    consumer.terminate()
    consumer.wait(timeout=30)
    smtp.stop()
    with sink.lock:
        received = dict(sink.ids)
    doubled = sum(n - 1 for n in received.values() if n > 1)
    lost = len(ids) - len(received)
    print("\n".join(faults))
    print(f"events {len(ids)}, delivered {len(received)}, lost {lost}, doubled {doubled}, "
          f"unsent rows {unsent}; drain after the last fault/event {drained:.1f} s")
    if recovery:
        print(f"rows held by a killed consumer: {len(recovery)}, sent again "
              f"{min(recovery):.1f}–{max(recovery):.1f} s after the kill (restart after 1 s)")
    return 0 if not lost and not unsent else 1


if __name__ == "__main__":
    sys.exit(main())
