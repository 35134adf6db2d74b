# SPDX-License-Identifier: GPL-2.0
#
# protshm: out-of-tree kernel module, user library and kselftests.
#
# On your machine (no VM stack: a compiler, your kernel's headers, libmnl):
#   make            build the module, libprotshm, protshmctl and the selftests
#                   (module for the running kernel, or KDIR=/path/to/build)
#   make install    install the module (updates/, depmod), the library, its
#                   headers, pkg-config file and man pages, protshmctl;
#                   DESTDIR= PREFIX=/usr/local LIBDIR= BINDIR= ...;
#                   MODULES_LOAD=1 adds modules-load.d/protshm.conf;
#                   SIGN_KEY=key.pem SIGN_CERT=cert.der signs the module first
#   make uninstall  remove all of it again (same variables)
#   make sign       sign the built module (SIGN_KEY, SIGN_CERT) with sign-file
#   make dkms-install / dkms-uninstall   register the module with DKMS
#   make deb        Debian packages (dpkg-buildpackage) into $(BUILD)/deb
#
# In the test VM (scripts/deps.sh installs QEMU, Debian's kernels...):
#   make check      run the whole selftest suite in the test VM (TAP)
#   make check-all  make check on every kernel of the matrix, with a summary
#   make demo       boot the test VM and run the revoke demo
#   make vm         interactive shell in the test VM with the module loaded
#   make lint       checkpatch --strict and sparse on the module and uapi (fails
#                   if sparse did not check every file, e.g. too old for KERNEL),
#                   shellcheck on scripts/, .ci/run and the guest's trinity.sh
#   make fuzz       fuzz the module in the test VM: the model-checked fuzzer
#                   (SEED=1 or SEEDS="1 2", OPS=100000, FUZZ_ARGS="-N 500 ...",
#                   PARALLEL=1 runs the seeds at once), the complete fail-nth
#                   sweep and trinity; STAGES="fuzzer failnth trinity" picks
#   make bench      benchmarks against memfd/SysV/mprotect/... in the test VM:
#                   build/bench/results-$(KERNEL).{txt,csv,png}; ICOUNT=1 runs
#                   QEMU -icount -smp 1; BENCH_ARGS="-r 7 -b B5" is passed on
#   make dkms-check dkms build for KERNEL's headers in a private DKMS tree,
#                   then the suite in the VM with that module
#   make check-python  pip install of bindings/python, its tests in the VM
#   make clean      remove build/
#
# KERNEL=6.1 (the default of the VM targets), 6.12, 7.2 (Debian sid's, fetched
# and cached by scripts/sid-kernel.sh), debug-7.2 (7.2 with KASAN, lockdep,
# kmemleak and fault injection, built once from sid's 7.2 source and cached by
# scripts/debug-kernel.sh), debug (the same on 6.1) or a path picks the kernel
# the module is built for and the VM boots; KDIR overrides the kernel build
# tree.  Without KERNEL, the non-VM targets use the running kernel's
# /lib/modules/$(uname -r)/build.
# Outputs go to $(BUILD).
# The module is built in a copy of its sources under $(BUILD), so that
# builds for several kernels can coexist and the tree stays clean.

BUILD ?= $(CURDIR)/build
V ?= 0
VERSION := $(shell cat $(CURDIR)/VERSION)

# Only these targets need scripts/deps.sh (QEMU, Debian's kernels, sources).
VM_GOALS := deps ksrc check check-all demo vm bench lint checkpatch sparse \
	shellcheck dkms-check check-python fuzz
ifneq ($(filter $(VM_GOALS),$(MAKECMDGOALS)),)
KERNEL ?= 6.1
DEPS := deps
endif

