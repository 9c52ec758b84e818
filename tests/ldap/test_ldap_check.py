"""`ldap test` diagnostics: per-server findings an operator can act on, never the bind password."""

from __future__ import annotations

from gateway.federation.ldap import check_directory
from tests.ldap.directories import rsj_directory, scjg_directory
from tests.services.slapd import SERVICE_PW, closed_port


def text(report):
    return "\n".join(msg for _ok, msg in report)


def test_healthy_directory_reports_each_step_and_the_users_groups(slapd_primary):
    report = check_directory(rsj_directory([slapd_primary["uri"]]), username="zhangwei")
    assert all(ok for ok, _ in report), report
    out = text(report)
    assert "reachable" in out and "service account" in out and "user_base" in out
    assert "uid=zhangwei,ou=rsj,dc=weifang,dc=gov,dc=cn" in out
    assert "gateway-admins, rsj-staff" in out and "roles admin, staff" in out
    assert SERVICE_PW not in out


def test_group_of_names_directory_with_start_tls(slapd_primary):
    directory = scjg_directory([slapd_primary["uri"]], start_tls=True, ca_file=slapd_primary["ca_file"])
    report = check_directory(directory, username="wangfang")
    assert all(ok for ok, _ in report), report
    assert "StartTLS established" in text(report)
    assert "groups scjg-staff" in text(report)


def test_each_server_is_reported_separately(slapd_primary):
    dead = f"ldap://127.0.0.1:{closed_port()}"
    report = check_directory(rsj_directory([dead, slapd_primary["uri"]]))
    assert report[0][0] is False and dead in report[0][1] and "not reachable" in report[0][1]
    assert all(ok for ok, _ in report[1:])


def test_wrong_service_password_is_reported_without_the_password(slapd_primary):
    secret = "s3cret-that-must-not-leak"
    report = check_directory(rsj_directory([slapd_primary["uri"]], bind_password=secret), username="lina")
    assert any(not ok and "refused" in msg for ok, msg in report)
    assert secret not in text(report)
    assert SERVICE_PW not in text(report)


def test_missing_base_unknown_user_and_disabled_user_are_flagged(slapd_primary):
    report = check_directory(rsj_directory([slapd_primary["uri"]], user_base="ou=nosuch,dc=weifang,dc=gov,dc=cn"))
    assert any(not ok and "not found" in msg for ok, msg in report)
    report = check_directory(rsj_directory([slapd_primary["uri"]]), username="nobody")
    assert any(not ok and "0 entries" in msg for ok, msg in report)
    report = check_directory(scjg_directory([slapd_primary["uri"]]), username="liuyang")
    assert any(not ok and "disabled" in msg for ok, msg in report)
