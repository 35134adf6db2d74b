# SPDX-License-Identifier: GPL-2.0
#
# protshm: out-of-tree kernel module, user library and kselftests.
#
#   make            build the module, libprotshm, protshmctl and the selftests
#   make check      run the whole selftest suite in the test VM (TAP)
#   make check-all  make check on every kernel of the matrix, with a summary
#   make demo       boot the test VM and run the revoke demo
#   make vm         interactive shell in the test VM with the module loaded
#   make lint       checkpatch --strict and sparse on the module and uapi
#   make fuzz       the model-checked fuzzer in the test VM: SEED=1 (or
#                   SEEDS="1 2 3"), OPS=100000, FUZZ_ARGS="-N 500 ..."
#   make bench      benchmarks against memfd/SysV/mprotect/... in the test VM:
#                   build/bench/results-$(KERNEL).{txt,csv,png}; ICOUNT=1 runs
#                   QEMU -icount -smp 1; BENCH_ARGS="-r 7 -b B5" is passed on
#   make clean      remove build/
#
# KERNEL=6.1 (default), 6.12, debug (6.1 with KASAN/lockdep/kmemleak, built once
# and cached by scripts/debug-kernel.sh) or a path picks the kernel the module
# is built for and the VM boots; KDIR overrides the kernel build tree.
# Outputs go to $(BUILD).
# The module is built in a copy of its sources under $(BUILD), so that
# builds for several kernels can coexist and the tree stays clean.

KERNEL ?= 6.1
BUILD ?= $(CURDIR)/build
V ?= 0

# Evaluated lazily: scripts/deps.sh may have to install the kernel first.
KREL = $(shell scripts/kernel.sh $(KERNEL) release)
KDIR ?= $(shell scripts/kernel.sh $(KERNEL) kdir)
KMOD = $(BUILD)/kmod/$(KREL)
KSRC = $(BUILD)/ksrc
TESTS = $(BUILD)/selftests/protshm
VM = scripts/vm.sh --kernel $(KERNEL) --builddir $(BUILD)/vm/$(KERNEL)
WERROR ?= 1
USER_WERROR = $(if $(filter 1,$(WERROR)),-Werror)
KERNEL_WERROR = $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror)

.PHONY: all deps module userlib selftests ksrc check check-all demo vm bench lint fuzz \
	checkpatch sparse clean help

all: module userlib selftests

help:
	@sed -n '3,/^[^#]/{/^#/p}' Makefile

deps:
	@scripts/deps.sh

ksrc: deps
	@scripts/extract-ksrc.sh $(KSRC)

module: deps
	@mkdir -p $(KMOD)
	@cp -a Kbuild module uapi $(KMOD)/
	$(MAKE) -C $(KDIR) M=$(KMOD) W=1 $(KERNEL_WERROR) modules

userlib: deps
	$(MAKE) -C userlib BUILD=$(BUILD)/userlib EXTRA_CFLAGS=$(USER_WERROR)

selftests: ksrc userlib
	$(MAKE) -C selftests/protshm BUILD=$(TESTS) KSRC=$(KSRC) \
		USERLIB=$(BUILD)/userlib EXTRA_CFLAGS=$(USER_WERROR)

check: all
	@scripts/check.sh --kernel $(KERNEL) --build $(BUILD) --ko $(KMOD)/protshm.ko

SEED ?= 1
SEEDS ?= $(SEED)
OPS ?= 100000
FUZZ_ARGS ?=

fuzz: all
	@scripts/fuzz.sh --kernel $(KERNEL) --build $(BUILD) --ko $(KMOD)/protshm.ko \
		--seeds "$(SEEDS)" --ops $(OPS) --args "$(FUZZ_ARGS)"

KERNELS ?= 6.1 6.12 debug

check-all:
	@scripts/check-all.sh $(KERNELS)

demo: module userlib
	@$(VM) --ko $(KMOD)/protshm.ko --files "$(BUILD)/userlib" \
		--cmd "cd userlib && PROTSHM_DEMO_SHOW='./protshmctl show demo' ./protshm-demo"

ICOUNT ?= 0
BENCH_ARGS ?=
BENCH_LABEL = $(KERNEL)$(if $(filter 1,$(ICOUNT)),-icount)

bench: module
	$(MAKE) -C bench BUILD=$(BUILD)/bench EXTRA_CFLAGS=$(USER_WERROR)
	@scripts/bench.sh --kernel $(KERNEL) --ko $(KMOD)/protshm.ko \
		--bench $(BUILD)/bench --builddir $(BUILD)/vm/bench-$(BENCH_LABEL) \
		$(if $(filter 1,$(ICOUNT)),--icount) --args "$(BENCH_ARGS)"

vm: all
	@$(VM) --ko $(KMOD)/protshm.ko \
		--files "$(BUILD)/userlib $(TESTS)" --interactive

lint: checkpatch sparse

checkpatch: ksrc
	$(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse --show-types \
		-f \
		module/*.c module/*.h uapi/linux/protshm.h

sparse: deps
	@mkdir -p $(BUILD)/sparse
	@cp -a Kbuild module uapi $(BUILD)/sparse/
	$(MAKE) -C $(KDIR) M=$(BUILD)/sparse C=2 CHECK=sparse \
		modules 2>&1 | tee $(BUILD)/sparse.log
	@! grep -E '(warning|error):' $(BUILD)/sparse.log | grep -v '^/usr/src/'

clean:
	rm -rf $(BUILD)
