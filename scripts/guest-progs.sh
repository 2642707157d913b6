# SPDX-License-Identifier: GPL-2.0
#
# Sourced by scripts/run.sh and scripts/shell.sh (after lib.sh): build
# what a guest needs, and put programs into it with the libraries they
# link.  Fills the array GUEST_ADDS with vm-run.sh's -a arguments.
#
# A program linked against libkmbox.so.1 gets the tree's (built here if
# needed): it is the one that matches the module the guest loads.  Other
# libraries come from where ldd finds them on the host (LD_LIBRARY_PATH
# included); vm-run.sh copies those of the system folders, and those
# elsewhere go to the guest's /usr/lib, where its loader looks.

GUEST_ADDS=()
GUEST_LIBKMBOX=0
GUEST_PROG_DIR=$KMBOX_BUILD/run

# make quietly, its output shown only when it fails.
quiet_make() {
	local log=$KMBOX_BUILD.$PROG-make.log

	if ! make -s "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "make $* failed"
	fi
	rm -f "$log"
}

# The module for kernel $1 (one of $ALL_KERNELS), after making sure that
# kernel is there.
guest_prepare() {
	local kernel=$1

	is_kernel "$kernel" || die "unknown KERNEL '$kernel' (one of: $ALL_KERNELS)"
	"$KMBOX_TOP/scripts/setup.sh" stock "$kernel" || die "setup failed"
	case $kernel in
	stock) quiet_make -C "$KMBOX_TOP" modules ;;
	*) quiet_make -C "$KMBOX_TOP" "modules-$kernel" ;;
	esac
}

# A C source file compiled against the tree's libkmbox, into
# build/run/NAME; its path on stdout.
guest_compile() {
	local src=$1 out

	out=$GUEST_PROG_DIR/$(basename "$src" .c)
	mkdir -p "$GUEST_PROG_DIR"
	quiet_make -C "$KMBOX_TOP" userlib
	${CC:-cc} -O2 -g -Wall -pthread -I"$KMBOX_TOP/uapi" -I"$KMBOX_TOP/userlib" \
		-o "$out" "$src" -L"$KMBOX_TOP/userlib" -lkmbox >&2 ||
		die "$src does not compile"
	echo "$out"
}

# Program $1 into the guest's /vm/bin (on its PATH), with its libraries.
guest_add_prog() {
	local prog=$1 name lib path

	[ -f "$prog" ] || die "no program $prog"
	[ -x "$prog" ] || die "$prog is not executable"
	name=$(basename "$prog")
	GUEST_ADDS+=(-a "$prog:/vm/bin/$name")
	# A script or a static program links nothing.
	LC_ALL=C readelf -d "$prog" 2>/dev/null | grep -q '(NEEDED)' || return 0
	while read -r lib path; do
		case $lib in
		libkmbox.so.1)
			GUEST_LIBKMBOX=1
			;;
		*)
			[ "$path" != "not" ] ||
				die "$prog needs $lib, which ldd does not find on this machine (set LD_LIBRARY_PATH?)"
			case $(dirname "$path") in
			/lib | /lib64 | /usr/lib | /lib/x86_64-linux-gnu | \
				/usr/lib/x86_64-linux-gnu | /lib32 | /usr/lib32 | \
				/lib/i386-linux-gnu | /usr/lib/i386-linux-gnu) ;;
			*) GUEST_ADDS+=(-a "$path:/usr/lib/$lib") ;;
			esac
			;;
		esac
	done < <(LC_ALL=C ldd "$prog" 2>/dev/null | awk '$2 == "=>" { print $1, $3 }')
}

# The tree's libkmbox.so.1, when a program added needs it.
guest_add_libkmbox() {
	[ "$GUEST_LIBKMBOX" = 1 ] || return 0
	quiet_make -C "$KMBOX_TOP" userlib
	GUEST_ADDS+=(-a "$KMBOX_TOP/userlib/libkmbox.so.1:/usr/lib/libkmbox.so.1")
}

# Guest shell code, run once the user's command is done: kill what it
# left running (a background job, a daemon), which would keep kmbox
# loaded, and wait until the module is free (up to 5 s) for vm-init.sh
# to unload it.
GUEST_CLEANUP='kill -9 -1 2>/dev/null
i=0
while [ "$(cat /sys/module/kmbox/refcnt)" != 0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done'
