#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-native: the libkmbox ring on this host's own CPUs, beside a
# reference SPSC ring, an eventfd + memfd ring, pipes, AF_UNIX
# SOCK_SEQPACKET and POSIX mq, memcpy and the cross-CPU cache-line round
# trip.  The host cannot load kmbox.ko: libkmbox is built as shipped and
# the ring's doorbell ioctls are answered by the futex stand-in of the
# selftests (selftests/doorbell_standin.c), which follows module/ring.c's
# protocol; every output says so.  Then the ring's native tests.
#
# ROUNDS rounds (11), each one repetition of every configuration, in the
# same order, so that a slow moment spreads over all of them; the report
# takes each figure's median over the rounds and each ratio's median over
# the per-round ratios.  Writes bench/results/<date>-native.md, .csv and
# .svg (with <date>-native.notes.md, if present, as the notes).
#
# Environment:
#   BENCH_QUICK=1      3 short rounds; results in build/bench/quick-native/
#   ROUNDS=N           rounds (default 11; 3 with BENCH_QUICK)
#   BENCH_OUT          folder for the results
#   BENCH_QUIET_WAIT=S wait up to S seconds (default 900; 0 with BENCH_QUICK)
#                      for a quiet host: load average under 0.5 and no
#                      qemu-system-x86_64 or cc1 running.  The load, and
#                      whether the host was quiet, go into the results.
# Needs gcc and python3 only.  No figure is asserted.
set -euo pipefail
PROG=bench-native
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-3}
	OUT=${BENCH_OUT:-$KMBOX_BUILD/bench/quick-native}
	WAIT=${BENCH_QUIET_WAIT:-0}
	QFLAG=-q
else
	ROUNDS=${ROUNDS:-11}
	OUT=${BENCH_OUT:-$KMBOX_TOP/bench/results}
	WAIT=${BENCH_QUIET_WAIT:-900}
	QFLAG=
fi
command -v gcc >/dev/null || die "gcc is needed (apt-get install gcc)"
command -v python3 >/dev/null || die "python3 is needed"

# The ring of libkmbox 1.1, from git, as the baseline of the same run
# (bench/mech_ring11.c): the last commit of 1.1.
RING11_COMMIT=${RING11_COMMIT:-35570c6}
ring11=$KMBOX_BUILD/bench/native/ring11
rm -rf "$ring11"
mkdir -p "$ring11"
for f in ring.c kmbox.h kmbox_internal.h; do
	git -C "$KMBOX_TOP" show "$RING11_COMMIT:userlib/$f" >"$ring11/$f" 2>/dev/null || {
		info "no libkmbox 1.1 in git ($RING11_COMMIT): kmbox-ring-1.1 left out"
		rm -rf "$ring11"
		break
	}
done
rm -f "$KMBOX_BUILD/bench/native/kmbox-bench-native"

mkdir -p "$KMBOX_BUILD"
make -s -C bench native O="$KMBOX_BUILD/bench" >"$KMBOX_BUILD.bench-native.log" 2>&1 || {
	cat "$KMBOX_BUILD.bench-native.log" >&2
	die "the native benchmark build failed"
}
rm -f "$KMBOX_BUILD.bench-native.log"
BIN=$KMBOX_BUILD/bench/native/kmbox-bench-native

# The host is quiet when nothing else runs: no VM, no compiler, load < 0.5.
busy() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	# (a process's name is cut to 15 characters)
	pgrep -x qemu-system-x86 >/dev/null && { echo "qemu-system-x86_64 running"; return 0; }
	pgrep -x cc1 >/dev/null && { echo "cc1 running"; return 0; }
	awk -v l="$load" 'BEGIN { exit !(l >= 0.5) }' && { echo "load average $load"; return 0; }
	return 1
}
waited=0
quiet=yes
while why=$(busy); do
	if [ "$waited" -ge "$WAIT" ]; then
		quiet="no: $why"
		info "the host is busy ($why): measuring anyway, the results will say so"
		break
	fi
	[ "$waited" -eq 0 ] && info "waiting up to ${WAIT} s for a quiet host ($why)"
	sleep 30
	waited=$((waited + 30))
done

# POSIX mq and AF_UNIX need room for 256 messages a queue, as bench/guest.sh
# gives them in the VM: in IPC and network namespaces of their own when
# unshare(1) may make them, so that the host's limits stay as they are.
NS_PREP='echo 65536 >/proc/sys/fs/mqueue/msg_max &&
	echo 1048576 >/proc/sys/fs/mqueue/msgsize_max &&
	echo 65536 >/proc/sys/fs/mqueue/queues_max &&
	echo 256 >/proc/sys/net/unix/max_dgram_qlen && exec "$@"'
if unshare --ipc --net -- sh -c "$NS_PREP" sh true 2>/dev/null; then
	RUN=(unshare --ipc --net -- sh -c "$NS_PREP" sh "$BIN")
else
	info "cannot make IPC and network namespaces: POSIX mq runs with the host's limits"
	RUN=("$BIN")
fi

LOG=$KMBOX_BUILD/bench/native.log
start=$(date +%s)
{
	echo "KB,env,host_quiet,$quiet"
	echo "KB,env,load_before,$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "KB,env,rounds,$ROUNDS"
	"${RUN[@]}" $QFLAG -r 1 env
	for r in $(seq 1 "$ROUNDS"); do
		echo "KB,round,$r"
		"${RUN[@]}" $QFLAG -r 1 floors stream rtt 2> >(grep -v '^bench \[' >&2)
		info "round $r/$ROUNDS done" >&2
	done
	echo "KB,env,load_after,$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "KB,env,elapsed_s,$(($(date +%s) - start))"
} >"$LOG"

mkdir -p "$OUT"
python3 bench/report_native.py --log "$LOG" --out "$OUT"

# The tests need the kselftest harness of the linux-source tree (make setup).
if [ -f "$KSFT_DIR/kselftest_harness.h" ]; then
	info "the ring's native tests (selftests, doorbell stand-in)"
	make -s userlib >/dev/null
	make -s -C selftests KSFT_DIR="$KSFT_DIR" OUTPUT="$KMBOX_TOP/selftests" \
		run_native | grep -E '^(# (Totals|FAILED|PASSED)|not ok)'
else
	info "no kselftest harness in $KSFT_DIR (make setup): the native tests were not run"
fi
