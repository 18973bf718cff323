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

.PHONY: all run build server softphone load prompts deps vet vet-cross test test-short test-interop test-packaging test-tray bench soak fuzz screenshots package-linux package-macos package-deb package-windows clean

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

# The client and shared packages without cgo, vetted for the other desktop OSes (the Fyne
# packages need cgo and the OS's SDK, so they are built on that OS: package-windows, package-macos).
# (client/audio's PortAudio reaches phone, people, media, agent and voicemail: not in this list.)
CROSS_PKGS := ./shared/... ./client/link/ ./client/settings/ ./client/idle/ \
	./client/agent/agenttest/ ./client/voicemail/voicemailtest/ ./client/mediakeys/
## vet-cross: go vet of the cgo-free client/shared packages with GOOS=darwin and GOOS=windows.
vet-cross:
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)

## test: everything — unit, integration over real sockets, third-party interop (baresip, SIPp,
## linphonec) and Softphone tests (they start their own PulseAudio and Xvfb), then the packages
## (test-packaging).
# The packaging tests take both cores for minutes (cgo cross-builds, chroots), so they run after
# the tests that listen to real-time audio rather than beside them.
test: deps vet vet-cross
	./packaging/prompts.sh
	$(GO) test -count=1 -timeout 40m $$($(GO) list ./... | grep -v '/packaging/')
	$(GO) test -count=1 -timeout 40m ./packaging/...

## test-packaging: build every package and install it for real: Softphone.exe and its setup under
## Wine, the server .deb and the Softphone .deb in fresh Debian chroots, the Linux tarball's links
## (root for the chroots; about 15 minutes cold).
test-packaging: deps
	$(GO) test -count=1 -timeout 40m -v ./packaging/...

## test-short: unit tests only (integration tests skip themselves under -short).
test-short: vet
	$(GO) test -short -count=1 -timeout 10m ./...

## test-interop: only the third-party interop tests.
test-interop: deps
	$(GO) test -count=1 -timeout 20m -v ./server/interop/

## test-tray: the Softphone's tray, notifications and media keys (unit tests, a private D-Bus with
## dbus-send pressing MPRIS keys, and the real Softphone under Xvfb read over D-Bus; ~1 min).
test-tray: deps
	$(GO) test -count=1 -timeout 10m -run 'Tray|KeepInTray|Notifications|ChatOpen|MediaKey|CloseWithout|MPRIS|Dispatch' \
		./client/ui/ ./client/settings/ ./client/mediakeys/ ./client/cmd/softphone/

## bench: Go benchmarks, SIPp registration and call set-up rates, vaihde-load media run, 500
## callers waiting in one queue with 50 agents answering (BENCH_ONLY=queue) and the wait-estimate
## accuracy table, Softphone memory/CPU. Loopback only, bounded; prints figures (see docs/PERFORMANCE.md).
bench: deps
	./packaging/bench.sh

## soak: the Softphone's accelerated 8-hour day (issue 12): 500 calls and 5,000 presence changes
## against the real server on 127.0.0.1, RSS/heap/goroutines sampled 500 times, CSV into
## dist/soak-*.csv; ~6 min on 2 cores. Not part of `make test` (its leak check is).
soak: deps
	mkdir -p dist
	VAIHDE_SOAK=1 VAIHDE_SOAK_CSV=$(CURDIR)/dist/soak.csv $(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./client/ui/

## fuzz: every Fuzz* test for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) ./packaging/fuzz.sh

## screenshots: docs/screenshots/*.png of the real Softphone under Xvfb.
screenshots: deps
	./packaging/screenshots.sh

## package-linux: dist/linux/vaihde-softphone-<version>-linux-amd64.tar.gz (install.sh, per user) and
## dist/linux/vaihde-softphone_<version>_amd64.deb (Depends from the binary's libraries).
package-linux:
	./packaging/linux/build.sh

## package-macos: dist/macos/Vaihde Softphone.app and .dmg; only on a Mac (docs/PACKAGING.md "## macOS").
package-macos:
	./packaging/macos/build.sh

## package-deb: dist/vaihde_<version>_amd64.deb, the server as a Debian package (static binary,
## hardened systemd unit, /etc/vaihde/config.json, voice prompts); VAIHDE_VERSION=… overrides the version.
package-deb:
	./packaging/deb/build.sh

## package-windows: cross-build dist/windows/Softphone.exe (static GUI, mingw-w64 + PortAudio from
## Debian's source) and its NSIS setup Softphone-setup-<version>.exe; signed when SIGN_* is set
## (docs/PACKAGING.md). DIST=<dir> writes elsewhere.
package-windows:
	./packaging/windows/build.sh

clean:
	rm -rf $(BIN)
