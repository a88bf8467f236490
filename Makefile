# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: run test test-go test-mongo test-miniprogram fuzz race bench build vet clean

## run: the server with demo data on :8080 (embedded SQLite and Redis, nothing else needed)
run:
	QJ_DEMO=1 $(GO) run ./cmd/server

## build: the server binary into bin/
build:
	$(GO) build -o bin/server ./cmd/server

## test: every test — Go unit, contract (SQLite + Mongo adapter on FerretDB), API, end-to-end, browser, mini program
test: vet test-go test-mongo test-miniprogram fuzz

vet:
	$(GO) vet ./...

test-go:
	set -o pipefail; $(GO) test -count=1 -json ./... | $(GO) run ./tools/testsum "go test"

## test-mongo: the API scenarios again, on the Mongo adapter (in-process FerretDB)
test-mongo:
	set -o pipefail; QJ_TEST_STORE=mongo $(GO) test -count=1 -json ./app/... ./console/... ./miniprogram-api/... | $(GO) run ./tools/testsum "go test (mongo adapter)"

## test-miniprogram: the mini program's jest suites (miniprogram-simulate; e2e against the real server)
test-miniprogram:
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error && npm test

## fuzz: a short run of the WeChat callback fuzz target (longer: make fuzz FUZZTIME=10m)
FUZZTIME ?= 10s
fuzz:
	set -o pipefail; $(GO) test -run '^$$' -fuzz '^FuzzCallback$$' -fuzztime $(FUZZTIME) ./app/ 2>&1 | grep -v '^fuzz: elapsed' | sed 's/^ok /fuzz (FuzzCallback, $(FUZZTIME)): ok /'

## race: the Go tests under the race detector (slow; not part of make test)
race:
	set -o pipefail; $(GO) test -race -count=1 -json ./... | $(GO) run ./tools/testsum "go test -race"

## bench: the performance figures the issues ask for (each heavy benchmark runs once)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./app/ ./excelio/

clean:
	rm -rf bin data
