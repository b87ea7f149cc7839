# Portcullis — make targets. `make demo` runs a gateway on embedded defaults; `make test` runs every test.
SHELL := /bin/bash
NPX := npx --no-install

.PHONY: setup build test test-unit test-e2e lint format bench soak demo docs clean

setup:
	@bash scripts/setup.sh

build: node_modules
	@$(NPX) tsc -b packages/core packages/postgres packages/ssh packages/http packages/cli
	@node packages/cli/scripts/build-ui.mjs

node_modules: package-lock.json
	@npm ci --no-audit --no-fund >/dev/null && touch node_modules

# All tests: unit tests beside the code and e2e tests with real clients and servers.
test: setup build
	@$(NPX) vitest run

test-unit: build
	@$(NPX) vitest run packages

test-e2e: setup build
	@$(NPX) vitest run e2e

lint: node_modules
	@npx --yes @biomejs/biome@2.6.8 check packages e2e bench
	@$(NPX) tsc -b packages/cli
	@$(NPX) tsc -p packages/cli/src/admin/ui/tsconfig.json

format: node_modules
	@npx --yes @biomejs/biome@2.6.8 check --write packages e2e bench

# Long suites (200×10,000-frame recording, 100 MB transfers …).
soak: setup build
	@PORTCULLIS_SOAK=1 $(NPX) vitest run

# Timing runs against direct connections; results go to bench/RESULTS.md.
bench: setup build
	@bash bench/run.sh

demo: setup build
	@node packages/cli/bin/portcullis.js demo

clean:
	@rm -rf packages/*/dist

# The configuration reference, generated from the schema (a test fails when it is stale).
docs: build
	@node scripts/gen-config-doc.mjs
