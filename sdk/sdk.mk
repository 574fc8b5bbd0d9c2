# sdk.mk -- build ThruVM programs with the ThruModel C SDK.
#
# Usage from a project Makefile in any folder (sources are paths relative to that
# Makefile's directory; everything is built under $(THRU_BUILD_DIR)):
#
#   THRU_BUILD_DIR := build
#   include path/to/sdk/sdk.mk
#   $(eval $(call thru_program,hello,hello/hello.c))
#
# `make` (or `make all`) then builds every program declared with thru_program,
# unless the Makefile names another default goal before the include.
#
# For each program NAME this produces
#   $(THRU_BUILD_DIR)/NAME.elf  linked ELF (VMA 0x3000000, debug info, symbols)
#   $(THRU_BUILD_DIR)/NAME.bin  ThruVM executable image (header | code+data | trailer)
#   $(THRU_BUILD_DIR)/NAME.map  linker map
#   $(THRU_BUILD_DIR)/NAME.lst  disassembly (objdump -d)
# and validates the image with sdk/tools/thru-check-image.sh.

THRU_SDK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
THRU_BUILD_DIR ?= build

# The default goal is `all` (every declared program), not the first rule below
# (thru-toolchain), unless the including Makefile already has a target.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif
.PHONY: all

THRU_CROSS   ?= riscv64-unknown-elf-
THRU_CC      := $(THRU_CROSS)gcc
THRU_AR      := $(THRU_CROSS)ar
THRU_OBJCOPY := $(THRU_CROSS)objcopy
THRU_OBJDUMP := $(THRU_CROSS)objdump

# ThruVM ISA: RV64IMC + Zba/Zbb/Zbs (B) + Zknh.  Zbc is listed because the
# public SDK enables it; GCC 12 never emits clmul on its own and the image
# checker rejects it, so images stay within the spec's extension list.
# medany + no PIE: all code/data references are auipc-relative; the image is
# always mapped at 0x3000000 and nothing relocates it at run time.
THRU_ARCH_FLAGS := -march=rv64imc_zba_zbb_zbc_zbs_zknh -mabi=lp64 -mcmodel=medany \
                   -mstrict-align

# -g -gdwarf-4: debug information for `thrumodel run` reports, profiles and gdb (docs/debugging.md);
# DWARF 4 because the CLI's DWARF reader (LibObjectFile) reads line tables up to version 4. Debug
# sections stay in NAME.elf: NAME.bin is byte for byte the same with or without them.
THRU_CFLAGS := $(THRU_ARCH_FLAGS) -std=gnu11 -O2 -g -gdwarf-4 \
               -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-common \
               -ffunction-sections -fdata-sections \
               -fno-asynchronous-unwind-tables -fno-unwind-tables \
               -fno-tree-loop-distribute-patterns -fno-isolate-erroneous-paths-dereference \
               -Wall -Wextra -Werror \
               -I$(THRU_SDK_DIR)/include -MMD -MP
THRU_CFLAGS += $(THRU_EXTRA_CFLAGS)

THRU_ASFLAGS := $(THRU_ARCH_FLAGS) -g -gdwarf-4 -I$(THRU_SDK_DIR)/include -MMD -MP

THRU_LDFLAGS := $(THRU_ARCH_FLAGS) -nostdlib -nostartfiles -static -no-pie \
                -T $(THRU_SDK_DIR)/thru.ld \
                -Wl,--gc-sections -Wl,--orphan-handling=error -Wl,--fatal-warnings \
                -Wl,--build-id=none
THRU_LDFLAGS += $(THRU_EXTRA_LDFLAGS)

# libgcc for lp64 without F/D/A (helpers such as 128-bit division).  Our
# -march has no matching multilib, so pick rv64im/lp64 explicitly.
THRU_LIBGCC_CMD := $(THRU_CC) -march=rv64im -mabi=lp64 -print-libgcc-file-name

THRU_CHECK := $(THRU_SDK_DIR)/tools/thru-check-image.sh

# make V=1 prints the full commands.
ifeq ($(V),1)
THRU_Q :=
THRU_SAY := @true
else
THRU_Q := @
THRU_SAY := @echo
endif

THRU_SDK_SRCS  := mem.c log.c auth.c sha256.c
THRU_SDK_OBJS  := $(patsubst %.c,$(THRU_BUILD_DIR)/sdk/%.o,$(THRU_SDK_SRCS))
THRU_START_OBJ := $(THRU_BUILD_DIR)/sdk/start.o
THRU_LIB       := $(THRU_BUILD_DIR)/sdk/libthru.a

