# ThruModel: `make demo` runs the main job, `make test` runs every test.
# Both install what they need (Debian packages, NuGet restore) and are idempotent.

SHELL      := /bin/bash
CONFIG     ?= Release
DOTNET     ?= dotnet
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the Unicorn and qemu-user ISA oracles, z3 for the proofs, the RISC-V
# cross compiler and picolibc for the SDK examples, libsodium for Ed25519, gdb-multiarch for the
# debugger's test (thrumodel run --gdb).
DEBS       := libunicorn2 qemu-user z3 gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf libsodium23 gdb-multiarch
STAMP      := artifacts/.deps-$(CONFIG)
CLI        := $(DOTNET) run -c $(CONFIG) --no-build --project cli --
TESTS      := $(DOTNET) run -c $(CONFIG) --no-build --project tests/Thru.Tests --
# Extra arguments for the Expecto runner of `make test` (e.g. TEST_ARGS="--filter Isa.RoundTripTests").
TEST_ARGS  ?=
# Minutes of `make soak`.
SOAK_MINUTES ?= 10

.PHONY: all deps build examples test soak demo bench bench-build bench-programs benchmarkdotnet proofs clean

all: build

# Install missing Debian packages only (dpkg -s is fast when everything is present).
deps:
	@dpkg -s $(DEBS) >/dev/null 2>&1 || { \
	  echo "installing: $(DEBS)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBS) >/dev/null; }
	@command -v $(DOTNET) >/dev/null || { echo "the .NET SDK (dotnet) is required"; exit 1; }

build: deps examples
	$(DOTNET) build ThruModel.sln -c $(CONFIG) -nologo -v quiet -clp:NoSummary

# The C SDK's example programs (examples/build/*.bin), built from source with the RISC-V cross
# compiler (examples/Makefile installs it when missing).
examples: deps
	$(MAKE) -C examples --no-print-directory

proofs: build
	$(DOTNET) run -c $(CONFIG) --no-build --project proofs

# The Expecto suite (tests/Thru.Tests, tests in parallel where independent). It prints the ISA
# coverage total, then ends with the line `N passed, M failed`; a failure exits non-zero.
test: build
	$(TESTS) $(TEST_ARGS)

# A soak run: the randomised model-vs-engine properties (raw and transaction, every tier) under
# Expecto's --stress for SOAK_MINUTES minutes, each run with a fresh seed (a failure names it:
# replay with THRU_TEST_SEED=...).
soak: build
	$(TESTS) --soak $(SOAK_MINUTES)

demo: build
	$(CLI) demo

# Instructions/s of the engine, the model and Unicorn, and transactions/s, in one run.
bench: build bench-build
	$(CLI) bench

# The real-program suite of bench/ (C programs built as raw images, rv64imc raw images, static
# Linux RV64 ELFs and native binaries; see bench/Makefile), with the same Debian packages.
bench-build: deps
	$(MAKE) -C bench --no-print-directory

# The real-program suite timed: every measurement in a fresh process, medians of 3 (several minutes).
bench-programs: build bench-build
	$(CLI) bench --suite programs

# The same kernels under BenchmarkDotNet (slower, statistically careful).
benchmarkdotnet: build
	$(DOTNET) run -c $(CONFIG) --no-build --project tests/Thru.Bench -- --filter '*' 

clean:
	rm -rf artifacts */bin */obj tests/*/bin tests/*/obj bench/build
