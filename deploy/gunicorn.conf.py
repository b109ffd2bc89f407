"""gunicorn settings for the scaled layout: `gunicorn -c deploy/gunicorn.conf.py 'run:create_app()'`.

Environment: GUNICORN_BIND (default 0.0.0.0:8000), GUNICORN_WORKERS (default 4).
Several instances may run on one host: each would otherwise try to own gunicorn 27's
default control socket (~/.gunicorn/gunicorn.ctl) and the second would fail to start.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"
control_socket_disable = True  # one host, several instances: no shared control socket
timeout = 60  # a 30 MB upload over a slow line is streamed within this
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
