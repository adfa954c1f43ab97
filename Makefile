# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint lock fuzz bench bench-daemon bench-ocr bench-notice bench-smtp-hostile samples clean

$(BIN)/lae-robot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The daemon on the embedded defaults of config.example.toml: SMTP on 127.0.0.1:2525,
# folder archive and the sample case register under var/, notices as .eml files in
# var/outbox/, ledger var/ledger.sqlite3, /healthz and /metrics on 127.0.0.1:9187.
# Feed it from another terminal: .venv/bin/lae-robot send --to 127.0.0.1:2525 samples/mail/*.eml
run: $(BIN)/lae-robot var/cases.csv
	$(BIN)/lae-robot --config config.example.toml run

var/cases.csv: samples/cases.csv
	mkdir -p var/archive var/outbox
	cp samples/cases.csv var/cases.csv

# The lint and type gate first (ruff, mypy --strict on robot/), then every test.
test: $(BIN)/lae-robot lint
	$(BIN)/pytest -q

lint: $(BIN)/lae-robot
	$(BIN)/ruff check robot
	$(BIN)/mypy robot

# requirements.lock, the container's runtime dependencies with their hashes, from pyproject.toml's [project]
# dependencies: pins already in the lock are kept (LOCK_FLAGS=--upgrade moves them all to the newest allowed).
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" .lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS) -o requirements.lock pyproject.toml

# The property tests with many more, randomly seeded examples (make test runs 2,000 each with a fixed seed).
fuzz: $(BIN)/lae-robot
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q tests/property

bench: $(BIN)/lae-robot
	$(BIN)/python bench/extraction.py

bench-daemon: $(BIN)/lae-robot
	$(BIN)/python bench/daemon.py

bench-ocr: $(BIN)/lae-robot
	$(BIN)/python bench/ocr_cost.py

# CPU per caseworker notice rendered to mail bytes: render_notice against the email package (issue 15).
bench-notice: $(BIN)/lae-robot
	$(BIN)/python bench/notice_render.py

# 200 hostile slow SMTP clients from 8 loopback /24 networks while the gateway and an ordinary sender deliver 100
# mails each to `lae-robot run`; exit 1 unless every one is accepted and filed (issue 10).
bench-smtp-hostile: $(BIN)/lae-robot
	$(BIN)/python bench/smtp_hostile.py

samples: $(BIN)/lae-robot
	$(BIN)/python samples/generate.py

clean:
	rm -rf $(VENV) .lock-venv
