#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tests of the tools a user runs on the host (scripts/tests/*_test.py),
# through the make targets as a user types them: make run and make shell,
# each boot of the stock kernel in QEMU, scripts/vm-run.sh's boot retry
# (about two minutes in all), make install and the examples' run path (a
# few seconds).  make check runs them when
# its KERNELS include stock and no TESTS are named.
#   scripts/tool-tests.sh [MODULE[.CLASS[.TEST]]]...
# Ends with "N passed, N failed" and fails if any failed.
set -uo pipefail
PROG=tool-tests
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP/scripts/tests" || die "no scripts/tests"

if [ $# -eq 0 ]; then
	set -- $(ls ./*_test.py | sed 's|^\./||; s|\.py$||')
fi
log=$KMBOX_BUILD/tool-tests.log
mkdir -p "$KMBOX_BUILD"
python3 -m unittest -v "$@" >"$log" 2>&1
rc=$?
# "name (module.Class.name)" then, on the same or a later line, "... ok".
grep -E '\.\.\. (ok|FAIL|ERROR|skipped)' "$log" | sed 's/^/  /'
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log")
failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$log")
if [ "$rc" -ne 0 ]; then
	sed -n '/^======/,$p' "$log" >&2
	[ "$failed" -gt 0 ] || failed=1
fi
echo "$((${ran:-0} - failed)) passed, $failed failed"
[ "$rc" -eq 0 ]
