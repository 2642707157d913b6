/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: messages and the priority queue that holds them.
 */
#ifndef _KMBOX_QUEUE_H
#define _KMBOX_QUEUE_H

#include <linux/build_bug.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include <linux/kmbox.h>

struct pid;

/**
 * struct kmbox_message - one message
 * @node: link in its priority's list while queued
 * @seq: sequence number in its mailbox, set when queued
 * @time_ns: the host's CLOCK_MONOTONIC time at which it was queued
 * @sender: thread group of the sender (a reference)
 * @data: the message: @inline_data, or an allocation of its own for one
 *	longer than KMBOX_MSG_INLINE_MAX
 * @len: length of @data
 * @ref: its holder's reference (the sender, the queue or the receiver
 *	copying it out), plus one per PEEK copying it out
 * @sender_euid: effective uid of the sender
 * @prio: priority, 0 to KMBOX_PRIO_MAX
 * @inline_data: the message, when it is short
 *
 * Immutable once queued, so that it can be copied out with no lock held.
 */
struct kmbox_message {
	struct list_head node;
	u64 seq;
	u64 time_ns;
	struct pid *sender;
	char *data;
	u32 len;
	refcount_t ref;
	kuid_t sender_euid;
	u32 prio;
	char inline_data[];
};

/*
 * 64 bytes, so that a 64-byte message and its header take one 128-byte
 * object, as a POSIX queue's message does.  @len fits in 32 bits: no
 * message is longer than msg_size_max, at most INT_MAX (limits.c).
 */
static_assert(sizeof(struct kmbox_message) <= 64);

/*
 * A message up to this long is one allocation, its data beside its
 * header; a longer one has its data apart, so that a power-of-two length
 * (64 KiB, 1 MiB) is not rounded up to twice itself for the header's sake.
 */
#define KMBOX_MSG_INLINE_MAX	(PAGE_SIZE - sizeof(struct kmbox_message))

/**
 * struct kmbox_queue - messages by priority, FIFO within a priority
 * @lists: one list per priority, in sequence order
 * @nonempty: bit p is set when @lists[p] is not empty
 * @msgs: messages queued
 * @bytes: bytes queued
 *
 * Push, peek and remove are O(1): the highest non-empty priority is the
 * last set bit of @nonempty.  The queue has no lock of its own: its
 * owner's lock protects it.  @msgs and @bytes are written with
 * WRITE_ONCE so that poll may read them without it.
 */
struct kmbox_queue {
	struct list_head lists[KMBOX_PRIO_MAX + 1];
	unsigned long nonempty;
	u64 msgs;
	u64 bytes;
};

struct kmbox_message *kmbox_message_new(const void __user *buf, size_t len,
					u32 prio);
void kmbox_message_put(struct kmbox_message *msg);

void kmbox_queue_init(struct kmbox_queue *queue);
void kmbox_queue_push(struct kmbox_queue *queue, struct kmbox_message *msg);
void kmbox_queue_putback(struct kmbox_queue *queue, struct kmbox_message *msg);
struct kmbox_message *kmbox_queue_peek(const struct kmbox_queue *queue);
void kmbox_queue_remove(struct kmbox_queue *queue, struct kmbox_message *msg);
void kmbox_queue_purge(struct kmbox_queue *queue);

#endif /* _KMBOX_QUEUE_H */
