/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the mailbox object.
 */
#ifndef _KMBOX_MAILBOX_H
#define _KMBOX_MAILBOX_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <linux/kmbox.h>

#include "queue.h"
#include "region.h"
#include "ring.h"
#include "waiter.h"

struct kmbox_ns;
struct kmbox_user;

/**
 * struct kmbox_mailbox - a queue of messages shared by file descriptors
 * @ref: one reference per file and per transient user; the last put
 *	takes kmbox_registry_lock, so a lookup under that lock never finds
 *	a mailbox whose count is zero, and one under RCU fails to get it
 * @rcu: frees the mailbox after lockless readers of the registry are done
 * @id: number unique while the module is loaded (set by the registry)
 * @name: NUL-terminated name, or NULL if anonymous; never changes
 * @ns: the IPC namespace it was made in, where its name lives (a
 *	reference, see ns.h); never changes
 * @uid: owner (creator's fsuid); never changes
 * @gid: owner's group (creator's fsgid); never changes
 * @user: the owner's accounting entry, charged with @charge
 * @all_node: link in the registry's list of every mailbox (RCU)
 * @persist_node: link in the registry's list of persistent mailboxes
 *	whose name is still there
 * @ns_node: link in @ns's list of the names still there
 * @name_node: link in the registry's name table
 * @unlinked: the name is not, or no longer, in the name table
 * @region: the shared region (fixed at creation, see region.h)
 * @lock: protects @queue to @recv_waiters, and @ring's ends and bells
 * @figures_seq: bumped around the lock holds that change what STAT
 *	reports, for its lockless reads
 * @queue: the messages waiting for a receiver
 * @held_msgs: messages queued or being taken by a receiver: what the
 *	capacity limits
 * @held_bytes: their bytes
 * @inflight_msgs: room taken by messages that are not in @held_msgs: being
 *	copied in by senders that were given room (kmbox_mailbox_reserve()),
 *	or received while a PEEK still copies them out
 * @inflight_bytes: their bytes
 * @max_msgs: capacity in messages
 * @max_msg_size: largest message accepted
 * @max_bytes: capacity in bytes
 * @charge: what the mailbox counts against its owner's limits
 * @mode: permission bits
 * @attr_flags: KMBOX_ATTR_* flags
 * @senders: files with the send role
 * @receivers: files with the receive role
 * @had_sender: a file with the send role has existed
 * @had_receiver: a file with the receive role has existed
 * @shutdown: KMBOX_IOC_SHUTDOWN was issued
 * @next_seq: sequence number of the last message queued
 * @sent: messages queued since creation
 * @received: messages received since creation
 * @high_water: most messages ever held at once
 * @send_waiters: senders waiting for room (struct kmbox_waiter), FIFO
 * @recv_waiters: receivers waiting for a message, FIFO
 * @blocked_senders: tasks waiting in send (for STAT; atomic, no lock)
 * @blocked_receivers: tasks waiting in receive (likewise)
 * @poll_wait: pollers of both roles, woken with event keys (own lock)
 * @fasync: owners of O_ASYNC files (fasync_helper's own locking)
 * @ring: the ends and doorbells of the ring in @region
 *
 * Locking: kmbox_registry_lock (registry.c) protects @all_node,
 * @persist_node, @ns_node, @name_node and @unlinked.  @lock, a spinlock, protects the queue, the
 * waiters, the attributes, the role counts, the state, the counters and
 * @ring's ends and doorbells.  Nothing under @lock sleeps or touches
 * user memory: a sender takes room for its message under it, then
 * copies the message in without it and queues it under it again; a
 * receiver takes a message under it and copies it out after dropping it.
 * So no task, however slow its page faults, can hold up another for
 * longer than a few list operations, and every byte a message pins in
 * the kernel, from its allocation to its free, counts against the
 * capacity (@held_bytes or @inflight_bytes).  Fields read without
 * @lock (by poll, STAT, fdinfo, /proc/driver/kmbox, the ring's wait
 * predicates) are written with WRITE_ONCE and read with READ_ONCE.
 * @lock nests outside kmbox_users_lock (limits.c); kmbox_registry_lock
 * and @lock are never held together.
 */
