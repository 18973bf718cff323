# Vaihde — build and test entry points. `make run` starts the server with the demo organisation;
# `make test` installs what the tests need (Debian packages) and runs every test.

GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 20s
# Flags for `make run`, e.g. make run ARGS='-log-level debug'. The demo stays on loopback: another
# address needs -demo-public (its passwords are public).
ARGS      ?=

export LANG := C.UTF-8
export LC_ALL := C.UTF-8

SERVER_PKG    := ./server/cmd/vaihde
SOFTPHONE_PKG := ./client/cmd/softphone
LOAD_PKG      := ./server/cmd/vaihde-load

.PHONY: all run build server softphone load prompts deps vet test test-short test-interop bench fuzz screenshots package-windows clean

all: build

## run: build the server and start it with the demo organisation (users 1001-1010, password demo<ext>).
run: server
	@./packaging/prompts.sh || echo "make run: no voice prompts (make deps installs espeak-ng and sox); service numbers answer with tones"
	exec $(BIN)/vaihde -demo $(ARGS)

## build: the server (pure Go, CGO_ENABLED=0) and the Softphone (cgo: Fyne + PortAudio).
## (Voice prompts: `make prompts`; the server does not play them yet.)
build: server softphone

server:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/vaihde $(SERVER_PKG)

softphone:
	CGO_ENABLED=1 $(GO) build -trimpath -o $(BIN)/softphone $(SOFTPHONE_PKG)

load:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/vaihde-load $(LOAD_PKG)

## prompts: the server's voice prompts, assets/prompts/<fi|sv|en>/<key>.wav, spoken by espeak-ng from
## packaging/prompts.tsv (not committed; only changed texts are regenerated, FORCE=1 redoes all).
prompts:
	./packaging/prompts.sh

## deps: install the missing Debian packages for building and testing (idempotent).
deps:
	./packaging/install-deps.sh

vet:
	$(GO) vet ./...

## test: everything — unit, integration over real sockets, third-party interop (baresip, SIPp,
## linphonec) and Softphone tests (they start their own PulseAudio and Xvfb).
test: deps vet
	./packaging/prompts.sh
	$(GO) test -count=1 -timeout 40m ./...

## test-short: unit tests only (integration tests skip themselves under -short).
test-short: vet
	$(GO) test -short -count=1 -timeout 10m ./...

## test-interop: only the third-party interop tests.
test-interop: deps
	$(GO) test -count=1 -timeout 20m -v ./server/interop/

## bench: Go benchmarks, SIPp registration and call set-up rates, vaihde-load media run, 500
## callers waiting in one queue with 50 agents answering (BENCH_ONLY=queue) and the wait-estimate
## accuracy table, Softphone memory/CPU. Loopback only, bounded; prints figures (see docs/PERFORMANCE.md).
bench: deps
	./packaging/bench.sh

## fuzz: every Fuzz* test for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) ./packaging/fuzz.sh

## screenshots: docs/screenshots/*.png of the real Softphone under Xvfb.
screenshots: deps
	./packaging/screenshots.sh

## package-windows: cross-build dist/windows/Softphone.exe (static GUI, mingw-w64 + PortAudio from
## Debian's source) and its NSIS setup Softphone-setup-<version>.exe; signed when SIGN_* is set
## (docs/PACKAGING.md). DIST=<dir> writes elsewhere.
package-windows:
	./packaging/windows/build.sh

clean:
	rm -rf $(BIN)
