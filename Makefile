# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench samples clean

$(BIN)/lae-robot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Until the daemon exists: read every sample with the extraction CLI.
run: $(BIN)/lae-robot
	$(BIN)/lae-robot extract samples/pdf/*.pdf samples/mail/*.eml

test: $(BIN)/lae-robot
	$(BIN)/pytest -q

bench: $(BIN)/lae-robot
	$(BIN)/python bench/extraction.py

samples: $(BIN)/lae-robot
	$(BIN)/python samples/generate.py

clean:
	rm -rf $(VENV)
