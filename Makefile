# Coffer: the two commands that matter are `make run` (the two-dc topology) and `make test`.
# Both install missing Debian packages first (make deps). `make bench` runs the
# benchmarks (bench/, docs/performance.md); it is not part of `make test`.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

DEB_PACKAGES := g++ cmake ninja-build ccache pkg-config libboost-dev libboost-system-dev \
  libboost-context-dev \
  libssl-dev openssl librocksdb-dev libprotobuf-dev protobuf-compiler \
  protobuf-compiler-grpc libgrpc++-dev nlohmann-json3-dev libgtest-dev libgmock-dev \
  python3 python3-pytest python3-hvac python3-requests curl wrk libpq-dev postgresql \
  libgoogle-perftools-dev
# Peers that only `make bench` runs (the HTTP floor and a durable KV store).
BENCH_PACKAGES := nginx etcd-server
BENCH_BUILD_DIR ?= build-release
BENCH_ARGS ?=
BENCH_REPL_ARGS ?=
BENCH_DR_ARGS ?=

export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps bench-deps configure build test run run-dev bench bench-build bench-replication \
  bench-dr clean

all: build

# $(call install_missing,PACKAGES): apt-get install those not installed yet.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "installing Debian packages: nodejs npm"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi
	@# node_modules of the node-vault suite (ctest integration.node_vault)
	@cd tests/integration/node && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
	  echo "npm ci in tests/integration/node"; \
	  npm ci --no-audit --no-fund --loglevel=error && touch node_modules; \
	fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The two-dc reference topology (4 clusters) in the foreground: prints each
# site's VAULT_ADDR/VAULT_TOKEN; Ctrl-C stops every cluster.
run: build
	./$(BUILD_DIR)/coffer topology up two-dc

# One dev server (in-memory, unsealed, root token printed).
run-dev: build
	./$(BUILD_DIR)/coffer server -dev

bench-deps: deps
	$(call install_missing,$(BENCH_PACKAGES))

# Benchmarks (not part of `make test`): a Release build in its own directory,
# then bench/run.py (Coffer on RocksDB, nginx, etcd, the disk floor; wrk) and
# bench/replication.py (lag, catch-up, throughput with 0/1/3 secondaries) and
# bench/dr.py (DR promotion time with 100,000 leases, data lost by a kill).
# BENCH_ARGS passes options to run.py, e.g. BENCH_ARGS="--duration 5 --only kvv2_read";
# BENCH_REPL_ARGS to replication.py, e.g. BENCH_REPL_ARGS="--catchup-keys 10000";
# BENCH_DR_ARGS to dr.py, e.g. BENCH_DR_ARGS="--leases 20000" or "--smoke".
bench-build: bench-deps
	@test -f $(BENCH_BUILD_DIR)/build.ninja || cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	cmake --build $(BENCH_BUILD_DIR) -j $(JOBS) --target coffer

bench: bench-build
	/usr/bin/python3 bench/run.py --coffer $(BENCH_BUILD_DIR)/coffer $(BENCH_ARGS)
	/usr/bin/python3 bench/replication.py --coffer $(BENCH_BUILD_DIR)/coffer $(BENCH_REPL_ARGS)
	/usr/bin/python3 bench/dr.py --coffer $(BENCH_BUILD_DIR)/coffer $(BENCH_DR_ARGS)

bench-replication: bench-build
	/usr/bin/python3 bench/replication.py --coffer $(BENCH_BUILD_DIR)/coffer $(BENCH_REPL_ARGS)

bench-dr: bench-build
	/usr/bin/python3 bench/dr.py --coffer $(BENCH_BUILD_DIR)/coffer $(BENCH_DR_ARGS)

clean:
	rm -rf $(BUILD_DIR)
