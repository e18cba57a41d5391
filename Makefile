# The user interface of the repository. `make run` and `make test` set up what is missing first.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all setup configure build run test test-only sanitize fuzz bench fmt lint clean fresh-machine

all: build

setup:
	@scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

# After every configure: fail here if the build used a package deps/apt-packages.txt does
# not bring to a fresh machine (scripts/check-apt-closure.sh; cached, about a second).
configure: $(BUILD_DIR)/build.ninja
	@scripts/check-apt-closure.sh $(BUILD_DIR)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds only the service binary; `make test` builds the rest.
run: setup configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target faceid
	$(BUILD_DIR)/src/faceid serve

test: setup build
	@scripts/test.sh $(BUILD_DIR)

# Runs the suite again without set-up (for quick iteration).
test-only: build
	@scripts/test.sh $(BUILD_DIR)

sanitize: setup
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFACEID_SANITIZE=ON -DFACEID_BUILD_BENCH=OFF
	@scripts/check-apt-closure.sh $(ASAN_DIR)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	@FACEID_SKIP_FUZZ=1 scripts/test.sh $(ASAN_DIR)

fuzz: setup
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),600)

bench: setup build
	@scripts/bench.sh $(BUILD_DIR)

fmt:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

lint: configure
	@git ls-files "src/*.cpp" | xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD_DIR) --quiet

# Release check: `make test` in a freshly bootstrapped Debian 12 root (slow: builds everything).
fresh-machine:
	@scripts/fresh-machine.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) build-fuzz
