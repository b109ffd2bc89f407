"""Application factory, command-line commands and the all-in-one server of `make run`."""
import logging
import signal

import click
from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import SecurityError
from werkzeug.serving import WSGIRequestHandler, make_server

import config
import tasks
from backoffice import init_admin
from backoffice.errors import staff_error_page
from domain import formatting, request_input, response_headers
from domain.accounts import limits, sessions
from domain.accounts.staff import create_staff
from domain.outbox import notify
from domain.setup.install import demo_data, init_db
from models import Organization, User, connect_database, db, is_postgres
from portal import bp as portal_bp

csrf = CSRFProtect()


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: portal blueprint at /, Flask-Admin back office at /backoffice."""
    app = Flask(__name__, instance_path=str(config.instance_dir()))
    app.config.from_mapping(vars(config.Config()))
    app.config.from_mapping(overrides or {})
    connect_database(app.config["DATABASE_URL"])
    request_input.init_app(app)  # before any route: <int:…> takes record ids only
    tasks.configure({
        "smtp_url": app.config["SMTP_URL"], "mail_from": app.config["MAIL_FROM"],
        "outbox_dir": app.config["OUTBOX_DIR"], "sms_url": app.config["SMS_URL"],
        "sms_outbox": app.config["SMS_OUTBOX"], "sender_name": "",
        "storage_dir": app.config["STORAGE_DIR"],
        "app": app,  # the reminders render their e-mails in its context
    })
    csrf.init_app(app)
    limits.init_app(app)
    Babel(app, locale_selector=lambda: "ru")
    formatting.init_app(app)
    _init_login(app)
    _init_request_hooks(app)

    app.register_blueprint(portal_bp)
    init_admin(app)
    _init_cli(app)
    return app


def _init_login(app):
    manager = LoginManager(app)
    manager.login_view = "portal.login"
    manager.login_message = "Войдите в личный кабинет"
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(token):
        return User.get_or_none((User.session_token == token) & (User.is_active == True))  # noqa: E712


def _init_request_hooks(app):
    @app.before_request
    def open_db():
        db.connect(reuse_if_open=True)

    @app.before_request
    def expire_session():
        # Only a request carrying a login costs the user's look-up.
        if "_user_id" in session and current_user.is_authenticated \
                and sessions.expired(current_user):
            staff = current_user.is_staff
            sessions.end_session(current_user)
            flash("Сеанс завершен. Войдите снова.", "info")
            return redirect(url_for("backoffice_auth.login" if staff else "portal.login",
                                    next=request.full_path if request.method == "GET" else None))
        return None

    @app.after_request
    def after(response):
        # Rows written by the view are committed by now: queue their delivery.
        notify.flush()
        return response_headers.add_security_headers(response)

    @app.teardown_request
    def close_db(exc):
        # PostgreSQL hands the connection back to its pool; a SQLite connection stays open
        # for the thread's next request (opening one costs more than a short query).
        if is_postgres() and not db.is_closed():
            db.close()

    @app.context_processor
    def portal_globals():
        # One small query a page, unless the view already read the organisations and left
        # the grid company in g.grid_org. Not cached across requests: an administrator
        # renames it in «Настройки», and other worker processes would keep the old name.
        if "grid_org" not in g:
            g.grid_org = Organization.grid()
        return {"grid_name": g.grid_org.name if g.grid_org else "сетевой организации"}

    @app.errorhandler(400)
    def bad_request(exc):
        if isinstance(exc, SecurityError):
            # A Host the portal does not serve: no URL can be built for it, so no layout.
            return render_template("portal/untrusted_host.html"), 400
        title = "Некорректный запрос"
        message = "Запрос не может быть обработан: проверьте адрес страницы и введенные данные."
        return staff_error_page(400, title, message) \
            or (render_template("portal/error.html", title=title, message=message), 400)

    @app.errorhandler(429)
    def too_many_requests(exc):
        return render_template("portal/error.html", title="Слишком много запросов",
                               message="Слишком много запросов с вашего адреса. Повторите "
                                       "попытку позже."), 429

    @app.errorhandler(403)
    def forbidden(exc):
        return render_template("portal/forbidden.html"), 403

    @app.errorhandler(404)
    def not_found(exc):
        return staff_error_page(404, "Страница не найдена") \
            or (render_template("portal/not_found.html"), 404)


def _init_cli(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Create or upgrade the schema and seed reference data."""
        click.echo(init_db())

    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["admin", "grid", "supplier"]), required=True)
    @click.option("--supplier", default=None,
                  help="Supplier's ИНН or exact name (for --role supplier)")
    @click.option("--last-name", default="Сотрудник")
    @click.option("--first-name", default="")
    def create_staff_command(email, password, role, supplier, last_name, first_name):
        """Create a staff account (or reset its password and role)."""
        try:
            user = create_staff(email, password, role, supplier, last_name, first_name)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{user.email}: {user.role} ({user.organization.name})")

    @app.cli.command("demo-data")
    def demo_data_command():
        """Suppliers and staff accounts for a demonstration; prints the credentials."""
        for line in demo_data():
            click.echo(line)


def _stop_serving(signum, frame):
    raise SystemExit(0)


class AnonymousRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler without its «Server: Werkzeug/x Python/y» header (on
    every answer, its own error pages included): the server's name and version help
    only someone who looks for its known holes."""

    def send_header(self, keyword, value):
        if keyword.lower() != "server":
            super().send_header(keyword, value)


def http_server(app, host: str, port: int):
    """The threaded HTTP server of `make run` (port 0: any free port)."""
    return make_server(host, port, app, threaded=True, request_handler=AnonymousRequestHandler)


def serve():
    """`make run`: the web server with the huey consumer in the same process (threads)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    consumer = tasks.huey.create_consumer(workers=2, worker_type="thread", periodic=True)
    consumer.start()
    # The consumer's own signal handlers stop only the queue: SIGTERM/SIGINT end it all.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_serving)
    server = http_server(app, config.host(), config.port())
    print(f"Личный кабинет: http://{config.host()}:{config.port()}/  "
          f"(бэк-офис: /backoffice; Ctrl+C — остановить)", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        consumer.stop(graceful=True)


def __getattr__(name: str):
    """`huey_consumer run.huey`: the queue of a stand-alone consumer, with the app built
    first, so that tasks which render e-mails (the terms' reminders) have its templates
    and settings. Importing run alone builds nothing."""
    if name == "huey":
        create_app()
        return tasks.huey
    raise AttributeError(f"module 'run' has no attribute {name!r}")


if __name__ == "__main__":
    serve()
