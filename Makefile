# Tremplin — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo serve test test-browser lint messages compilemessages bench bench-ingest bench-onboarding bench-analytics clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) compilemessages

compilemessages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "GNU gettext (msgfmt) is needed: apt-get install gettext"; exit 1; }
	@for app in lms courses competences; do (cd $$app && ../$(BIN)/django-admin compilemessages --verbosity 0); done

demo: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --no-input --verbosity 0
	$(BIN)/python manage.py lms_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests only (headless /usr/bin/chromium driven by Playwright; axe-core comes with `make install`).
test-browser: install
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: $(STAMP)
	@for app in lms courses competences; do (cd $$app && ../$(BIN)/django-admin makemessages -l fr --no-obsolete --add-location file); done

bench: bench-ingest bench-onboarding bench-analytics

# LRS ingestion: gunicorn on a dedicated PostgreSQL database (BENCH_DATABASE_URL: server + maintenance db).
bench-ingest: install
	$(BIN)/python -W ignore tests/benchmarks/bench_ingest.py

bench-onboarding: install
	$(BIN)/python tests/benchmarks/bench_onboarding.py


# Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/tremplin_bench_analytics).
bench-analytics: install
	$(BIN)/python tests/benchmarks/bench_analytics.py

clean:
	rm -rf $(VENV) var
