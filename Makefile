# The two commands of the README: `make run` (set up + demo server) and `make test` (set up + all tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup model lint format clean

run: setup model
	$(BIN)/chatbot serve

test: setup model
	bash scripts/test-setup.sh
	bash scripts/test-services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# setuptools warns at every editable install that a folder named like the package may
	# shadow it: here that folder is the package, by design.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q -e '.[test]'
	bash scripts/vendor-js.sh
	touch $(STAMP)

model: setup
	$(BIN)/chatbot train --if-missing

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var static/vendor node_modules build dist
