#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages against the code (run by lint.sh):
#  - every function of userlib/kmbox.h is in libkmbox.map, and every
#    symbol of the map has its page userlib/man/SYMBOL.3;
#  - every page of section 3 has ATTRIBUTES and VERSIONS, and VERSIONS
#    names the release and symbol version that added the function (its
#    node in the map);
#  - every page's header names the release of kmbox.h
#    (KMBOX_VERSION_MAJOR.MINOR), or for kmboxctl(1) the Makefile's
#    VERSION, and a date no later than today;
#  - groff formats every page without a warning.
set -euo pipefail
PROG=check-man
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

bad=0
problem() {
	echo "$PROG: $*" >&2
	bad=1
}

hdr=userlib/kmbox.h
map=userlib/libkmbox.map
major=$(sed -n 's/^#define KMBOX_VERSION_MAJOR[[:space:]]*//p' "$hdr")
minor=$(sed -n 's/^#define KMBOX_VERSION_MINOR[[:space:]]*//p' "$hdr")
release="libkmbox $major.$minor"
today=$(date +%F)

# "kmbox_send KMBOX_1.0" for each global symbol of the map.
symbols=$(awk '/^KMBOX_[0-9.]+ \{/ { node = $1 }
	/^[[:space:]]+kmbox_[a-z_]+;/ { sub(/;/, "", $1); print $1, node }' "$map")
[ -n "$symbols" ] || die "no symbols found in $map"

for fn in $(sed -n 's/^[a-z_ ]*[ *]\(kmbox_[a-z_]*\)(.*/\1/p' "$hdr"); do
	grep -q "^$fn " <<<"$symbols" || problem "$hdr declares $fn(), which $map does not export"
done

while read -r sym node; do
	page=userlib/man/$sym.3
	if [ ! -f "$page" ]; then
		problem "$sym ($node) has no man page $page"
		continue
	fi
	ver=${node#KMBOX_}
	sed -n '/^\.SH VERSIONS/,/^\.SH /p' "$page" | tr '\n' ' ' |
		grep -q "added in libkmbox $ver (symbol version \.BR \\\\%$node )" ||
		problem "$page: VERSIONS must say: added in libkmbox $ver (symbol version $node)"
done <<<"$symbols"

for page in userlib/man/*.3 userlib/man/*.7 tools/kmboxctl/kmboxctl.1; do
	th=$(grep -m1 '^\.TH ' "$page")
	date=$(awk '{ print $4 }' <<<"$th")
	case $page in
	*.1)
		want="\"kmbox $(sed -n 's/^VERSION *:= *//p' tools/kmboxctl/Makefile)\""
		;;
	*)
		want="\"$release\""
		;;
	esac
	grep -qF "$want" <<<"$th" || problem "$page: .TH must name $want: $th"
	[[ "$date" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && [[ ! "$date" > "$today" ]] ||
		problem "$page: .TH date '$date' is not a date up to today"
	case $page in
	*.3)
		for sec in ATTRIBUTES VERSIONS; do
			grep -q "^\.SH $sec\$" "$page" || problem "$page: no $sec section"
		done
		;;
	esac
	sym=$(basename "$page" .3)
	case $page in
	*.3) grep -q "^$sym " <<<"$symbols" || problem "$page: $sym is not in $map" ;;
	esac
	warnings=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
	[ -z "$warnings" ] || problem "$page: groff: $warnings"
done

[ "$bad" -eq 0 ] || die "the man pages do not match the code (above)"
info "every function has its page, every page its release"
