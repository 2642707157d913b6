# SPDX-License-Identifier: GPL-2.0
#
# kmbox: mailbox IPC for Linux processes.
#
#   make            module (against KDIR), libkmbox and the selftests
#   make check      lint, build, selftests in QEMU on the stock and debug kernels,
#                   and the race tests on the KCSAN kernel
#   make stress     the race, soak and fuzz tests for longer (STRESS_SECS, 60)
#                   on the debug and KCSAN kernels
#   make demo       boot the stock kernel in QEMU and show kmbox working
#   make bench      kmbox against pipes, sockets, POSIX/SysV queues in QEMU
#                   (bench/results/<date>.md; BENCH_QUICK=1: under 3 minutes)
#   make bench-native  the libkmbox ring on this host's CPUs, doorbells from a
#                   futex stand-in (bench/results/<date>-native.md; gcc only)
#   make lint       checkpatch --strict, W=1 and sparse (C=2)
#   make htmldocs   Documentation/ as HTML with Sphinx, in build/htmldocs
#   make setup      install and prepare what the above need (idempotent)
#   make install    libkmbox, headers, pkg-config file, man pages
#   make modules_install
#   make dkms-install  kmbox.ko through DKMS (dkms-remove; dkms-check tries it)
#
# KDIR defaults to the newest installed Debian 6.1 headers.

KDIR        ?= $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
KMBOX_CACHE ?= $(or $(HOME),/root)/.cache/kmbox
KSRC        := $(KMBOX_CACHE)/linux-source-6.1
KSFT_DIR    := $(KSRC)/tools/testing/selftests
BUILD       := $(CURDIR)/build
PREFIX      ?= /usr/local
DESTDIR     ?=

export KMBOX_CACHE

MODULE_SRCS := Kbuild $(wildcard module/*.c module/*.h) uapi/linux/kmbox.h

all: modules userlib kmboxctl selftests

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "make: no kernel headers (KDIR='$(KDIR)'): run 'make setup' or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module again, against each test kernel scripts/build-kernel.sh
# builds, in a build folder of its own: build/debug, build/kcsan.
modules-debug modules-kcsan: modules-%:
	@test -f $(KMBOX_CACHE)/build-$*/Module.symvers || \
		{ echo "make: no $* kernel build in $(KMBOX_CACHE)/build-$*: run 'make setup'" >&2; exit 1; }
	scripts/shadow-build.sh $(BUILD)/$* $(KMBOX_CACHE)/build-$*

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
	scripts/setup.sh

lint:
	scripts/lint.sh

check:
	scripts/check.sh

stress:
	scripts/stress.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

bench-native:
	scripts/bench-native.sh

# Documentation/ as HTML in build/htmldocs, if Sphinx is installed
# (Debian: python3-sphinx); warnings are errors.
htmldocs:
	@command -v sphinx-build >/dev/null || \
		{ echo "make: sphinx-build not found (apt-get install python3-sphinx)" >&2; exit 1; }
	sphinx-build -q -W -b html Documentation $(BUILD)/htmldocs

install:
	$(MAKE) -C userlib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/kmboxctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	$(MAKE) -C userlib uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/kmboxctl uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

# kmbox.ko through DKMS, rebuilt for every kernel installed later
# (dkms-check: install, load the result in the stock kernel's VM, remove).
dkms-install dkms-remove dkms-check: dkms-%:
	scripts/dkms.sh $*

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C tools/kmboxctl clean
	-$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(CURDIR)/selftests clean
	-$(MAKE) -C examples clean
	rm -rf $(BUILD)

.PHONY: all modules modules-debug modules-kcsan userlib kmboxctl selftests examples setup lint \
	check stress demo bench bench-native htmldocs install uninstall modules_install \
	dkms-install dkms-remove dkms-check clean
