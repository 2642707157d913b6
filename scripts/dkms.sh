#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmbox through DKMS (Debian's dkms package), so that kmbox.ko is rebuilt
# for every kernel installed later.
#   scripts/dkms.sh install [KERNEL] copy the module source to
#                                    /usr/src/kmbox-VERSION, dkms add,
#                                    build and install for KERNEL
#   scripts/dkms.sh remove           dkms remove --all, drop the source
#   scripts/dkms.sh check [KERNEL]   install, load the DKMS-built module
#                                    in KERNEL's VM, remove
# KERNEL is stock (the newest Debian 6.1 headers, the default), 6.12 or
# 6.12-rt (Debian's 6.12 headers that scripts/setup.sh extracts, passed
# to dkms with --kernelsourcedir since no package installs them).
set -euo pipefail
PROG=dkms
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
LIBVERSION=$(sed -n 's/^VERSION *:= *//p' userlib/Makefile)
[ "$VERSION" = "$LIBVERSION" ] ||
	die "dkms.conf says $VERSION, userlib/Makefile says $LIBVERSION"
SRC=/usr/src/kmbox-$VERSION
command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"

do_remove() {
	if dkms status kmbox/"$VERSION" | grep -q .; then
		dkms remove kmbox/"$VERSION" --all >/dev/null
	fi
	rm -rf "$SRC"
}

# dkms add and build for $kver; $kernel's headers when they are not in
# /lib/modules/$kver/build (the 6.12 kernels, which are never installed).
do_build() {
	local ksrc=()
	[ "$kernel" = stock ] || ksrc=(--kernelsourcedir "$(kernel_kdir "$kernel")")
	do_remove
	mkdir -p "$SRC"
	cp -r Kbuild dkms.conf module uapi "$SRC/"
	find "$SRC" \( -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	dkms add kmbox/"$VERSION" >/dev/null
	dkms build kmbox/"$VERSION" -k "$kver" "${ksrc[@]}" >/dev/null 2>&1 ||
		die "dkms build failed: see /var/lib/dkms/kmbox/$VERSION/build/make.log"
}

# DKMS installs only into an installed kernel's /lib/modules.
do_install() {
	[ -d "/lib/modules/$kver" ] ||
		die "kernel $kver is not installed here: DKMS can build for it (make dkms-check) but not install"
	do_build
	dkms install kmbox/"$VERSION" -k "$kver" >/dev/null 2>&1 ||
		die "dkms install for $kver failed"
	info "$(dkms status kmbox/"$VERSION" -k "$kver")"
}

kernel=${2:-stock}
case $kernel in
stock | 6.12 | 6.12-rt) ;;
*) die "unknown kernel '$kernel' (stock, 6.12 or 6.12-rt)" ;;
esac
kver=$(kernel_release "$kernel")
[ -n "$kver" ] || die "the $kernel kernel's headers are not set up: run scripts/setup.sh $kernel"
case ${1:-} in
install)
	do_install
	;;
remove)
	do_remove
	info "kmbox/$VERSION removed"
	;;
check)
	# Installed where the kernel is, else the module DKMS built.
	if [ -d "/lib/modules/$kver" ]; then
		do_install
		ko=$(find "/lib/modules/$kver/updates/dkms" -name 'kmbox.ko*' | head -n 1)
	else
		do_build
		ko=$(find "/var/lib/dkms/kmbox/$VERSION/$kver" -name 'kmbox.ko*' | head -n 1)
	fi
	[ -n "$ko" ] || die "dkms made no kmbox.ko for $kver"
	[ "$(modinfo -F version "$ko")" = "$VERSION" ] ||
		die "$ko has version '$(modinfo -F version "$ko")', not $VERSION"
	KMBOX_KO=$ko VM_OUT=$KMBOX_BUILD/vm-dkms scripts/vm-run.sh -k "$kernel" -- \
		'grep -q "^kmbox " /proc/modules && test -c /dev/kmbox'
	do_remove
	info "the DKMS build of kmbox $VERSION loads in $kver"
	;;
*)
	sed -n '3,12p' "$0" >&2
	exit 2
	;;
esac
