# The README's commands. Scripts live in deploy/local/ (see README.md, "Running locally").
SHELL := /bin/bash
.DEFAULT_GOAL := help

LOCAL := deploy/local
LIB := bash $(LOCAL)/lib.sh
# uv as installed by `$(LIB) ensure_uv`: the binary on PATH, else pip's module. Recursive, so
# it is looked up when a recipe runs (after the ensure_uv prerequisite).
UV = $(shell command -v uv >/dev/null 2>&1 && echo uv || echo python3 -m uv)
PYTEST_ARGS ?=
DEMO_CASES ?=

.PHONY: help install up down status logs infra test lint demo bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: ## install uv if missing and the workspace into .venv (uv sync)
	@$(LIB) ensure_uv uv_sync

up: ## start RabbitMQ/PostgreSQL if needed and all five services; wait until ready
	@bash $(LOCAL)/up.sh

down: ## stop the services started by make up
	@bash $(LOCAL)/down.sh

status: ## pid, liveness and /readyz of each service
	@bash $(LOCAL)/status.sh

logs: ## follow the services' logs
	@$(LIB) tail_logs

infra: ## make sure RabbitMQ and PostgreSQL run (installs/starts them when local)
	@$(LIB) ensure_uv ensure_infra

test: infra ## run every test (extra pytest arguments: PYTEST_ARGS="-k intake -x")
	@$(LIB) ensure_promtool
	$(UV) run pytest $(PYTEST_ARGS)

lint: ## ruff check, ruff format --check, import-linter contracts
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run lint-imports

demo: ## load demo organizations, case types, staff and ~300 cases in every status (after make up; DEMO_CASES=N)
	$(UV) run python -m gateway.demo $(DEMO_CASES)

bench: ## run the benchmarks (prints numbers; not pass/fail)
	$(UV) run python bench/run.py
