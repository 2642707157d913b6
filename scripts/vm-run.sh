#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel in QEMU with a busybox initramfs holding kmbox.ko, run a
# shell command inside, and exit with that command's status.
#
#   scripts/vm-run.sh [-k KERNEL] [-a SRC:DEST]... [-i] [--] COMMAND...
#
#   -k KERNEL   stock (Debian's 6.1, default), 6.12 or 6.12-rt (Debian's
#               6.12 LTS, stock and PREEMPT_RT), debug (KASAN, lockdep,
#               ...) or kcsan (KCSAN, lockdep): see scripts/build-kernel.sh
#   -a SRC:DEST copy file or folder SRC into the guest at DEST (repeatable)
#   -i          the guest's console reads this script's standard input
#               (else /dev/null): keys, Ctrl-C included, go to the guest;
#               used by make shell (scripts/shell.sh)
#
# Environment: KERNEL, VM_ACCEL (tcg; kvm only on explicit request),
# VM_SMP (2), VM_MEM (MiB), VM_TIMEOUT (seconds, 1200), VM_OUT (folder for
# console.log, report.txt and dmesg.txt; default build/vm-KERNEL),
# VM_APPEND (more kernel command line, e.g. kcsan.skip_watch=4000).
#
# The run fails (exit 125) when the guest panics, hangs past VM_TIMEOUT,
# cannot load kmbox.ko or stops without reporting; and fails (exit 1 if the
# command succeeded) when rmmod fails afterwards or dmesg shows a kernel
# warning, a memory error, a data race, a lockdep report or a kmemleak
# leak.
set -euo pipefail
PROG=vm-run
. "$(dirname "$0")/lib.sh"

KERNEL=${KERNEL:-stock}
ADDS=()
INPUT=0
while getopts "k:a:ih" opt; do
	case $opt in
	k) KERNEL=$OPTARG ;;
	a) ADDS+=("$OPTARG") ;;
	i) INPUT=1 ;;
	*) sed -n '3,28p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "no command given (see -h)"

is_kernel "$KERNEL" || die "unknown KERNEL '$KERNEL' (one of: $ALL_KERNELS)"
VMLINUZ=$(kernel_vmlinuz "$KERNEL")
MODULE=${KMBOX_KO:-$(kernel_module "$KERNEL")}
# KASAN's shadow takes an eighth of memory.
if [ "$KERNEL" = debug ]; then
	: "${VM_MEM:=2048}"
else
	: "${VM_MEM:=1024}"
fi
case ${VM_ACCEL:=tcg} in
tcg) ACCEL=(-accel tcg,thread=multi) ;;
kvm) ACCEL=(-accel kvm -cpu host) ;;
*) die "unknown VM_ACCEL '$VM_ACCEL' (tcg or kvm)" ;;
esac
: "${VM_SMP:=2}" "${VM_TIMEOUT:=1200}"
VM_OUT=${VM_OUT:-$KMBOX_BUILD/vm-$KERNEL}

[ -s "$VMLINUZ" ] || die "no $KERNEL kernel image at $VMLINUZ: run scripts/setup.sh $KERNEL"
[ -s "$MODULE" ] || die "no module at $MODULE: run make (make modules-$KERNEL for a kernel other than stock)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || die "busybox not installed: run scripts/setup.sh"

# The module must be built for the kernel we boot (the kcsan kernel's
# release is 6.1.x-kcsan, so neither built kernel takes the other's).
have=$(modinfo -F vermagic "$MODULE" | cut -d' ' -f1)
want=$(kernel_release "$KERNEL")
if [ "$KERNEL" = stock ]; then
	fix="rebuild with the default KDIR"
else
	fix="make modules-$KERNEL"
fi
[ "$have" = "$want" ] || die "$MODULE is built for $have, not $want: $fix"

