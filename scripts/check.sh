#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: setup, lint, build, then the kselftests in QEMU on each
# kernel (KERNELS="stock 6.12 6.12-rt debug kcsan" by default: Debian's
# 6.1, Debian's 6.12 LTS stock and PREEMPT_RT, and the debug and KCSAN
# kernels built from linux-source-6.1).  On every kernel but kcsan every
# test runs twice in the same boot: built 64-bit, and built 32-bit
# (-m32: the compat ioctl path; KMBOX_M32=0 skips it).  The KCSAN kernel
# runs the tests that race most (KCSAN_TESTS), 64-bit.  After each run
# the VM unloads kmbox, scans for leaks and checks the kernel log
# (vm-run.sh).  Ends with one line "N passed, N failed, N skipped" over
# every kernel, after the failed tests' names repeated; a lint failure
# or a bad kernel log counts as a failure.
#
# Before the kernels, the ring's tests that run natively (doorbell
# stand-in, a few seconds); TESTS skips them unless it names "native".
# Also: TESTS="a_test b_test" runs only those (on every kernel),
# KMBOX_STRESS_SECS=N makes the stress tests run N s per subtest (and
# raises the runner's timeout to match), LINT=0 skips the lint step.
# With the stock kernel and no TESTS, the host-side tests of make run,
# make shell and make install (scripts/tool-tests.sh) run too.
# make stress (scripts/stress.sh) uses these.
set -uo pipefail
PROG=check
. "$(dirname "$0")/lib.sh"
cd "$KMBOX_TOP"

KERNELS=${KERNELS:-$ALL_KERNELS}
KMBOX_M32=${KMBOX_M32:-1}
LINT=${LINT:-1}
KCSAN_TESTS=${KCSAN_TESTS:-race_test soak_test mpmc_test block_test wakeup_test stall_test poll_test shutdown_test hangup_test batch_test doorbell_test ring_test ring_proto_test}
passed=0
failed=0
skipped=0
problems=()
summary=()
# Each failed test's line, repeated at the end where a log's tail shows it.
fails=()

problem() {
	problems+=("$*")
	failed=$((failed + 1))
}

# Adds one run's counts to the totals: count NAME EXIT_STATUS "P F S" WHAT;
# a run that failed with no failed test counts as a problem named WHAT.
# What each step of the run took: lap sets $lap_s, the seconds since
# the last lap.
step_start=$SECONDS
lap() {
	lap_s=$((SECONDS - step_start))
	step_start=$SECONDS
}

count() {
	local p f s
	read -r p f s <<<"$3"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	lap
	info "$1: $p passed, $f failed, $s skipped ($lap_s s)"
	summary+=("$1: $p passed, $f failed, $s skipped ($lap_s s)")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		problem "$4"
	fi
}

for k in $KERNELS; do
	is_kernel "$k" || die "unknown kernel '$k' in KERNELS (any of: $ALL_KERNELS)"
done
# Lint builds against stock and both 6.12 kernels, whatever KERNELS says.
setup_kernels=$KERNELS
[ "$LINT" = 1 ] && setup_kernels="$setup_kernels $DEBIAN_KERNELS"
# shellcheck disable=SC2086
scripts/setup.sh stock $setup_kernels || die "setup failed"
lap
summary+=("setup: $lap_s s")
if [ "$LINT" = 1 ]; then
	scripts/lint.sh || problem "lint"
	lap
	summary+=("lint: $lap_s s")
fi
other_modules=""
for k in $KERNELS; do
	[ "$k" = stock ] || other_modules="$other_modules modules-$k"
done
make -s all selftests $other_modules >"$KMBOX_BUILD.make.log" 2>&1 || {
	cat "$KMBOX_BUILD.make.log" >&2
	die "the build failed"
}
rm -f "$KMBOX_BUILD.make.log"
lap
summary+=("build: $lap_s s")

