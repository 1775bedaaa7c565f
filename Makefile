# The two commands of the README, and a few helpers. Everything builds in build/ (Release).
BUILD ?= build
ARM64_BUILD ?= build-arm64
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test sanitize test-arm64 memcheck bench bench-report clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD).configure.log 2>&1 \
		|| { cat $(BUILD).configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: ShuffleNet V2 x1.0 next to ShuffleNet V1 g=3 on this CPU, through the benchmark
# suite and the report tool's table (the same code as make bench-report).
run: build
	@$(BUILD)/sn2_bench --benchmark_filter='network/shufflenet_v(2_x1_0|1_g3)/compiled/threads:1/' \
		--benchmark_repetitions=5 --benchmark_min_time=0.2 --benchmark_out=$(BUILD)/run.json \
		--benchmark_out_format=json > /dev/null 2> $(BUILD)/run.log || { cat $(BUILD)/run.log; exit 1; }
	@python3 tools/bench_report.py --run-table $(BUILD)/run.json

# The whole suite: unit tests, CLI, install + example app, and the valgrind memcheck; then the
# unit and CLI tests again under the sanitizers.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory sanitize

# The googletest suites and the CLI tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer (any finding fails its test): out-of-bounds accesses and undefined
# behaviour that valgrind does not see.
sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSN2_SANITIZE=ON \
		-DSN2_BUILD_CLI=ON -DSN2_BUILD_BENCHMARKS=OFF > $(SANITIZE_BUILD).configure.log 2>&1 \
		|| { cat $(SANITIZE_BUILD).configure.log; exit 1; }
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	@cd $(SANITIZE_BUILD) && ctest --output-on-failure -j $(JOBS)

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

# The suite on each ISA path of REPORT_ISAS (one thread), then docs/bench/report.md and its
# plots (tools/bench_report.py); the JSON files stay in $(BUILD)/. The first path also runs the
# networks' ablation plans and the networks compiled for the other paths, in the same run.
# On a CPU without AVX-512: make bench-report REPORT_ISAS="avx2 scalar".
REPORT_ISAS ?= avx512f avx2 scalar
REPORT_FILTER ?= guideline/|block/|network/.*/compiled/threads:1/
REPORT_FIRST_FILTER ?= guideline/|block/|network/.*/threads:1/
bench-report: build
	@scripts/install-deps.sh report
	@# Medians of 3 repetitions on every path (about 19 minutes in all on this machine).
	@filter='$(REPORT_FIRST_FILTER)'; files=; for isa in $(REPORT_ISAS); do \
		echo "sn2_bench on the $$isa path"; \
		SN2_FORCE_ISA=$$isa $(BUILD)/sn2_bench --benchmark_filter="$$filter" \
			--benchmark_min_time=0.05 --benchmark_repetitions=3 \
			--benchmark_out=$(BUILD)/bench-$$isa.json --benchmark_out_format=json \
			> /dev/null 2> $(BUILD)/bench-$$isa.log || { cat $(BUILD)/bench-$$isa.log; exit 1; }; \
		filter='$(REPORT_FILTER)'; files="$$files $(BUILD)/bench-$$isa.json"; \
	done; /usr/bin/python3 tools/bench_report.py $$files --out docs/bench

# Only the valgrind part of the suite.
memcheck: build
	@cd $(BUILD) && ctest --output-on-failure -L memcheck

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(ARM64_BUILD) $(ARM64_BUILD).configure.log \
		$(SANITIZE_BUILD) $(SANITIZE_BUILD).configure.log
