PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint test-servers clean

run: $(VENV)/.runtime .env
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.dev test-servers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	bash scripts/install_test_servers.sh wrk
	$(BIN)/python scripts/bench.py

lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.env: | $(VENV)/.runtime
	$(BIN)/python scripts/create_dev_env.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

test-servers:
	bash scripts/install_test_servers.sh redis-server nginx

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
