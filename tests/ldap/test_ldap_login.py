"""Staff log in with their department's directory: claims, groups, roles, and every refusal."""

from __future__ import annotations

import time

import pytest

from gateway.federation.base import ConnectorError, InvalidCredentials, UpstreamUnavailable
from tests.ldap.directories import RSJ, SCJG, rsj_directory, scjg_directory

ZHANGWEI_UUID = "2d3b9a10-6c1e-4f7b-8a21-5a1c00000101"


def test_staff_login_returns_mapped_claims_groups_roles_and_assurance(slapd_primary, make_connector):
    connector = make_connector(rsj_directory([slapd_primary["uri"]]), clock=lambda: 1_800_000_000.7)

    identity = connector.authenticate("rsj", "zhangwei", "zhangwei-Pw1!")

    assert identity.connector == "ldap:rsj"
    assert identity.upstream_id == ZHANGWEI_UUID
    assert identity.claims == {
        "preferred_username": "zhangwei", "name": "张伟", "email": "zhangwei@rsj.weifang.gov.cn",
        "phone_number": "+86 536 0000 1101", "title": "科长", "department": "rsj",
        "groups": ["gateway-admins", "rsj-staff"], "cn_user_type": "staff", "department_name": RSJ,
    }
    assert identity.roles == ("admin", "staff")
    assert identity.acr == "urn:weifang:gateway:loa:staff"
    assert identity.amr == ("pwd",)
    assert identity.user_type == "staff"
    assert identity.auth_time == 1_800_000_000


def test_upstream_id_is_stable_across_logins_and_servers(slapd_primary, slapd_secondary, make_connector):
    first = make_connector(rsj_directory([slapd_primary["uri"]]))
    second = make_connector(rsj_directory([slapd_secondary["uri"]]))
    ids = {first.authenticate("rsj", "zhangwei", "zhangwei-Pw1!").upstream_id for _ in range(3)}
    ids.add(second.authenticate("rsj", "zhangwei", "zhangwei-Pw1!").upstream_id)
    assert ids == {ZHANGWEI_UUID}


def test_group_of_names_mode_searches_groups(connector):
    identity = connector.authenticate("scjg", "wangfang", "wangfang-Pw1!")
    assert identity.connector == "ldap:scjg"
    assert identity.claims["groups"] == ["scjg-staff"]
    assert identity.roles == ("staff",)
    assert identity.claims["department_name"] == SCJG
    assert identity.claims["name"] == "王芳"


def test_group_of_names_and_member_of_agree(slapd_primary, make_connector):
    uri = slapd_primary["uri"]
    by_member_of = make_connector(rsj_directory([uri])).authenticate("rsj", "zhangwei", "zhangwei-Pw1!")
    by_search = make_connector(rsj_directory([uri], group_mode="groupOfNames")).authenticate(
        "rsj", "zhangwei", "zhangwei-Pw1!")
    assert by_search.claims["groups"] == by_member_of.claims["groups"] == ["gateway-admins", "rsj-staff"]


def test_attribute_mapping_is_configurable_with_fallbacks(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["uri"]],
                              attributes={"name": "cn", "department": "ou", "employee_number": "employeeNumber",
                                          "phone_number": "mobile"})
    claims = make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!").claims
    assert claims["name"] == "Li Na"
    assert claims["department"] == "综合科"
    assert claims["employee_number"] == "RSJ-0002"
    assert "phone_number" not in claims  # mapped attribute absent -> claim omitted, never empty


def test_department_claim_falls_back_to_configured_department(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["uri"]], attributes={"department": "roomNumber"})
    claims = make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!").claims
    assert claims["department"] == RSJ
    assert claims["groups"] == ["rsj-staff"]