# Evaluated lazily: scripts/deps.sh may have to install the kernel first.
ifdef KERNEL
KREL ?= $(shell scripts/kernel.sh $(KERNEL) release)
KDIR ?= $(shell scripts/kernel.sh $(KERNEL) kdir)
else
KDIR ?= /lib/modules/$(shell uname -r)/build
# the release modules are built for (Debian's include/config/kernel.release
# holds the upstream version only)
KREL ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif
KMOD = $(BUILD)/kmod/$(KREL)
KSRC = $(BUILD)/ksrc
# scripts/vm.sh takes gen_initramfs.sh and extract-vmlinux from there
export PROTSHM_KSRC = $(KSRC)
TESTS = $(BUILD)/selftests/protshm
VM = scripts/vm.sh --kernel $(KERNEL) --builddir $(BUILD)/vm/$(KERNEL)
WERROR ?= 1
USER_WERROR = $(if $(filter 1,$(WERROR)),-Werror)
KERNEL_WERROR = $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror)

.PHONY: all deps module userlib selftests ksrc check check-all demo vm bench lint \
	checkpatch sparse shellcheck clean help install uninstall install-module \
	uninstall-module install-userlib uninstall-userlib sign kdir dkms-src \
	dkms-install dkms-uninstall dkms-check deb check-python fuzz

all: module userlib selftests

help:
	@sed -n '3,/^[^#]/{/^#/p}' Makefile

deps:
	@scripts/deps.sh

kdir: $(DEPS)
	@test -f "$(KDIR)/Makefile" || { echo "protshm: no kernel build tree at \
'$(KDIR)': install your kernel's headers (Debian/Ubuntu: linux-headers-$$(uname -r), \
Fedora: kernel-devel, Arch: linux-headers) or pass KDIR=/path/to/build" >&2; exit 1; }

ksrc: $(DEPS)
	@scripts/extract-ksrc.sh $(KSRC)

module: $(DEPS) kdir
	@mkdir -p $(KMOD)
	@cp -a Kbuild VERSION module uapi $(KMOD)/
	$(MAKE) -C $(KDIR) M=$(KMOD) W=1 $(KERNEL_WERROR) modules

userlib: $(DEPS)
	$(MAKE) -C userlib BUILD=$(BUILD)/userlib EXTRA_CFLAGS=$(USER_WERROR)

selftests: ksrc userlib
	$(MAKE) -C selftests/protshm BUILD=$(TESTS) KSRC=$(KSRC) \
		USERLIB=$(BUILD)/userlib EXTRA_CFLAGS=$(USER_WERROR)

check: all
	@scripts/check.sh --kernel $(KERNEL) --build $(BUILD) --ko $(KMOD)/protshm.ko

# The Python binding: pip install, import, its tests in the VM.
check-python: all
	@scripts/python-check.sh --kernel $(KERNEL) --build $(BUILD) \
		--ko $(KMOD)/protshm.ko

# The CI matrix; KERNELS="... debug" adds the 6.1 debug kernel.
KERNELS ?= 6.1 6.12 7.2 debug-7.2

SEED ?= 1
SEEDS ?= $(SEED)
OPS ?= 100000
FUZZ_ARGS ?=
PARALLEL ?= 0
STAGES ?= fuzzer failnth trinity

fuzz: all
	@scripts/fuzz.sh --kernel $(KERNEL) --build $(BUILD) --ko $(KMOD)/protshm.ko \
		--seeds "$(SEEDS)" --ops $(OPS) --args "$(FUZZ_ARGS)" \
		--stages "$(STAGES)" $(if $(filter 1,$(PARALLEL)),--parallel)

check-all:
	@scripts/check-all.sh $(KERNELS)

demo: module userlib
	@$(VM) --ko $(KMOD)/protshm.ko --files "$(BUILD)/userlib" \
		--cmd "cd userlib && PROTSHM_DEMO_SHOW='./protshmctl show demo' ./protshm-demo"

ICOUNT ?= 0
BENCH_ARGS ?=
BENCH_LABEL = $(KERNEL)$(if $(filter 1,$(ICOUNT)),-icount)

bench: module userlib
	$(MAKE) -C bench BUILD=$(BUILD)/bench USERLIB=$(BUILD)/userlib \
		EXTRA_CFLAGS=$(USER_WERROR)
	@scripts/bench.sh --kernel $(KERNEL) --ko $(KMOD)/protshm.ko \
		--bench $(BUILD)/bench --builddir $(BUILD)/vm/bench-$(BENCH_LABEL) \
		$(if $(filter 1,$(ICOUNT)),--icount) --args "$(BENCH_ARGS)"

