#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmbox through DKMS (Debian's dkms package), so that kmbox.ko is rebuilt
# for every kernel installed later.
#   scripts/dkms.sh install [KVER]   copy the module source to
#                                    /usr/src/kmbox-VERSION, dkms add,
#                                    build and install (KVER: the newest
#                                    Debian 6.1 headers by default)
#   scripts/dkms.sh remove           dkms remove --all, drop the source
#   scripts/dkms.sh check [KVER]     install, load the DKMS-built module
#                                    in the stock kernel's VM, remove
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

do_install() {
	local kver=$1
	do_remove
	mkdir -p "$SRC"
	cp -r Kbuild dkms.conf module uapi "$SRC/"
	find "$SRC" \( -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	dkms add kmbox/"$VERSION" >/dev/null
	dkms build kmbox/"$VERSION" -k "$kver" >/dev/null ||
		die "dkms build failed: see /var/lib/dkms/kmbox/$VERSION/build/make.log"
	dkms install kmbox/"$VERSION" -k "$kver" >/dev/null
	info "$(dkms status kmbox/"$VERSION" -k "$kver")"
}

kver=${2:-$(stock_kver)}
case ${1:-} in
install)
	do_install "$kver"
	;;
remove)
	do_remove
	info "kmbox/$VERSION removed"
	;;
check)
	do_install "$kver"
	ko=$(find "/lib/modules/$kver/updates/dkms" -name 'kmbox.ko*' | head -n 1)
	[ -n "$ko" ] || die "dkms installed no kmbox.ko for $kver"
	KMBOX_KO=$ko VM_OUT=$KMBOX_BUILD/vm-dkms scripts/vm-run.sh -k stock -- \
		'grep -q "^kmbox " /proc/modules && test -c /dev/kmbox'
	do_remove
	info "the DKMS build of kmbox $VERSION loads in $kver"
	;;
*)
	sed -n '3,12p' "$0" >&2
	exit 2
	;;
esac
