#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a test kernel from linux-source-6.1 into $KMBOX_CACHE/build-VARIANT:
# tinyconfig, then the fragments scripts/kernel/base.config and
# scripts/kernel/VARIANT.config, merged in that order.  VARIANT is debug
# (KASAN, kmemleak, UBSAN, fault injection; the default) or kcsan (KCSAN);
# both have lockdep.  Rebuilt only when a fragment, the source version or
# KBUILD_RECIPE (scripts/lib.sh; bump it when the steps below change)
# changes, into a folder named after them.
#   scripts/build-kernel.sh [VARIANT]           build if stale
#   scripts/build-kernel.sh --stale [VARIANT]   print "stale" if a build is needed
set -euo pipefail
PROG=build-kernel
. "$(dirname "$0")/lib.sh"

STALE=0
if [ "${1:-}" = --stale ]; then
	STALE=1
	shift
fi
VARIANT=${1:-debug}
case " $KBUILD_VARIANTS " in
*" $VARIANT "*) ;;
*) die "unknown kernel variant '$VARIANT' (one of: $KBUILD_VARIANTS)" ;;
esac

FRAGMENTS=("$KMBOX_TOP/scripts/kernel/base.config"
	"$KMBOX_TOP/scripts/kernel/$VARIANT.config")
KBUILD=$(kbuild_dir "$VARIANT")
STAMP=$KBUILD/.kmbox-stamp
LOG=$KBUILD.log
# Builds of other recipes kept for other trees, the newest first.
KEEP=2

want_stamp() {
	kbuild_stamp "$VARIANT"
}

is_fresh() {
	[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] &&
		[ -s "$(kbuild_vmlinuz "$VARIANT")" ] && [ -s "$KBUILD/Module.symvers" ]
}

# The options the fragments set (CONFIG_X=... or "# CONFIG_X is not set"),
# the last setting of each symbol winning, as merge_config.sh does.
wanted_options() {
	grep -hE '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "${FRAGMENTS[@]}" |
		awk '{ sym = $0; sub(/^# /, "", sym); sub(/[= ].*/, "", sym)
			if (!(sym in last)) order[n++] = sym
			last[sym] = $0 }
		END { for (i = 0; i < n; i++) print last[order[i]] }'
}

[ -d "$KSRC" ] || die "no kernel source in $KSRC: run scripts/setup.sh"
if [ "$STALE" -eq 1 ]; then
	is_fresh || echo stale
	exit 0
fi
is_fresh && exit 0
# Two builds of one variant at a time would wreck each other: the second
# waits, then finds the first one's result fresh.
mkdir -p "$KMBOX_CACHE"
exec 9>"$KBUILD.lock"
flock 9
is_fresh && exit 0

info "building the $VARIANT kernel (about 6-20 minutes; log: $LOG)"
start=$(date +%s)
rm -rf "$KBUILD"
mkdir -p "$KBUILD"
{
	make -C "$KSRC" O="$KBUILD" tinyconfig &&
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" \
		"$KBUILD/.config" "${FRAGMENTS[@]}" &&
	make -C "$KSRC" O="$KBUILD" olddefconfig
} >"$LOG" 2>&1 || die "configuring the $VARIANT kernel failed, see $LOG"

# Every option of the fragments must have survived olddefconfig.
while IFS= read -r line; do
	case $line in
	"# "*)
		sym=${line#\# }
		sym=${sym%% *}
		! grep -q "^$sym=" "$KBUILD/.config"
		;;
	*)
		grep -qxF "$line" "$KBUILD/.config"
		;;
	esac || die "$VARIANT kernel: '$line' was not accepted by Kconfig (a dependency is missing or conflicts)"
done < <(wanted_options)

make -C "$KSRC" O="$KBUILD" -j"$(nproc)" bzImage modules >>"$LOG" 2>&1 ||
	die "$VARIANT kernel build failed: $(grep -m1 -E 'error|Error' "$LOG") see $LOG"
want_stamp >"$STAMP"
info "$VARIANT kernel built in $(( $(date +%s) - start )) s"
# Older recipes' builds beyond the KEEP newest go.
ls -dt "$KMBOX_CACHE/build-$VARIANT"-* 2>/dev/null | grep -vxF "$KBUILD" |
	grep -v '\.\(lock\|log\)$' | tail -n +$((KEEP + 1)) | while read -r old; do
	rm -rf "$old" "$old.lock" "$old.log"
done
