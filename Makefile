# The two commands the README starts with: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
MARIADB_URL ?= mysql://root@127.0.0.1:3306/
export MARIADB_URL

.PHONY: setup demo test bench lint
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
