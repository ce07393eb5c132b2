# Planmap: `make run` serves the app on the shipped data, `make test` runs every test.
# `make setup` is idempotent: once .venv is up to date it does nothing and needs no network.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.planmap-installed
OUT ?= build/layers
PORT ?= 8501

.PHONY: setup test-setup run build test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "make: $(PY) not found (Python 3.11 is required)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Browser tests need Debian's Chromium + a CJK font, GDAL tests ogrinfo (never `playwright install`).
test-setup: setup
	@bash scripts/ensure_test_deps.sh

build: setup
	$(BIN)/planmap build --out $(OUT)

run: build
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.headless true \
	    --server.enableStaticServing true --browser.gatherUsageStats false \
	    --browser.serverAddress localhost

test: test-setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py

# ruff, then mypy over geo/, layers/, planmap/ and the app ([tool.mypy] in pyproject.toml)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf build .pytest_cache