# --- The initramfs ------------------------------------------------------
ROOT=$VM_OUT/root
rm -rf "$ROOT"
mkdir -p "$VM_OUT" "$ROOT"/{bin,vm/bin,lib/modules,usr/lib}
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp "$MODULE" "$ROOT/lib/modules/kmbox.ko"
install -m 0755 "$KMBOX_TOP/scripts/vm-init.sh" "$ROOT/init"
for add in "${ADDS[@]}"; do
	src=${add%%:*}
	dst=$ROOT/${add#*:}
	[ -e "$src" ] || die "-a $add: $src does not exist"
	mkdir -p "$(dirname "$dst")"
	cp -RL --preserve=mode "$src" "$dst"
done
printf '%s\n' "$*" >"$ROOT/vm/cmd.sh"

# Shared libraries of every program in the guest, at their host paths.
find "$ROOT" -type f -perm -u+x | while read -r f; do
	head -c 4 "$f" | grep -q 'ELF' || continue
	ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
	case $lib in "$ROOT"/*) continue ;; esac
	[ -e "$lib" ] || continue
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
done
# 64-bit programs look for the loader through /lib64.
[ -d "$ROOT/lib64" ] || ln -s lib "$ROOT/lib64"

(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM_OUT/initramfs.gz"

# --- Boot ---------------------------------------------------------------
APPEND="console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init"
case $KERNEL in
debug)
	APPEND="$APPEND kmemleak=on"
	;;
kcsan)
	# KCSAN samples: one access in up to skip_watch (4000) gets a
	# watchpoint, held udelay_task (80) us.  Under TCG a vCPU runs tens
	# of times slower than a CPU, so watch 4 times as often and 5 times
	# as long: on a planted race that finds 5 times as many races, for
	# about a third more run time.  Sampling only decides how many real
	# races are caught; it never makes a report up.
	APPEND="$APPEND kcsan.skip_watch=1000 kcsan.udelay_task=400"
	;;
esac
APPEND="$APPEND ${VM_APPEND:-}"
CONSOLE=(-serial stdio)
INPUT_FROM=/dev/null
TIMEOUT_OPTS=()
if [ "$INPUT" = 1 ]; then
	# Ctrl-C is the guest's (signal=off); timeout leaves QEMU in the
	# terminal's foreground process group, so that it may read it.
	CONSOLE=(-chardev stdio,id=console,signal=off -serial chardev:console)
	INPUT_FROM=/dev/stdin
	TIMEOUT_OPTS=(--foreground)
fi
# A kernel that panics while it boots, before the guest's init has
# started (so before kmbox.ko or the command ran), is booted again, up to
# twice: under TCG with several vCPUs, Debian's 6.12 kernel now and then
# dies of an "Oops: int3" as it patches its own code at boot (a stale
# breakpoint seen by the other vCPU), a fault of the emulation, not of
# kmbox.  Only a panic before the banner of vm-init.sh is retried.
boots=0
while :; do
	boots=$((boots + 1))
	info "booting $KERNEL kernel ($(basename "$VMLINUZ"), $VM_ACCEL, $VM_SMP vCPUs, ${VM_MEM} MiB, timeout ${VM_TIMEOUT} s)"
	: >"$VM_OUT/report.txt"
	set +e
	timeout "${TIMEOUT_OPTS[@]}" --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
		"${ACCEL[@]}" -smp "$VM_SMP" -m "$VM_MEM" -nodefaults -no-reboot \
		-display none "${CONSOLE[@]}" -serial "file:$VM_OUT/report.txt" \
		-kernel "$VMLINUZ" -initrd "$VM_OUT/initramfs.gz" \
		-append "$APPEND" <"$INPUT_FROM" | tee "$VM_OUT/console.log"
	qemu_rc=${PIPESTATUS[0]}
	set -e
	[ "$INPUT" = 1 ] || [ "$boots" -ge 3 ] && break
	grep -q '^kmbox-vm: Linux' "$VM_OUT/console.log" && break
	grep -q 'Kernel panic' "$VM_OUT/console.log" || break
	cp "$VM_OUT/console.log" "$VM_OUT/console-boot$boots.log"
	info "the $KERNEL kernel panicked while booting, before kmbox.ko was loaded ($VM_OUT/console-boot$boots.log): booting again"
done

# --- Verdict ------------------------------------------------------------
REPORT=$VM_OUT/report.txt
tr -d '\r' <"$REPORT" >"$REPORT.tmp" && mv "$REPORT.tmp" "$REPORT"
sed -n '/^---- dmesg ----$/,/^end$/p' "$REPORT" | sed '1d;$d' >"$VM_OUT/dmesg.txt"
field() {
	sed -n "s/^$1=//p" "$REPORT" | head -n 1
}

fail_infra() {
	echo "$PROG: FAIL: $*" >&2
	exit 125
}
if [ "$(field insmod)" = fail ]; then
	grep -i kmbox "$VM_OUT/dmesg.txt" | tail -n 5 >&2 || true
	fail_infra "insmod kmbox.ko failed on the $KERNEL kernel"
fi
rc=$(field rc)
if [ -z "$rc" ]; then
	[ "$qemu_rc" -eq 124 ] && fail_infra "the VM hung: no result after ${VM_TIMEOUT} s (console: $VM_OUT/console.log)"
	grep -q 'Kernel panic' "$VM_OUT/console.log" &&
		fail_infra "kernel panic: $(grep -m1 'Kernel panic' "$VM_OUT/console.log")"
	fail_infra "the guest stopped without reporting (qemu exit $qemu_rc, console: $VM_OUT/console.log)"
fi
tail -n 1 "$REPORT" | grep -q '^end' ||
	fail_infra "the guest did not finish its report (qemu exit $qemu_rc)"

bad=0
if [ "$(field rmmod)" != ok ]; then
	echo "$PROG: FAIL: rmmod kmbox failed after the command" >&2
	bad=1
fi
# Anything of these in the kernel log or the kmemleak report fails the run.
PATTERNS='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|unreferenced object|sleeping function called from invalid context'
sed -n '/^---- kmemleak ----$/,/^---- dmesg ----$/p' "$REPORT" | sed '1d;$d' >"$VM_OUT/kmemleak.txt"

# A KCSAN report ("BUG: KCSAN: data-race in f / g", then for each of the
# two accesses a line "read|write ... to 0x..." and its stack, then a line
# of "=") fails the run when one of the racing accesses is kmbox's: f or g
# is a kmbox function, or the top frame of an access is in the module.
# Races between two accesses of the core kernel are not ours even when
# kmbox called in (a wake-up from kmbox racing poll()'s own check of its
# flag in fs/select.c, say): they are listed in kcsan-other.txt and do not
# fail the run.  A report cut short counts as ours.
kcsan_split() {
	awk -v other="$VM_OUT/kcsan-other.txt" '
	/BUG: KCSAN:/ {
		inrep = 1; head = $0; top = 0
		ours = ($0 ~ /data-race in .*kmbox_/)
		next
	}
	inrep && / (read|write)[^ ]* .*to 0x/ { top = 1; next }
	inrep && top {
		frame = $0
		sub(/^\[[ 0-9.]*\] */, "", frame)
		if (frame != "") {
			top = 0
			if (frame ~ /\[kmbox\]/)
				ours = 1
		}
	}
	inrep && /^(\[[ 0-9.]*\] )?=+$/ {
		inrep = 0
		if (ours)
			print head
		else
			print head >other
		next
	}
	!inrep { print }
	END { if (inrep) print head }'
}
: >"$VM_OUT/kcsan-other.txt"
cat "$VM_OUT/dmesg.txt" "$VM_OUT/kmemleak.txt" | kcsan_split |
	grep -E "$PATTERNS" >"$VM_OUT/dmesg-bad.txt" || true
if [ -s "$VM_OUT/kcsan-other.txt" ]; then
	info "KCSAN reports outside kmbox (not failing the run), in $VM_OUT/kcsan-other.txt:"
	sort -u "$VM_OUT/kcsan-other.txt" | sed 's/^\[[ 0-9.]*\] //; s/^/    /'
fi
if [ -s "$VM_OUT/dmesg-bad.txt" ]; then
	echo "$PROG: FAIL: the kernel log of the $KERNEL kernel shows:" >&2
	head -n 10 "$VM_OUT/dmesg-bad.txt" | sed 's/^/    /' >&2
	echo "    (full logs: $VM_OUT/dmesg.txt, $VM_OUT/kmemleak.txt)" >&2
	bad=1
fi
if [ "$bad" -ne 0 ] && [ "$rc" -eq 0 ]; then
	rc=1
fi
exit "$rc"