def test_wrong_password_and_unknown_user_are_indistinguishable(connector):
    with pytest.raises(InvalidCredentials) as wrong:
        connector.authenticate("rsj", "zhangwei", "not-the-password")
    with pytest.raises(InvalidCredentials) as unknown:
        connector.authenticate("rsj", "nosuchuser", "not-the-password")
    assert type(wrong.value) is type(unknown.value)
    assert wrong.value.user_message == unknown.value.user_message == "login.invalid_credentials"
    assert str(wrong.value.user_message) == str(unknown.value.user_message)
    assert wrong.value.reason != unknown.value.reason  # the audit log can still tell them apart
    assert "not-the-password" not in wrong.value.reason + unknown.value.reason


def test_user_of_another_department_is_unknown_here(connector):
    with pytest.raises(InvalidCredentials):
        connector.authenticate("rsj", "wangfang", "wangfang-Pw1!")


@pytest.mark.parametrize("username, password", [
    ("zhangwei", ""),  # the anonymous-bind bypass: an empty password "binds" on RFC 4513 servers
    ("", "zhangwei-Pw1!"),
    ("   ", "zhangwei-Pw1!"),
    ("a" * 257, "zhangwei-Pw1!"),
    ("zhangwei\x00", "zhangwei-Pw1!"),
    ("zhang\nwei", "zhangwei-Pw1!"),
    ("zhangwei", "x" * 1025),
])
def test_bad_input_is_refused_before_any_network_use(blackhole, make_connector, username, password):
    # The directory is a black hole: any network use would count a connection and hang until timeout.
    connector = make_connector(rsj_directory([f"ldap://127.0.0.1:{blackhole.port}"], receive_timeout=5.0))
    before = blackhole.accepted
    started = time.monotonic()
    with pytest.raises(InvalidCredentials) as refused:
        connector.authenticate("rsj", username, password)
    assert time.monotonic() - started < 2  # any network use would wait the 5 s receive timeout
    assert blackhole.accepted == before
    assert refused.value.user_message == "login.invalid_credentials"


@pytest.mark.parametrize("username", [
    "*", "*)(uid=*))(|(uid=*", "admin)(|(objectClass=*)", "zhang*", "zhangwei)(uid=*", "*)(|(uid=zhangwei",
    "zhangwei\\2a", "\\*", "(uid=zhangwei)", "张伟", "zhangwei@rsj",
])
@pytest.mark.parametrize("password", ["zhangwei-Pw1!", "lina-Pw1!", "x"])
def test_filter_injection_never_authenticates(connector, username, password):
    with pytest.raises(InvalidCredentials):
        connector.authenticate("rsj", username, password)


def test_locked_account_is_refused_only_after_the_password_is_verified(connector):
    with pytest.raises(ConnectorError) as locked:
        connector.authenticate("scjg", "liuyang", "liuyang-Pw1!")
    assert not isinstance(locked.value, InvalidCredentials)
    assert locked.value.user_message == "ldap.account_disabled"
    # With a wrong password the locked account looks like any other failed login (no oracle).
    with pytest.raises(InvalidCredentials) as wrong:
        connector.authenticate("scjg", "liuyang", "bad-password")
    assert wrong.value.user_message == "login.invalid_credentials"


def test_disabled_attribute_is_configurable(slapd_primary, make_connector):
    # Nobody in the seed has nsAccountLock, so with that attribute liuyang is not disabled...
    relaxed = make_connector(scjg_directory([slapd_primary["uri"]], disabled_attribute="nsAccountLock"))
    assert relaxed.authenticate("scjg", "liuyang", "liuyang-Pw1!").claims["preferred_username"] == "liuyang"
    # ...and an attribute every entry has (here: title) disables everyone.
    strict = make_connector(scjg_directory([slapd_primary["uri"]], disabled_attribute="title"))
    with pytest.raises(ConnectorError, match="title"):
        strict.authenticate("scjg", "wangfang", "wangfang-Pw1!")


