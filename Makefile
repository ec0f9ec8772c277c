# Dialogue Logistics: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
ENV := source deploy/local/env.sh &&

.PHONY: install up down status migrate demo demo-bangkok test test-fast test-cluster test-relocation check k8s-generate k8s-check \
	bench clean

# Tests run in parallel processes (pytest-xdist): most of a real-stack test is waiting on the broker, the database and
# timers, so more workers than cores pay off. TEST_WORKERS=1 runs them one after the other.
TEST_WORKERS ?= 3

install:                ## Debian packages, uv, Kafka jars, the Python workspace (idempotent)
	@bash deploy/local/stack.sh install

up:                     ## Kafka, PostgreSQL, SMTP and the four services on 127.0.0.1 (SECURE=1: SASL/TLS/ACLs; BROKERS=3)
	@bash deploy/local/stack.sh up

down:                   ## stop everything `make up` started
	@bash deploy/local/stack.sh down

status:
	@bash deploy/local/stack.sh status

migrate:                ## create each service's database when missing and apply its migrations (STATUS=1: list only)
	@bash deploy/local/stack.sh postgres
	@$(ENV) .venv/bin/python -m shared.db.migrate --all $(if $(filter 1,$(STATUS)),--status)

demo: up                ## the Geneva, July 2006 scenario end to end, with a summary
	@bash deploy/local/demo.sh

demo-bangkok: up        ## Bangkok 2006: shortfall, deferral to 2007, new venue, annual pool, narrated step by step
	@$(ENV) .venv/bin/python deploy/scenarios/play_bangkok.py

test:                   ## the whole suite against the real broker, database and SMTP server, then the cluster tests
	@bash deploy/local/stack.sh infra
	@$(ENV) .venv/bin/python -m pytest -n $(TEST_WORKERS)
	@$(MAKE) --no-print-directory test-cluster

test-fast:              ## the unit tests only (no Kafka, PostgreSQL or SMTP): the loop to run on every save
	@bash deploy/local/stack.sh install
	@.venv/bin/python -m pytest -m "not stack and not slow" -n 2 -q

test-cluster:           ## brokers of their own: secured (SASL, TLS, ACLs) and three nodes, one killed mid-Geneva (5-8 min)
	@bash deploy/local/stack.sh postgres
	@$(ENV) .venv/bin/python -m pytest -m cluster -n 2 --dist loadfile -o timeout=1200 tests/cluster

test-relocation:        ## 5,000 sponsored delegates follow their workshop to Vienna: 0 violations (about 10 min)
	@bash deploy/local/stack.sh infra
	@$(ENV) .venv/bin/python -m pytest -m relocation -o timeout=10800 tests/end_to_end/test_relocation.py

check:                  ## ruff, mypy, import-linter
	@bash deploy/local/stack.sh install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy -p shared -p registration.domain -p sponsorship.domain -p travel.domain -p notifications.domain -p gds
	.venv/bin/lint-imports

k8s-generate:           ## rewrite deploy/k8s's generated manifests and docs/asyncapi.yaml from the code
	@bash deploy/local/stack.sh install
	.venv/bin/python -m deploy.k8s.generate
	.venv/bin/python -m shared.contracts.asyncapi

k8s-check:              ## kubeconform on deploy/k8s, offline (installs kubeconform from the Go module proxy into var/bin)
	@bash deploy/k8s/check.sh

bench:                  ## throughput and latency figures as JSON (var/bench/latest.json)
	@bash deploy/local/stack.sh infra
	@$(ENV) .venv/bin/python -m tests.bench.pipeline
	@$(ENV) .venv/bin/python -m tests.bench.relocation --delegates $${RELOCATE_N:-25000}

clean: down
	rm -rf var
