# Two commands do all setup: `make run` and `make test`. Both create/refresh .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
ADDRESS ?= localhost
JOBS ?= auto  # pytest-xdist workers for `make test` and `make test-fast` (auto: one per core)
HEADLESS ?= false  # true on a server without a desktop: no browser is opened

.PHONY: run test test-fast bench venv clean

$(VENV)/.stamp: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .  # the project itself, editable: no sys.path edits anywhere
	touch $@

venv: $(VENV)/.stamp

run: $(VENV)/.stamp
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless $(HEADLESS)

# The tests run on every core, a test file per worker (pytest-xdist; JOBS=1 runs them one at a time).
test: $(VENV)/.stamp
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

test-fast: $(VENV)/.stamp  # no browser, nothing slow (pytest.ini's markers): the loop while editing
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile -m "not browser and not slow"

bench: $(VENV)/.stamp
	$(PY) bench/trainer_vs_tutorial.py
	$(PY) bench/growth_grid.py
	$(PY) bench/sketch_latency.py
	$(PY) bench/init_views.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
