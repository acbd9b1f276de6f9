# Grid 12345: `make up` serves the system, `make test` runs every test.
# Both set up whatever is missing (Debian packages, virtualenv, front-end
# libraries, a private PostGIS cluster under .local/ unless DATABASE_URL is
# set, migrations, fixtures) and are safe to run again.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings
export PYTHONUNBUFFERED := 1

.PHONY: up dev test setup deps venv assets db migrate fixtures load demo serve messages check-grid bench lint stop-db backup restore cluster cluster-ha cluster-stop cluster-status bench-faults bench-ha bench-replica soak bench-fanout

up: setup
	@echo ""
	@echo "  Grid 12345 is at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password demo12345): admin, city_dispatcher, wall_viewer,"
	@echo "    changqing_grid, changqing_head, guangminglu_handler, xinhua_dispatcher,"
	@echo "    ruzhou_dispatcher, heating_handler, water_handler"
	@echo "  Call-takers' console: http://$(HOST):$(PORT)/center/ (city_calltaker ext 8001, ruzhou_calltaker ext 8101, city_leader ext 8009)"
	@echo "  Demo PBX token for POST /api/cti/events: $$($(PY) manage.py load_console_demo --print-token)"
	@echo "    (ring a seat: $(PY) manage.py simulate_call --extension 8001 --caller 13812341234)"
	@echo "  The supervisor (deadline flags, escalation, repeat complaints, flare alerts, the monthly assessment) runs beside it."
	@echo ""
	@$(PY) manage.py supervise --interval 60 & sup=$$!; \
	trap 'kill $$sup 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# `make up` runs with DEBUG off (settings' default: error pages never show settings or tracebacks);
# `make dev` is the same server with Django's debug pages, for development only.
dev:
	@DEBUG=1 $(MAKE) --no-print-directory up

# Scale-out on one machine: two daphne processes (CLUSTER_PORTS, default "8001 8002") and two
# supervisors against one PostGIS and one Redis (REDIS_URL, else a private redis-server on 6390),
# in the background; `make cluster-stop` ends them. See README "Scale-out".
cluster: setup
	@bin/cluster start

# The same with Redis Sentinel: a Redis primary, a replica and three sentinels on 6395-6396 and
# 26395-26397 (bin/cluster ha); the channel layer and the rate-limit counters follow the master.
cluster-ha: setup
	@bin/cluster ha

cluster-stop:
	@bin/cluster stop

cluster-status:
	@bin/cluster status

# The suite runs with config.settings.test (no connection pool, fast password hashing),
# after the lint (ruff check + ruff format --check): a lint failure stops the run.
test: setup lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

setup: deps venv assets db migrate messages load
	@mkdir -p .local/static

deps:
	@bin/system-deps

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

assets: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

db:
ifeq ($(strip $(DATABASE_URL)),)
	@bin/pg-local start
else
	@echo "db: using DATABASE_URL"
endif

stop-db:
	@bin/pg-local stop

# make backup [FILE=path.dump]; make restore FILE=path.dump (replaces the database's contents)
backup: db
	@bin/db-backup dump $(FILE)

restore: db
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path.dump"; exit 2; }
	@bin/db-backup restore $(FILE)

migrate:
	$(PY) manage.py migrate --noinput -v 0

messages:
	$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules --ignore=.local

# Loads the committed Pingdingshan fixtures, gazetteer and ticket reference data, and
# the demo ticket history (20,000 tickets over 6 months); each is skipped when loaded.
# Then the first version of the category classifier is trained from that history (once).
load:
	$(PY) manage.py load_pingdingshan
	$(PY) manage.py load_gazetteer
	$(PY) manage.py load_dispatch_reference
	$(PY) manage.py load_demo_tickets
	$(PY) manage.py train_classifier --if-missing
	$(PY) manage.py load_citizen_demo --if-missing
	$(PY) manage.py load_console_demo

# Rebuilds the committed fixture files from the reference data folder (PINGDINGSHAN_SRC, see fixtures/README.md).
fixtures:
	$(PY) fixtures/build_pingdingshan.py
	$(PY) fixtures/build_gazetteer.py

check-grid:
	$(PY) manage.py check_grid

bench: setup
	$(PY) bench/locate.py
	$(PY) bench/geocode.py
	$(PY) bench/dispatch.py
	$(PY) bench/classify.py

# 5,000 tickets from 20 retrying clients through a PostGIS restart, a supervisor SIGKILL and a
# Redis restart, on a throwaway cluster; figures to bench/RESULTS.md (docs/RELIABILITY.md).
bench-faults: setup
	$(PY) bench/intake_faults.py

# Redis Sentinel fail-over under load (bin/cluster ha, three rounds) and the read replica
# (bin/pg-replica) with and without it; figures to bench/RESULTS.md (docs/DEPLOYMENT.md).
bench-ha: setup
	$(PY) bench/ha.py

bench-replica: setup
	$(PY) bench/replica.py

# Live fan-out: 200 wall sockets on one process (memory layer) and 1,000 over two processes on one
# Redis, commit → screen, the baseline revision's code beside this tree's (bench/fanout.py).
bench-fanout: setup
	$(PY) bench/fanout.py

# Soak: locust for 10 minutes (SOAK_SECONDS) against bin/cluster start (its own ports): 50 call-takers,
# 500 grid workers polling, 200 walls on sockets, the supervisors running; throughput, p95 per route,
# server errors (the run fails on any 5xx), CPU per ticket (bench/soak.py; figures to bench/RESULTS.md).
SOAK_SECONDS ?= 600
soak: setup
	$(PY) bench/soak.py --duration $(SOAK_SECONDS)

# ruff check + format check; tests/test_structure.py (run by the suite) checks the apps' import
# graph, that no app imports config, and the module and app sizes.
lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
