#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make shell: a busybox shell in QEMU, on the serial console, with kmbox
# loaded and kmboxctl, the examples and libkmbox.so.1 installed
# (/vm/bin is on PATH).
#
#   make shell [PROG="path..."] [KERNEL=stock] [TIMEOUT=seconds]
#
# On a terminal the shell is interactive, with job control: Ctrl-C
# interrupts the guest's foreground job, and 'exit' or Ctrl-D at the
# prompt powers the VM off.  Without a terminal (commands on standard
# input, as a test gives them) the guest's shell reads them without
# echo or prompt, to the end of the input, and the output is theirs
# alone.  Either way make shell exits with the shell's status; processes
# still running at the end are killed and kmbox is unloaded, which must
# succeed, as in make check (scripts/vm-run.sh).  PROG adds your own
# programs (a .c file is compiled first, as by make run).  TIMEOUT
# powers the VM off after that many seconds (default: a day on a
# terminal, 600 without).  Logs in build/vm-shell/.
set -euo pipefail
progs=${PROG:-}
PROG=shell
. "$(dirname "$0")/lib.sh"
. "$KMBOX_TOP/scripts/guest-progs.sh"

kernel=${KERNEL:-stock}
tty=0
[ -t 0 ] && tty=1
if [ "$tty" = 1 ]; then
	secs=${TIMEOUT:-86400}
else
	secs=${TIMEOUT:-600}
fi
case $secs in
'' | *[!0-9]* | 0) die "TIMEOUT must be a whole number of seconds above 0, not '$secs'" ;;
esac

guest_prepare "$kernel"
quiet_make -C "$KMBOX_TOP" userlib kmboxctl examples
for p in "$KMBOX_TOP/tools/kmboxctl/kmboxctl" \
	$(make -s -C "$KMBOX_TOP/examples" list | sed "s|^|$KMBOX_TOP/examples/|") $progs; do
	case $p in
	*.c) p=$(guest_compile "$p") ;;
	esac
	guest_add_prog "$p"
done
guest_add_libkmbox
GUEST_ADDS+=(-a "$KMBOX_TOP/scripts/vm-shell.sh:/vm/shell.sh")

export VM_OUT=${VM_OUT:-$KMBOX_BUILD/vm-shell}
export VM_TIMEOUT=$secs
run_vm() {
	KERNEL=$kernel "$KMBOX_TOP/scripts/vm-run.sh" -i "${GUEST_ADDS[@]}" -- "
sh /vm/shell.sh $*
rc=\$?
$GUEST_CLEANUP
exit \$rc"
}

if [ "$tty" = 1 ]; then
	read -r rows cols < <(stty size 2>/dev/null || true)
	# A terminal that knows no size (0 0) gets the classic one.
	[ "${rows:-0}" -gt 0 ] && [ "${cols:-0}" -gt 0 ] || { rows=24; cols=80; }
	run_vm tty "$rows" "$cols"
	exit
fi

# Without a terminal: the input goes to the guest once its shell is
# ready (what came before would be echoed), then a newline and Ctrl-D,
# its end.  The feeder is this script's child; it is ended with the VM.
token=$$-$RANDOM
mkdir -p "$VM_OUT"
rm -f "$VM_OUT/console.log"
fifo=$(mktemp -u "$KMBOX_BUILD/shell-input.XXXXXX")
mkfifo "$fifo"
exec 3<&0
(
	until grep -qs "kmbox-shell: ready $token" "$VM_OUT/console.log"; do
		sleep 0.2
	done
	cat <&3
	printf '\n\004'
) >"$fifo" &
feeder=$!
set +e
run_vm input "$token" <"$fifo"
rc=$?
set -e
kill "$feeder" 2>/dev/null || true
wait "$feeder" 2>/dev/null || true
rm -f "$fifo"
exit "$rc"
