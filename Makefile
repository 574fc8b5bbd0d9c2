# ThruModel: `make demo` runs the main job, `make test` runs every test.
# Both install what they need (Debian packages, NuGet restore) and are idempotent.

SHELL      := /bin/bash
CONFIG     ?= Release
DOTNET     ?= dotnet
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the Unicorn and qemu-user ISA oracles, z3 for the proofs, the RISC-V
# cross compiler and picolibc for the SDK examples, libsodium for Ed25519, Unicorn's Python
# binding for the conformance kit's second adapter (conformance/adapters/unicorn_adapter.py), and
# gdb-multiarch for the debugger's test (thrumodel run --gdb).
DEBS       := libunicorn2 qemu-user z3 gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf libsodium23 python3-unicorn gdb-multiarch
STAMP      := artifacts/.deps-$(CONFIG)
CLI        := $(DOTNET) run -c $(CONFIG) --no-build --project cli --
TESTS      := $(DOTNET) run -c $(CONFIG) --no-build --project tests/Thru.Tests --
# Extra arguments for the Expecto runner of `make test` (e.g. TEST_ARGS="--filter Isa.RoundTripTests").
TEST_ARGS  ?=
# Minutes of `make soak`.
SOAK_MINUTES ?= 10
# `make pack` writes the NuGet packages here (a local feed); `make install` installs the
# `thrumodel` tool from it into $(TOOL_DIR), linked from $(PREFIX)/bin.
PACKAGES   := artifacts/packages
VERSION    := $(shell sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
PREFIX     ?= $(HOME)/.local
TOOL_DIR   ?= $(PREFIX)/lib/thrumodel
# `make publish` writes the ReadyToRun build of thrumodel here (what the installed tool runs).
PUBLISH    := artifacts/publish

.PHONY: all deps build examples test soak demo bench bench-build bench-programs benchmarkdotnet proofs publish pack install uninstall startup corpus conform clean

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
# It runs the ReadyToRun build (make publish), the one users install: a fresh process of the plain
# build would also time the JIT of code the tool has precompiled. The header names the build.
bench-programs: build bench-build publish
	$(PUBLISH)/thrumodel bench --suite programs

# The ReadyToRun build of the thrumodel tool (cli/Thru.Cli.fsproj: one composite image for the
# app's assemblies and packages), as `make install` installs it, in $(PUBLISH).
publish: deps
	$(DOTNET) publish cli -c $(CONFIG) -r linux-x64 --self-contained false -o $(PUBLISH) -nologo -v quiet -clp:NoSummary

# The same kernels under BenchmarkDotNet (slower, statistically careful).
benchmarkdotnet: build
	$(DOTNET) run -c $(CONFIG) --no-build --project tests/Thru.Bench -- --filter '*' 

# The packages Thru.Model, Thru.Engine and the tool ThruModel.Cli (a pointer package and
# ThruModel.Cli.linux-x64, compiled ReadyToRun), and a nuget.config naming only this feed.
pack: deps
	rm -f $(PACKAGES)/*.nupkg
	$(DOTNET) pack ThruModel.sln -c $(CONFIG) -o $(PACKAGES) -nologo -v quiet -clp:NoSummary
	@printf '%s\n' '<?xml version="1.0" encoding="utf-8"?>' '<configuration>' '  <packageSources>' '    <clear />' \
	  '    <add key="thrumodel-local" value="$(abspath $(PACKAGES))" />' '  </packageSources>' '</configuration>' \
	  > $(PACKAGES)/nuget.config
	@ls $(PACKAGES)/*.nupkg

# Installs (or reinstalls) the thrumodel tool from the local feed alone (no other package
# source is asked): `dotnet tool install --tool-path`, then a link in $(PREFIX)/bin.
install: pack
	-@$(DOTNET) tool uninstall --tool-path $(TOOL_DIR) ThruModel.Cli >/dev/null 2>&1
	$(DOTNET) tool install --tool-path $(TOOL_DIR) --configfile $(PACKAGES)/nuget.config ThruModel.Cli --version $(VERSION)
	mkdir -p $(PREFIX)/bin
	ln -sfn $(TOOL_DIR)/thrumodel $(PREFIX)/bin/thrumodel
	@echo "installed: $(PREFIX)/bin/thrumodel ($$($(PREFIX)/bin/thrumodel --version))"

# Start-up of `thrumodel run examples/build/hello.bin` measured with hyperfine (installed from
# Debian when missing): dotnet run, the built dll, the apphost, the installed ReadyToRun tool.
startup: install
	@command -v hyperfine >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq hyperfine >/dev/null; }
	hyperfine -N --warmup 1 --runs 3 -n 'dotnet run' '$(DOTNET) run -c $(CONFIG) --no-build --project cli -- run examples/build/hello.bin'
	hyperfine -N --warmup 3 --runs 20 \
	  -n dll '$(DOTNET) cli/bin/$(CONFIG)/net10.0/thrumodel.dll run examples/build/hello.bin' \
	  -n apphost 'cli/bin/$(CONFIG)/net10.0/thrumodel run examples/build/hello.bin' \
	  -n 'installed tool (ReadyToRun)' '$(PREFIX)/bin/thrumodel run examples/build/hello.bin' \
	  -n 'installed tool, --version' '$(PREFIX)/bin/thrumodel --version'

uninstall:
	-$(DOTNET) tool uninstall --tool-path $(TOOL_DIR) ThruModel.Cli
	rm -f $(PREFIX)/bin/thrumodel
# The conformance corpus (conformance/, docs/conformance.md), regenerated from the model: run it
# whenever a decision or the model changes (make test checks that the committed corpus matches).
RAW_COUNT ?= 600
TXN_COUNT ?= 600
corpus: build
	rm -f conformance/*.jsonl conformance/*.jsonl.gz
	$(CLI) fixtures generate --kind curated --out conformance
	$(CLI) fixtures generate --kind raw --count $(RAW_COUNT) --seed 1 --out conformance
	$(CLI) fixtures generate --kind txn --count $(TXN_COUNT) --seed 1 --out conformance
	$(CLI) fixtures upgrade --from tests/Thru.Tests/Fixtures --out conformance
	$(CLI) conform coverage --corpus conformance | head -1

# The whole corpus against this project's engine and against the Python adapter over Unicorn.
conform: build
	$(CLI) conform --corpus conformance --engine-cmd "$(DOTNET) cli/bin/$(CONFIG)/net10.0/thrumodel.dll serve --engine engine"
	$(CLI) conform --corpus conformance --engine-cmd "/usr/bin/python3 conformance/adapters/unicorn_adapter.py"

clean:
	rm -rf artifacts */bin */obj tests/*/bin tests/*/obj bench/build
