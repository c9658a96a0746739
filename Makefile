# pamphleteer: `make build` builds every edition of raw/ into build/; `make test` runs the tests.
# Both create .venv/ in this folder and install the project into it on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test lint format bench bench-extract clean-build system-deps

$(BIN)/pamphleteer: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask]'
	touch $@

build: $(BIN)/pamphleteer
	$(BIN)/pamphleteer build --raw raw --out build

# What the tests need from the system: Java (EPUBCheck, the Nu HTML Checker) and Debian's chromium
# with its WebDriver (the browser test). Installed with apt-get where missing and we are root;
# elsewhere the tests that need them skip and say why.
SYSTEM_NEEDS := java:default-jre-headless chromium:chromium chromedriver:chromium-driver
system-deps:
	@missing=""; \
	for need in $(SYSTEM_NEEDS); do \
	  command -v $${need%%:*} >/dev/null 2>&1 || missing="$$missing $${need#*:}"; \
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

test: $(BIN)/pamphleteer system-deps
	$(BIN)/ruff check flows tests bench
	$(BIN)/ruff format --check flows tests bench
	$(BIN)/pytest

lint: $(BIN)/pamphleteer
	$(BIN)/ruff check flows tests bench

format: $(BIN)/pamphleteer
	$(BIN)/ruff format flows tests bench

bench: $(BIN)/pamphleteer
	$(BIN)/python bench/stages.py

# Cleaner vs trafilatura and readability on the evaluation corpus (kept outside the repository).
CORPUS ?= ../shared/corpus
bench-extract: $(BIN)/pamphleteer
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/extract_eval.py $(CORPUS)

clean-build:
	rm -rf build
