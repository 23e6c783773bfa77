VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test
test:
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pytest -q
