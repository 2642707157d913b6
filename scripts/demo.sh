#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: prepare the stock kernel, build, boot it in QEMU and show
# kmbox working: the device node, the module's log line, the ABI version
# asked through libkmbox by examples/version, and examples/pingpong: two
# processes exchanging messages through named mailboxes with blocking
# receives; then the other examples, one classic IPC pattern each (pipe,
# workers, reqreply, shmsync, notify, backpressure, direct).
set -euo pipefail
PROG=demo
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

scripts/setup.sh stock
make -s modules userlib examples >"$KMBOX_BUILD.demo-make.log" 2>&1 || {
	cat "$KMBOX_BUILD.demo-make.log" >&2
	die "the build failed"
}
rm -f "$KMBOX_BUILD.demo-make.log"

VM_OUT=$KMBOX_BUILD/vm-demo exec scripts/vm-run.sh -k stock \
	-a "userlib/libkmbox.so.1:/usr/lib/libkmbox.so.1" \
	-a "examples/version:/vm/bin/version" \
	-a "examples/pingpong:/vm/bin/pingpong" \
	-a "examples/pipe:/vm/bin/pipe" \
	-a "examples/workers:/vm/bin/workers" \
	-a "examples/reqreply:/vm/bin/reqreply" \
	-a "examples/shmsync:/vm/bin/shmsync" \
	-a "examples/notify:/vm/bin/notify" \
	-a "examples/backpressure:/vm/bin/backpressure" \
	-a "examples/direct:/vm/bin/direct" -- '
set -e
show() { echo "\$ $*"; "$@"; echo; }
show ls -l /dev/kmbox
show grep kmbox /proc/modules
dmesg | grep "kmbox:" | sed "s/^/    /"
echo
show version
show pingpong
show pipe
show workers
show reqreply
show shmsync
show notify
show backpressure
show direct
'
