#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kmbox.ko for one of the test kernels other than stock, in
# build/KERNEL (make modules-KERNEL):
#   scripts/build-module.sh 6.12|6.12-rt|debug|kcsan [make arguments...]
# The stock kernel's module is built in the tree by make modules.
set -euo pipefail
PROG=build-module
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 KERNEL [make arguments...]"
k=$1
shift
{ is_kernel "$k" && [ "$k" != stock ]; } ||
	die "unknown kernel '$k' (one of: ${ALL_KERNELS#stock })"
kdir=$(kernel_kdir "$k")
[ -f "$kdir/Module.symvers" ] ||
	die "no $k kernel build tree in '$kdir': run 'scripts/setup.sh $k'"
exec "$KMBOX_TOP/scripts/shadow-build.sh" "$KMBOX_BUILD/$k" "$kdir" "$@"
