# Every target creates or reuses .venv, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve build test lint fuzz bench debian checkers screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The example password client opens with this password when serving locally.
serve: $(STAMP)
	LOTUS_TEA_PORTAL_PASSWORD=$${LOTUS_TEA_PORTAL_PASSWORD:-green-tea-please} \
	  $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check plugins tests benchmarks scripts
	$(BIN)/ruff format --check plugins tests benchmarks scripts
	$(BIN)/mypy

# The browser tests drive Debian's chromium, with Latin, CJK and emoji fonts so pages
# (and the one-page print report) lay out as they will for clients. The outside
# checkers need Node.js (axe-core) and Java (the Nu HTML Checker).
debian:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-liberation fonts-noto-cjk"; \
	fc-list 2>/dev/null | grep -qi "color emoji" || missing="$$missing fonts-noto-color-emoji"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing for the browser tests and checkers"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# axe-core and vnu-jar at the versions package-lock.json pins. vnu-jar's install
# script would download a Java runtime; Debian's is used instead.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

checkers: debian $(NODE_STAMP)

test: lint checkers
	$(BIN)/pytest

# The fuzz tests with many more examples than `make test` runs (tests/fuzz_profiles.py).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/test_fuzz.py -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules site .pytest_cache .mypy_cache .ruff_cache

# Mutation testing (mutmut) of the modules that carry security and promises, with their
# fast unit tests; slow (about an hour on two cores), so not part of `make test`.
# One module: make mutate MODULES=crypto. Kill rates: CONTRIBUTING.md.
.PHONY: mutate test-fast
MODULES ?=
mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py $(MODULES)

# The fast tier: every test that needs no browser, Java or Node (nor builds the sdist).
test-fast: $(STAMP)
	$(BIN)/pytest -m "not browser and not sdist"
