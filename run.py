"""Application factory, command-line commands and the all-in-one server of `make run`."""
import logging
import os
import secrets
import signal

import click
from flask import Flask, g, render_template
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

import config
from domain.outbox import notify
import tasks
from domain import formatting
from models import Organization, User, connect_database, db, is_postgres

csrf = CSRFProtect()


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: portal blueprint at /, Flask-Admin back office at /backoffice."""
    app = Flask(__name__, instance_path=str(config.instance_dir()))
    app.config.from_mapping(vars(config.Config()))
    app.config.from_mapping(overrides or {})
    connect_database(app.config["DATABASE_URL"])
    tasks.configure({
        "smtp_url": app.config["SMTP_URL"], "mail_from": app.config["MAIL_FROM"],
        "outbox_dir": app.config["OUTBOX_DIR"], "sms_url": app.config["SMS_URL"],
        "sms_outbox": app.config["SMS_OUTBOX"], "sender_name": "",
        "storage_dir": app.config["STORAGE_DIR"],
    })
    csrf.init_app(app)
    Babel(app, locale_selector=lambda: "ru")
    formatting.init_app(app)
    _init_login(app)
    _init_request_hooks(app)

    from portal import bp as portal_bp
    app.register_blueprint(portal_bp)
    from backoffice import init_admin
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

    @app.after_request
    def after(response):
        # Rows written by the view are committed by now: queue their delivery.
        notify.flush()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.teardown_request
    def close_db(exc):
        # PostgreSQL hands the connection back to its pool; a SQLite connection stays open
        # for the thread's next request (opening one costs more than a short query).
        if is_postgres() and not db.is_closed():
            db.close()

    @app.context_processor
    def portal_globals():
        if "grid_org" not in g:
            g.grid_org = Organization.grid()
        return {"grid_org": g.grid_org, "view_functions": app.view_functions,
                "grid_name": g.grid_org.name if g.grid_org else "сетевой организации"}

    @app.errorhandler(403)
    def forbidden(exc):
        return render_template("portal/forbidden.html"), 403

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("portal/not_found.html"), 404


def _init_cli(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Create or upgrade the schema and seed reference data."""
        click.echo(init_db())

    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["admin", "grid", "supplier"]), required=True)
    @click.option("--supplier", default=None, help="Supplier name (for --role supplier)")
    @click.option("--last-name", default="Сотрудник")
    @click.option("--first-name", default="")
    def create_staff_command(email, password, role, supplier, last_name, first_name):
        """Create a staff account (or reset its password and role)."""
        user = create_staff(email, password, role, supplier, last_name, first_name)
        click.echo(f"{user.email}: {user.role} ({user.organization.name})")

    @app.cli.command("demo-data")
    def demo_data_command():
        """Suppliers and staff accounts for a demonstration; prints the credentials."""
        for line in demo_data():
            click.echo(line)


def init_db() -> str:
    """Create or upgrade the schema, then seed reference data."""
    from domain.setup.migrations import upgrade
    from domain.setup.seed import seed_reference_data
    with db.connection_context():
        before, after = upgrade()
        seed_reference_data()
    return f"Схема базы данных: версия {before} → {after}"


def create_staff(email, password, role, supplier=None, last_name="Сотрудник", first_name=""):
    """A staff account bound to the grid company or to the named supplier."""
    from domain.accounts.credentials import hash_password
    with db.connection_context(), db.atomic():
        if role == "supplier":
            org = Organization.get_or_none((Organization.kind == Organization.SUPPLIER)
                                           & (Organization.name == supplier))
            if not org:
                raise click.ClickException(f"Гарантирующий поставщик «{supplier}» не найден")
        else:
            org = Organization.grid()
        user = User.by_email(email) or User(email=email.strip().lower())
        user.role, user.organization = role, org
        user.last_name, user.first_name = last_name, first_name
        user.password_hash = hash_password(password)
        user.confirmed = True
        user.save()
        return user


def demo_data() -> list[str]:
    """Demo suppliers and staff; returns printable credential lines."""
    from domain.setup.seed import DEMO_SUPPLIERS, seed_demo_suppliers
    init_db()
    with db.connection_context():
        seed_demo_suppliers()
    accounts = [("admin@kalinovsk-es.ru", "admin", None, "Администратор"),
                ("clerk@kalinovsk-es.ru", "grid", None, "Специалист"),
                ("gp@kalinovsk-energo.ru", "supplier", DEMO_SUPPLIERS[0][0], "Специалист ГП")]
    lines = []
    for email, role, supplier, name in accounts:
        password = secrets.token_urlsafe(9)
        create_staff(email, password, role, supplier, name)
        lines.append(f"{role:8} {email}  пароль: {password}")
    return lines


def _stop_serving(signum, frame):
    raise SystemExit(0)


def serve():
    """`make run`: the web server with the huey consumer in the same process (threads)."""
    from werkzeug.serving import make_server
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    consumer = tasks.huey.create_consumer(workers=2, worker_type="thread", periodic=True)
    consumer.start()
    # The consumer's own signal handlers stop only the queue: SIGTERM/SIGINT end it all.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_serving)
    server = make_server(config.host(), config.port(), app, threaded=True)
    print(f"Личный кабинет: http://{config.host()}:{config.port()}/  "
          f"(бэк-офис: /backoffice; Ctrl+C — остановить)", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        consumer.stop(graceful=True)


if __name__ == "__main__":
    serve()
