#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kmbox.ko in a folder of its own, against a given kernel build:
#   scripts/shadow-build.sh OUTDIR KDIR [make arguments...]
# Kbuild of 6.1 writes objects next to the sources, so the sources are
# copied (timestamps kept, so make rebuilds only what changed).
set -euo pipefail
PROG=shadow-build
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: $0 OUTDIR KDIR [make arguments...]"
out=$(realpath -m "$1")
kdir=$2
shift 2
mkdir -p "$out/module" "$out/uapi/linux"
cp -a "$KMBOX_TOP/Kbuild" "$out/"
cp -a "$KMBOX_TOP"/module/*.[ch] "$out/module/"
cp -a "$KMBOX_TOP"/uapi/linux/*.h "$out/uapi/linux/"
make -C "$kdir" M="$out" "$@" modules
