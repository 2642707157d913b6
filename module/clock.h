/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: CLOCK_MONOTONIC as the calling task's time namespace reads it.
 *
 * A KMBOX_ABSTIME deadline and a message's time_ns are CLOCK_MONOTONIC
 * times as clock_gettime() gives them to the caller, which in a time
 * namespace (unshare --time, a container restored by CRIU) is the host's
 * clock plus the namespace's offset.  The kernel's own clock, and so
 * every timer and timestamp kmbox keeps, is the host's.  timerfd and
 * futex convert with timens_ktime_to_host(), whose work is not exported
 * to modules (do_timens_ktime_to_host()); these do the same arithmetic
 * on the offset, which is fixed once a task is in the namespace.
 */
#ifndef _KMBOX_CLOCK_H
#define _KMBOX_CLOCK_H

#include <linux/ktime.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/time_namespace.h>

/* The caller's offset of CLOCK_MONOTONIC from the host's. */
static inline ktime_t kmbox_clock_offset(void)
{
#ifdef CONFIG_TIME_NS
	return timespec64_to_ktime(current->nsproxy->time_ns->offsets.monotonic);
#else
	return 0;
#endif
}

/*
 * A deadline in the caller's CLOCK_MONOTONIC, as the host's: one before
 * the namespace's clock could have read it has passed; one past what the
 * host's clock holds never comes.
 */
static inline ktime_t kmbox_clock_to_host(ktime_t t)
{
	ktime_t off = kmbox_clock_offset();

	if (t < off)
		return 0;
	if (off < 0 && t > KTIME_MAX + off)
		return KTIME_MAX;
	return t - off;
}

/*
 * A time of the host's CLOCK_MONOTONIC as the caller reads that clock;
 * one from before the caller's clock began reads 0.
 */
static inline u64 kmbox_clock_from_host(u64 ns)
{
	ktime_t off = kmbox_clock_offset();

	if (off < 0 && ns < (u64)-off)
		return 0;
	return ns + off;
}

#endif /* _KMBOX_CLOCK_H */
