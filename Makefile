# pamphleteer: `make build` builds every edition of raw/ into build/; `make test` runs the tests.
# Both create .venv/ in this folder and install the project into it on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test lint format bench bench-extract clean-build

$(BIN)/pamphleteer: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

build: $(BIN)/pamphleteer
	$(BIN)/pamphleteer build --raw raw --out build

test: $(BIN)/pamphleteer
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
