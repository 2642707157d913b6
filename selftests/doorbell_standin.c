// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for kmbox.ko's ring doorbells over futexes: see
 * doorbell_standin.h for what it is for and what it answers.
 *
 * The mailbox's state lives in shared memory made by standin_mailbox(),
 * so that processes forked afterwards share it, as they would share the
 * kernel's:
 *
 *	bells[end]	times the end's doorbell was rung (module: bells[])
 *	gen[end]	the futex word the end sleeps on: moves on every
 *			ring, leave and shutdown, so that none is missed
 *	ends[end]	files joined as that end (0 or 1)
 *	had_end[end]	a file has joined as that end once
 *
 * What the module keeps per open file (which end it joined, the doorbell
 * count its last successful wait saw) is kept here per descriptor, in
 * the process: the tests and the benchmark use each file in one process.
 */
#include "doorbell_standin.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmbox.h>

#define SB_ENDS		2
#define SB_MAX_FD	1024
#define SB_NSEC		1000000000ull

struct sb_mbox {
	__u32 bells[SB_ENDS];
	__u32 gen[SB_ENDS];
	__u32 ends[SB_ENDS];
	__u32 had_end[SB_ENDS];
	__u32 shutdown;
	__u64 region_size;
};

struct sb_file {
	struct sb_mbox *mbox;	/* NULL: not a stand-in descriptor */
	int end;		/* -1 until joined */
	__u32 seen;		/* bells[end] at the last wait that returned 0 */
};

static struct sb_file sb_files[SB_MAX_FD];

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static struct sb_file *sb_file(int fd)
{
	if (fd < 0 || fd >= SB_MAX_FD || !sb_files[fd].mbox)
		return NULL;
	return &sb_files[fd];
}

int standin_fd(int fd)
{
	return sb_file(fd) != NULL;
}

