"""TOTP details (RFC 6238 vectors, drift window, replay), the dashboard figures, paging."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from gateway.admin.mfa import MfaStore, qr_data_uri
from tests.admin.conftest import next_code, totp_now
from tests.admin.console import console_login


def test_totp_matches_rfc_6238_test_vector():
    # RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", T = 59 s -> 94287082 (8 digits)
    assert TOTP(b"12345678901234567890", 8, SHA1(), 30).generate(59) == b"94287082"


def test_codes_from_the_neighbouring_step_are_accepted_once_and_older_ones_never(admin_app, make, clock):
    admin = make("system")
    mfa = admin_app.extensions["gateway_admin"].mfa
    clock.advance(90)
    t = clock()
    assert mfa.verify(admin["user_id"], totp_now(admin["secret"], t - 30)) == "totp"  # clock drift: one step late
    assert mfa.verify(admin["user_id"], totp_now(admin["secret"], t - 30)) is None  # replay
    assert mfa.verify(admin["user_id"], totp_now(admin["secret"], t - 60)) is None  # older than the last used
    assert mfa.verify(admin["user_id"], totp_now(admin["secret"], t + 30)) == "totp"
    assert mfa.verify(admin["user_id"], "12345") is None and mfa.verify(admin["user_id"], "") is None


def test_provisioning_uri_and_qr(admin_app, make):
    admin = make("system", enrol=False)
    mfa: MfaStore = admin_app.extensions["gateway_admin"].mfa
    secret, uri = mfa.begin(admin["user_id"], admin["username"])
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=" in uri
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    assert mfa.begin(admin["user_id"], admin["username"])[0] == secret  # reloading the page keeps the secret
    assert qr_data_uri(uri).startswith("data:image/svg+xml")


def test_dashboard_counts_logins_by_method_and_failures(aclient, make, clock, asvc):
    admin = make("audit")
    asvc.audit.record("login.success", user_id="x", connector="provincial")
    asvc.audit.record("login.success", user_id="y", connector="ldap:rsj")
    asvc.audit.record("login.failure", result="failure", actor="local:nobody")
    console_login(aclient, admin, clock)
    html = aclient.get("/admin/").get_data(as_text=True)
    assert "provincial: " in html and "ldap: " in html and "local: " in html
    assert 'id="login-failures"' in html


def test_audit_pages(aclient, make, clock):
    console_login(aclient, make("audit"), clock)
    first = aclient.get("/admin/audit?per_page=1").get_data(as_text=True)
    assert "page=2" in first
    assert aclient.get("/admin/audit?per_page=1&page=2").status_code == 200
    csv = aclient.get("/admin/audit/export.csv?event=admin.*")
    assert csv.mimetype == "text/csv" and "admin.login" in csv.get_data(as_text=True)
