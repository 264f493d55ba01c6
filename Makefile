# bifrost-http: the two commands a new user needs are `make run` and `make test`.
SWIFT      ?= swift
CONFIG     ?= config.json
PORT       ?= 8080
HOST       ?= 0.0.0.0
RELEASE_BIN = .build/release/bifrost-http

# System packages: build needs (libssl-dev, zlib1g-dev), tests and benchmarks need the rest.
BUILD_PACKAGES = libssl-dev zlib1g-dev pkg-config
TEST_PACKAGES  = curl netcat-openbsd
BENCH_PACKAGES = wrk nginx-light curl

.PHONY: run build test bench-server deps-build deps-test deps-bench clean

run: build
	$(RELEASE_BIN) -config $(CONFIG) -host $(HOST) -port $(PORT)

build: deps-build
	$(SWIFT) build -c release --product bifrost-http

test: deps-build deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench-server: build deps-bench
	BIFROST_BIN=$(RELEASE_BIN) bash scripts/bench-server.sh

deps-build:
	@bash scripts/ensure-packages.sh $(BUILD_PACKAGES)
deps-test:
	@bash scripts/ensure-packages.sh $(TEST_PACKAGES)
deps-bench:
	@bash scripts/ensure-packages.sh $(BENCH_PACKAGES)

clean:
	rm -rf .build
