"""``flask --app wsgi …`` commands: the contract for scripts and checks (names and flags are stable)."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .registry.validation import RegistrationError

clients_cli = AppGroup("clients", help="Relying parties (department systems).")
users_cli = AppGroup("users", help="Local accounts (admins and tests).")
keys_cli = AppGroup("keys", help="Signing keys.")
db_cli = AppGroup("db", help="Database schema (Alembic).")
audit_cli = AppGroup("audit", help="The audit log.")


def _svc():
    return current_app.extensions["gateway"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@clients_cli.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True)
@click.option("--post-logout-redirect-uri", "post_logout", multiple=True)
@click.option("--backchannel-logout-uri")
@click.option("--frontchannel-logout-uri")
@click.option("--grant", "grants", multiple=True,
              type=click.Choice(["authorization_code", "refresh_token", "client_credentials"]))
@click.option("--scope", default="openid profile", show_default=True)
@click.option("--public", is_flag=True, help="Public client (no secret; PKCE required).")
@click.option("--client-id", help="Choose the client_id (default: generated).")
@click.option("--department", default="")
@click.option("--subject-type", type=click.Choice(["pairwise", "public"]), default="pairwise", show_default=True)
@click.option("--id-token-alg", type=click.Choice(["RS256", "ES256"]), default="RS256", show_default=True)
@click.option("--min-acr-level", type=click.IntRange(0, 3), default=0, show_default=True)
@click.option("--user-type", "user_types", multiple=True, type=click.Choice(["natural", "legal", "staff", "local"]))
@click.option("--release", "release", multiple=True,
              help="Claim released in full with its legal basis: CLAIM=BASIS:PURPOSE (e.g. cn_id_number=statutory:…)")
@click.option("--first-party", is_flag=True, help="Skip the consent screen (statutory portals).")
@click.option("--json", "as_json", is_flag=True)
def clients_create(name, redirect_uris, post_logout, backchannel_logout_uri, frontchannel_logout_uri, grants, scope,
                   public, client_id, department, subject_type, id_token_alg, min_acr_level, user_types, release,
                   first_party, as_json):
    """Register a relying party; the secret is printed once."""
    policy = {}
    for item in release:
        claim, _, rest = item.partition("=")
        basis, _, purpose = rest.partition(":")
        if not claim or basis not in ("statutory", "consent"):
            _fail(f"--release {item!r}: expected CLAIM=statutory|consent:PURPOSE")
        policy[claim] = {"basis": basis, "purpose": purpose}
    try:
        rp, secret = _svc().clients.create(
            name=name, redirect_uris=redirect_uris, post_logout_redirect_uris=post_logout,
            backchannel_logout_uri=backchannel_logout_uri, frontchannel_logout_uri=frontchannel_logout_uri,
            grant_types=grants or ("authorization_code", "refresh_token"), scope=scope, public=public,
            client_id=client_id, department=department, subject_type=subject_type,
            id_token_signed_response_alg=id_token_alg, min_acr_level=min_acr_level,
            allowed_user_types=user_types or ("natural", "legal", "staff", "local"),
            release_policy=policy, first_party=first_party)
    except RegistrationError as exc:
        _fail("; ".join(exc.errors))
    _svc().audit.record("admin.client_create", actor="cli", client_id=rp.client_id)
    _svc().audit.flush()
    if as_json:
        click.echo(json.dumps({"client_id": rp.client_id, "client_secret": secret}))
    else:
        click.echo(f"client_id:     {rp.client_id}")
        click.echo(f"client_secret: {secret or '(public client: none)'}   <- shown only now")


@clients_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def clients_list(as_json):
    rows = [{"client_id": rp.client_id, "name": rp.name, "department": rp.department, "enabled": rp.enabled,
             "grant_types": rp.grant_types, "redirect_uris": rp.redirect_uris, "scope": rp.scope,
             "public": rp.token_endpoint_auth_method == "none"} for rp in _svc().clients.all()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            click.echo(f"{r['client_id']:24} {'on ' if r['enabled'] else 'off'} {r['name']} ({r['department']})")


@clients_cli.command("disable")
@click.argument("client_id")
def clients_disable(client_id):
    try:
        _svc().clients.set_enabled(client_id, False)
    except LookupError:
        _fail(f"no client {client_id!r}")
    _svc().audit.record("admin.client_disable", actor="cli", client_id=client_id)
    _svc().audit.flush()
    click.echo(f"{client_id} disabled")


@clients_cli.command("enable")
@click.argument("client_id")
def clients_enable(client_id):
    try:
        _svc().clients.set_enabled(client_id, True)
    except LookupError:
        _fail(f"no client {client_id!r}")
    _svc().audit.record("admin.client_enable", actor="cli", client_id=client_id)
    _svc().audit.flush()
    click.echo(f"{client_id} enabled")


@clients_cli.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def clients_rotate(client_id, as_json):
    try:
        secret = _svc().clients.rotate_secret(client_id)
    except LookupError:
        _fail(f"no client {client_id!r}")
    except RegistrationError as exc:
        _fail("; ".join(exc.errors))
    _svc().audit.record("admin.client_rotate_secret", actor="cli", client_id=client_id)
    _svc().audit.flush()
    click.echo(json.dumps({"client_id": client_id, "client_secret": secret}) if as_json
               else f"new client_secret: {secret}   <- shown only now; the old secret no longer works")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
@click.option("--email")
@click.option("--role", "roles", multiple=True)
def users_create(username, password, name, email, roles):
    from .account.passwords import PasswordPolicyError

    try:
        user = _svc().accounts.create(username, password, name=name, email=email, roles=roles)
    except (ValueError, PasswordPolicyError) as exc:
        _fail(str(exc))
    _svc().audit.record("admin.user_create", actor="cli", user_id=user.id)
    _svc().audit.flush()
    click.echo(f"created {username}")


@users_cli.command("unlock")
@click.argument("username")
def users_unlock(username):
    _svc().lockout.unlock(f"local:{username}")
    _svc().audit.record("admin.user_unlock", actor="cli", details_user=username)
    _svc().audit.flush()
    click.echo(f"{username} unlocked")


@keys_cli.command("rotate")
@click.option("--now", "immediately", is_flag=True,
              help="Sign with the new key at once (emergency: a compromised key). Relying parties that "
                   "cached JWKS in the last minute may refuse tokens until they refetch.")
def keys_rotate(immediately):
    """New signing keys: published in JWKS now, signing after tokens.key_publish_delay (first keys: at once)."""
    svc = _svc()
    t = svc.settings.tokens
    grace = max(t.access_token_lifetime, t.id_token_lifetime) + t.key_retire_grace
    first = not any(k["state"] in ("active", "published") for k in svc.keys.listing())
    delay = 0 if immediately or first else t.key_publish_delay
    kids = svc.keys.rotate(grace, publish_delay=delay)
    svc.audit.record("admin.keys_rotate", actor="cli", kids=kids, publish_delay=delay)
    svc.audit.flush()
    for kid in kids:
        click.echo(f"new active key {kid}" + (f" (published now, signing in {delay} s)" if delay else ""))


@keys_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def keys_list(as_json):
    rows = _svc().keys.listing()
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['kid']:32} {r['alg']:6} {r['state']}")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Create or migrate the schema (SQLite or PostgreSQL)."""
    from .migrate import upgrade

    upgrade(_svc().settings.database_url, revision)
    click.echo(f"database at {revision}")


