# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: run test test-go test-mongo fuzz bench build vet clean

## run: the server with demo data on :8080 (embedded SQLite and Redis, nothing else needed)
run:
	QJ_DEMO=1 $(GO) run ./cmd/server

## build: the server binary into bin/
build:
	$(GO) build -o bin/server ./cmd/server

## test: every test — Go unit, contract (SQLite + Mongo adapter on FerretDB), API, end-to-end, browser
test: vet test-go test-mongo

vet:
	$(GO) vet ./...

test-go:
	set -o pipefail; $(GO) test -count=1 -json ./... | $(GO) run ./tools/testsum "go test"

## test-mongo: the API scenarios again, on the Mongo adapter (in-process FerretDB)
test-mongo:
	set -o pipefail; QJ_TEST_STORE=mongo $(GO) test -count=1 -json ./app/... ./console/... ./miniprogram-api/... | $(GO) run ./tools/testsum "go test (mongo adapter)"

## bench: the performance figures the issues ask for
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin data
