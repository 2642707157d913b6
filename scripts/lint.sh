#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel style and static checks:
#  - checkpatch.pl --strict (from the linux-source tree) on module/ and uapi/
#  - the module built with W=1 and sparse (C=2) against the stock 6.1
#    headers and Debian's 6.12 and 6.12-rt headers: no warning at all
#  - libkmbox, the selftests and the benchmarks built with -Werror
#  - the man pages against the code (scripts/check-man.sh)
#  - the documentation built with Sphinx, warnings as errors: the
#    library API from userlib/kmbox.h, references to the source checked
set -euo pipefail
PROG=lint
. "$(dirname "$0")/lib.sh"

CHECKPATCH=$KSRC/scripts/checkpatch.pl
[ -x "$CHECKPATCH" ] || die "no $CHECKPATCH: run scripts/setup.sh"
LINT_KERNELS=${LINT_KERNELS:-stock $DEBIAN_KERNELS}
for k in $LINT_KERNELS; do
	[ -f "$(kernel_kdir "$k")/Makefile" ] ||
		die "no headers of the $k kernel: run scripts/setup.sh $k"
done
command -v sparse >/dev/null || die "sparse not installed: run scripts/setup.sh"
cd "$KMBOX_TOP"
failed=0

# module/compat.h is the one file that compares LINUX_VERSION_CODE, which
# checkpatch flags twice (in-tree code is for one version only): those two
# checks are off for it alone.  module/region.c keeps a copy of shmem's
# file operations that it fills at init (__ro_after_init), which cannot
# be const: CONST_STRUCT is off for it alone.
checkpatch() {
	"$CHECKPATCH" --no-tree --strict --terse --show-types "$@" \
		>"$KMBOX_BUILD.checkpatch.log" 2>&1 && return 0
	grep -E '(ERROR|WARNING|CHECK):' "$KMBOX_BUILD.checkpatch.log" >&2 ||
		cat "$KMBOX_BUILD.checkpatch.log" >&2
	failed=1
}
# One release number: libkmbox's, the module's and DKMS's.
release=$(sed -n 's/^VERSION *:= *//p' userlib/Makefile)
for where in "module/main.c:MODULE_VERSION(\"$release\")" \
	"dkms.conf:PACKAGE_VERSION=\"$release\""; do
	grep -qF "${where#*:}" "${where%%:*}" || {
		echo "lint: ${where%%:*} does not say ${where#*:} (userlib/Makefile's VERSION)" >&2
		failed=1
	}
done

info "checkpatch --strict"
checkpatch --ignore FILE_PATH_CHANGES \
	-f $(ls module/*.[ch] uapi/linux/*.h |
		grep -vx -e module/compat.h -e module/region.c)
checkpatch --ignore FILE_PATH_CHANGES,CONST_STRUCT -f module/region.c
checkpatch --ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,CONSTANT_COMPARISON \
	-f module/compat.h
rm -f "$KMBOX_BUILD.checkpatch.log"

out=$KMBOX_BUILD/lint
rm -rf "$out"
mkdir -p "$out"
for k in $LINT_KERNELS; do
	info "W=1 C=2 build against the $k kernel ($(kernel_release "$k"))"
	if ! scripts/shadow-build.sh "$out/$k" "$(kernel_kdir "$k")" W=1 C=2 CHECK=sparse \
		>"$out/$k.log" 2>&1; then
		cat "$out/$k.log" >&2
		failed=1
	elif grep -E 'warning:|error:' "$out/$k.log" >&2; then
		failed=1
	fi
done

info "libkmbox and selftests with -Werror"
if ! make -s -C userlib O="$out/userlib" CFLAGS="-O2 -g -Werror" >"$out/userlib.log" 2>&1; then
	cat "$out/userlib.log" >&2
	failed=1
fi
mkdir -p "$out/selftests"
if ! make -s -C selftests KSFT_DIR="$KSFT_DIR" OUTPUT="$out/selftests" \
	KMBOX_LIBDIR="$out/userlib" USERCFLAGS=-Werror >"$out/selftests.log" 2>&1; then
	cat "$out/selftests.log" >&2
	failed=1
fi

info "the benchmarks (make bench, make bench-native) with -Werror"
if ! make -s -C bench O="$out/bench" KSRC="$KSRC" CFLAGS="-O2 -g -Werror" \
	all native >"$out/bench.log" 2>&1; then
	cat "$out/bench.log" >&2
	failed=1
fi

info "man pages against the code"
scripts/check-man.sh || failed=1

info "make htmldocs (Sphinx, warnings are errors)"
if ! make -s htmldocs >"$out/htmldocs.log" 2>&1; then
	cat "$out/htmldocs.log" >&2
	failed=1
fi

[ "$failed" -eq 0 ] || die "lint found problems (above)"
info "clean"
