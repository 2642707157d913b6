#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install and prepare everything kmbox needs on a Debian 12 machine:
#   scripts/setup.sh          packages, the stock 6.1 kernel, the kernel
#                             source, Debian's 6.12 kernels (6.12, 6.12-rt)
#                             and the test kernels built from the source
#                             (debug, kcsan)
#   scripts/setup.sh stock    packages, stock kernel and source only (enough
#                             for make demo)
#   scripts/setup.sh KERNEL...  that, and the kernels named (any of:
#                             6.12 6.12-rt debug kcsan)
#
# Idempotent: each step checks first and costs a fraction of a second when
# its result is already there.  A failure prints one line saying what
# failed; the details are in $KMBOX_CACHE/*.log.
set -euo pipefail
PROG=setup
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	make gcc libc6-dev gcc-multilib perl python3 bc flex bison
	libelf-dev libssl-dev xz-utils cpio kmod sparse pahole
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

# Fetch (apt-get download) packages $2... into folder $1; on failure,
# refresh the package lists once and try again (a security update
# replaces the versions the old lists name).
apt_download() {
	local dir=$1 log=$KMBOX_CACHE/setup-download.log
	shift
	(cd "$dir" && apt-get download "$@") >"$log" 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || return 1
	apt-get update >>"$log" 2>&1 || return 1
	(cd "$dir" && apt-get download "$@") >>"$log" 2>&1
}

# Debian's kernel $1 (6.12 or 6.12-rt) from bookworm-security, without
# installing it (its headers package depends on the image): the headers
# and kbuild extracted into $(debian_dir), vmlinuz out of the image.
fetch_debian_kernel() {
	local name=$1 dir kver abi common tmp
	dir=$(debian_dir "$name")
	kver=$(apt-cache depends "$(debian_meta "$name")" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-//p' | head -n 1)
	if [ -z "$kver" ]; then
		# Maybe the package lists predate bookworm-security's 6.12.
		[ "$(id -u)" -eq 0 ] && apt-get update >"$KMBOX_CACHE/setup-apt.log" 2>&1
		kver=$(apt-cache depends "$(debian_meta "$name")" 2>/dev/null |
			sed -n 's/^ *Depends: linux-image-//p' | head -n 1)
	fi
	[ -n "$kver" ] || die "no package $(debian_meta "$name") (is bookworm-security in the apt sources?)"
	[ "$(debian_kver "$name")" = "$kver" ] && [ -s "$dir/vmlinuz" ] &&
		[ -f "$(kernel_kdir "$name")/Makefile" ] && return 0

	need_free_mb "$MIN_FREE_MB_STOCK"
	info "fetching Debian's $name kernel $kver (headers and vmlinuz, not installed)"
	# 6.12.118+deb12-rt-amd64: ABI 6.12.118+deb12, common headers -common-rt.
	abi=${kver%-amd64}
	common=linux-headers-${abi%-rt}-common
	case $abi in
	*-rt) abi=${abi%-rt}; common=$common-rt ;;
	esac
	rm -rf "$dir"
	tmp=$dir/deb
	mkdir -p "$tmp" "$dir/root"
	# _apt cannot write into a private folder; open it up.
	chmod 755 "$dir" "$tmp"
	apt_download "$tmp" "linux-image-$kver" "linux-headers-$kver" "$common" 		"linux-kbuild-$abi" ||
		die "apt-get download of the $name kernel $kver failed: $(grep -E '^E:' "$KMBOX_CACHE/setup-download.log" | head -n 1)"
	dpkg-deb --fsys-tarfile "$tmp/linux-image-${kver}_"*.deb |
		tar -x -O "./boot/vmlinuz-$kver" >"$dir/vmlinuz" ||
		die "no boot/vmlinuz-$kver in linux-image-$kver"
	for deb in "$tmp"/linux-headers-*.deb "$tmp"/linux-kbuild-*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || die "cannot extract $deb"
	done
	# The headers' Makefile includes the common headers by absolute path.
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" \
		"$dir/root/usr/src/linux-headers-$kver/Makefile"
	rm -rf "$tmp"
	echo "$kver" >"$dir/release"
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
		rm -rf "$KMBOX_CACHE/build-$v" "$KMBOX_CACHE/build-$v"-*
	done
	tar -C "$KMBOX_CACHE" -xf /usr/src/linux-source-6.1.tar.xz ||
		die "cannot extract /usr/src/linux-source-6.1.tar.xz into $KMBOX_CACHE"
	echo "$ver" >"$stamp"
}

case ${1:-all} in
all) kernels=$ALL_KERNELS ;;
*) kernels="$*" ;;
esac
for k in $kernels; do
	is_kernel "$k" || die "unknown argument '$k' (all, or kernels among: $ALL_KERNELS)"
done

install_packages
fetch_stock_kernel
extract_source
for k in $kernels; do
	case " $DEBIAN_KERNELS " in
	*" $k "*) fetch_debian_kernel "$k" ;;
	esac
done
for k in $kernels; do
	case " $KBUILD_VARIANTS " in
	*" $k "*) ;;
	*) continue ;;
	esac
	stale=$("$KMBOX_TOP/scripts/build-kernel.sh" --stale "$k" || true)
	[ -z "$stale" ] || need_free_mb "$MIN_FREE_MB_KBUILD"
	"$KMBOX_TOP/scripts/build-kernel.sh" "$k"
done
