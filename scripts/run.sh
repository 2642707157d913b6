#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: run your own program in QEMU with kmbox loaded.
#
#   make run PROG=path [ARGS="..."] [TIMEOUT=seconds] [KERNEL=stock]
#   make run PROG="path path..." CMD="shell command"
#
# Builds kmbox.ko if it is out of date, and libkmbox only if the program
# links it; copies the program, and the libraries it links, into the
# guest's /vm/bin (on PATH); boots the stock kernel (KERNEL=6.12,
# 6.12-rt, debug or kcsan: another test kernel, set up first), loads
# kmbox and runs
# "PROG ARGS" in /root, with an empty standard input.  ARGS is split as
# a shell command line is, in the guest.  A PROG ending in .c is
# compiled first (cc -O2 -g -Wall -pthread, the tree's headers and
# libkmbox) into build/run/.  Several PROGs are all copied and the first
# is run, or CMD, a command line of the guest's shell that can start them
# ("consumer & producer; wait").
#
# The program is stopped (SIGTERM to it and its children, SIGKILL 2 s
# later) if it still runs after TIMEOUT seconds (default 60); whatever it
# left running is killed, then kmbox is unloaded.  Shows the program's
# output, then the kernel log lines that name kmbox, and exits with the
# program's status: 124 if it timed out, 125 if the VM failed; a kernel
# warning or a module that cannot be unloaded fails the run as in
# make check (scripts/vm-run.sh).  Logs in build/vm-run/.
set -euo pipefail
# make passes its PROG in the environment: take it before lib.sh's PROG.
progs=${1:-${PROG:-}}
[ $# -eq 0 ] || shift
args=${*:-${ARGS:-}}
PROG=run
. "$(dirname "$0")/lib.sh"
. "$KMBOX_TOP/scripts/guest-progs.sh"

cmd=${CMD:-}
secs=${TIMEOUT:-60}
kernel=${KERNEL:-stock}
[ -n "$progs" ] || die "no program: make run PROG=path [ARGS=\"...\"] [TIMEOUT=seconds]"
case $secs in
'' | *[!0-9]* | 0) die "TIMEOUT must be a whole number of seconds above 0, not '$secs'" ;;
esac
[ -z "$cmd" ] || [ -z "$args" ] || die "ARGS goes with PROG; with CMD, write the arguments into CMD"

guest_prepare "$kernel"
first=""
for p in $progs; do
	case $p in
	*.c) p=$(guest_compile "$p") ;;
	esac
	guest_add_prog "$p"
	[ -n "$first" ] || first=$(basename "$p")
done
guest_add_libkmbox
[ -n "$cmd" ] || cmd="$first${args:+ $args}"

mkdir -p "$GUEST_PROG_DIR"
printf '%s\n' "$cmd" >"$GUEST_PROG_DIR/cmd.sh"
export VM_OUT=${VM_OUT:-$KMBOX_BUILD/vm-run}
export VM_TIMEOUT=$((secs + 180))
set +e
KERNEL=$kernel "$KMBOX_TOP/scripts/vm-run.sh" "${GUEST_ADDS[@]}" \
	-a "$GUEST_PROG_DIR/cmd.sh:/vm/run.sh" \
	-a /usr/bin/timeout:/usr/bin/timeout -- "
echo \"\\\$ \$(cat /vm/run.sh)\"
/usr/bin/timeout -k 2 $secs sh /vm/run.sh
rc=\$?
[ \$rc -ne 124 ] || echo 'run: still running after $secs s (TIMEOUT): stopped'
$GUEST_CLEANUP
exit \$rc"
rc=$?
set -e
echo "---- kernel log lines of kmbox ($VM_OUT/dmesg.txt) ----"
grep -i 'kmbox' "$VM_OUT/dmesg.txt" 2>/dev/null || echo "(none)"
echo "run: exit status $rc"
exit "$rc"