struct kmbox_mailbox {
	refcount_t ref;
	struct rcu_head rcu;
	u64 id;
	const char *name;
	struct kmbox_ns *ns;
	kuid_t uid;
	kgid_t gid;
	struct kmbox_user *user;
	struct list_head all_node;
	struct list_head persist_node;
	struct list_head ns_node;
	struct rhash_head name_node;
	bool unlinked;
	struct kmbox_region region;

	spinlock_t lock;		/* protects @queue to @recv_waiters */
	seqcount_spinlock_t figures_seq;
	struct kmbox_queue queue;
	u64 held_msgs;
	u64 held_bytes;
	u64 inflight_msgs;
	u64 inflight_bytes;
	u64 max_msgs;
	u64 max_msg_size;
	u64 max_bytes;
	u64 charge;
	u32 mode;
	u32 attr_flags;
	unsigned int senders;
	unsigned int receivers;
	bool had_sender;
	bool had_receiver;
	bool shutdown;
	u64 next_seq;
	u64 sent;
	u64 received;
	u64 high_water;
	struct list_head send_waiters;
	struct list_head recv_waiters;

	atomic_t blocked_senders;
	atomic_t blocked_receivers;
	wait_queue_head_t poll_wait;
	struct fasync_struct *fasync;
	struct kmbox_ring ring;
};

/**
 * struct kmbox_rx - one message a receive takes
 * @len: in: size of the buffer it goes to
 * @msg: out: the message, which the caller copies out and then gives to
 *	kmbox_mailbox_recv_end()
 */
struct kmbox_rx {
	size_t len;
	struct kmbox_message *msg;
};

struct kmbox_mailbox *kmbox_mailbox_new(const char *name,
					const struct kmbox_attr *attr);
void kmbox_mailbox_get(struct kmbox_mailbox *mbox);
void kmbox_mailbox_put(struct kmbox_mailbox *mbox);
bool kmbox_mailbox_is_owner(const struct kmbox_mailbox *mbox);
int kmbox_mailbox_may_open(struct kmbox_mailbox *mbox, fmode_t fmode);
void kmbox_mailbox_attach(struct kmbox_mailbox *mbox, fmode_t fmode);
void kmbox_mailbox_detach(struct kmbox_mailbox *mbox, fmode_t fmode);

int kmbox_mailbox_reserve(struct kmbox_mailbox *mbox, const size_t *lens,
			  unsigned int n, const struct kmbox_wait *wait);
int kmbox_mailbox_send_end(struct kmbox_mailbox *mbox,
			   struct kmbox_message **msgs, unsigned int made,
			   const size_t *lens, unsigned int reserved);
int kmbox_mailbox_recv(struct kmbox_mailbox *mbox, struct kmbox_rx *rx,
		       unsigned int n, bool peek, const struct kmbox_wait *wait,
		       size_t *msg_len);
void kmbox_mailbox_recv_end(struct kmbox_mailbox *mbox, struct kmbox_rx *rx,
			    unsigned int n, unsigned int delivered);
void kmbox_mailbox_peek_end(struct kmbox_mailbox *mbox,
			    struct kmbox_message *msg);
void kmbox_mailbox_wake_pollers(struct kmbox_mailbox *mbox, __poll_t events);
void kmbox_mailbox_shutdown(struct kmbox_mailbox *mbox);
__poll_t kmbox_mailbox_poll(struct kmbox_mailbox *mbox, struct file *file,
			    poll_table *pt);

void kmbox_mailbox_get_attr(struct kmbox_mailbox *mbox,
			    struct kmbox_attr *attr);
int kmbox_mailbox_set_attr(struct kmbox_mailbox *mbox,
			   const struct kmbox_attr *attr);
void kmbox_mailbox_stat(struct kmbox_mailbox *mbox, struct kmbox_stat *st);

#endif /* _KMBOX_MAILBOX_H */
