# bifrost-http: the two commands a new user needs are `make run` and `make test`.
SWIFT      ?= swift
CONFIG     ?= config.json
PORT       ?= 8080
HOST       ?= 0.0.0.0
RELEASE_BIN = .build/release/bifrost-http
MOCK_BIN    = .build/release/bifrost-mock

# System packages: build needs (libssl-dev, zlib1g-dev), tests and benchmarks need the rest.
BUILD_PACKAGES = libssl-dev zlib1g-dev pkg-config
TEST_PACKAGES  = curl netcat-openbsd openssl gzip python3-venv prometheus redis-server
BENCH_PACKAGES = wrk nginx-light curl nghttp2-client openssl hey redis-server

.PHONY: run build build-tools test demo docker docker-plugins plugin bench bench-server bench-client bench-core bench-plugins mock deps-build deps-test deps-bench clean

run: build
	$(RELEASE_BIN) -config $(CONFIG) -host $(HOST) -port $(PORT)

build: deps-build
	$(SWIFT) build -c release --product bifrost-http

# Tests run one at a time: live-socket suites block a thread each while they wait for the server.
test: deps-build deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	bash scripts/sdk-tests.sh
	BIFROST_HTTP_BIN=.build/debug/bifrost-http BIFROST_MOCK_BIN=.build/debug/bifrost-mock bash scripts/demo.sh >/dev/null

# A tour: bifrost-mock over HTTPS, bifrost-http in front of it, a few curl calls, /metrics.
demo: build build-tools
	bash scripts/demo.sh

# A new plugin package from Plugins/template: `make plugin NAME=my-plugin` → Plugins/my-plugin
# (package and product MyPluginPlugin, plugin name "my-plugin").
plugin:
	@test -n "$(NAME)" || { echo "usage: make plugin NAME=my-plugin" >&2; exit 2; }
	@echo "$(NAME)" | grep -Eq '^[a-z][a-z0-9-]*$$' || { echo "NAME: lowercase letters, digits and dashes, starting with a letter" >&2; exit 2; }
	@test ! -e "Plugins/$(NAME)" || { echo "Plugins/$(NAME) already exists" >&2; exit 2; }
	@camel=$$(echo "$(NAME)" | awk -F- '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($$i, 1, 1)), substr($$i, 2) }')Plugin; \
	mkdir -p "Plugins/$(NAME)" && cp -R Plugins/template/. "Plugins/$(NAME)/" && rm -rf "Plugins/$(NAME)/.build"; \
	mv "Plugins/$(NAME)/Sources/TemplatePlugin" "Plugins/$(NAME)/Sources/$$camel"; \
	mv "Plugins/$(NAME)/Sources/$$camel/TemplatePlugin.swift" "Plugins/$(NAME)/Sources/$$camel/$$camel.swift"; \
	mv "Plugins/$(NAME)/Tests/TemplatePluginTests" "Plugins/$(NAME)/Tests/$${camel}Tests"; \
	mv "Plugins/$(NAME)/Tests/$${camel}Tests/TemplatePluginTests.swift" "Plugins/$(NAME)/Tests/$${camel}Tests/$${camel}Tests.swift"; \
	find "Plugins/$(NAME)" -type f \( -name '*.swift' -o -name '*.md' \) -exec sed -i \
	    -e "s/TemplatePlugin/$$camel/g" -e 's/"template"/"$(NAME)"/g' -e 's/template\./$(NAME)./g' \
	    -e 's/x-template-/x-$(NAME)-/g' -e 's|Plugins/template|Plugins/$(NAME)|g' {} +; \
	echo "created Plugins/$(NAME) ($$camel); add to config.json: {\"name\": \"$(NAME)\", \"type\": \"local\", \"source\": \"./Plugins/$(NAME)\", \"config\": {}}"

# The container image (needs a Docker engine; the tests lint docker/Dockerfile with hadolint instead).
docker:
	docker build -f docker/Dockerfile -t bifrost-http .

# The variant that compiles mounted plugins at start-up (full Swift toolchain inside).
docker-plugins:
	docker build -f docker/Dockerfile --target plugins -t bifrost-http:plugins .

# The mock upstream and the client load generator, for benchmarks and the demo.
build-tools: deps-build
	$(SWIFT) build -c release --product bifrost-mock
	$(SWIFT) build -c release --product bifrost-bench-client

# bifrost-mock on http://127.0.0.1:8081 (MOCK_FLAGS="-latency-ms 50" etc.).
mock: build-tools
	$(MOCK_BIN) -port 8081 $(MOCK_FLAGS)

bench-server: build deps-bench
	BIFROST_BIN=$(RELEASE_BIN) bash scripts/bench-server.sh

# End to end: load generator → mock direct, → nginx proxy_pass, → bifrost-http, HTTP and HTTPS upstreams.
bench: build build-tools deps-bench
	BIFROST_BIN=$(RELEASE_BIN) BIFROST_MOCK_BIN=$(MOCK_BIN) bash scripts/bench.sh

# The bundled plugins' cost per request (auth, ratelimit memory/Redis, cache) and their compile times.
bench-plugins: build build-tools deps-bench
	BIFROST_BIN=$(RELEASE_BIN) BIFROST_MOCK_BIN=$(MOCK_BIN) bash scripts/bench-plugins.sh

bench-core: deps-build
	bash scripts/bench-core.sh

bench-client: build-tools deps-bench
	BIFROST_MOCK_BIN=$(MOCK_BIN) BENCH_CLIENT_BIN=.build/release/bifrost-bench-client bash scripts/bench-client.sh

deps-build:
	@bash scripts/ensure-packages.sh $(BUILD_PACKAGES)
deps-test:
	@bash scripts/ensure-packages.sh $(TEST_PACKAGES)
deps-bench:
	@bash scripts/ensure-packages.sh $(BENCH_PACKAGES)

clean:
	rm -rf .build
