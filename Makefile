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

# The whole deployment under a live fleet of 1,000 plants for 3 minutes (bench/README.md, Soak).
bench-quick: setup
	$(PY) bench/soak.py --plants 1000 --minutes 3

# Refresh the Korean catalogues after changing user-facing strings: each app with a locale/
# folder gets its own, everything else (templates, solarsite) goes to the project's locale/.
messages: setup
	$(PY) manage.py makemessages -l ko --no-obsolete --ignore=.venv --ignore=var \
	  --ignore=node_modules --ignore=tests --ignore=bench --ignore=scripts \
	  --ignore=./generation --ignore=./events
	$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
