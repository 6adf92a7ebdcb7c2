# Two commands for a newcomer: `make demo` (run) and `make test` (test). See README.rst.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export ODOO_SRC ?= $(HOME)/src/odoo-19.0
export VENV ?= $(ROOT)/.venv
export PORT ?= 8069
export DB ?= saas_demo
TEST_DB ?= saas_test
MODULES := saas_connector_base,saas_stripe,saas_deferred_revenue,saas_crm_sync
ADDONS := $(ROOT)/addons
ODOO := $(VENV)/bin/python $(ODOO_SRC)/odoo-bin -c $(ROOT)/odoo.conf

.PHONY: help setup demo stop test soak chaos lint bench i18n clean

help:
	@echo "make demo   set up, create database $(DB) with the suite and demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   set up, install the suite in a fresh database $(TEST_DB) and run every test with pytest"
	@echo "make lint   ruff, pylint-odoo and hadolint"
	@echo "make stop   stop the server started by make demo"
	@echo "make bench  benchmarks in tests/bench"
	@echo "make soak   the permutation property of the books over many generated books"
	@echo "make chaos  the chaos campaign in tests/chaos (CHAOS_SCALE=small for its CI size)"
	@echo "make i18n   regenerate the translation templates (after make test)"

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

stop:
	@bash scripts/stop.sh

test: setup
	@bash scripts/test.sh

soak: setup
	@bash scripts/soak.sh

chaos: setup
	@$(VENV)/bin/python tests/chaos/run.py --scale $${CHAOS_SCALE:-full}

lint: setup
	@bash scripts/lint.sh

i18n: setup
	@bash scripts/i18n.sh

bench: setup
	@bash scripts/bench.sh

clean:
	rm -rf $(VENV) odoo.conf .odoo-data .run
