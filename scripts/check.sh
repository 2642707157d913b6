#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: setup, lint, build, then the kselftests in QEMU on each
# kernel (KERNELS="stock debug" by default).  After each run the VM
# unloads kmbox, scans for leaks and checks the kernel log (vm-run.sh).
# Ends with one line "N passed, N failed, N skipped" over both kernels;
# a lint failure or a bad kernel log counts as a failure too.
set -uo pipefail
PROG=check
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

KERNELS=${KERNELS:-stock debug}
passed=0
failed=0
skipped=0
problems=()

problem() {
	problems+=("$*")
	failed=$((failed + 1))
}

scripts/setup.sh || die "setup failed"
scripts/lint.sh || problem "lint"
make -s all $(case " $KERNELS " in *" debug "*) echo modules-debug ;; esac) >"$KMBOX_BUILD.make.log" 2>&1 || {
	cat "$KMBOX_BUILD.make.log" >&2
	die "the build failed"
}
rm -f "$KMBOX_BUILD.make.log"

# The kselftest tree the guest gets: the runner and our programs.  The
# runner needs coreutils' timeout (busybox's has no --foreground).
tests=$(make -s -C selftests KSFT_DIR="$KSFT_DIR" COLLECTION=kmbox emit_tests |
	sed -n 's/^kmbox://p' | tr '\n' ' ')
[ -n "$tests" ] || die "no selftests listed by 'make -C selftests emit_tests'"
stage=$KMBOX_BUILD/ksft
rm -rf "$stage"
mkdir -p "$stage/kmbox" "$stage/kselftest"
cp "$KSFT_DIR"/kselftest/runner.sh "$KSFT_DIR"/kselftest/prefix.pl "$stage/kselftest/"
for t in $tests config settings; do
	cp selftests/"$t" "$stage/kmbox/"
done
run_cmd="cd /kselftest/kmbox && BASE_DIR=/kselftest && . /kselftest/kselftest/runner.sh && run_many"
for t in $tests; do
	run_cmd="$run_cmd ./$t"
done

# Tally one kernel's TAP output: the harness' Totals line of each program,
# or the program's own verdict when it died before printing one.
tally() {
	tr -d '\r' <"$1" | awk -v kernel="$2" '
	/^# selftests: kmbox: / { prog = $4; have = 0; tfail = 0 }
	/^# # Totals: / {
		for (i = 3; i <= NF; i++) {
			split($i, kv, ":")
			n[kv[1]] += kv[2]
		}
		split($4, f, ":"); tfail = f[2]
		have = 1
	}
	/^# not ok / { sub(/^# /, ""); print "  FAIL " kernel ": " prog ": " $0 > "/dev/stderr" }
	/^not ok [0-9]+ selftests: kmbox: / {
		if (!have || tfail == 0) {
			n["fail"]++
			print "  FAIL " kernel ": " prog " " $0 > "/dev/stderr"
		}
	}
	/^ok [0-9]+ selftests: kmbox: .*# SKIP/ { if (!have) n["skip"]++ }
	END { print n["pass"] + 0, n["fail"] + n["error"] + 0, n["skip"] + 0 }'
}

for k in $KERNELS; do
	info "selftests on the $k kernel"
	VM_OUT=$KMBOX_BUILD/vm-$k scripts/vm-run.sh -k "$k" -a "$stage:/kselftest" \
		-a /usr/bin/timeout:/usr/bin/timeout -- "$run_cmd"
	vm_rc=$?
	read -r p f s < <(tally "$KMBOX_BUILD/vm-$k/console.log" "$k")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	info "$k kernel: $p passed, $f failed, $s skipped"
	if [ "$vm_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		problem "$k kernel run (vm-run exit $vm_rc, see above)"
	fi
done

for p in "${problems[@]}"; do
	echo "$PROG: FAILED: $p" >&2
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