# --- toolchain ----------------------------------------------------------------
# Installs Debian's bare-metal RISC-V cross compiler (+ picolibc) if missing
# (as root; through sudo otherwise).
THRU_SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: thru-toolchain
thru-toolchain:
	@if command -v dpkg >/dev/null 2>&1; then \
	  dpkg -s gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf >/dev/null 2>&1 || \
	  ($(THRU_SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(THRU_SUDO) \
	   apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf); \
	else \
	  command -v $(THRU_CC) >/dev/null 2>&1 || \
	  { echo "error: $(THRU_CC) not found (install a riscv64-unknown-elf GCC)" >&2; exit 1; }; \
	fi

# Rebuild everything when the flags change: the stamp file is rewritten only
# when its content (the current flags) differs.
THRU_FLAGS_STAMP := $(THRU_BUILD_DIR)/.thru-flags
THRU__FLAGS_NOW := $(THRU_CC) $(THRU_CFLAGS) | $(THRU_ASFLAGS) | $(THRU_LDFLAGS)
$(shell mkdir -p $(THRU_BUILD_DIR) && \
  (printf '%s\n' '$(THRU__FLAGS_NOW)' | cmp -s - $(THRU_FLAGS_STAMP) || \
   printf '%s\n' '$(THRU__FLAGS_NOW)' > $(THRU_FLAGS_STAMP)))

# --- SDK library ------------------------------------------------------------------
$(THRU_BUILD_DIR)/sdk/%.o: $(THRU_SDK_DIR)/src/%.c $(THRU_FLAGS_STAMP) | thru-toolchain
	@mkdir -p $(@D)
	$(THRU_SAY) "  CC      $<"
	$(THRU_Q)$(THRU_CC) $(THRU_CFLAGS) -c $< -o $@

$(THRU_BUILD_DIR)/sdk/%.o: $(THRU_SDK_DIR)/src/%.S $(THRU_FLAGS_STAMP) | thru-toolchain
	@mkdir -p $(@D)
	$(THRU_SAY) "  AS      $<"
	$(THRU_Q)$(THRU_CC) $(THRU_ASFLAGS) -c $< -o $@

$(THRU_LIB): $(THRU_SDK_OBJS)
	@rm -f $@
	$(THRU_SAY) "  AR      $@"
	$(THRU_Q)$(THRU_AR) rcs $@ $^

# --- program objects (paths mirror the source tree) -------------------------------
$(THRU_BUILD_DIR)/obj/%.o: %.c $(THRU_FLAGS_STAMP) | thru-toolchain
	@mkdir -p $(@D)
	$(THRU_SAY) "  CC      $<"
	$(THRU_Q)$(THRU_CC) $(THRU_CFLAGS) -c $< -o $@

$(THRU_BUILD_DIR)/obj/%.o: %.S $(THRU_FLAGS_STAMP) | thru-toolchain
	@mkdir -p $(@D)
	$(THRU_SAY) "  AS      $<"
	$(THRU_Q)$(THRU_CC) $(THRU_ASFLAGS) -c $< -o $@

# --- link, image, check -------------------------------------------------------------
$(THRU_BUILD_DIR)/%.elf: $(THRU_START_OBJ) $(THRU_LIB) $(THRU_SDK_DIR)/thru.ld $(THRU_FLAGS_STAMP) | thru-toolchain
	$(THRU_SAY) "  LD      $@"
	$(THRU_Q)$(THRU_CC) $(THRU_LDFLAGS) -Wl,-Map=$(basename $@).map -o $@ \
	  $(THRU_START_OBJ) $(filter-out $(THRU_START_OBJ),$(filter %.o,$^)) $(THRU_LIB) \
	  $$($(THRU_LIBGCC_CMD))

$(THRU_BUILD_DIR)/%.bin: $(THRU_BUILD_DIR)/%.elf $(THRU_CHECK)
	$(THRU_SAY) "  IMAGE   $@"
	$(THRU_Q)$(THRU_OBJCOPY) -O binary $< $@
	$(THRU_Q)$(THRU_OBJDUMP) -d $< > $(basename $@).lst
	$(THRU_Q)THRU_CROSS=$(THRU_CROSS) $(THRU_CHECK) $< $@

# $(call thru_program,NAME,SOURCES): declare a program built from SOURCES
# (and make `all` build it).
define thru_program
THRU_PROGRAMS += $(1)
all: $(THRU_BUILD_DIR)/$(1).bin
$(THRU_BUILD_DIR)/$(1).elf: $(patsubst %,$(THRU_BUILD_DIR)/obj/%.o,$(basename $(2)))
endef

.SECONDARY:
.DELETE_ON_ERROR:

-include $(wildcard $(THRU_BUILD_DIR)/sdk/*.d) $(shell find $(THRU_BUILD_DIR)/obj -name '*.d' 2>/dev/null)
