# The two commands of the README: `make run` and `make test`. Everything else is their helpers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run

.PHONY: run test test-unit test-browser bench venv deps dev-deps system-deps gost-deps office-deps \
	browser-deps db demo clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.deps

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

# Debian's GOST engine hashes documents with Streebog fast when signatures are verified
# (pure Python takes minutes for 30 MB) and makes real signatures in the tests.
gost-deps:
	@dpkg -s libengine-gost-openssl >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libengine-gost-openssl >/dev/null; }

# LibreOffice proves the generated application form opens outside Word (a unit test).
office-deps:
	@command -v soffice >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui >/dev/null; }

# Debian's chromium drives the browser tests (never `playwright install`).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Everything the whole suite needs from Debian.
system-deps: gost-deps office-deps browser-deps

db: deps
	$(BIN)/flask init-db

demo: db
	$(BIN)/flask demo-data

run: db gost-deps
	$(BIN)/python run.py

test: dev-deps system-deps
	$(BIN)/python -m pytest -q

test-unit: dev-deps gost-deps office-deps
	$(BIN)/python -m pytest -q -m "not browser"

test-browser: dev-deps gost-deps browser-deps
	$(BIN)/python -m pytest -q -m browser

bench: dev-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
