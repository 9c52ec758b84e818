"""The signing recipe (worked example of PROVINCIAL.md §2.3) and seed validation."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.federation.provincial_client import sign_params
from simulators.provincial import signing
from simulators.provincial.seed import SeedError, load_seed, parse_seed
from tests.services.provincial import start_provincial
from tests.simulator.sim_helpers import shipped_seed

EXAMPLE = {"appMark": "WFZWFW", "nonce": "b6d1e0c2a9f84e37", "ticket": "ST-7f3c9a2e4b1d4c0e9a6b",
           "timestamp": "1718000000000"}
EXAMPLE_SIGN = "6e5c63a6210984282bfba5d7e59bb19668cb39168ffa34c8fdc66f9f2a0d3717"


def test_worked_example_canonical_string_and_sign():
    assert signing.canonical_string({**EXAMPLE, "sign": "ignored"}) == (
        "appMark=WFZWFW&nonce=b6d1e0c2a9f84e37&ticket=ST-7f3c9a2e4b1d4c0e9a6b&timestamp=1718000000000")
    assert signing.sign(EXAMPLE, "demo-appword-please-change") == EXAMPLE_SIGN
    assert sign_params(EXAMPLE, "demo-appword-please-change") == EXAMPLE_SIGN
    assert signing.verify({**EXAMPLE, "sign": EXAMPLE_SIGN.upper()}, "demo-appword-please-change")
    assert not signing.verify({**EXAMPLE, "sign": EXAMPLE_SIGN}, "another-appword-xxxxx")


@settings(deadline=None)  # timing varies on a loaded 2-core CI box
@given(st.dictionaries(st.text("abcdefgXYZ", min_size=1, max_size=8), st.text(max_size=20), max_size=6))
def test_client_and_simulator_sign_alike(params):
    assert sign_params(params, "k" * 20) == signing.sign(params, "k" * 20)


def test_shipped_seed_is_valid():
    seed = load_seed()
    assert "WFTYSFRZ" in seed.apps
    assert seed.user_by_login("zhangsan01").id_number == "370702199003071230"
    assert len(seed.user_by_login("lisi02").units) == 2


@pytest.mark.parametrize("path, value", [
    (("users", 0, "idNumber"), "370702199003071231"),
    (("users", 3, "idNumber"), "370702199902290015"),
    (("corps", 0, "uscc"), "91370705MA3C4F2KI6"),
    (("corps", 0, "uscc"), "91370705MA3C4F2K27"),
])
def test_seed_with_invalid_number_is_refused(path, value):
    raw = copy.deepcopy(shipped_seed())
    raw[path[0]][path[1]][path[2]] = value
    with pytest.raises(SeedError):
        parse_seed(raw)


def test_simulator_process_refuses_to_start_with_invalid_seed(tmp_path):
    raw = shipped_seed()
    raw["users"][0]["idNumber"] = "370702199003071231"
    with pytest.raises(RuntimeError, match="invalid ID number"):
        start_provincial(tmp_path, seed=raw, timeout=10)
