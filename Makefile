# supervision-audit: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= 2026-10-31
comma  := ,

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench docs sample-data sample-exports batch-demo clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with its dev tools (idempotent)

demo: install ## Audit the bundled sample authority (children and staff) with the Lambeth ruleset
	$(BIN)/supervision-audit audit --data sample_data --ruleset lambeth --as-of $(AS_OF) --limit 15

lint: install ## ruff check, ruff format --check, import-linter, mypy
	$(BIN)/ruff check supervision_audit tests tools
	$(BIN)/ruff format --check supervision_audit tests tools
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format supervision_audit tests tools
	$(BIN)/ruff check --fix supervision_audit tests tools

test: install lint ## Lint, then run the whole test suite
	$(BIN)/python -m pytest

bench: install ## Benchmark load, audit and output on 100k and 1M generated children
	$(BIN)/python -m tools.bench $(if $(SIZE),--sizes 1m$(comma)$(SIZE)) $(ARGS)

docs: install ## Regenerate docs/rulesets.md (schema) and docs/cli.md (every --help) from the code
	$(BIN)/python -m supervision_audit.rules.docs
	$(BIN)/python -m tools.cli_docs

batch-demo: install ## Run the example batch of audits (examples/batch.yaml) into out/batch/
	mkdir -p out/batch
	$(BIN)/supervision-audit batch examples/batch.yaml --summary out/batch/summary.json --previous out/batch/; \
	  code=$$?; echo "batch exit code: $$code (0 passed, 1 a threshold failed, 2 an audit could not run)"; \
	  test $$code -ne 2

sample-data: install ## Write a synthetic authority (canonical CSVs) into out/sample-data (CHILDREN=200)
	$(BIN)/python -m tools.synth --out out/sample-data --children $(or $(CHILDREN),200)

sample-exports: install ## Rewrite sample_data/{mosaic,eclipse,ssd} from the canonical sample
	$(BIN)/python -m tools.exports sample_data

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
