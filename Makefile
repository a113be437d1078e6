# Every target creates or reuses a virtual environment installed from a lock (exact
# versions with hashes), so a fresh clone tests the same thing on any day.
# `make test-lowest` and `make test-newest` run the same suite in their own
# environments: the lowest versions pyproject.toml allows, and the newest releases.
# `make bench` and `make mutate` add their tools in environments of their own too
# (.venv-bench, .venv-mutate), so .venv holds exactly requirements/dev.txt.
PYTHON ?= python3
VENV ?= .venv
LOCK ?= requirements/dev.txt
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve build docs dist test test-fast test-lowest test-newest mutate run-mutate lock lint fuzz bench run-bench debian checkers screenshots clean

ifeq ($(LOCK),newest)
# Unlocked on purpose: whatever the registry serves today, within pyproject.toml's ranges.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	touch $(STAMP)
else
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)
endif

# The example password client opens with this password when serving locally.
serve: $(STAMP)
	LOTUS_TEA_PORTAL_PASSWORD=$${LOTUS_TEA_PORTAL_PASSWORD:-green-tea-please} \
	  $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

# Every example page at desktop and phone widths, light and dark, in build/screenshots: to look at.
# The links come from the secret the build used: PORTAL_SECRET, or the local one it generated.
screenshots: $(STAMP)
	LOTUS_TEA_PORTAL_PASSWORD=$${LOTUS_TEA_PORTAL_PASSWORD:-green-tea-please} $(BIN)/mkdocs build --strict
	PORTAL_SECRET=$${PORTAL_SECRET:-$$(grep -v '^#' .portal-secret)} \
	LOTUS_TEA_PORTAL_PASSWORD=$${LOTUS_TEA_PORTAL_PASSWORD:-green-tea-please} \
	  $(BIN)/python scripts/screenshots.py site build/screenshots

# The sdist and the wheel a release publishes, built with the locked hatchling (no
# isolated build environment to download), and checked as PyPI will read them.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist
	$(BIN)/twine check --strict dist/*

lint: $(STAMP)
	$(BIN)/ruff check plugins tests benchmarks scripts
	$(BIN)/ruff format --check plugins tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/actionlint .github/workflows/*.yml plugins/client_portal/commands/scaffold/*workflow*.yml

# The browser tests drive Debian's chromium, with Latin, CJK and emoji fonts so pages
# (and the one-page print report) lay out as they will for clients, and open the pages
# again in the two other engines clients use: WebKitGTK through WebKitWebDriver on an
# Xvfb display, and Firefox ESR (driven by puppeteer-core from package.json). The outside
# checkers need Node.js (axe-core) and Java (the Nu HTML Checker).
debian:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v WebKitWebDriver >/dev/null 2>&1 || missing="$$missing webkit2gtk-driver"; \
	command -v Xvfb >/dev/null 2>&1 || missing="$$missing xvfb"; \
	command -v firefox-esr >/dev/null 2>&1 || missing="$$missing firefox-esr"; \
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

# axe-core, vnu-jar and puppeteer-core at the versions package-lock.json pins. vnu-jar's
# install script would download a Java runtime; Debian's is used instead (puppeteer-core
# downloads no browser: the tests point it at Debian's Firefox ESR).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

checkers: debian $(NODE_STAMP)

test: lint checkers docs
	$(BIN)/pytest

# The documentation site, built as a portal is: with Zensical, from docs/ copied to
# build/docs/ with the reference pages written from the code. --strict stops on any
# warning (a broken link or anchor included); check_links.py then follows every
# internal link and anchor of the built site.
DOCS_URL := https://mkdocs-client-portal.github.io/mkdocs-client-portal/
docs: $(STAMP)
	$(BIN)/python scripts/docs_reference.py build/docs
	$(BIN)/zensical build --strict --clean --config-file build/docs/zensical.toml
	$(BIN)/python scripts/check_links.py build/docs/site $(DOCS_URL)

# The suite against the lowest versions the runtime requirements allow, and against the
# newest releases (unlocked). Each has its own environment beside .venv.
test-lowest:
	$(MAKE) test VENV=.venv-lowest LOCK=requirements/lowest.txt

test-newest:
	$(MAKE) test VENV=.venv-newest LOCK=newest

# Move the locks to the newest releases on purpose, then `make test` and commit them
# (CONTRIBUTING). minimums.txt pins each runtime requirement at its lower bound; the
# lowest lock resolves the development tools around those pins. The mutation and
# benchmark locks are the dev lock plus their own tools, every shared pin held to it.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev --universal \
	--python-version 3.11 --generate-hashes --upgrade --quiet --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --resolution lowest-direct \
	  --upgrade --no-annotate --quiet --custom-compile-command "make lock" -o requirements/minimums.txt
	$(UV_COMPILE) -o requirements/dev.txt
	$(UV_COMPILE) --extra mutate -c requirements/dev.txt -o requirements/mutate.txt
	$(UV_COMPILE) --extra bench -c requirements/dev.txt -o requirements/bench.txt
	$(UV_COMPILE) -c requirements/minimums.txt -c requirements/lowest-tools.txt -o requirements/lowest.txt

# The fuzz tests with many more examples than `make test` runs (tests/fuzz_profiles.py).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/test_fuzz.py -q

bench:
	$(MAKE) run-bench VENV=.venv-bench LOCK=requirements/bench.txt

run-bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf .venv .venv-lowest .venv-newest .venv-bench .venv-mutate node_modules site dist .pytest_cache .mypy_cache .ruff_cache

# Mutation testing (mutmut) of the modules that carry security and promises, with their
# fast unit tests; slow (about an hour on two cores), so not part of `make test`.
# One module: make mutate MODULES=crypto. Kill rates: CONTRIBUTING.md.
MODULES ?=
mutate:
	$(MAKE) run-mutate VENV=.venv-mutate LOCK=requirements/mutate.txt MODULES="$(MODULES)"

run-mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py $(MODULES)

# The fast tier: every test that needs no browser, Java or Node (nor builds the distributions).
test-fast: $(STAMP)
	$(BIN)/pytest -m "not browser and not sdist"
