// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: messages and the priority queue that holds them.
 *
 * A message is one allocation, its data beside its header (a long one has
 * its data apart: see KMBOX_MSG_INLINE_MAX), copied in
 * from userspace when it is made, before its mailbox is locked, so a
 * fault or a short allocation never leaves half a message queued.  Its
 * memory is charged to the sender's memory cgroup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "queue.h"

/* The data of a message, if it has an allocation of its own. */
static void kmbox_message_free_data(struct kmbox_message *msg)
{
	if (msg->data != msg->inline_data)
		kvfree(msg->data);
}

/**
 * kmbox_message_new() - make a message from a user buffer
 * @buf: the message in userspace
 * @len: its length, at most max_msg_size (so it fits in 32 bits)
 * @prio: its priority, 0 to KMBOX_PRIO_MAX
 *
 * Records the calling process as the sender.  The caller holds the one
 * reference.
 *
 * Return: the message, ERR_PTR(-ENOMEM) or ERR_PTR(-EFAULT).
 */
struct kmbox_message *kmbox_message_new(const void __user *buf, size_t len,
					u32 prio)
{
	/*
	 * At its memory cgroup's limit, a sender gets ENOMEM rather than
	 * the OOM killer: the size is the caller's choice, and failing is
	 * what the caller can handle.
	 */
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	bool apart = len > KMBOX_MSG_INLINE_MAX;
	struct kmbox_message *msg;
	int err;

	msg = kmalloc(apart ? sizeof(*msg) : struct_size(msg, inline_data, len),
		      gfp);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	msg->data = apart ? kvmalloc(len, gfp) : msg->inline_data;
	if (!msg->data) {
		err = -ENOMEM;
		goto err_free_msg;
	}
	if (copy_from_user(msg->data, buf, len)) {
		err = -EFAULT;
		goto err_free_data;
	}
	refcount_set(&msg->ref, 1);
	msg->len = len;
	msg->prio = prio;
	msg->seq = 0;
	msg->time_ns = 0;
	msg->sender = get_pid(task_tgid(current));
	msg->sender_euid = current_euid();
	return msg;

err_free_data:
	kmbox_message_free_data(msg);
err_free_msg:
	kfree(msg);
	return ERR_PTR(err);
}

/**
 * kmbox_message_put() - drop a reference to a message on no queue; the
 *	last one frees it
 * @msg: the message
 */
void kmbox_message_put(struct kmbox_message *msg)
{
	/*
	 * More than one reference exists only while a PEEK copies the
	 * message out, and a PEEK takes one only while the message is
	 * queued: its holder, which has taken it off the queue, pays the
	 * atomic only then.  The acquire pairs with the release in the last
	 * PEEK's refcount_dec_and_test(), so its copy is done before the free.
	 */
	if (refcount_read(&msg->ref) == 1)
		smp_acquire__after_ctrl_dep();
	else if (!refcount_dec_and_test(&msg->ref))
		return;
	put_pid(msg->sender);
	kmbox_message_free_data(msg);
	kfree(msg);
}

/**
 * kmbox_queue_init() - make an empty queue
 * @queue: the queue
 */
void kmbox_queue_init(struct kmbox_queue *queue)
{
	unsigned int prio;

	for (prio = 0; prio <= KMBOX_PRIO_MAX; prio++)
		INIT_LIST_HEAD(&queue->lists[prio]);
	queue->nonempty = 0;
	queue->msgs = 0;
	queue->bytes = 0;
}

static void kmbox_queue_count(struct kmbox_queue *queue,
			      struct kmbox_message *msg)
{
	__set_bit(msg->prio, &queue->nonempty);
	WRITE_ONCE(queue->msgs, queue->msgs + 1);
	WRITE_ONCE(queue->bytes, queue->bytes + msg->len);
}

/**
 * kmbox_queue_push() - queue a message behind those of its priority
 * @queue: the queue
 * @msg: the message, whose sequence number is above every queued one's
 */
void kmbox_queue_push(struct kmbox_queue *queue, struct kmbox_message *msg)
{
	list_add_tail(&msg->node, &queue->lists[msg->prio]);
	kmbox_queue_count(queue, msg);
}

/**
 * kmbox_queue_putback() - queue again a message taken off the queue, in
 *	the place it had
 * @queue: the queue
 * @msg: the message, with the sequence number it was queued with
 *
 * Messages taken together may come back in any order: each goes before
 * the first message of its priority that was queued after it.  The walk
 * passes only messages put back before it, which are few.
 */
void kmbox_queue_putback(struct kmbox_queue *queue, struct kmbox_message *msg)
{
	struct list_head *list = &queue->lists[msg->prio];
	struct kmbox_message *pos;

	list_for_each_entry(pos, list, node)
		if (pos->seq > msg->seq)
			break;
	/* Before @pos; at the tail of @list if the walk found none. */
	list_add_tail(&msg->node, &pos->node);
	kmbox_queue_count(queue, msg);
}

/**
 * kmbox_queue_peek() - the message a receiver gets next
 * @queue: the queue
 *
 * Return: the oldest message of the highest priority, or NULL if empty.
 */
struct kmbox_message *kmbox_queue_peek(const struct kmbox_queue *queue)
{
	if (!queue->nonempty)
		return NULL;
	return list_first_entry(&queue->lists[__fls(queue->nonempty)],
				struct kmbox_message, node);
}

/**
 * kmbox_queue_remove() - take a message off the queue
 * @queue: the queue
 * @msg: a message on @queue
 */
void kmbox_queue_remove(struct kmbox_queue *queue, struct kmbox_message *msg)
{
	list_del(&msg->node);
	if (list_empty(&queue->lists[msg->prio]))
		__clear_bit(msg->prio, &queue->nonempty);
	WRITE_ONCE(queue->msgs, queue->msgs - 1);
	WRITE_ONCE(queue->bytes, queue->bytes - msg->len);
}

/**
 * kmbox_queue_purge() - free every message of a queue
 * @queue: the queue, which nobody else can reach any more
 */
void kmbox_queue_purge(struct kmbox_queue *queue)
{
	struct kmbox_message *msg;

	while ((msg = kmbox_queue_peek(queue))) {
		kmbox_queue_remove(queue, msg);
		kmbox_message_put(msg);
	}
}
