# skiff's entry points. `make up` and `make test` work from a fresh machine: host packages
# and dockerd come from deploy/ensure-deps.sh, Python packages from a virtualenv in .venv.

VENV ?= .venv
PY := $(VENV)/bin/python
# Re-made when pyproject.toml changes, so a dependency added there reaches every machine.
INSTALLED := $(VENV)/.installed
SKIFF := $(VENV)/bin/skiff
ETCD_DATA := /var/lib/skiff/etcd
# The packages mypy checks (all of skiff's code; tests are left to pytest).
TYPED := apimachinery client apiserver scheduler controller_manager kubelet proxy kubectl deploy

.PHONY: deps venv up down clean test test-e2e lint bench demo demo-chaos demo-down demo-clean

deps:
	@bash deploy/ensure-deps.sh

venv: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV)"; python3 -m venv $(VENV); }
	@echo "installing skiff and its test dependencies into $(VENV)"
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

up: deps venv
	$(SKIFF) up --no-install

down: venv
	$(SKIFF) down

clean: down
	rm -rf $(ETCD_DATA)

# The whole suite: unit, integration and e2e. Exit 5 from pytest (nothing collected) is a
# failure here: the suite is never empty, so an empty run means collection went wrong.
test: deps venv lint
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$rc

# The same for the e2e selection: those tests exist, so none collected is a failure too.
test-e2e: deps venv
	@$(PY) -m pytest -m e2e; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-e2e: pytest collected no e2e tests" >&2; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy $(TYPED)

bench: deps venv
	@set -e; found=0; for script in bench/[!_]*.py; do \
		[ -e "$$script" ] || continue; found=1; \
		name=$$(basename "$$script" .py); \
		echo "== bench/$$name"; $(PY) -m "bench.$$name"; \
	done; [ $$found -eq 1 ] || echo "make bench: no benchmarks in bench/ yet"

# The docker-compose multi-node demo (docs/demo.md). NODES=5 make demo for more nodes;
# NODE=node-2 make demo-chaos to choose the node that fails.
NODES ?= 3
DEMO := NODES=$(NODES) $(PY) -m deploy.demo

demo: deps venv
	@$(DEMO) up

demo-chaos: venv
	@$(DEMO) chaos $(if $(NODE),--node $(NODE))

demo-down: venv
	@$(DEMO) down

demo-clean: venv
	@$(DEMO) clean
