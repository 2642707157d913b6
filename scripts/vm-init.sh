#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the kmbox test VM (busybox).  Loads kmbox.ko, runs /vm/cmd.sh,
# unloads the module, asks kmemleak for a scan and reports on the second
# serial port (/dev/ttyS1), which vm-run.sh reads:
#   insmod=ok|fail  rc=<status of the command>  rmmod=ok|fail
#   ---- kmemleak ----  ... ---- dmesg ----  ...  end
# then powers off.  The console (ttyS0) carries the command's output.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname kmbox-vm
export PATH=/vm/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root KMBOX_MODULE=/lib/modules/kmbox.ko
mkdir -p /root

REPORT=/dev/ttyS1
KMEMLEAK=/sys/kernel/debug/kmemleak

report() {
	echo "$*" >"$REPORT"
}

finish() {
	if [ -w "$KMEMLEAK" ]; then
		# kmemleak only reports objects older than 5 s: wait, scan twice.
		sleep 6
		echo scan >"$KMEMLEAK"
		echo scan >"$KMEMLEAK"
		report "---- kmemleak ----"
		cat "$KMEMLEAK" >"$REPORT"
	fi
	report "---- dmesg ----"
	dmesg >"$REPORT"
	report "end"
	sync
	reboot -f
}

echo "kmbox-vm: Linux $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
# Leaks from before kmbox was loaded are not ours: forget them.
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
fi
if ! insmod "$KMBOX_MODULE"; then
	report "insmod=fail"
	finish
fi
report "insmod=ok"

cd /root
sh /vm/cmd.sh </dev/null
report "rc=$?"

if rmmod kmbox; then
	report "rmmod=ok"
else
	report "rmmod=fail"
fi
finish