# The ring's tests that also run natively (a few seconds): libkmbox's ring
# on this host's CPUs, the doorbells from the futex stand-in of
# selftests/doorbell_standin.c.  Counted with the kernels' results.
if [ -z "${TESTS:-}" ] || [[ " $TESTS " == *" native "* ]]; then
	info "the ring's native tests"
	native_log=$KMBOX_BUILD/native-tests.log
	make -s -C selftests KSFT_DIR="$KSFT_DIR" OUTPUT="$KMBOX_TOP/selftests" \
		run_native >"$native_log" 2>&1
	native_rc=$?
	grep -E '^not ok' "$native_log" | sed 's/^/  FAIL native: /' >&2
	count native "$native_rc" "$(awk '/^# Totals: / {
		for (i = 3; i <= NF; i++) { split($i, kv, ":"); n[kv[1]] += kv[2] } }
		END { print n["pass"] + 0, n["fail"] + n["error"] + 0, n["skip"] + 0 }' \
		"$native_log")" "native ring tests (see $native_log)"
fi

# The 32-bit build of libkmbox and the selftests, linked statically: the
# host may not run 32-bit programs, so ldd cannot list their libraries.
if [ "$KMBOX_M32" = 1 ]; then
	mkdir -p "$KMBOX_BUILD/selftests32"
	{
		make -s -C userlib O="$KMBOX_BUILD/userlib32" CFLAGS="-O2 -g -m32" &&
		make -s -C selftests KSFT_DIR="$KSFT_DIR" \
			OUTPUT="$KMBOX_BUILD/selftests32" \
			KMBOX_LIBDIR="$KMBOX_BUILD/userlib32" \
			USERCFLAGS="-m32 -Werror" \
			USERLDFLAGS="-m32 -static"
	} >"$KMBOX_BUILD.make32.log" 2>&1 || {
		cat "$KMBOX_BUILD.make32.log" >&2
		die "the 32-bit build failed"
	}
	rm -f "$KMBOX_BUILD.make32.log"
	lap
	summary+=("32-bit build: $lap_s s")
fi

# The kselftest tree the guest gets: the runner and our programs, in
# kmbox/ (64-bit) and kmbox32/ (32-bit).  The runner needs coreutils'
# timeout (busybox's has no --foreground).
tests=$(make -s -C selftests KSFT_DIR="$KSFT_DIR" COLLECTION=kmbox emit_tests |
	sed -n 's/^kmbox://p' | tr '\n' ' ')
[ -n "$tests" ] || die "no selftests listed by 'make -C selftests emit_tests'"
for t in ${TESTS:-} $KCSAN_TESTS; do
	[ "$t" = native ] && continue
	case " $tests " in
	*" $t "*) ;;
	*) die "no selftest named '$t'" ;;
	esac
done
extended=$(make -s -C selftests KSFT_DIR="$KSFT_DIR" emit_extended)
stage=$KMBOX_BUILD/ksft
rm -rf "$stage"
mkdir -p "$stage/kselftest"
cp "$KSFT_DIR"/kselftest/runner.sh "$KSFT_DIR"/kselftest/prefix.pl "$stage/kselftest/"
stage_dir() {
	local dir=$1 bin=$2 t
	mkdir -p "$stage/$dir"
	cp selftests/config "$stage/$dir/"
	if [ -n "${KMBOX_STRESS_SECS:-}" ]; then
		# Each program's whole run, with its subtests at full length.
		echo "timeout=$((300 + 30 * KMBOX_STRESS_SECS))" >"$stage/$dir/settings"
	else
		cp selftests/settings "$stage/$dir/"
	fi
	for t in $tests; do
		cp "$bin/$t" "$stage/$dir/" || die "test program $bin/$t was not built"
	done
	# What the tests run but the runner does not (TEST_GEN_PROGS_EXTENDED).
	for t in $extended; do
		cp "$bin/$t" "$stage/$dir/" || die "$t was not built in $bin"
	done
}
stage_dir kmbox selftests
[ "$KMBOX_M32" = 1 ] && stage_dir kmbox32 "$KMBOX_BUILD/selftests32"

