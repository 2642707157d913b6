#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark inside the VM (busybox sh), started by scripts/bench.sh
# through scripts/vm-run.sh with kmbox.ko loaded:
#   sh /vm/guest.sh QUICK
# Figures go to the console as "KB,..." lines (kmbox-bench) and "KBX,..."
# lines (the kernel's mq_perf_tests, perf); progress as "bench ..." lines.
QUICK=${1:-0}
BENCH=/vm/bin/kmbox-bench
Q=
[ "$QUICK" = 1 ] && Q=-q

# Room for every queue the benchmark makes.
echo 65536 >/proc/sys/fs/mqueue/msg_max
echo 1048576 >/proc/sys/fs/mqueue/msgsize_max
echo 65536 >/proc/sys/fs/mqueue/queues_max
echo 1048576 >/proc/sys/kernel/msgmax
echo 4194304 >/proc/sys/kernel/msgmnb
echo 256 >/proc/sys/net/unix/max_dgram_qlen

phase() {
	echo "KB,phase,$1,$(cut -d' ' -f1 /proc/uptime)"
}

phase start
PMQ=
[ -x /usr/bin/pmqtest ] && PMQ="-p /usr/bin/pmqtest"
for g in env floors rtt wake stream fanin scale mqperf objects memory; do
	phase "$g"
	# shellcheck disable=SC2086
	"$BENCH" $Q $PMQ "$g" || echo "KB,error,$g,exit $?"
done

# The kernel's own POSIX mq benchmark: fixed 10M + 4x100k loops, too
# long for the quick mode.
if [ "$QUICK" != 1 ] && [ -x /vm/bin/mq_perf_tests ]; then
	phase mq_perf_tests
	echo "bench: mq_perf_tests (the kernel's tools/testing/selftests/mqueue)"
	timeout 420 /vm/bin/mq_perf_tests 2>&1 | tr '\t' ' ' |
		sed 's/^/KBX,mq_perf_tests,/'
	# it restores the limits it raised; raise them again
	echo 65536 >/proc/sys/fs/mqueue/msg_max
fi

# Where the time of kmbox goes, when perf could be brought in: a round
# trip on one vCPU, and streaming with batches of 32, each beside a peer.
profile() {
	echo "bench: perf profile: $1 $2"
	if perf record -q -g -e cpu-clock -F 2000 -a -o /tmp/perf.data -- \
		"$BENCH" profile "$1" "$2" 4 >/tmp/perf.out 2>&1; then
		grep '^KB,' /tmp/perf.out
		perf report -i /tmp/perf.data --stdio --no-children \
			--sort sym --percent-limit 3 --max-stack 5 \
			-g caller,0.5,callee,function,percent 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 90 |
			sed "s|^|KBX,perf,$1 $2,|"
	else
		sed 's/^/KBX,perf-error,/' /tmp/perf.out | head -n 5
	fi
}
if [ "$QUICK" != 1 ] && [ -x /usr/bin/perf ]; then
	phase perf
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	profile rtt kmbox-ioctl
	profile rtt posix-mq
	profile stream kmbox-sendv/32
	profile stream pipe
fi
phase end
