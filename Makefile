# trustagent — build, test, package.
#
#   make run     trustd on simulated sensors, default models, embedded MQTT broker
#   make test    vet, race tests (with a real mosquitto), ARM test runs under qemu
#   make chaos   an hour of broker restarts, kills and a full disk against the MQTT contract
#
# See README.md for everything else.

GO        ?= go
PKG       := github.com/sensortrust/trustagent
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X $(PKG)/internal/version.Version=$(VERSION)
DIST      := dist
BIN       := bin
# Packages with no host dependencies: their tests also run as ARM binaries.
PORTABLE  := ./fixedpoint/... ./likelihood/... ./sensors/... ./firmware/... ./internal/modelbundle/...
TESTFLAGS ?= -timeout 30m

.PHONY: all build run test chaos test-host test-arm64 test-arm lint bench measure cross deb boot-test models results host-bench host-stress clean tools-check

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# The demo starts from the committed models each time (their slots in the
# state directory are cleared), so a `make models` shows up at once, and
# learns its host model afresh, so the learning phase shows.
run: build
	@rm -rf .cache/trustd/models .cache/trustd/host
	@echo "trustd: simulated LiDAR and camera, default fault scenario, MQTT broker on 127.0.0.1:1883"
	@echo "watch the MQTT side:  mosquitto_sub -h 127.0.0.1 -t 'trust/#' -v      (Ctrl-C stops trustd)"
	@echo "dashboard:            http://127.0.0.1:9481/"
	./$(BIN)/trustd --config deploy/run.yaml --live --log-level warn

test: tools-check test-host test-arm64 test-arm

# The tools the suite needs. A missing one fails the run: nothing is skipped in silence.
tools-check:
	@missing=""; for t in mosquitto mosquitto_sub qemu-aarch64 qemu-arm chromium; do \
		command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	python3 -c 'import paho.mqtt.client' 2>/dev/null || /usr/bin/python3 -c 'import paho.mqtt.client' 2>/dev/null || \
		missing="$$missing python3-paho-mqtt"; \
	if [ -n "$$missing" ]; then \
		echo "make test: missing tools:$$missing (Debian: apt-get install mosquitto mosquitto-clients qemu-user chromium python3-paho-mqtt)"; exit 1; fi

test-host:
	$(GO) vet ./...
	$(GO) test -race $(TESTFLAGS) ./...
	# Tests too slow under the race detector run here without it.
	$(GO) test $(TESTFLAGS) -run 'Golden|TrustdAndTrustctlScoreAgree' ./agent/
	$(GO) test $(TESTFLAGS) -run 'DashboardShowsFaultInBrowser' ./cmd/trustd/
	$(GO) test $(TESTFLAGS) -run 'RowReplay(FindsRollingTear|CleanSim)|SurfaceHoles(Clean|DensityLoss|OtherFaults)|DarkRings(CleanSim|LostLasers)|LensDirt(CleanSim|CleanReal|FindsOcclusion)|Veil(CleanSim|CleanReal|FindsBrightnessContrast)' ./agent/integrity/

# The chaos/soak run of the MQTT contract (internal/chaos; its short form runs in test-host).
CHAOS_DURATION ?= 1h
chaos:
	CHAOS_DURATION=$(CHAOS_DURATION) $(GO) test -run TestChaos -v -count=1 -timeout 0 ./internal/chaos/

test-arm64:
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test -exec qemu-aarch64 $(TESTFLAGS) $(PORTABLE)

test-arm:
	CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) test -exec qemu-arm $(TESTFLAGS) $(PORTABLE)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) run ./internal/benchsum $(BENCHFLAGS)

# Detection measurements on simulated and real data (minutes of CPU each);
# docs/scorer.md and docs/agent.md say how to read what they print.
measure:
	LIKELIHOOD_EVAL=sim,real,exact $(GO) test -run TestEval -v -timeout 60m ./likelihood/
	TRUSTAGENT_MEASURE=1 $(GO) test -run TestMeasure -v -timeout 60m ./agent/

# The host model on this machine's real /proc and /sys under CPU, memory and disk loads
# (about 15 minutes; it loads the machine).
host-stress:
	TRUSTAGENT_MEASURE_HOST_STRESS=1 $(GO) test -run '^TestHostUnderStress$$' -v -timeout 40m ./agent/

cross:
	@mkdir -p $(DIST)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64         $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-arm64/ ./cmd/...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7   $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-armv7/ ./cmd/...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6   $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-armv6/ ./cmd/...
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64         $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-amd64/ ./cmd/...
	@ls -l $(DIST)/*/

models:
	$(GO) run ./cmd/trustctl models --out deploy/models

# docs/results.md is generated, never edited by hand: the detection tables of the committed models.
results:
	$(GO) run ./cmd/trustctl results --out docs/results.md

# docs/host-health.md is generated too: the host fault bench's table beside the default sensor
# models' (some minutes).
host-bench:
	HOST_BENCH=1 $(GO) test -run 'HostFaultBench$$' -count=1 -timeout 60m ./agent/host -args -doc $(CURDIR)/docs/host-health.md

# nfpm (a well-kept packager) is fetched through the Go module proxy at a pinned version.
NFPM       := $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.44.0
DEBVERSION ?= $(shell v=$$(git describe --tags --abbrev=0 2>/dev/null | sed 's/^v//'); echo "$${v:-0.1.0}+git$$(git rev-parse --short HEAD 2>/dev/null || echo 0)")

deb: cross
	@test -d deploy/models || { echo "make deb: deploy/models is missing; run make models"; exit 1; }
	rm -rf $(DIST)/stage && mkdir -p $(DIST)/stage
	cp $(DIST)/linux-arm64/trustd $(DIST)/linux-arm64/trustctl $(DIST)/stage/
	DEBVERSION=$(DEBVERSION) ARCH=arm64 $(NFPM) pkg --packager deb --config deploy/nfpm.yaml --target $(DIST)/
	cp $(DIST)/linux-armv7/trustd $(DIST)/linux-armv7/trustctl $(DIST)/stage/
	DEBVERSION=$(DEBVERSION) ARCH=armhf $(NFPM) pkg --packager deb --config deploy/nfpm.yaml --target $(DIST)/
	cp $(DIST)/linux-amd64/trustd $(DIST)/linux-amd64/trustctl $(DIST)/stage/
	DEBVERSION=$(DEBVERSION) ARCH=amd64 $(NFPM) pkg --packager deb --config deploy/nfpm.yaml --target $(DIST)/
	@ls -l $(DIST)/*.deb

# Installs the amd64 package on a fresh Debian booted with systemd as PID 1
# and checks start, reload, clean stop and restart (as root; Debian packages
# mmdebstrap and systemd-container; downloads a minimal Debian once).
boot-test: deb
	sh deploy/boot-test.sh $(DIST)/trustagent_$(DEBVERSION)_amd64.deb

clean:
	rm -rf $(BIN) $(DIST)