@audit_cli.command("verify")
def audit_verify():
    from .admin.ops_audit import verify_chain

    problems = verify_chain(_svc())  # from the latest purge anchor, if any
    for p in problems:
        click.echo(p)
    if problems:
        sys.exit(1)
    click.echo("audit chain intact")


@audit_cli.command("purge")
@click.option("--before-days", type=click.IntRange(min=1), default=None,
              help="Purge records older than this many days (default: admin.audit_retention_days).")
@click.option("--export", "export_path", required=True, type=click.Path(dir_okay=False, writable=True),
              help="CSV file the purged records are written to first.")
def audit_purge(before_days, export_path):
    """Export, then delete, records past retention; an anchor keeps the rest verifiable."""
    from .admin.ops_audit import purge
    from .admin.problems import AdminError

    svc = _svc()
    try:
        n, digest = purge(svc, before_days or svc.settings.admin.audit_retention_days, export_path)
    except AdminError as exc:
        _fail("; ".join([exc.detail, *exc.errors]))
    click.echo(f"purged {n} records; export {export_path} sha256 {digest}" if n else "nothing to purge")


@audit_cli.command("flush")
def audit_flush():
    click.echo(f"{_svc().audit.flush()} records written")


ldap_cli = AppGroup("ldap", help="Department directories.")


