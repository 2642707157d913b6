// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: ring doorbells.
 *
 * A ring is a queue that a producer and a consumer keep in a mailbox's
 * shared region without the kernel (libkmbox lays it out).  The kernel
 * only lets an end that must wait sleep, and tells it when the other end
 * is gone.  The protocol is that of a futex: the sleeper passes the
 * address of the ring index it waits to see move and the value it saw;
 * the kernel notes the doorbell's count, then reads the index, and sleeps
 * only if the index is unchanged, until the count moves.  A waker changes
 * the index before it rings, so a ring between the sleeper's last look
 * and its sleep is never lost:
 *
 *	sleeper (RING_WAIT)		waker (userspace, then RING_WAKE)
 *	seen = bells[end]		store the index
 *	smp_mb()			full barrier
 *	read the index (== value?)	bells[end]++ under the lock
 *	sleep while bells == seen	wake the end's sleepers
 *
 * If the sleeper read the old count, the increment wakes it; if it read
 * the new one, the barriers make it read the new index, and it returns.
 * The kernel compares the index and nothing else: what the region holds
 * can mislead the processes that share it, never the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/poll.h>
#include <linux/uaccess.h>

#include "mailbox.h"
#include "ring.h"
#include "waiter.h"

static enum kmbox_ring_end kmbox_ring_other(enum kmbox_ring_end end)
{
	return end == KMBOX_END_PRODUCER ? KMBOX_END_CONSUMER :
					   KMBOX_END_PRODUCER;
}

/* Every task of @end asleep in RING_WAIT, and pollers, look again. */
static void kmbox_ring_wake_end(struct kmbox_mailbox *mbox,
				enum kmbox_ring_end end)
{
	wake_up_interruptible_all(&mbox->ring.wait[end]);
	kmbox_mailbox_wake_pollers(mbox, EPOLLPRI);
}

/**
 * kmbox_ring_init() - a ring with no end
 * @ring: the ring of a new mailbox
 */
void kmbox_ring_init(struct kmbox_ring *ring)
{
	int end;

	for (end = 0; end < KMBOX_NR_ENDS; end++)
		init_waitqueue_head(&ring->wait[end]);
}

/**
 * kmbox_ring_join() - make a file one end of the mailbox's ring
 * @mbox: the mailbox
 * @end: which end
 * @seen: set to the count of the end's doorbell
 *
 * Return: 0, or -EBUSY if another file is that end.
 */
int kmbox_ring_join(struct kmbox_mailbox *mbox, enum kmbox_ring_end end,
		    u64 *seen)
{
	struct kmbox_ring *ring = &mbox->ring;
	int ret = 0;

	spin_lock(&mbox->lock);
	if (ring->ends[end]) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(ring->ends[end], 1);
		WRITE_ONCE(ring->had_end[end], true);
		*seen = ring->bells[end];
	}
	spin_unlock(&mbox->lock);
	return ret;
}

/**
 * kmbox_ring_leave() - a file that was one end of the ring is closing
 * @mbox: the mailbox
 * @end: which end it was
 *
 * The other end, if asleep, wakes to find it gone.
 */
void kmbox_ring_leave(struct kmbox_mailbox *mbox, enum kmbox_ring_end end)
{
	enum kmbox_ring_end other = kmbox_ring_other(end);

	spin_lock(&mbox->lock);
	WRITE_ONCE(mbox->ring.ends[end], 0);
	spin_unlock(&mbox->lock);

	kmbox_ring_wake_end(mbox, other);
}

/**
 * kmbox_ring_hung() - can the other end never ring @end's doorbell again
 * @mbox: the mailbox
 * @end: the end asking
 *
 * Return: true if the mailbox is shut down, or the other end joined once
 * and has left.
 */
bool kmbox_ring_hung(const struct kmbox_mailbox *mbox,
		     enum kmbox_ring_end end)
{
	enum kmbox_ring_end other = kmbox_ring_other(end);

	return READ_ONCE(mbox->shutdown) ||
	       (READ_ONCE(mbox->ring.had_end[other]) &&
		!READ_ONCE(mbox->ring.ends[other]));
}

/**
 * kmbox_ring_rung() - has @end's doorbell rung since it was @seen
 * @mbox: the mailbox
 * @end: the end
 * @seen: a count of its doorbell
 *
 * Return: true if it has.
 */
bool kmbox_ring_rung(const struct kmbox_mailbox *mbox,
		     enum kmbox_ring_end end, u64 seen)
{
	return READ_ONCE(mbox->ring.bells[end]) != seen;
}

static bool kmbox_ring_ready(const struct kmbox_mailbox *mbox,
			     enum kmbox_ring_end end, u64 seen)
{
	return kmbox_ring_rung(mbox, end, seen) || kmbox_ring_hung(mbox, end);
}

