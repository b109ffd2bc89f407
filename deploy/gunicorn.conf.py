"""gunicorn settings for the scaled layout: `gunicorn -c deploy/gunicorn.conf.py 'run:create_app()'`.

Environment: GUNICORN_BIND (default 0.0.0.0:8000), GUNICORN_WORKERS (default 4).
Several instances may run on one host: each would otherwise try to own gunicorn 27's
default control socket (~/.gunicorn/gunicorn.ctl) and the second would fail to start.
"""
import os

from gunicorn.http import wsgi as _gunicorn_wsgi

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"
control_socket_disable = True  # one host, several instances: no shared control socket
timeout = 60  # a 30 MB upload over a slow line is streamed within this
graceful_timeout = 30
accesslog = "-"
errorlog = "-"

# gunicorn 27 writes «Server: gunicorn» into every answer and has no setting to leave it
# out; the server's name helps only someone who looks for its known holes. This file runs
# in the master before it forks the workers, so they all answer without it.
_stock_default_headers = _gunicorn_wsgi.Response.default_headers


def _default_headers_without_server(response):
    """gunicorn's own status line and headers of an answer, less its Server header."""
    return [line for line in _stock_default_headers(response)
            if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _default_headers_without_server
