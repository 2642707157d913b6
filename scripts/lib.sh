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
# Debian's 6.12 LTS kernels from bookworm-security, stock and PREEMPT_RT:
# their headers and kbuild are extracted into $KMBOX_CACHE/debian-<name>
# and vmlinuz is taken out of the image package; nothing is installed.
DEBIAN_KERNELS="6.12 6.12-rt"
# Every kernel the tests can run on; stock is Debian 12's 6.1.
ALL_KERNELS="stock $DEBIAN_KERNELS $KBUILD_VARIANTS"
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

# The recipe of a test kernel: scripts/build-kernel.sh's steps (bump
# KBUILD_RECIPE when they change), the fragments and the source version,
# as a short hash.
KBUILD_RECIPE=2
kbuild_stamp() {
	{
		echo "recipe $KBUILD_RECIPE"
		cat "$KMBOX_TOP/scripts/kernel/base.config" \
			"$KMBOX_TOP/scripts/kernel/$1.config" \
			"$KSRC/.kmbox-source-version" 2>/dev/null
	} | sha256sum | cut -c1-16
}

# Build folder and image of a test kernel: kbuild_dir debug.  One folder
# per recipe, so that trees whose fragments differ (two branches, two
# worktrees) each keep their kernel instead of rebuilding each other's.
kbuild_dir() {
	echo "$KMBOX_CACHE/build-$1-$(kbuild_stamp "$1")"
}

kbuild_vmlinuz() {
	echo "$(kbuild_dir "$1")/arch/x86/boot/bzImage"
}

# The meta-package that names the newest image of a Debian kernel.
debian_meta() {
	case $1 in
	6.12) echo linux-image-6.12-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 ;;
	esac
}

debian_dir() {
	echo "$KMBOX_CACHE/debian-$1"
}

# "6.12.118+deb12-amd64": the release fetched by scripts/setup.sh.
debian_kver() {
	cat "$(debian_dir "$1")/release" 2>/dev/null
}

is_kernel() {
	case " $ALL_KERNELS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# The build tree modules for kernel $1 are built against.
kernel_kdir() {
	case $1 in
	stock) stock_kdir ;;
	6.12 | 6.12-rt) echo "$(debian_dir "$1")/root/usr/src/linux-headers-$(debian_kver "$1")" ;;
	*) kbuild_dir "$1" ;;
	esac
}

kernel_vmlinuz() {
	case $1 in
	stock) stock_vmlinuz ;;
	6.12 | 6.12-rt) echo "$(debian_dir "$1")/vmlinuz" ;;
	*) kbuild_vmlinuz "$1" ;;
	esac
}

# uname -r of kernel $1, which a module built for it must carry.
kernel_release() {
	case $1 in
	stock) stock_kver ;;
	6.12 | 6.12-rt) debian_kver "$1" ;;
	*) cat "$(kbuild_dir "$1")/include/config/kernel.release" 2>/dev/null ;;
	esac
}

# kmbox.ko for kernel $1: the stock one is built in the tree (make
# modules), the others in build/<kernel> (make modules-<kernel>).
kernel_module() {
	case $1 in
	stock) echo "$KMBOX_TOP/kmbox.ko" ;;
	*) echo "$KMBOX_BUILD/$1/kmbox.ko" ;;
	esac
}