/*
 * Sleep until @end's doorbell rings past @seen or the ring hangs up, with
 * the kernel's own helpers: a waker changes the bell or the ends under
 * the mailbox lock and then wakes the whole queue, and the helpers
 * re-read the predicate after queueing themselves.
 */
static int kmbox_ring_sleep(struct kmbox_mailbox *mbox,
			    enum kmbox_ring_end end, u64 seen,
			    const struct kmbox_wait *wait)
{
	wait_queue_head_t *wq = &mbox->ring.wait[end];
	ktime_t left;
	int ret;

	if (wait->nonblock)
		return -EAGAIN;
	if (!wait->timed)
		return wait_event_interruptible(*wq, kmbox_ring_ready(mbox, end,
								      seen));
	/*
	 * A relative timer from now never ends before the deadline.  One
	 * already past must not reach the helper: a negative relative time
	 * saturates to "never" in ktime_add_safe().
	 */
	left = ktime_sub(wait->deadline, ktime_get());
	if (left <= 0)
		return kmbox_ring_ready(mbox, end, seen) ? 0 : -ETIMEDOUT;
	ret = wait_event_interruptible_hrtimeout(*wq,
						 kmbox_ring_ready(mbox, end, seen),
						 left);
	return ret == -ETIME ? -ETIMEDOUT : ret;
}

/*
 * The index the caller waits on: 0 if it moved, 1 if not, or -EFAULT.
 * Misalignment was checked by the caller, so the read cannot tear.
 */
static int kmbox_ring_unmoved(u32 __user *uaddr, u32 value)
{
	u32 cur;

	if (get_user(cur, uaddr))
		return -EFAULT;
	return cur == value;
}

/**
 * kmbox_ring_wait() - sleep until the other end rings, unless the index at
 *	@uaddr has moved
 * @mbox: the mailbox
 * @end: the end of the caller's file
 * @uaddr: the index in the caller's memory, 4-byte aligned
 * @value: the value the caller saw there
 * @wait: whether and how long to sleep
 * @seen: the count of the doorbell when this end last returned 0 from a
 *	wait (or joined); set to its count on a return of 0
 *
 * Return: 0 (the index moved or the doorbell rang), -EPIPE (the index has
 * not moved and the ring is hung), -EFAULT, -EAGAIN, -ETIMEDOUT or
 * -ERESTARTSYS.
 */
int kmbox_ring_wait(struct kmbox_mailbox *mbox, enum kmbox_ring_end end,
		    u32 __user *uaddr, u32 value,
		    const struct kmbox_wait *wait, u64 *seen)
{
	u64 from = *seen;
	int ret;

	/* Pairs with the waker's barrier between its index and its ring. */
	smp_mb();
	ret = kmbox_ring_unmoved(uaddr, value);
	if (ret <= 0)
		goto out;
	if (kmbox_ring_rung(mbox, end, from)) {
		ret = 0;
		goto out;
	}
	if (!kmbox_ring_hung(mbox, end)) {
		ret = kmbox_ring_sleep(mbox, end, from, wait);
		if (ret || kmbox_ring_rung(mbox, end, from))
			goto out;
		/* Woken by a hangup: the other end may have written first. */
		ret = kmbox_ring_unmoved(uaddr, value);
		if (ret <= 0)
			goto out;
	}
	ret = -EPIPE;
out:
	/*
	 * Only a wait that returns 0 uses up the rings so far, since only
	 * then does the caller look at the ring again.  A failed one, above
	 * all EAGAIN before an epoll_wait(), leaves a ring that came after
	 * its check pending.
	 */
	if (!ret) {
		*seen = READ_ONCE(mbox->ring.bells[end]);
		/* Pairs with the waker's barrier: its index before the ring. */
		smp_rmb();
	}
	return ret;
}

/**
 * kmbox_ring_wake() - ring the doorbell of @end
 * @mbox: the mailbox
 * @end: the end to wake
 */
void kmbox_ring_wake(struct kmbox_mailbox *mbox, enum kmbox_ring_end end)
{
	spin_lock(&mbox->lock);
	WRITE_ONCE(mbox->ring.bells[end], mbox->ring.bells[end] + 1);
	spin_unlock(&mbox->lock);

	kmbox_ring_wake_end(mbox, end);
}

/**
 * kmbox_ring_wake_all() - the mailbox was shut down: wake both ends
 * @mbox: the mailbox
 */
void kmbox_ring_wake_all(struct kmbox_mailbox *mbox)
{
	int end;

	for (end = 0; end < KMBOX_NR_ENDS; end++)
		kmbox_ring_wake_end(mbox, end);
}
