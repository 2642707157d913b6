/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: ring doorbells.
 */
#ifndef _KMBOX_RING_H
#define _KMBOX_RING_H

#include <linux/compiler_types.h>
#include <linux/types.h>
#include <linux/wait.h>

struct kmbox_mailbox;
struct kmbox_wait;

/* Index of each end of a ring in the arrays below. */
enum kmbox_ring_end {
	KMBOX_END_PRODUCER,
	KMBOX_END_CONSUMER,
	KMBOX_NR_ENDS,
};

/**
 * struct kmbox_ring - the kernel's part of a ring: who its ends are, and
 *	a doorbell for each
 * @ends: files joined as each end (0 or 1)
 * @had_end: a file has joined as that end once
 * @bells: times the doorbell of each end was rung
 * @wait: tasks of each end asleep in KMBOX_IOC_RING_WAIT
 *
 * The mailbox lock protects @ends, @had_end and @bells; the wait
 * predicates read them with READ_ONCE.  The ring itself lives in the
 * shared region, which the kernel never reads.
 */
struct kmbox_ring {
	unsigned int ends[KMBOX_NR_ENDS];
	bool had_end[KMBOX_NR_ENDS];
	u64 bells[KMBOX_NR_ENDS];
	wait_queue_head_t wait[KMBOX_NR_ENDS];
};

void kmbox_ring_init(struct kmbox_ring *ring);
int kmbox_ring_join(struct kmbox_mailbox *mbox, enum kmbox_ring_end end,
		    u64 *seen);
void kmbox_ring_leave(struct kmbox_mailbox *mbox, enum kmbox_ring_end end);
int kmbox_ring_wait(struct kmbox_mailbox *mbox, enum kmbox_ring_end end,
		    u32 __user *uaddr, u32 value,
		    const struct kmbox_wait *wait, u64 *seen);
void kmbox_ring_wake(struct kmbox_mailbox *mbox, enum kmbox_ring_end end);
bool kmbox_ring_hung(const struct kmbox_mailbox *mbox,
		     enum kmbox_ring_end end);
bool kmbox_ring_rung(const struct kmbox_mailbox *mbox,
		     enum kmbox_ring_end end, u64 seen);
void kmbox_ring_wake_all(struct kmbox_mailbox *mbox);

#endif /* _KMBOX_RING_H */
