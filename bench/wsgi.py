"""The app as gunicorn serves it in the benchmarks, plus a bare route as the baseline.

/bench/bare exists only here: it goes through the same app, hooks and gunicorn
configuration as every page, and renders nothing, so a page's ratio to it is the cost
of the page itself.
"""
from run import create_app

app = create_app()


@app.route("/bench/bare")
def bench_bare():
    """The baseline: an empty answer from the same app."""
    return "ok"
