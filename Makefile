# Top-level wrapper: installs the Debian packages the project needs, then drives CMake.
#   make        build build/jobgrid
#   make run    build, then start a server with the SQLite store and 2 local workers
#   make test   build with ASan+UBSan into build-test/ and run every test
#   make bench  build optimised and print the benchmark table
#   make fuzz   build the libFuzzer targets with clang and fuzz each for FUZZ_SECONDS
#   make lint   clang-tidy (.clang-tidy) and cppcheck over src/
#   make install  build, then install into $(DESTDIR)$(PREFIX) (default /usr/local): the
#               binary, man pages, bash and zsh completion, systemd units, docs

# The one list of dependencies (see DECISIONS.md).
DEB_PACKAGES := build-essential cmake ninja-build pkg-config libevent-dev libssl-dev \
  libcurl4-openssl-dev libjansson-dev libsqlite3-dev libpq-dev liblua5.4-dev libsodium-dev \
  libfyaml-dev libcriterion-dev curl clang libclang-rt-14-dev jq openssl prometheus \
  munge slurmctld slurmd slurm-client systemd man-db nodejs postgresql chromium
FUZZ_SECONDS ?= 60
# Ninja when present, decided when a recipe runs (after `deps` may have installed it); a
# build directory that exists keeps the generator it was made with.
gen = $(if $(wildcard $(1)/CMakeCache.txt),,$(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja"))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test bench fuzz lint clean install
all: build

# Installs only what is missing, so a machine that has everything never calls apt-get.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y \
	    --no-install-recommends $$missing; \
	fi
	@# The API document's checkers (redocly, ajv) and the dashboard's browser driver
	@# (playwright-core), and the graph layout vendored into web/vendor/ (@dagrejs/dagre),
	@# pinned by tools/package-lock.json; needs Node.js >= 18.17 and npm.
	@[ -d tools/node_modules/@redocly/cli ] && [ -d tools/node_modules/ajv-formats ] && \
	  [ -d tools/node_modules/playwright-core ] && [ -d tools/node_modules/@dagrejs/dagre ] || { \
	  command -v npm >/dev/null || $(SUDO) apt-get install -y --no-install-recommends npm; \
	  npm ci --prefix tools --no-audit --no-fund; }

build: deps
	@cmake -S . -B build $(call gen,build) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j2 --target jobgrid

# The prefix is a configure setting: the units name the installed binary's path.
install: deps
	@cmake -S . -B build $(call gen,build) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build build -j2 --target jobgrid jobgrid-share
	DESTDIR=$(DESTDIR) cmake --install build

run: build
	./build/jobgrid server --data ./jobgrid-data --local-workers 2

test: deps
	cmake -S . -B build-test $(call gen,build-test) -DCMAKE_BUILD_TYPE=Debug -DJG_SANITIZE=ON
	cmake --build build-test -j2
	cd build-test && ctest --output-on-failure -j2 --timeout 300

bench: deps
	@cmake -S . -B build-bench $(call gen,build-bench) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-bench -j2
	@bash bench/bench.sh build-bench

fuzz: deps
	cmake -S . -B build-fuzz $(call gen,build-fuzz) -DCMAKE_C_COMPILER=clang -DJG_FUZZ=ON \
	  -DJG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-fuzz -j2
	for f in build-fuzz/fuzz-*; do n=$${f##*/fuzz-}; mkdir -p build-fuzz/corpus-$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

lint: deps
	@cmake -S . -B build $(call gen,build) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	clang-tidy -p build --quiet src/*.c src/*/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  -Isrc -D_GNU_SOURCE --library=tools/jansson.cfg --suppress=missingIncludeSystem src

clean:
	rm -rf build build-test build-bench build-fuzz
