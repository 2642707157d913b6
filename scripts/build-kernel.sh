#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel: linux-source-6.1, tinyconfig, plus the fragment
# scripts/kernel/debug.config.  Rebuilt only when the fragment, the source
# version or RECIPE (bump it when the steps below change) changes.
#   scripts/build-kernel.sh           build if stale
#   scripts/build-kernel.sh --stale   print "stale" if a build is needed
set -euo pipefail
PROG=build-kernel
. "$(dirname "$0")/lib.sh"

FRAGMENT=$KMBOX_TOP/scripts/kernel/debug.config
STAMP=$DEBUG_KBUILD/.kmbox-stamp
LOG=$KMBOX_CACHE/build-debug.log
RECIPE=1

want_stamp() {
	{ echo "recipe $RECIPE"; cat "$FRAGMENT" "$KSRC/.kmbox-source-version"; } |
		sha256sum | cut -c1-16
}

is_fresh() {
	[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] &&
		[ -s "$(debug_vmlinuz)" ] && [ -s "$DEBUG_KBUILD/Module.symvers" ]
}

[ -d "$KSRC" ] || die "no kernel source in $KSRC: run scripts/setup.sh"
if [ "${1:-}" = --stale ]; then
	is_fresh || echo stale
	exit 0
fi
is_fresh && exit 0

info "building the debug kernel (about 6-10 minutes; log: $LOG)"
start=$(date +%s)
rm -rf "$DEBUG_KBUILD"
mkdir -p "$DEBUG_KBUILD"
{
	make -C "$KSRC" O="$DEBUG_KBUILD" tinyconfig &&
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$DEBUG_KBUILD" \
		"$DEBUG_KBUILD/.config" "$FRAGMENT" &&
	make -C "$KSRC" O="$DEBUG_KBUILD" olddefconfig
} >"$LOG" 2>&1 || die "configuring the debug kernel failed, see $LOG"

# Every option of the fragment must have survived olddefconfig.
while IFS= read -r line; do
	grep -qxF "$line" "$DEBUG_KBUILD/.config" ||
		die "debug.config: '$line' was not accepted by Kconfig (a dependency is missing)"
done < <(grep -E '^CONFIG_' "$FRAGMENT")

make -C "$KSRC" O="$DEBUG_KBUILD" -j"$(nproc)" bzImage modules >>"$LOG" 2>&1 ||
	die "debug kernel build failed: $(grep -m1 -E 'error|Error' "$LOG") see $LOG"
want_stamp >"$STAMP"
info "debug kernel built in $(( $(date +%s) - start )) s"
