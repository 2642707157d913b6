#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install and prepare everything kmbox needs on a Debian 12 machine:
#   scripts/setup.sh          packages, stock kernel, kernel source, and the
#                             test kernels built from it (debug, kcsan)
#   scripts/setup.sh stock    all but the built kernels (enough for make demo)
#   scripts/setup.sh debug    all but the built kernels other than debug
#                             (any list of variants: debug kcsan)
#   scripts/setup.sh --kernels "stock debug"
#                             all but the built kernels not in the list
#                             (make check passes its KERNELS)
#
# Idempotent: each step checks first and costs a fraction of a second when
# its result is already there.  A failure prints one line saying what
# failed; the details are in $KMBOX_CACHE/*.log.
set -euo pipefail
PROG=setup
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	make gcc libc6-dev gcc-multilib perl python3 bc flex bison
	libelf-dev libssl-dev xz-utils cpio kmod sparse
	linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static
	rt-tests libpopt-dev
	python3-sphinx
)
MIN_FREE_MB_STOCK=2000
# Free space wanted before building each test kernel.
MIN_FREE_MB_KBUILD=8000

mkdir -p "$KMBOX_CACHE" 2>/dev/null || die "cannot create cache folder $KMBOX_CACHE"

need_free_mb() {
	local want=$1 have
	have=$(df -Pm "$KMBOX_CACHE" | awk 'NR == 2 { print $4 }')
	[ "$have" -ge "$want" ] ||
		die "only ${have} MB free in $KMBOX_CACHE, ${want} MB needed (set KMBOX_CACHE elsewhere or free disk)"
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

install_packages() {
	local missing log=$KMBOX_CACHE/setup-apt.log
	missing=$(missing_packages | tr '\n' ' ')
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: $missing(install them as root)"
	need_free_mb "$MIN_FREE_MB_STOCK"
	info "installing $missing"
	if ! apt-get update >"$log" 2>&1; then
		die "apt-get update failed, no package registry reachable? ($(grep -E '^(E|W):' "$log" | head -n 1)); see $log"
	fi
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing >>"$log" 2>&1; then
		die "apt-get install failed: $(grep -E '^E:' "$log" | head -n 1); see $log"
	fi
	missing=$(missing_packages | tr '\n' ' ')
	[ -z "$missing" ] || die "packages still missing after install: $missing"
}

# vmlinuz of the same version as the headers, out of the image .deb.
fetch_stock_kernel() {
	local kver vmlinuz tmp log=$KMBOX_CACHE/setup-stock.log
	kver=$(stock_kver)
	[ -n "$kver" ] || die "no /usr/src/linux-headers-6.1.*-amd64 installed"
	vmlinuz=$(stock_vmlinuz)
	[ -s "$vmlinuz" ] && return 0
	need_free_mb "$MIN_FREE_MB_STOCK"
	info "fetching vmlinuz-$kver from linux-image-$kver"
	tmp=$(mktemp -d "$KMBOX_CACHE/deb.XXXXXX")
	# _apt cannot write into a private temporary folder; open it up.
	chmod 755 "$tmp"
	if ! (cd "$tmp" && apt-get download "linux-image-$kver") >"$log" 2>&1; then
		rm -rf "$tmp"
		die "apt-get download linux-image-$kver failed: $(grep -E '^E:' "$log" | head -n 1); see $log"
	fi
	mkdir -p "$(dirname "$vmlinuz")"
	if ! dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb |
		tar -x -O "./boot/vmlinuz-$kver" >"$vmlinuz.tmp" 2>>"$log"; then
		rm -rf "$tmp" "$vmlinuz.tmp"
		die "no boot/vmlinuz-$kver in linux-image-$kver; see $log"
	fi
	mv "$vmlinuz.tmp" "$vmlinuz"
	rm -rf "$tmp"
}

# The linux-source tarball, extracted once per package version.
extract_source() {
	local ver stamp=$KSRC/.kmbox-source-version
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ] && return 0
	need_free_mb "$MIN_FREE_MB_STOCK"
	info "extracting linux-source-6.1 $ver"
	rm -rf "$KSRC"
	for v in $KBUILD_VARIANTS; do
		rm -rf "$(kbuild_dir "$v")"
	done
	tar -C "$KMBOX_CACHE" -xf /usr/src/linux-source-6.1.tar.xz ||
		die "cannot extract /usr/src/linux-source-6.1.tar.xz into $KMBOX_CACHE"
	echo "$ver" >"$stamp"
}

case ${1:-all} in
all) variants=$KBUILD_VARIANTS ;;
stock) variants="" ;;
--kernels)
	# The kernels a run boots (make check's KERNELS): build those of
	# them that are built here, nothing for stock.
	variants=""
	for k in ${2:-}; do
		case " $KBUILD_VARIANTS " in
		*" $k "*) variants="$variants $k" ;;
		esac
	done
	;;
*) variants="$*" ;;
esac
for v in $variants; do
	case " $KBUILD_VARIANTS " in
	*" $v "*) ;;
	*) die "unknown argument '$v' (all, stock, or kernels among: $KBUILD_VARIANTS)" ;;
	esac
done

install_packages
fetch_stock_kernel
extract_source
for v in $variants; do
	stale=$("$KMBOX_TOP/scripts/build-kernel.sh" --stale "$v" || true)
	[ -z "$stale" ] || need_free_mb "$MIN_FREE_MB_KBUILD"
	"$KMBOX_TOP/scripts/build-kernel.sh" "$v"
done
