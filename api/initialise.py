"""``govledger init``: migrate, grant, create keys only for a new ledger, register the first admin.

On an empty database init creates the keys, runs the migrations and registers
``GOVLEDGER_ADMIN`` as the first admin. On a database that already holds a ledger it creates no
key and registers nobody: it checks that ``GOVLEDGER_HOME`` holds the keys that signed the
ledger (refusing, with how to recover, when they are missing or different), brings the schema up
to date and says that the admin exists. ``GOVLEDGER_ADMIN`` naming anyone else is refused: on an
initialised ledger only an admin registers principals, through an authorised, recorded command.

On PostgreSQL, ``--owner-db`` names the role that owns the tables and runs the migrations; the
service role in ``GOVLEDGER_DATABASE_URL`` is granted only what the commands need
(``api.database_roles``). Without it the one role does both, which init reports.
"""

from __future__ import annotations

from api import migrations
from api.composition import keystore_for, log_vkey, open_ledger
from api.database import Database, parse_database_url
from api.database_roles import RoleSetUp, grant_service_role, is_superuser, role_set_up
from api.errors import ConfigurationError
from api.existing_ledger import holds_events, require_the_keys_that_signed_it
from api.settings import Settings
from domain.commands.arguments import check_name
from domain.errors import NotFoundError

__all__ = ["initialise"]


def initialise(settings: Settings, owner_url: str | None) -> None:
    """Run ``govledger init``; raise ConfigurationError (exit 2) when it must not proceed.

    Every refusal about keys or roles comes before anything is written.
    """
    check_name(settings.admin, "first admin (GOVLEDGER_ADMIN)")
    roles = role_set_up(parse_database_url(settings.database_url), owner_url)
    _reach(roles)
    keystore = keystore_for(settings)
    populated = holds_events(roles.owner)
    if populated:
        require_the_keys_that_signed_it(roles.owner, keystore, settings.log_origin)
    created = [] if populated else keystore.create_missing()
    keystore.event_signer()  # refuse a passphrase that does not open existing keys
    keystore.log_signer()
    migrations.upgrade(roles.owner)
    print(f"database {roles.service.describe()} is at schema {migrations.head_revision()}")
    _grant(roles)
    vkey_path = keystore.public_directory / "log.vkey"
    vkey_path.write_text(log_vkey(settings, keystore) + "\n", encoding="utf-8")
    _first_admin(settings, populated=populated)
    for keyid in created:
        print(f"created key {keyid}")
    print(f"keys in {keystore.directory} (public keys and {vkey_path.name} in {vkey_path.parent})")


def _reach(roles: RoleSetUp) -> None:
    service: Database = roles.service
    if service.engine == "sqlite" and service.sqlite_path is not None:
        service.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    roles.owner.check_reachable(create=True)
    if not roles.single_role:
        service.check_reachable()


def _grant(roles: RoleSetUp) -> None:
    """Grant the service role its privileges, or say why the set-up gives no least privilege."""
    if roles.service.engine != "postgresql":
        return
    if roles.single_role:
        print(
            f"note: single-role set-up: role {roles.service.user!r} owns the ledger tables and "
            "could disable their append-only triggers; for least privilege run init with "
            "--owner-db OWNER_URL and a service role in GOVLEDGER_DATABASE_URL"
        )
        return
    grant_service_role(roles)
    print(
        f"granted {roles.service.user!r} SELECT and INSERT on the ledger tables; "
        f"{roles.owner.user!r} owns them and their triggers"
    )
    if is_superuser(roles.service):
        print(
            f"note: {roles.service.user!r} is a superuser, which no privilege restrains: "
            "use an ordinary login role in GOVLEDGER_DATABASE_URL"
        )


def _first_admin(settings: Settings, *, populated: bool) -> None:
    """Register the first admin on an empty ledger; elsewhere only confirm that it exists."""
    ledger = open_ledger(settings)
    try:
        if not populated and ledger.application.bootstrap_admin(settings.admin):
            print(f"registered principal {settings.admin!r} as the first admin")
            return
        try:
            ledger.application.get_principal(settings.admin)
        except NotFoundError:
            raise ConfigurationError(
                f"the ledger is already initialised, so init registers nobody: "
                f"GOVLEDGER_ADMIN={settings.admin!r} names no principal, and only an admin may "
                "register one (GOVLEDGER_ADMIN names the first admin of an empty ledger only)"
            ) from None
        print(f"principal {settings.admin!r} exists; the ledger was initialised before")
    finally:
        ledger.close()
