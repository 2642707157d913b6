# SPDX-License-Identifier: GPL-2.0
#
# kmbox: mailbox IPC for Linux processes.
#
#   make            module (against KDIR), libkmbox and kmboxctl: needs only
#                   kernel headers and a compiler
#   make selftests  the kselftests (needs the kernel source: make setup)
#   make examples   the example programs of examples/
#   make check      lint, build, selftests in QEMU on Debian's 6.1, 6.12 and
#                   6.12-rt kernels and the debug kernel, and the race tests on
#                   the KCSAN kernel (KERNELS= a subset; sets up what it needs)
#   make run PROG=path [ARGS=...] [TIMEOUT=s]
#                   run your program in QEMU with kmbox loaded (scripts/run.sh)
#   make shell      a shell in QEMU with kmbox, kmboxctl and the examples
#   make stress     the race, soak and fuzz tests for longer (STRESS_SECS, 60)
#                   on the debug and KCSAN kernels
#   make demo       boot the stock kernel in QEMU and show kmbox working
#   make bench      kmbox against pipes, sockets, POSIX/SysV queues in QEMU
#                   (bench/results/<date>.md; BENCH_QUICK=1: under 3 minutes)
#   make bench-native  the libkmbox ring on this host's CPUs, doorbells from a
#                   futex stand-in (bench/results/<date>-native.md; gcc only)
#   make lint       checkpatch --strict, W=1 and sparse (C=2)
#   make htmldocs   Documentation/ as HTML with Sphinx, in build/htmldocs
#   make setup      packages, Debian's 6.1 kernel and its source: enough for
#                   all of the above but the debug and KCSAN kernels (idempotent)
#   make setup-all  the same, fetches Debian's 6.12 kernels and builds the
#                   debug and KCSAN kernels (about 35 minutes; make check sets
#                   up the ones it runs on its own)
#   make install    libkmbox, headers, pkg-config file, man pages
#   make modules_install
#   make dkms-install  kmbox.ko through DKMS (dkms-remove; dkms-check
#                   KERNEL=stock|6.12|6.12-rt tries it)
#
# KDIR defaults to the newest installed Debian 6.1 headers (the kernel the
# tests boot), else the running kernel's headers.

KDIR        ?= $(or $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1),\
		$(wildcard /lib/modules/$(shell uname -r)/build))
KMBOX_CACHE ?= $(or $(HOME),/root)/.cache/kmbox
KSRC        := $(KMBOX_CACHE)/linux-source-6.1
KSFT_DIR    := $(KSRC)/tools/testing/selftests
BUILD       := $(CURDIR)/build
PREFIX      ?= /usr/local
DESTDIR     ?=

export KMBOX_CACHE

MODULE_SRCS := Kbuild $(wildcard module/*.c module/*.h) uapi/linux/kmbox.h

all: modules userlib kmboxctl

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "make: no kernel headers (KDIR='$(KDIR)'): run 'make setup' or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module again, against each other test kernel (Debian's 6.12 and
# 6.12-rt, and those scripts/build-kernel.sh builds), in a build folder
# of its own: build/6.12, build/6.12-rt, build/debug, build/kcsan.
TEST_KERNELS := 6.12 6.12-rt debug kcsan
$(TEST_KERNELS:%=modules-%): modules-%:
	scripts/build-module.sh $*

userlib:
	$(MAKE) -C userlib

kmboxctl: userlib
	$(MAKE) -C tools/kmboxctl

selftests: userlib
	@test -f $(KSFT_DIR)/lib.mk || \
		{ echo "make: no kselftest framework in $(KSFT_DIR): run 'make setup'" >&2; exit 1; }
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(CURDIR)/selftests

examples: userlib
	$(MAKE) -C examples

setup:
	scripts/setup.sh stock

setup-all:
	scripts/setup.sh

lint:
	scripts/lint.sh

check:
	scripts/check.sh

stress:
	scripts/stress.sh

demo:
	scripts/demo.sh

# Command-line variables (PROG, ARGS, CMD, TIMEOUT, KERNEL) reach the
# scripts in their environment; PROG, ARGS and CMD as typed, a $ being
# the guest shell's, not make's.
$(foreach v,PROG ARGS CMD,$(eval run shell: override export $(v) := $$(value $(v))))

run:
	scripts/run.sh

shell:
	scripts/shell.sh

bench:
	scripts/bench.sh

bench-native:
	scripts/bench-native.sh

# Documentation/ as HTML in build/htmldocs, if Sphinx is installed
# (Debian: python3-sphinx, which make setup installs); warnings are
# errors, and every page is read again (-E), so that the checks of
# Documentation/sphinx/kmboxdoc.py see the sources as they are now.
htmldocs:
	@command -v sphinx-build >/dev/null || \
		{ echo "make: sphinx-build not found (apt-get install python3-sphinx)" >&2; exit 1; }
	sphinx-build -q -E -W -b html Documentation $(BUILD)/htmldocs

install:
	$(MAKE) -C userlib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/kmboxctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	$(MAKE) -C userlib uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/kmboxctl uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

# kmbox.ko through DKMS, rebuilt for every kernel installed later
# (dkms-check: build with DKMS for KERNEL - stock, 6.12 or 6.12-rt - load
# the result in that kernel's VM, remove).
dkms-install dkms-remove dkms-check: dkms-%:
	scripts/dkms.sh $* $(KERNEL)

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C tools/kmboxctl clean
	-$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(CURDIR)/selftests clean
	-$(MAKE) -C examples clean
	rm -rf $(BUILD)

.PHONY: all modules $(TEST_KERNELS:%=modules-%) userlib kmboxctl selftests examples setup \
	setup-all lint check stress demo run shell bench bench-native htmldocs install uninstall modules_install \
	dkms-install dkms-remove dkms-check clean
