# The two commands of the README, and a few helpers. Everything builds in build/ (Release).
BUILD ?= build
ARM64_BUILD ?= build-arm64
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test test-arm64 memcheck bench clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD).configure.log 2>&1 \
		|| { cat $(BUILD).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: ShuffleNet V2 x1.0 next to ShuffleNet V1 g=3 on this CPU.
run: build
	@$(BUILD)/sn2 compare builtin:shufflenet_v2_x1_0 builtin:shufflenet_v1_g3

# The whole suite: unit tests, CLI, install + example app, and the valgrind memcheck.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The benchmark suite (docs/performance.md); pass more Google Benchmark flags in BENCH_ARGS.
bench: build
	@$(BUILD)/sn2_bench --benchmark_min_time=0.2 $(BENCH_ARGS)

# The suite cross-built for aarch64 (NEON kernels, XNNPACK's arm64 build) and run under
# qemu-aarch64; scripts/setup-arm64.sh installs the cross tools and unpacks an arm64 sysroot.
test-arm64: deps
	@scripts/setup-arm64.sh $(CURDIR)/$(ARM64_BUILD)/sysroot
	@cmake -S . -B $(ARM64_BUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
		-DSN2_ARM64_SYSROOT=$(CURDIR)/$(ARM64_BUILD)/sysroot -DSN2_BUILD_CLI=OFF \
		-DSN2_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Release > $(ARM64_BUILD).configure.log 2>&1 \
		|| { cat $(ARM64_BUILD).configure.log; exit 1; }
	@cmake --build $(ARM64_BUILD) -j $(JOBS)
	@cd $(ARM64_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Only the valgrind part of the suite.
memcheck: build
	@cd $(BUILD) && ctest --output-on-failure -L memcheck

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(ARM64_BUILD) $(ARM64_BUILD).configure.log