@ldap_cli.command("test")
@click.argument("directory")
@click.option("--username", help="Also look this user up (no password is asked or printed).")
def ldap_test(directory, username):
    """Check a directory's servers, service bind, search base and (optionally) a user."""
    from .federation.ldap import check_directory

    settings = {d.name: d for d in _svc().settings.ldap}
    if directory not in settings:
        _fail(f"no directory {directory!r}; configured: {', '.join(settings) or 'none'}")
    results = check_directory(settings[directory], username=username)
    for ok, message in results:
        click.echo(f"{'ok  ' if ok else 'FAIL'} {message}")
    if not all(ok for ok, _ in results):
        sys.exit(1)


sessions_cli = AppGroup("sessions", help="SSO sessions.")


def _user_id(username: str) -> str:
    user = _svc().accounts.find(username)
    if user is None:
        _fail(f"no user {username!r}")
    return user.id


@sessions_cli.command("list")
@click.option("--user", "username", required=True, help="Username (local) or internal user id.")
@click.option("--json", "as_json", is_flag=True)
def sessions_list(username, as_json):
    svc = _svc()
    user_id = username if svc.accounts.find(username) is None else _user_id(username)
    rows = [{"sid": r["principal"]["sid"], "created": int(r["created"]), "seen": int(r["seen"]),
             "connector": r["principal"].get("connector"), "portals": sorted(r["principal"].get("rps", {})),
             "device": r.get("device", {})} for r in svc.sso.for_user(user_id)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['sid']}  since {r['created']}  portals: {', '.join(r['portals']) or '-'}")


@sessions_cli.command("end")
@click.option("--user", "username", required=True)
def sessions_end(username):
    """End every session of a user; back-channel logout reaches every portal they used."""
    svc = _svc()
    user_id = username if svc.accounts.find(username) is None else _user_id(username)
    n = svc.end_user_sessions(user_id, reason="admin", actor="cli")
    svc.audit.flush()
    click.echo(f"ended {n} session(s)")


@click.command("worker")
@click.option("--once", is_flag=True, help="Process what is due and exit (for cron-style use and tests).")
def worker_cmd(once):
    """Deliver back-channel logout tokens and push session timeouts to portals."""
    from .logout.worker import DeliveryWorker

    worker = DeliveryWorker(_svc())
    if once:
        click.echo(f"{worker.run_once(block_ms=100)} deliveries")
        return
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.run_forever(stop)


data_cli = AppGroup("data", help="Data encrypted at rest.")


@data_cli.command("reencrypt")
def data_reencrypt():
    """Re-encrypt values stored under an old data_key with the current one."""
    from .rekey import reencrypt, remaining

    svc = _svc()
    counts = reencrypt(svc.db, svc.cipher)
    svc.keys.invalidate()
    svc.audit.record("admin.data_reencrypt", actor="cli", **counts)
    svc.audit.flush()
    for table, n in counts.items():
        click.echo(f"{table}: {n} re-encrypted")
    left = remaining(svc.db, svc.cipher)
    click.echo("nothing left under an old key: old_data_keys can be removed" if left == 0
               else f"{left} values still under an old key")


def register_cli(app) -> None:
    app.cli.add_command(worker_cmd)
    for group in (clients_cli, users_cli, keys_cli, db_cli, audit_cli, ldap_cli, sessions_cli, data_cli):
        app.cli.add_command(group)



