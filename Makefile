# make demo : set up .venv, score the sample book, load the 12 sample queue snapshots into the snapshot
#             store, build the Excel model (signals computed from the sample product records in
#             workbook/sample_events, sample accounts, opportunities, ARR history, targets and
#             snapshots), print what changed, serve the apps
# make test : set up .venv, run every test
# make serve-excel : set up .venv, serve the functions to Excel from your own xlwings Server
#                     (needs XLWINGS_LICENSE_KEY; EXCEL_PORT=8000)
# make screenshots : regenerate the README pictures in docs/img/ (browser tests + LibreOffice)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.upcell-installed

.PHONY: demo test bench lint clean screenshots serve-excel

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "upcell needs Python 3.11+"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The demo's own outputs are rebuilt on every run (that is what `make demo` asks for).
# DEMO_SERVE=0 skips serving the apps (useful on a machine without a browser).
DEMO_SERVE ?= 1
PORT ?= 2718

# The sample product records: the model's signals are computed from them (workbook/signals)
EV := workbook/sample_events
SAMPLE_EVENTS := --usage $(EV)/usage.parquet --caps $(EV)/caps.csv --seats $(EV)/seats.parquet \
	--users $(EV)/users.parquet --web $(EV)/web.parquet --tickets $(EV)/tickets.parquet \
	--features $(EV)/features.csv --feature-events $(EV)/feature_events.parquet

demo: $(STAMP)
	$(BIN)/python -m workbook queue --top 15 --opportunities workbook/sample_opportunities.csv --as-of 2026-12-01 \
		--owners workbook/sample_owners.csv
	rm -f workbook/upcell_snapshots.duckdb workbook/upcell_snapshots.duckdb.wal
	$(BIN)/python -m workbook snapshots --import workbook/sample_snapshots.csv
	$(BIN)/python -m workbook build --force --accounts workbook/sample_accounts.csv $(SAMPLE_EVENTS) \
		--opportunities workbook/sample_opportunities.csv --arr-history workbook/sample_arr_history.csv \
		--targets workbook/sample_targets.csv --as-of 2026-12-01 --owners workbook/sample_owners.csv --snapshots
	$(BIN)/python -m workbook changes --top 12
	$(BIN)/python -m workbook lite --force
ifeq ($(DEMO_SERVE),1)
	@echo
	@echo "Serving the apps: open http://127.0.0.1:$(PORT) (Ctrl-C stops)."
	$(BIN)/marimo run simulations --headless --host 127.0.0.1 --port $(PORT)
endif

EXCEL_PORT ?= 8000

serve-excel: $(STAMP)
	$(BIN)/python -m workbook.serve --port $(EXCEL_PORT)

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# The app pictures are taken by the browser tests themselves; a plain `make test` saves
# them under tests/_artifacts/ instead, so the tree stays clean.
screenshots: $(STAMP)
	UPCELL_SCREENSHOTS=docs UPCELL_REQUIRE_E2E=1 $(BIN)/python -m pytest -q tests/test_nrr_app.py tests/test_backtest_app.py
	$(BIN)/python -m workbook picture

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
