# Grisaille's developer and CI entry points. `make test` is the project's one
# test command; .ci/run calls it after installing what the tests need.

GO ?= go

# Files that templ generates from *.templ files. They are committed, so that
# the tree builds without a generate step; `make test` checks they are fresh.
TEMPL_GO := '*_templ.go'

.PHONY: test test-postgres check-generated vet run generate build bench bench-http bench-signin

## test: check the generated templ code, vet, and run every test once on
## SQLite, then again on PostgreSQL where GRISAILLE_TEST_POSTGRES names a
## server (the components/bundle tests fail when the committed widgets'
## bundle is stale).
test: check-generated
	$(GO) vet ./...
	GRISAILLE_TEST_DB=sqlite $(GO) test -count=1 -timeout 15m ./...
	@$(MAKE) --no-print-directory test-postgres

## test-postgres: every test on PostgreSQL, each in a schema of its own on the
## server GRISAILLE_TEST_POSTGRES names; mandatory when CI is set.
test-postgres:
	@if [ -n "$$GRISAILLE_TEST_POSTGRES" ]; then \
		echo "running every test again on PostgreSQL"; \
		GRISAILLE_TEST_DB=postgres $(GO) test -count=1 -timeout 15m ./...; \
	elif [ -n "$$CI" ] && [ "$$CI" != "false" ] && [ "$$CI" != "0" ]; then \
		echo "ERROR: CI is set and GRISAILLE_TEST_POSTGRES is not: the tests must run on PostgreSQL too." >&2; \
		echo "       Start a server with: export GRISAILLE_TEST_POSTGRES=\"\$$(.ci/postgres)\"" >&2; \
		exit 1; \
	else \
		echo "skipping the PostgreSQL run: GRISAILLE_TEST_POSTGRES is unset"; \
		echo "(apt-get install postgresql, then export GRISAILLE_TEST_POSTGRES=\"\$$(.ci/postgres)\")"; \
	fi

## check-generated: fail if `go tool templ generate` changes or adds *_templ.go
## files, or if the widgets' bundle is not what components/elements build to.
check-generated:
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { \
		echo "check-generated: not a git work tree, cannot compare generated files" >&2; exit 1; }
	$(GO) tool templ generate
	@if ! git diff --exit-code --stat -- $(TEMPL_GO); then \
		echo "ERROR: generated templ files are stale (changed files listed above)." >&2; \
		echo "       Run 'make generate' and commit the *_templ.go files." >&2; \
		exit 1; \
	fi
	@untracked="$$(git ls-files --others --exclude-standard -- $(TEMPL_GO))"; \
	if [ -n "$$untracked" ]; then \
		echo "ERROR: these generated templ files are not committed:" >&2; \
		echo "$$untracked" | sed 's/^/       /' >&2; \
		echo "       Run 'make generate' and commit the *_templ.go files." >&2; \
		exit 1; \
	fi
	@echo "generated templ files are fresh"
	$(GO) run ./components/bundle >/dev/null
	@if ! git diff --exit-code --stat -- static/widgets; then \
		echo "ERROR: the widgets' bundle is stale (static/widgets above)." >&2; \
		echo "       Run 'make generate' and commit static/widgets." >&2; \
		exit 1; \
	fi
	@echo "widgets' bundle is fresh"

## run: serve the portal with demo data.
run:
	$(GO) run . serve --demo

## generate: regenerate the *_templ.go files from the *.templ files, and the
## widgets' bundle (static/widgets) from components/elements.
generate:
	$(GO) tool templ generate
	$(GO) run ./components/bundle

## build: build the grisaille binary in the repository root.
build:
	$(GO) build -o grisaille .

## bench: run every benchmark, and no test.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-signin: 200 parallel sign-ins (right and wrong passwords); prints the
## portal's peak RSS next to its RSS before, and the answers.
bench-signin:
	$(GO) run ./bench/http -signin 200

## bench-http: the portal over HTTP with wrk, next to the platform direct and a
## bare reverse proxy, on SQLite (and PostgreSQL, one instance and two behind a
## balancer, when GRISAILLE_TEST_POSTGRES is set); prints medians of 3 runs.
bench-http:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "bench-http needs wrk: apt-get install wrk" >&2; exit 1; }
	$(GO) run ./bench/http
