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

# Until the daemon exists: run every sample mail through the whole pipeline on the
# embedded defaults of config.example.toml (folder archive, sample register, outbox
# folder and ledger under var/), then list what was escalated.
run: $(BIN)/lae-robot var/cases.csv
	$(BIN)/lae-robot --config config.example.toml process samples/mail/*.eml
	$(BIN)/lae-robot --config config.example.toml escalations list

var/cases.csv: samples/cases.csv
	mkdir -p var/archive var/outbox
	cp samples/cases.csv var/cases.csv

test: $(BIN)/lae-robot
	$(BIN)/pytest -q

bench: $(BIN)/lae-robot
	$(BIN)/python bench/extraction.py

samples: $(BIN)/lae-robot
	$(BIN)/python samples/generate.py

clean:
	rm -rf $(VENV)
