#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: kmbox against pipes, sockets, POSIX and System V message
# queues and shared-memory rings, side by side in one boot of the stock
# kernel in QEMU.  Builds bench/kmbox-bench (static) and the kernel's
# mq_perf_tests, runs them with rt-tests' pmqtest in the VM, and writes
# bench/results/<date>.md, .csv and .svg.
#
# Environment:
#   BENCH_QUICK=1   short slices, smaller matrix (under 3 minutes); the
#                   results go to build/bench/quick/, not bench/results/
#   BENCH_OUT       folder for the results (default above)
#   KMBOX_KO        the module to load (default: kmbox.ko, built by make)
#   VM_OUT          VM log folder (default build/vm-bench)
# No figure is asserted: this fails only when the VM or a build fails.
set -euo pipefail
PROG=bench
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
start=$(date +%s)

scripts/setup.sh stock
if [ -z "${KMBOX_KO:-}" ]; then
	make -s modules >"$KMBOX_BUILD.bench-make.log" 2>&1 || {
		cat "$KMBOX_BUILD.bench-make.log" >&2
		die "the module build failed"
	}
	KMBOX_KO=$KMBOX_TOP/kmbox.ko
fi
export KMBOX_KO
mkdir -p "$KMBOX_BUILD"
make -s -C bench O="$KMBOX_BUILD/bench" KSRC="$KSRC" \
	>"$KMBOX_BUILD.bench-make.log" 2>&1 || {
	cat "$KMBOX_BUILD.bench-make.log" >&2
	die "the benchmark build failed"
}
rm -f "$KMBOX_BUILD.bench-make.log"

ADDS=(-a "bench/kmbox-bench:/vm/bin/kmbox-bench"
	-a "bench/guest.sh:/vm/guest.sh"
	-a "$KMBOX_BUILD/bench/mq_perf_tests:/vm/bin/mq_perf_tests")
PMQTEST=$(command -v pmqtest || true)
if [ -n "$PMQTEST" ]; then
	ADDS+=(-a "$PMQTEST:/usr/bin/pmqtest")
else
	info "pmqtest not found (rt-tests): run without it"
fi
# perf is optional (not installed by setup): a profile when it is there.
PERF=$(command -v perf || true)
[ "$QUICK" = 0 ] && [ -n "$PERF" ] && ADDS+=(-a "$PERF:/usr/bin/perf")

export VM_OUT=${VM_OUT:-$KMBOX_BUILD/vm-bench}
if [ "$QUICK" = 1 ]; then
	: "${VM_TIMEOUT:=300}"
	OUT=${BENCH_OUT:-$KMBOX_BUILD/bench/quick}
else
	: "${VM_TIMEOUT:=1140}"
	OUT=${BENCH_OUT:-$KMBOX_TOP/bench/results}
fi
export VM_TIMEOUT
info "running the benchmark in the VM (quick=$QUICK, at most ${VM_TIMEOUT} s); progress:"
set +e
scripts/vm-run.sh -k stock "${ADDS[@]}" -- "sh /vm/guest.sh $QUICK" |
	grep --line-buffered -E '^(bench|vm-run|kmbox-vm|kmbox-bench)'
vm_rc=${PIPESTATUS[0]}
set -e

elapsed=$(($(date +%s) - start))
mkdir -p "$OUT"
python3 bench/report.py --console "$VM_OUT/console.log" --out "$OUT" \
	--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
	--accel "${VM_ACCEL:-tcg}" --smp "${VM_SMP:-2}" --mem "${VM_MEM:-1024}" \
	--elapsed "$elapsed" --quick "$QUICK" --vm-rc "$vm_rc"
[ "$vm_rc" -eq 0 ] || die "the VM run failed (exit $vm_rc, logs in $VM_OUT); the results above may be partial"
