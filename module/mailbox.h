/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the mailbox object.
 */
#ifndef _KMBOX_MAILBOX_H
#define _KMBOX_MAILBOX_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <linux/kmbox.h>

#include "queue.h"
#include "region.h"
#include "ring.h"

struct kmbox_user;

/**
 * struct kmbox_mailbox - a queue of messages shared by file descriptors
 * @ref: one reference per file and per transient user; the last put
 *	takes kmbox_registry_lock, so a lookup under that lock never finds
 *	a mailbox whose count is zero
 * @id: number unique while the module is loaded (set by the registry)
 * @name: NUL-terminated name, or NULL if anonymous; never changes
 * @uid: owner (creator's fsuid); never changes
 * @gid: owner's group (creator's fsgid); never changes
 * @user: the owner's accounting entry, charged with @max_bytes
 * @all_node: link in the registry's list of every mailbox
 * @name_node: link in the registry's name table; unhashed once unlinked
 * @unlinked: the name was removed
 * @region: the shared region (fixed at creation, see region.h)
 * @lock: protects every field below it
 * @queue: the messages
 * @max_msgs: capacity in messages
 * @max_msg_size: largest message accepted
 * @max_bytes: capacity in bytes
 * @mode: permission bits
 * @attr_flags: KMBOX_ATTR_* flags
 * @senders: files with the send role
 * @receivers: files with the receive role
 * @had_sender: a file with the send role has existed
 * @had_receiver: a file with the receive role has existed
 * @shutdown: KMBOX_IOC_SHUTDOWN was issued
 * @next_seq: sequence number of the last message queued
 * @sent: messages queued since creation
 * @received: messages taken since creation
 * @high_water: most messages ever queued at once
 * @recv_wait: receivers sleeping, exclusively (own spinlock)
 * @send_wait: senders sleeping, exclusively (own spinlock)
 * @poll_wait: pollers of both roles, woken with event keys (own spinlock)
 * @blocked_senders: tasks sleeping in send
 * @blocked_receivers: tasks sleeping in receive
 * @fasync: owners of O_ASYNC files (fasync_helper's own locking)
 * @ring: the ends and doorbells of the ring in @region
 *
 * Locking: kmbox_registry_lock (registry.c) protects @all_node,
 * @name_node and @unlinked.  @lock protects the queue, the attributes,
 * the role counts, the state and @ring's ends and doorbells.  Fields the wait predicates and poll
 * read without @lock (queue figures, capacity, role counts, @shutdown)
 * are written with WRITE_ONCE and read with READ_ONCE.  Nesting order:
 * kmbox_registry_lock, then @lock, then kmbox_users_lock (limits.c).
 * The wait queues' spinlocks are taken only by the wait and wake-up
 * primitives, never around other locks.
 */
struct kmbox_mailbox {
	struct kref ref;
	u64 id;
	const char *name;
	kuid_t uid;
	kgid_t gid;
	struct kmbox_user *user;
	struct list_head all_node;
	struct hlist_node name_node;
	bool unlinked;
	struct kmbox_region region;

	struct mutex lock;		/* protects the fields below */
	struct kmbox_queue queue;
	u64 max_msgs;
	u64 max_msg_size;
	u64 max_bytes;
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

	wait_queue_head_t recv_wait;
	wait_queue_head_t send_wait;
	wait_queue_head_t poll_wait;
	atomic_t blocked_senders;
	atomic_t blocked_receivers;
	struct fasync_struct *fasync;
	struct kmbox_ring ring;
};

/**
 * struct kmbox_wait - how a send or receive may wait
 * @nonblock: fail with -EAGAIN rather than sleep
 * @timed: @deadline applies
 * @relative: the deadline came from a relative timeout, so the call must
 *	not be restarted after a signal
 * @deadline: CLOCK_MONOTONIC time at which waiting ends with -ETIMEDOUT
 */
struct kmbox_wait {
	bool nonblock;
	bool timed;
	bool relative;
	ktime_t deadline;
};

/*
 * Called with the mailbox locked to hand the next message to the caller:
 * returns its length, or -EMSGSIZE or -EFAULT to leave it queued.
 */
typedef int (*kmbox_deliver_t)(void *ctx, const struct kmbox_message *msg);

/* A wait predicate, read without the mailbox mutex. */
typedef bool (*kmbox_ready_t)(const struct kmbox_mailbox *mbox,
			      const void *arg);

struct kmbox_mailbox *kmbox_mailbox_new(const char *name,
					const struct kmbox_attr *attr);
void kmbox_mailbox_get(struct kmbox_mailbox *mbox);
void kmbox_mailbox_put(struct kmbox_mailbox *mbox);
bool kmbox_mailbox_is_owner(const struct kmbox_mailbox *mbox);
int kmbox_mailbox_may_open(struct kmbox_mailbox *mbox, fmode_t fmode);
void kmbox_mailbox_attach(struct kmbox_mailbox *mbox, fmode_t fmode);
void kmbox_mailbox_detach(struct kmbox_mailbox *mbox, fmode_t fmode);

ssize_t kmbox_mailbox_send(struct kmbox_mailbox *mbox, const void __user *buf,
			   size_t len, u32 prio, const struct kmbox_wait *wait);
ssize_t kmbox_mailbox_recv(struct kmbox_mailbox *mbox, bool peek,
			   const struct kmbox_wait *wait,
			   kmbox_deliver_t deliver, void *ctx);
int kmbox_mailbox_sleep(struct kmbox_mailbox *mbox, wait_queue_head_t *wq,
			kmbox_ready_t ready, const void *arg,
			const struct kmbox_wait *wait);
void kmbox_mailbox_wake_all(struct kmbox_mailbox *mbox,
			    wait_queue_head_t *sleepers, __poll_t events);
void kmbox_mailbox_shutdown(struct kmbox_mailbox *mbox);
__poll_t kmbox_mailbox_poll(struct kmbox_mailbox *mbox, struct file *file,
			    poll_table *pt);

void kmbox_mailbox_get_attr(struct kmbox_mailbox *mbox,
			    struct kmbox_attr *attr);
int kmbox_mailbox_set_attr(struct kmbox_mailbox *mbox,
			   const struct kmbox_attr *attr);
void kmbox_mailbox_stat(struct kmbox_mailbox *mbox, struct kmbox_stat *st);

#endif /* _KMBOX_MAILBOX_H */
