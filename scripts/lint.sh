#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel style and static checks:
#  - checkpatch.pl --strict (from the linux-source tree) on module/ and uapi/
#  - the module built with W=1 and sparse (C=2): no warning at all
#  - libkmbox and the selftests built with -Werror
#  - the man pages against the code (scripts/check-man.sh)
#  - the documentation built with Sphinx, warnings as errors: the
#    library API from userlib/kmbox.h, references to the source checked
set -euo pipefail
PROG=lint
. "$(dirname "$0")/lib.sh"

CHECKPATCH=$KSRC/scripts/checkpatch.pl
[ -x "$CHECKPATCH" ] || die "no $CHECKPATCH: run scripts/setup.sh"
KDIR=${KDIR:-$(stock_kdir)}
[ -n "$KDIR" ] || die "no kernel headers: run scripts/setup.sh"
command -v sparse >/dev/null || die "sparse not installed: run scripts/setup.sh"
cd "$KMBOX_TOP"
failed=0

info "checkpatch --strict"
if ! "$CHECKPATCH" --no-tree --strict --terse --show-types \
	--ignore FILE_PATH_CHANGES -f module/*.[ch] uapi/linux/*.h \
	>"$KMBOX_BUILD.checkpatch.log" 2>&1; then
	grep -E '(ERROR|WARNING|CHECK):' "$KMBOX_BUILD.checkpatch.log" >&2 || cat "$KMBOX_BUILD.checkpatch.log" >&2
	failed=1
fi
rm -f "$KMBOX_BUILD.checkpatch.log"

info "W=1 C=2 build against $KDIR"
out=$KMBOX_BUILD/lint
rm -rf "$out"
mkdir -p "$out"
if ! scripts/shadow-build.sh "$out" "$KDIR" W=1 C=2 CHECK=sparse >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	failed=1
elif grep -E 'warning:|error:' "$out/build.log" >&2; then
	failed=1
fi

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

info "man pages against the code"
scripts/check-man.sh || failed=1

info "make htmldocs (Sphinx, warnings are errors)"
if ! make -s htmldocs >"$out/htmldocs.log" 2>&1; then
	cat "$out/htmldocs.log" >&2
	failed=1
fi

[ "$failed" -eq 0 ] || die "lint found problems (above)"
info "clean"
