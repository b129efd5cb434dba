# The two commands that matter: `make up` (deploy the dev stack) and `make test`.
# Everything else is a building block. Run `make help` for the list.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
STACK ?= dev
export STACK

.PHONY: help up test preview destroy refresh tools cluster-up cluster-down cluster-status lint bench check-fresh check-upgrade images

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

up: ## Deploy the stack (default: dev, on the embedded local API server) with the policy pack
	@scripts/pulumi.sh up

test: ## Everything CI runs: toolchain, lint, unit, policy and end-to-end tests
	@scripts/test.sh

preview: ## Preview the stack with the policy pack (what the PR check runs)
	@scripts/pulumi.sh preview

destroy: ## Destroy the stack (state PVCs and the namespace are retained on purpose)
	@scripts/pulumi.sh destroy

refresh: ## Compare the stack's state with the cluster
	@scripts/pulumi.sh refresh

tools: ## Build the offline toolchain (pulumi, language host, plugins, policy pack)
	@scripts/tools.sh pulumi plugins policy

cluster-up: ## Start the embedded cluster: control plane on loopback and one node on this machine (root)
	@scripts/cluster.sh up

cluster-down: ## Stop the embedded cluster and remove its mounts, interfaces, iptables rules, cgroups (keeps data)
	@scripts/cluster.sh down

cluster-status: ## Show the embedded cluster's health, component by component
	@scripts/cluster.sh status

lint: ## gofmt, go vet, staticcheck and actionlint
	@scripts/lint.sh

bench: ## Preview/up timings against the engine floor (docs/performance.md)
	@scripts/bench.sh

images: ## Build the local stand-ins of the pinned images (imported by cluster-up)
	@scripts/images.sh build

check-fresh: ## Clone HEAD and run `make up` + `make test` with empty module and project caches
	@scripts/check-fresh.sh

check-upgrade: ## Deploy FROM (default HEAD) as a throwaway stack, then require the working tree's up to write no object
	@scripts/check-upgrade.sh $(FROM)
