# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the kmbox scripts: where things live, and how to fail.
#
# KMBOX_CACHE holds what is downloaded or built once per machine and
# shared by every clone: the extracted linux-source tree, the stock
# kernel image and the builds of the test kernels (build-<variant>).
# KMBOX_BUILD holds what this clone builds.

KMBOX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KMBOX_CACHE=${KMBOX_CACHE:-${HOME:-/root}/.cache/kmbox}
KMBOX_BUILD=${KMBOX_BUILD:-$KMBOX_TOP/build}
KSRC=$KMBOX_CACHE/linux-source-6.1
KSFT_DIR=$KSRC/tools/testing/selftests
# The test kernels scripts/build-kernel.sh builds from linux-source-6.1:
# tinyconfig + scripts/kernel/base.config + scripts/kernel/<variant>.config.
KBUILD_VARIANTS="debug kcsan"
PROG=${PROG:-$(basename "$0" .sh)}

die() {
	echo "$PROG: error: $*" >&2
	exit 1
}

info() {
	echo "$PROG: $*"
}

# The newest installed Debian 6.1 headers: the stock kernel we test on.
stock_kdir() {
	ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1
}

# "6.1.0-56-amd64" from /usr/src/linux-headers-6.1.0-56-amd64
stock_kver() {
	local kdir
	kdir=$(stock_kdir)
	[ -n "$kdir" ] && basename "$kdir" | sed 's/^linux-headers-//'
}

stock_vmlinuz() {
	echo "$KMBOX_CACHE/stock/vmlinuz-$(stock_kver)"
}

# Build folder and image of a test kernel: kbuild_dir debug
kbuild_dir() {
	echo "$KMBOX_CACHE/build-$1"
}

kbuild_vmlinuz() {
	echo "$(kbuild_dir "$1")/arch/x86/boot/bzImage"
}
