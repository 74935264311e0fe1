# The README's commands. `make run` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format snapshots bench mutants i18n clean

# The suite runs in WORKERS processes (pytest-xdist; `make test WORKERS=0` for one). Most
# tests wait (on a real server, a pty, the next Textual frame) more than they compute, so
# more workers than this machine's 2 cores overlap the waits: on 2 cores one process
# keeps about half a core busy. Work stealing evens out the few long tests (a live quiz
# with four players, three apps in ptys) at the end.
WORKERS ?= 4

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/studycircle

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

# One process: under xdist each worker would take the others' snapshots for unused ones.
snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/tui --snapshot-update -p no:xdist

# Every script of bench/ but the helpers the benchmarks import or start.
BENCH_HELPERS := bench/benchkit.py bench/lost_answers.py bench/quiz_watcher.py

bench: $(STAMP)
	@for script in $(filter-out $(BENCH_HELPERS),$(wildcard bench/*.py)); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Extract every marked sentence, update each language's .po and compile its .mo (Babel).
i18n: $(STAMP)
	$(BIN)/python tools/i18n.py

# Mutation testing of the modules that keep our promises (see tools/mutants.py); long.
mutants: $(STAMP)
	$(BIN)/python tools/mutants.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis mutants .import_linter_cache .grimp_cache .mypy_cache
