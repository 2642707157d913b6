#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make stress: the race, soak and fuzz tests run long, on the kernels
# that catch what races break: debug (KASAN, lockdep, kmemleak) and kcsan
# (data races).  make check runs the same tests for 2 s a subtest.
#
#   STRESS_SECS   seconds per subtest (default 60; race_test has 12)
#   KERNELS       default "debug kcsan"
#   TESTS         default "race_test soak_test fuzz_test mpmc_test"
# Ends like make check, with "N passed, N failed, N skipped".
set -euo pipefail
PROG=stress
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

secs=${STRESS_SECS:-60}
case $secs in
'' | *[!0-9]*) die "STRESS_SECS must be a number of seconds, not '$secs'" ;;
esac
tests=${TESTS:-race_test soak_test fuzz_test mpmc_test}
ntests=$(echo "$tests" | wc -w)
# Each subtest runs for secs (race_test has the most: 12), then the VM
# unloads kmbox and scans for leaks.
timeout=$((600 + ntests * 14 * secs * 2))
info "$tests: $secs s a subtest on ${KERNELS:-debug kcsan} (at most $((timeout / 60)) min a kernel)"
exec env KERNELS="${KERNELS:-debug kcsan}" TESTS="$tests" \
	KMBOX_STRESS_SECS="$secs" KMBOX_M32=0 LINT=0 VM_TIMEOUT="$timeout" \
	scripts/check.sh