# The guest's command for kernel $1: its tests, in each build it runs.
run_cmd_for() {
	local k=$1 list=${TESTS:-$tests} dirs=kmbox cmd t d
	[ "$KMBOX_M32" = 1 ] && dirs="kmbox kmbox32"
	if [ "$k" = kcsan ]; then
		list=${TESTS:-$KCSAN_TESTS}
		dirs=kmbox
	fi
	cmd="BASE_DIR=/kselftest && . /kselftest/kselftest/runner.sh &&"
	[ -n "${KMBOX_STRESS_SECS:-}" ] &&
		cmd="export KMBOX_STRESS_SECS=$KMBOX_STRESS_SECS && $cmd"
	for d in $dirs; do
		cmd="$cmd cd /kselftest/$d && run_many"
		for t in $list; do
			[ "$t" = native ] || cmd="$cmd ./$t"
		done
		cmd="$cmd;"
	done
	echo "$cmd"
}

# Tally one kernel's TAP output: the harness' Totals line of each program,
# or the program's own verdict when it died before printing one.
tally() {
	tr -d '\r' <"$1" | awk -v kernel="$2" '
	/^# selftests: kmbox(32)?: / { prog = $3 " " $4; have = 0; tfail = 0 }
	/^# # Totals: / {
		for (i = 3; i <= NF; i++) {
			split($i, kv, ":")
			n[kv[1]] += kv[2]
		}
		split($4, f, ":"); tfail = f[2]
		have = 1
	}
	/^# not ok / { sub(/^# /, ""); print "  FAIL " kernel ": " prog ": " $0 > "/dev/stderr" }
	/^not ok [0-9]+ selftests: kmbox(32)?: / {
		if (!have || tfail == 0) {
			n["fail"]++
			print "  FAIL " kernel ": " prog " " $0 > "/dev/stderr"
		}
	}
	/^ok [0-9]+ selftests: kmbox(32)?: .*# SKIP/ { if (!have) n["skip"]++ }
	END { print n["pass"] + 0, n["fail"] + n["error"] + 0, n["skip"] + 0 }'
}

# TESTS=native: the native tests alone, no kernel.
[ "${TESTS:-}" = native ] && KERNELS=""
for k in $KERNELS; do
	info "selftests on the $k kernel"
	VM_OUT=$KMBOX_BUILD/vm-$k scripts/vm-run.sh -k "$k" -a "$stage:/kselftest" \
		-a /usr/bin/timeout:/usr/bin/timeout -- "$(run_cmd_for "$k")"
	vm_rc=$?
	counts=$(tally "$KMBOX_BUILD/vm-$k/console.log" "$k" 2>"$KMBOX_BUILD/fails-$k")
	cat "$KMBOX_BUILD/fails-$k" >&2
	mapfile -t -O "${#fails[@]}" fails <"$KMBOX_BUILD/fails-$k"
	rm -f "$KMBOX_BUILD/fails-$k"
	count "$k kernel" "$vm_rc" "$counts" "$k kernel run (vm-run exit $vm_rc, see above)"
done

# make run, make shell (on the stock kernel) and make install, from the host.
if [[ " $KERNELS " == *" stock "* ]] && [ -z "${TESTS:-}" ]; then
	info "make run, make shell and make install (scripts/tool-tests.sh)"
	scripts/tool-tests.sh | tee "$KMBOX_BUILD.tool-tests.out"
	read -r p _ f _ < <(tail -n 1 "$KMBOX_BUILD.tool-tests.out")
	passed=$((passed + ${p:-0}))
	# No summary line at all counts as one failure.
	if [ "${f:-1}" != 0 ]; then
		problems+=("host-side tests (scripts/tool-tests.sh)")
		failed=$((failed + ${f:-1}))
	fi
	rm -f "$KMBOX_BUILD.tool-tests.out"
	lap
	summary+=("host: ${p:-0} passed, ${f:-1} failed ($lap_s s)")
fi

for line in "${summary[@]}"; do
	info "$line"
done
for line in "${fails[@]:0:10}"; do
	echo "$line" >&2
done
[ "${#fails[@]}" -gt 10 ] && echo "  ... and $((${#fails[@]} - 10)) more failed (see above)" >&2
for p in "${problems[@]}"; do
	echo "$PROG: FAILED: $p" >&2
done
echo "$passed passed, $failed failed, $skipped skipped in $SECONDS s"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
