# Two commands do everything on a fresh Debian machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: demo test system venv i18n bench clean test-postgres fuzz

# Debian packages the system and the tests use: redis-server, slapd + ldap-utils, PostgreSQL,
# Chromium (browser tests) and a CJK font. Installed only when missing, never started as services.
system:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		bash scripts/ci-install.sh; \
	else \
		for b in redis-server slapd; do command -v $$b >/dev/null || [ -x /usr/sbin/$$b ] || \
			echo "warning: $$b is missing (run as root to install Debian packages)"; done; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt clients/python/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q -e ./clients/python
	touch $@

venv: $(VENV)/.installed

demo: system venv
	$(PY) scripts/demo.py

# The whole suite on SQLite, then again on PostgreSQL (a throwaway cluster on a loopback port,
# started by the fixtures). About 5 minutes on 2 cores; PG_PYTEST_ARGS narrows the second run.
PG_PYTEST_ARGS ?= $(PYTEST_ARGS)

test: system venv
	REQUIRE_SERVICES=1 $(VENV)/bin/pytest -q $(PYTEST_ARGS)
	REQUIRE_SERVICES=1 GATEWAY_TEST_DATABASE=postgresql $(VENV)/bin/pytest -q $(PG_PYTEST_ARGS)

# Long fuzzing run for occasional use (CI runs the derandomized 40-example version in `test`).
fuzz: venv
	GATEWAY_FUZZ_EXAMPLES=$${GATEWAY_FUZZ_EXAMPLES:-3000} $(VENV)/bin/pytest -q tests/hardening/test_fuzz.py

test-postgres: system venv
	REQUIRE_SERVICES=1 GATEWAY_TEST_DATABASE=postgresql $(VENV)/bin/pytest -q $(PYTEST_ARGS)

i18n: venv
	$(PY) scripts/i18n_fill.py

bench: system venv
	$(PY) bench/bench_core.py

clean:
	rm -rf instance/demo build .pytest_cache