int standin_mailbox(size_t region_size, int *fds, int n)
{
	struct sb_mbox *mb;
	int i, j, fd;

	if (n < 1 || n > 4)
		return -EINVAL;
	mb = mmap(NULL, sizeof(*mb), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mb == MAP_FAILED)
		return -errno;
	mb->region_size = region_size;
	fd = (int)syscall(SYS_memfd_create, "kmbox-standin-region", 1u);
	if (fd < 0 || ftruncate(fd, (off_t)region_size)) {
		if (fd >= 0)
			close(fd);
		munmap(mb, sizeof(*mb));
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		fds[i] = i ? dup(fd) : fd;
		if (fds[i] < 0 || fds[i] >= SB_MAX_FD) {
			for (j = 0; j <= i; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			munmap(mb, sizeof(*mb));
			return -EMFILE;
		}
		sb_files[fds[i]].mbox = mb;
		sb_files[fds[i]].end = -1;
		sb_files[fds[i]].seen = 0;
	}
	return 0;
}

static long sb_futex(__u32 *word, int op, __u32 val,
		     const struct timespec *abs)
{
	return syscall(SYS_futex, word, op, val, abs, NULL,
		       FUTEX_BITSET_MATCH_ANY);
}

/* Moves @end's futex word and wakes whoever sleeps on it. */
static void sb_kick(struct sb_mbox *mb, int end)
{
	__atomic_add_fetch(&mb->gen[end], 1, __ATOMIC_SEQ_CST);
	sb_futex(&mb->gen[end], FUTEX_WAKE, INT_MAX, NULL);
}

int standin_close(int fd)
{
	struct sb_file *f = sb_file(fd);
	struct sb_mbox *mb;

	if (!f)
		return close(fd) ? -errno : 0;
	mb = f->mbox;
	if (f->end >= 0) {
		__atomic_store_n(&mb->ends[f->end], 0, __ATOMIC_SEQ_CST);
		sb_kick(mb, 1 - f->end);
	}
	f->mbox = NULL;
	close(fd);
	/* This process's last file of the mailbox unmaps its state. */
	for (fd = 0; fd < SB_MAX_FD; fd++) {
		if (sb_files[fd].mbox == mb)
			return 0;
	}
	munmap(mb, sizeof(*mb));
	return 0;
}

int standin_shutdown(int fd)
{
	struct sb_file *f = sb_file(fd);

	if (!f)
		return -EBADF;
	__atomic_store_n(&f->mbox->shutdown, 1, __ATOMIC_SEQ_CST);
	sb_kick(f->mbox, 0);
	sb_kick(f->mbox, 1);
	return 0;
}

/* module: kmbox_ring_hung() */
static int sb_hung(struct sb_mbox *mb, int end)
{
	int other = 1 - end;

	return __atomic_load_n(&mb->shutdown, __ATOMIC_SEQ_CST) ||
	       (__atomic_load_n(&mb->had_end[other], __ATOMIC_SEQ_CST) &&
		!__atomic_load_n(&mb->ends[other], __ATOMIC_SEQ_CST));
}

static int sb_rung(struct sb_mbox *mb, int end, __u32 seen)
{
	return __atomic_load_n(&mb->bells[end], __ATOMIC_SEQ_CST) != seen;
}

static int sb_join(struct sb_file *f, const struct kmbox_ring_join *j)
{
	int end;

	if (j->flags || (j->side != KMBOX_RING_PRODUCER &&
			 j->side != KMBOX_RING_CONSUMER))
		return -EINVAL;
	if (f->end >= 0)
		return -EALREADY;
	end = j->side == KMBOX_RING_PRODUCER ? 0 : 1;
	if (__atomic_exchange_n(&f->mbox->ends[end], 1, __ATOMIC_SEQ_CST))
		return -EBUSY;
	__atomic_store_n(&f->mbox->had_end[end], 1, __ATOMIC_SEQ_CST);
	f->end = end;
	f->seen = __atomic_load_n(&f->mbox->bells[end], __ATOMIC_SEQ_CST);
	return 0;
}

/* The deadline of a wait as a CLOCK_MONOTONIC time, or 0 for none. */
static int sb_deadline(const struct kmbox_ring_wait *w, struct timespec *ts)
{
	__u64 ns = w->timeout_ns;

	if (w->flags & KMBOX_TIMEOUT) {
		clock_gettime(CLOCK_MONOTONIC, ts);
		ns += (__u64)ts->tv_sec * SB_NSEC + (__u64)ts->tv_nsec;
	} else if (!(w->flags & KMBOX_ABSTIME)) {
		return 0;
	}
	ts->tv_sec = (time_t)(ns / SB_NSEC);
	ts->tv_nsec = (long)(ns % SB_NSEC);
	return 1;
}

/* module: kmbox_ring_wait(), with its order of checks. */
static int sb_wait(struct sb_file *f, const struct kmbox_ring_wait *w)
{
	const unsigned int known = KMBOX_DONTWAIT | KMBOX_TIMEOUT |
				   KMBOX_ABSTIME;
	struct sb_mbox *mb = f->mbox;
	const __u32 *uaddr = (const __u32 *)(uintptr_t)w->uaddr;
	struct timespec abs;
	int end = f->end, timed, ret;
	__u32 seen = f->seen, gen;
	long r;

	if (end < 0 || (w->flags & ~known) || (w->uaddr & 3) ||
	    (w->flags & (KMBOX_TIMEOUT | KMBOX_ABSTIME)) ==
	    (KMBOX_TIMEOUT | KMBOX_ABSTIME))
		return -EINVAL;
	timed = sb_deadline(w, &abs);
	gen = __atomic_load_n(&mb->gen[end], __ATOMIC_SEQ_CST);
	/* Pairs with the waker's barrier between its index and its ring. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(uaddr, __ATOMIC_RELAXED) != w->value ||
	    sb_rung(mb, end, seen)) {
		ret = 0;
		goto out;
	}
	for (;;) {
		if (sb_rung(mb, end, seen)) {
			ret = 0;
			break;
		}
		if (sb_hung(mb, end)) {
			/* Woken by a hangup: the other end may have written first. */
			ret = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST) !=
			      w->value ? 0 : -EPIPE;
			break;
		}
		if (w->flags & KMBOX_DONTWAIT)
			return -EAGAIN;
		r = sb_futex(&mb->gen[end], FUTEX_WAIT_BITSET, gen,
			     timed ? &abs : NULL);
		if (r < 0 && errno == ETIMEDOUT) {
			if (sb_rung(mb, end, seen)) {
				ret = 0;
				break;
			}
			return -ETIMEDOUT;
		}
		if (r < 0 && errno == EINTR)
			return -EINTR;
		gen = __atomic_load_n(&mb->gen[end], __ATOMIC_SEQ_CST);
	}
out:
	if (ret == 0)
		f->seen = __atomic_load_n(&mb->bells[end], __ATOMIC_SEQ_CST);
	return ret;
}

/* module: kmbox_ring_wake() of the other end. */
static int sb_wake(struct sb_file *f)
{
	int other;

	if (f->end < 0)
		return -EINVAL;
	other = 1 - f->end;
	__atomic_add_fetch(&f->mbox->bells[other], 1, __ATOMIC_SEQ_CST);
	sb_kick(f->mbox, other);
	return 0;
}

static int sb_stat(struct sb_file *f, struct kmbox_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->region_size = f->mbox->region_size;
	st->ring_producers = __atomic_load_n(&f->mbox->ends[0],
					     __ATOMIC_SEQ_CST);
	st->ring_consumers = __atomic_load_n(&f->mbox->ends[1],
					     __ATOMIC_SEQ_CST);
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct sb_file *f = sb_file(fd);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!f)
		return __real_ioctl(fd, req, arg);
	switch (req) {
	case KMBOX_IOC_STAT:
		ret = sb_stat(f, arg);
		break;
	case KMBOX_IOC_RING_JOIN:
		ret = sb_join(f, arg);
		break;
	case KMBOX_IOC_RING_WAIT:
		ret = sb_wait(f, arg);
		break;
	case KMBOX_IOC_RING_WAKE:
		ret = sb_wake(f);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}