vm: all
	@$(VM) --ko $(KMOD)/protshm.ko \
		--files "$(BUILD)/userlib $(TESTS)" --interactive

# --- Install on this machine ---------------------------------------------
# The module goes where modules_install puts it (INSTALL_MOD_DIR=updates
# takes precedence over the distribution's own modules), the rest under
# PREFIX (see userlib/Makefile for LIBDIR, INCLUDEDIR, BINDIR, MANDIR...).
# With DESTDIR (a staging root) nothing is run on the host: no depmod, no
# ldconfig; packages run them in their scripts.
PREFIX ?= /usr/local
INSTALL_MOD_DIR ?= updates
MODDIR = $(DESTDIR)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
MODULES_LOAD ?= 0
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SIGN_KEY ?=
SIGN_CERT ?=
SIGN_HASH ?= sha256
export PREFIX

# rmdirs DIR... - remove each DIR and then its parents while they are empty,
# never DESTDIR itself nor anything above it; without DESTDIR only DIR.
rmdirs = for d in $(1); do \
	while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != / ] && \
		rmdir "$$d" 2>/dev/null && [ -n "$(DESTDIR)" ]; do d=$${d%/*}; done; \
	done

install: install-module install-userlib

uninstall: uninstall-module uninstall-userlib

# Kbuild's own signing at modules_install (CONFIG_MODULE_SIG_ALL, with the
# distribution's key, which is not there) is switched off: make sign does it.
install-module: module $(if $(SIGN_KEY),sign)
	$(MAKE) -C $(KDIR) M=$(KMOD) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) CONFIG_MODULE_SIG_ALL= \
		DEPMOD=true modules_install
	$(if $(DESTDIR),,depmod -a $(KREL))
ifeq ($(MODULES_LOAD),1)
	install -D -m 0644 /dev/null $(DESTDIR)$(MODULESLOADDIR)/protshm.conf
	echo protshm > $(DESTDIR)$(MODULESLOADDIR)/protshm.conf
endif

uninstall-module:
	rm -f $(MODDIR)/protshm.ko $(MODDIR)/protshm.ko.xz \
		$(MODDIR)/protshm.ko.zst $(MODDIR)/protshm.ko.gz \
		$(DESTDIR)$(MODULESLOADDIR)/protshm.conf
	@$(call rmdirs,$(MODDIR) $(DESTDIR)$(MODULESLOADDIR))
	$(if $(DESTDIR),,depmod -a $(KREL))

install-userlib: userlib
	$(MAKE) -C userlib BUILD=$(BUILD)/userlib install

uninstall-userlib:
	$(MAKE) -C userlib BUILD=$(BUILD)/userlib uninstall

# Signs $(KMOD)/protshm.ko in place for Secure Boot (a key enrolled with
# mokutil --import); a module signed before is rebuilt first, so that it
# never carries two signatures.
sign: module
	@test -f "$(SIGN_KEY)" && test -f "$(SIGN_CERT)" || { echo "make sign: \
SIGN_KEY=private-key.pem and SIGN_CERT=certificate.der (or .pem) are needed" >&2; exit 1; }
	@if [ -n "$$(modinfo -F signer $(KMOD)/protshm.ko)" ]; then \
		rm -f $(KMOD)/protshm.ko && \
		$(MAKE) -C $(KDIR) M=$(KMOD) W=1 $(KERNEL_WERROR) modules; fi
	$(KDIR)/scripts/sign-file $(SIGN_HASH) $(SIGN_KEY) $(SIGN_CERT) \
		$(KMOD)/protshm.ko
	@echo "signed by: $$(modinfo -F signer $(KMOD)/protshm.ko)"

# --- DKMS -------------------------------------------------------------------
# The DKMS source tree is what the module needs (Kbuild, VERSION, module/,
# uapi/) plus dkms.conf with the version filled in.
DKMS_SRC = $(BUILD)/dkms/protshm-$(VERSION)
DKMS_KVER = $(if $(KERNEL)$(filter command,$(origin KDIR)),-k $(KREL))

dkms-src:
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)/LICENSES
	cp -a Kbuild VERSION module uapi $(DKMS_SRC)/
	cp -a LICENSES/GPL-2.0 LICENSES/Linux-syscall-note $(DKMS_SRC)/LICENSES/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

# Registers /usr/src/protshm-$(VERSION) with DKMS, builds and installs it for
# the running kernel (or KERNEL=/KDIR=); DKMS rebuilds it for new kernels.
dkms-install: dkms-src
	rm -rf /usr/src/protshm-$(VERSION)
	cp -a $(DKMS_SRC) /usr/src/
	dkms add protshm/$(VERSION)
	dkms install protshm/$(VERSION) $(DKMS_KVER)

dkms-uninstall:
	-dkms remove protshm/$(VERSION) --all
	rm -rf /usr/src/protshm-$(VERSION)

# dkms build for KERNEL's headers in a private tree, then the suite in the VM
# with the module DKMS built (scripts/dkms-check.sh).
dkms-check: dkms-src selftests
	@scripts/dkms-check.sh --kernel $(KERNEL) --build $(BUILD) --src $(DKMS_SRC)

# --- Debian packages --------------------------------------------------------
# dpkg-buildpackage -b in a copy of the tree (it writes next to the tree):
# protshm-dkms, libprotshm1, libprotshm-dev, protshm-tools in $(BUILD)/deb,
# then lintian.  Needs: scripts/deps.sh packaging.
DEB_DIR = $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/protshm-$(VERSION)
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z -co --exclude-standard | \
		xargs -0 tar -cf - --no-recursion | tar -xf - -C $(DEB_DIR)/protshm-$(VERSION); \
	else \
		tar -cf - --exclude=./build . | tar -xf - -C $(DEB_DIR)/protshm-$(VERSION); \
	fi
	cd $(DEB_DIR)/protshm-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(DEB_DIR)/*.changes

lint: checkpatch sparse shellcheck

checkpatch: ksrc
	$(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse --show-types \
		-f \
		module/*.c module/*.h uapi/linux/protshm.h

# Kbuild skips sparse with a mere note when it is missing or too old for the
# kernel (bookworm's for 7.2): every module/*.c must have been checked.
SPARSE_FILES = $(words $(wildcard module/*.c))

sparse: deps kdir
	@mkdir -p $(BUILD)/sparse
	@cp -a Kbuild VERSION module uapi $(BUILD)/sparse/
	$(MAKE) -C $(KDIR) M=$(BUILD)/sparse C=2 CHECK=sparse \
		modules 2>&1 | tee $(BUILD)/sparse.log
	@! grep -E '(warning|error):' $(BUILD)/sparse.log | \
		grep -v -e '^/usr/src/' -e '^$(KDIR)/'
	@n=$$(grep -cE '^  CHECK +.*/module/[^/]+\.c$$' $(BUILD)/sparse.log); \
	if [ "$$n" -ne $(SPARSE_FILES) ]; then \
		echo "sparse: SKIPPED: checked $$n of $(SPARSE_FILES) files of module/" \
			"for $(KERNEL): $$(grep -o -m1 'sparse is not .*' $(BUILD)/sparse.log ||" \
			"echo 'see $(BUILD)/sparse.log')" >&2; \
		echo "lint FAILED: sparse did not run (KERNEL=6.1 or 6.12 can check)" >&2; \
		exit 1; \
	fi; \
	echo "sparse: $$n files checked for $(KERNEL), no warning"

# The scripts sourcing scripts/lib.sh are checked with it (-x, from the top).
SHELL_SCRIPTS = $(wildcard scripts/*.sh) .ci/run selftests/protshm/fuzz/trinity.sh

shellcheck: $(DEPS)
	shellcheck -x $(SHELL_SCRIPTS)
	@echo "shellcheck: $(words $(SHELL_SCRIPTS)) scripts, no finding"

clean:
	rm -rf $(BUILD)
