# pamphleteer: `make build` builds every edition of raw/ into build/; `make test` runs the tests.
# Both install the locked dependency set (uv.lock) into .venv/ in this folder on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The uv that installs the lock: the version pyproject.toml's dev group pins (so `uv sync` keeps it).
UV_VERSION := $(shell sed -n 's/^dev = \["uv==\(.*\)"\]/\1/p' pyproject.toml)
# Never download a Python: the venv's interpreter is the machine's python3.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: build test test-fast lint format lock bench bench-extract clean-build system-deps node-deps

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Exactly the locked versions: the runtime, test and dask extras. `--locked` fails
# (and says so) if pyproject.toml and uv.lock disagree: run `make lock` and commit both.
# Bytecode is compiled once here: every command starts several Python processes (the command, its
# workers, the project's Prefect server), and where PYTHONDONTWRITEBYTECODE is set (as in many
# container images) each would otherwise compile Prefect and its dependencies from source again.
$(VENV)/.locked: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --all-extras --python $(BIN)/python --quiet --compile-bytecode
	$(BIN)/python -m compileall -q flows
	touch $@

build: $(VENV)/.locked
	$(BIN)/pamphleteer build --raw raw --out build

# What the tests need from the system: Java (EPUBCheck, the Nu HTML Checker) and Debian's chromium
# with its WebDriver (the browser test); and what builds need for texts in other scripts: Noto fonts
# for Arabic, Hebrew, Devanagari and a dozen more (fonts-noto-core, 12 MB download, 42 MB on disk)
# and for Chinese, Japanese and Korean (fonts-noto-cjk, 57 MB download, 89 MB on disk); see
# flows/render/fonts.py. Installed with apt-get where missing and we are root; elsewhere the tests
# that need them skip and say why, and a build warns (fnt-002) when a text needs a missing font.
# calibre (the Kindle/Kobo conversion check) is 106 packages and 350 MB, so only
# `make test WITH_CALIBRE=1` installs it.
SYSTEM_NEEDS := java:default-jre-headless chromium:chromium chromedriver:chromium-driver \
  $(if $(WITH_CALIBRE),ebook-convert:calibre)
SYSTEM_FILES := /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf:fonts-noto-core \
                /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc:fonts-noto-cjk
system-deps:
	@missing=""; \
	for need in $(SYSTEM_NEEDS); do \
	  command -v $${need%%:*} >/dev/null 2>&1 || missing="$$missing $${need#*:}"; \
	done; \
	for need in $(SYSTEM_FILES); do \
	  [ -e "$${need%%:*}" ] || missing="$$missing $${need#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$missing with apt-get (once)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     --no-install-recommends $$missing >/dev/null) \
	  || echo "apt-get could not install$$missing: the tests needing them will skip"; \
	else \
	  echo "Missing$$missing (needs root and apt-get): the tests needing them will skip"; \
	fi

# The accessibility checkers (DAISY Ace, axe-core), at the versions of tests/node/package-lock.json,
# into .node/ with npm where Node is installed. No install script runs: nothing downloads a
# browser (Ace and axe use Debian's chromium); without npm the tests needing them skip.
node-deps: .node/.installed
.node/.installed: tests/node/package.json tests/node/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is missing: the Ace and axe tests will skip"; exit 0; fi; \
	mkdir -p .node && cp tests/node/package.json tests/node/package-lock.json .node/ && \
	(cd .node && PUPPETEER_SKIP_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1 \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && touch $@ \
	|| echo "npm could not install Ace and axe: the tests needing them will skip"

# The tests run in one worker per core (pytest-xdist; at most four: each worker makes its own
# session build and JVMs); a worker that finds its queue empty takes tests from another's.
# `.venv/bin/pytest tests/…` (no -n) runs some in this one process, as when debugging one.
PARALLEL := -n auto --maxprocesses 4 --dist worksteal

test: $(VENV)/.locked system-deps node-deps
	$(BIN)/ruff check flows tests bench
	$(BIN)/ruff format --check flows tests bench
	$(BIN)/pytest $(PARALLEL)

# The edit–test loop: stage and unit tests only (no Prefect, no Java, no browser).
test-fast: $(VENV)/.locked
	$(BIN)/pytest $(PARALLEL) -m "not slow" -q

lint: $(VENV)/.locked
	$(BIN)/ruff check flows tests bench

format: $(VENV)/.locked
	$(BIN)/ruff format flows tests bench

# Refresh uv.lock to the newest releases pyproject.toml allows; uv prints what moved.
# Commit the lock on its own, listing those lines, after `make test` passes with it.
lock: | $(BIN)/uv
	$(BIN)/uv lock --upgrade --python $(BIN)/python

bench: $(VENV)/.locked
	$(BIN)/python bench/stages.py

# Cleaner vs trafilatura and readability on the evaluation corpus (kept outside the repository).
CORPUS ?= ../shared/corpus ../shared/corpus2
bench-extract: $(VENV)/.locked
	$(BIN)/python bench/extract_eval.py $(CORPUS)

clean-build:
	rm -rf build
