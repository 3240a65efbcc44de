# The two commands the README starts with: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
MARIADB_URL ?= mysql://root@127.0.0.1:3306/
export MARIADB_URL

.PHONY: setup demo test bench bench-quick lint messages
.DEFAULT_GOAL := demo

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	bash scripts/bench.sh

# Refresh the Korean catalogues after changing user-facing strings (scripts/messages.py): each
# app with a locale/ folder gets its own; templates, solarsite and words several apps share go
# to the project's locale/. Then fill in the new msgstr entries it lists.
messages: setup
	$(PY) scripts/messages.py
	$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