def test_unknown_directory_is_invalid_credentials(connector):
    with pytest.raises(InvalidCredentials):
        connector.authenticate("nosuchdept", "zhangwei", "zhangwei-Pw1!")


def test_directory_listing_for_the_department_selector(connector):
    assert [(d.name, d.display_name, d.department) for d in connector.directories] == [
        ("rsj", "市人社局", RSJ), ("scjg", "市市场监管局", SCJG)]
    assert tuple(connector.directories[0]) == ("rsj", "市人社局", RSJ)
    assert connector.directory("scjg").group_mode == "groupOfNames"
    with pytest.raises(KeyError):
        connector.directory("nosuchdept")


def test_username_at_department_selects_the_directory(connector):
    assert connector.resolve("zhangwei@rsj") == ("rsj", "zhangwei")
    assert connector.resolve("zhangwei@rsj", "scjg") == ("rsj", "zhangwei")
    assert connector.resolve("zhangwei", "scjg") == ("scjg", "zhangwei")
    assert connector.resolve("zhang.wei@rsj.weifang.gov.cn", "rsj") == ("rsj", "zhang.wei@rsj.weifang.gov.cn")
    assert connector.resolve("@rsj", "scjg") == ("scjg", "@rsj")
    directory, username = connector.resolve("wangfang@scjg")
    assert connector.authenticate(directory, username, "wangfang-Pw1!").connector == "ldap:scjg"


def test_start_tls_with_ca_file(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["uri"]], start_tls=True, ca_file=slapd_primary["ca_file"])
    assert make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!").upstream_id


def test_ldaps_with_ca_file(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["ldaps_uri"]], ca_file=slapd_primary["ca_file"])
    assert make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!").upstream_id


@pytest.mark.parametrize("tls", ["start_tls", "ldaps"])
def test_untrusted_certificate_is_refused(slapd_primary, make_connector, tls):
    # No ca_file: the self-signed test certificate is not in the system store -> no login, no fallback.
    if tls == "start_tls":
        directory = rsj_directory([slapd_primary["uri"]], start_tls=True)
    else:
        directory = rsj_directory([slapd_primary["ldaps_uri"]])
    with pytest.raises(UpstreamUnavailable):
        make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!")


def test_wrong_service_password_is_unavailable_not_invalid_credentials(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["uri"]], bind_password="wrong-service-password")
    with pytest.raises(UpstreamUnavailable) as err:
        make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!")
    assert "service bind refused" in err.value.reason
    assert "wrong-service-password" not in err.value.reason


def test_missing_user_base_is_unavailable(slapd_primary, make_connector):
    directory = rsj_directory([slapd_primary["uri"]], user_base="ou=nosuch,dc=weifang,dc=gov,dc=cn")
    with pytest.raises(UpstreamUnavailable, match="search base"):
        make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!")


@pytest.mark.parametrize("key, start_tls", [("ldaps_uri", False), ("uri", True)])
def test_certificate_for_another_host_name_is_refused(slapd_primary, make_connector, key, start_tls):
    # "127.1" reaches the same server, but the certificate names only localhost / 127.0.0.1.
    uri = slapd_primary[key].replace("127.0.0.1", "127.1")
    directory = rsj_directory([uri], ca_file=slapd_primary["ca_file"], start_tls=start_tls)
    with pytest.raises(UpstreamUnavailable) as err:
        make_connector(directory).authenticate("rsj", "lina", "lina-Pw1!")
    assert "match" in err.value.reason or "certificate" in err.value.reason.lower()


@pytest.mark.parametrize("override, problem", [
    ({"user_base": ""}, "user_base"),
    ({"group_mode": "posixGroup"}, "group_mode"),
    ({"receive_timeout": 0.0}, "timeouts"),
])
def test_misconfigured_directory_is_rejected_at_startup(make_connector, override, problem):
    with pytest.raises(ValueError, match=problem):
        make_connector(rsj_directory(["ldap://127.0.0.1:1"], **override))
