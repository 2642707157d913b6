// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the mailbox object.
 *
 * A mailbox is a priority queue of messages (queue.c), the lists of the
 * senders and receivers that wait on it (waiter.c), and a wait queue for
 * pollers.  One spinlock protects them, and nothing done under it sleeps
 * or touches user memory, in the manner of ipc/mqueue.c:
 *
 *  - a sender first takes room for its message under the lock (waiting
 *    in line for it if need be), then allocates the message and copies
 *    it in with no lock held, then queues it under the lock, or hands it
 *    straight to the first waiting receiver, which then returns without
 *    taking the lock again.  No message is allocated before it has its
 *    room, so senders that wait, or stall in their copy, pin nothing
 *    beyond the capacity;
 *  - a receiver takes the next message off the queue under the lock and
 *    copies it out after dropping it; a message that faults on the way
 *    out goes back in its place (same priority, same sequence number),
 *    so nothing is lost, and one whose buffer is too small is never
 *    taken at all.  A message counts against the capacity (held_msgs,
 *    held_bytes) from the moment it is queued until its receiver has
 *    copied it out, so a receiver stalled in its copy cannot make room
 *    for more than the capacity;
 *  - the receive that frees room gives it to the waiting senders whose
 *    messages now fit, oldest first, and wakes them.  A message received
 *    while a PEEK still copies it out keeps its room until the peek is
 *    done, for the same reason.
 *
 * The rule that keeps every wake-up: whatever lock hold makes a waiter's
 * call able to go on serves that waiter before the lock is dropped (see
 * kmbox_mailbox_feed_locked() and kmbox_mailbox_admit_locked(), called
 * after every change of the queue, of the room and of the attributes).
 * Wake-ups of waiters, pollers and fasync owners all happen after the
 * lock is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "limits.h"
#include "mailbox.h"
#include "ns.h"
#include "registry.h"

/**
 * kmbox_mailbox_new() - make a mailbox, charged to the calling user
 * @name: its name (the mailbox takes it over and kfree()s it), or NULL
 * @attr: its attributes, checked by kmbox_limits_check_attr()
 *
 * The new mailbox holds one reference, lives in the caller's IPC
 * namespace and is not registered yet.
 *
 * Return: the mailbox, or ERR_PTR(-ENOMEM) or ERR_PTR(-ENOSPC) from the
 * per-user limits, the allocation of the region or of the namespace's
 * object.  On error @name is freed.
 */
struct kmbox_mailbox *kmbox_mailbox_new(const char *name,
					const struct kmbox_attr *attr)
{
	bool privileged = capable(CAP_SYS_RESOURCE);
	u64 charge = kmbox_limits_charge(attr);
	struct kmbox_mailbox *mbox;
	struct kmbox_user *user;
	struct kmbox_ns *ns;
	int err;

	BUILD_BUG_ON(sizeof(struct kmbox_message) > KMBOX_MSG_CHARGE);
	BUILD_BUG_ON(sizeof(*mbox) + KMBOX_NAME_MAX + 1 > KMBOX_MAILBOX_CHARGE);
	mbox = kzalloc(sizeof(*mbox), GFP_KERNEL_ACCOUNT);
	if (!mbox) {
		err = -ENOMEM;
		goto err_free_name;
	}
	user = kmbox_user_charge(charge, privileged);
	if (IS_ERR(user)) {
		err = PTR_ERR(user);
		goto err_free_mbox;
	}
	ns = kmbox_ns_get_current();
	if (IS_ERR(ns)) {
		err = PTR_ERR(ns);
		goto err_uncharge;
	}
	err = kmbox_region_init(&mbox->region, attr->region_size);
	if (err)
		goto err_put_ns;

	refcount_set(&mbox->ref, 1);
	mbox->name = name;
	mbox->ns = ns;
	mbox->uid = current_fsuid();
	mbox->gid = current_fsgid();
	mbox->user = user;
	mbox->charge = charge;
	INIT_LIST_HEAD(&mbox->all_node);
	INIT_LIST_HEAD(&mbox->persist_node);
	INIT_LIST_HEAD(&mbox->ns_node);
	spin_lock_init(&mbox->lock);
	seqcount_spinlock_init(&mbox->figures_seq, &mbox->lock);
	kmbox_queue_init(&mbox->queue);
	mbox->max_msgs = attr->max_msgs;
	mbox->max_msg_size = attr->max_msg_size;
	mbox->max_bytes = attr->max_bytes;
	mbox->mode = attr->mode;
	mbox->attr_flags = attr->flags;
	INIT_LIST_HEAD(&mbox->send_waiters);
	INIT_LIST_HEAD(&mbox->recv_waiters);
	atomic_set(&mbox->blocked_senders, 0);
	atomic_set(&mbox->blocked_receivers, 0);
	init_waitqueue_head(&mbox->poll_wait);
	kmbox_ring_init(&mbox->ring);
	return mbox;

err_put_ns:
	kmbox_ns_put(ns);
err_uncharge:
	kmbox_user_uncharge(user, charge);
err_free_mbox:
	kfree(mbox);
err_free_name:
	kfree(name);
	return ERR_PTR(err);
}

/**
 * kmbox_mailbox_get() - take a reference
 * @mbox: a mailbox the caller holds a reference to, or found under
 *	kmbox_registry_lock
 */
void kmbox_mailbox_get(struct kmbox_mailbox *mbox)
{
	refcount_inc(&mbox->ref);
}

static void kmbox_mailbox_free_rcu(struct rcu_head *rcu)
{
	struct kmbox_mailbox *mbox = container_of(rcu, struct kmbox_mailbox, rcu);

	kfree(mbox->name);
	kfree(mbox);
}

/* The last reference went, under kmbox_registry_lock: free the mailbox. */
static void kmbox_mailbox_release(struct kmbox_mailbox *mbox)
	__releases(&kmbox_registry_lock)
{
	kmbox_registry_remove_locked(mbox);
	spin_unlock(&kmbox_registry_lock);

	kmbox_queue_purge(&mbox->queue);
	kmbox_region_destroy(&mbox->region);
	kmbox_user_uncharge(mbox->user, mbox->charge);
	kmbox_ns_put(mbox->ns);
	/* /proc/driver/kmbox may still be reading its name and counters. */
	call_rcu(&mbox->rcu, kmbox_mailbox_free_rcu);
}

/**
 * kmbox_mailbox_put() - drop a reference; the last one frees the mailbox
 * @mbox: the mailbox
 *
 * Context: process context; may sleep when it frees.
 */
void kmbox_mailbox_put(struct kmbox_mailbox *mbox)
{
	/* refcount_dec_and_lock(), spelt out so that sparse can follow it. */
	if (refcount_dec_not_one(&mbox->ref))
		return;
	spin_lock(&kmbox_registry_lock);
	if (refcount_dec_and_test(&mbox->ref))
		kmbox_mailbox_release(mbox);
	else
		spin_unlock(&kmbox_registry_lock);
}

/**
 * kmbox_mailbox_is_owner() - may the caller unlink or change the mailbox
 * @mbox: the mailbox
 *
 * Return: true if the caller's fsuid owns it or it has CAP_SYS_ADMIN
 * over it (kmbox_ns_capable()).
 */
bool kmbox_mailbox_is_owner(const struct kmbox_mailbox *mbox)
{
	return uid_eq(current_fsuid(), mbox->uid) ||
	       kmbox_ns_capable(mbox->ns, CAP_SYS_ADMIN, mbox->uid,
				INVALID_GID);
}

/**
 * kmbox_mailbox_may_open() - permission check for opening an existing
 *	mailbox, as for a file
 * @mbox: the mailbox
 * @fmode: FMODE_READ for the receive role, FMODE_WRITE for the send role;
 *	neither for a descriptor with no role, which needs one of them
 *	(it keeps the mailbox alive, charged to its owner)
 *
 * Return: 0 or -EACCES.
 */
int kmbox_mailbox_may_open(struct kmbox_mailbox *mbox, fmode_t fmode)
{
	u32 mode = READ_ONCE(mbox->mode);
	u32 want = 0;

	if (fmode & FMODE_READ)
		want |= 04;
	if (fmode & FMODE_WRITE)
		want |= 02;
	if (uid_eq(current_fsuid(), mbox->uid))
		mode >>= 6;
	else if (in_group_p(mbox->gid))
		mode >>= 3;
	if (want ? (mode & want) == want : mode & 06)
		return 0;
	return kmbox_ns_capable(mbox->ns, CAP_DAC_OVERRIDE, mbox->uid,
				mbox->gid) ? 0 : -EACCES;
}

/*
 * A lock hold that changes figures STAT reports: STAT reads them without
 * the lock and retries while such a hold runs, so that it sees them all
 * of one moment (sent - received = msgs, say) and never waits for long.
 */
static void kmbox_mailbox_lock_figures(struct kmbox_mailbox *mbox)
	__acquires(&mbox->lock)
{
	spin_lock(&mbox->lock);
	write_seqcount_begin(&mbox->figures_seq);
}

static void kmbox_mailbox_unlock_figures(struct kmbox_mailbox *mbox)
	__releases(&mbox->lock)
{
	write_seqcount_end(&mbox->figures_seq);
	spin_unlock(&mbox->lock);
}

/*
 * What a lock hold has to do once the lock is dropped: wake the waiters
 * it served, the pollers (for @events) and, if the queue went from
 * empty to not empty, the owners of O_ASYNC files.
 */
struct kmbox_wakeups {
	struct kmbox_wake_list wakes;
	__poll_t events;
	u64 queued_before;
	u64 sent_before;
	bool sigio;
};

static void kmbox_wakeups_init_locked(struct kmbox_mailbox *mbox,
				      struct kmbox_wakeups *wk)
{
	lockdep_assert_held(&mbox->lock);
	kmbox_wake_list_init(&wk->wakes);
	wk->events = 0;
	wk->queued_before = mbox->queue.msgs;
	wk->sent_before = mbox->sent;
	wk->sigio = false;
}

/*
 * Before the lock is dropped: if messages were queued (or @put_back) and
 * some are still there, not all handed to waiting receivers, pollers
 * get EPOLLIN and, if the queue was empty, fasync owners POLL_IN.  A
 * receive that leaves messages behind is no new message.
 */
static void kmbox_wakeups_queued_locked(struct kmbox_mailbox *mbox,
					struct kmbox_wakeups *wk, bool put_back)
{
	lockdep_assert_held(&mbox->lock);
	if (!mbox->queue.msgs || (mbox->sent == wk->sent_before && !put_back))
		return;
	wk->events |= EPOLLIN | EPOLLRDNORM;
	wk->sigio = !wk->queued_before;
}

/**
 * kmbox_mailbox_wake_pollers() - wake every poller waiting for @events
 * @mbox: the mailbox, unlocked, whose state changed
 * @events: the poll events that may have become true
 *
 * The full barrier of wq_has_sleeper() orders the caller's change before
 * the look at the poll queue; it pairs with the one in
 * kmbox_mailbox_poll(): either the poller sees the change or it is seen.
 */
void kmbox_mailbox_wake_pollers(struct kmbox_mailbox *mbox, __poll_t events)
{
	if (wq_has_sleeper(&mbox->poll_wait))
		wake_up_interruptible_poll(&mbox->poll_wait, events);
}

static void kmbox_wakeups_flush(struct kmbox_mailbox *mbox,
				struct kmbox_wakeups *wk)
{
	kmbox_wake_list_wake(&wk->wakes);
	if (wk->events)
		kmbox_mailbox_wake_pollers(mbox, wk->events);
	if (wk->sigio)
		kill_fasync(&mbox->fasync, SIGIO, POLL_IN);
}

/*
 * The predicates below are read without the lock by poll and with it by
 * send and receive.
 */

/* Receivers can never get more: shut down, or hangup with no sender. */
static bool kmbox_mailbox_senders_gone(const struct kmbox_mailbox *mbox)
{
	return READ_ONCE(mbox->shutdown) ||
	       (mbox->attr_flags & KMBOX_ATTR_HANGUP &&
		READ_ONCE(mbox->had_sender) && !READ_ONCE(mbox->senders));
}

/*
 * End-of-stream for receivers: none can get more, and no message is out
 * for copying either, which a faulting copy would put back.  So
 * end-of-stream, once seen, stays: what was queued is all received.
 */
static bool kmbox_mailbox_at_end(const struct kmbox_mailbox *mbox)
{
	if (!kmbox_mailbox_senders_gone(mbox))
		return false;
	/*
	 * For poll, without the lock: a message queued before the shutdown
	 * (or the last sender's close) is seen once that is.  Pairs with
	 * the lock holds that queue it, then end the stream.
	 */
	smp_rmb();
	return !READ_ONCE(mbox->held_msgs);
}

/* Sending must fail with EPIPE: shut down, or hangup with no receiver. */
static bool kmbox_mailbox_receivers_gone(const struct kmbox_mailbox *mbox)
{
	return READ_ONCE(mbox->shutdown) ||
	       (mbox->attr_flags & KMBOX_ATTR_HANGUP &&
		READ_ONCE(mbox->had_receiver) && !READ_ONCE(mbox->receivers));
}

/* One more message of @len bytes fits in the capacity. */
static bool kmbox_mailbox_fits(const struct kmbox_mailbox *mbox, size_t len)
{
	return READ_ONCE(mbox->held_msgs) + READ_ONCE(mbox->inflight_msgs) <
		READ_ONCE(mbox->max_msgs) &&
	       READ_ONCE(mbox->held_bytes) + READ_ONCE(mbox->inflight_bytes) +
		len <= READ_ONCE(mbox->max_bytes);
}

/* Room for one message of @len bytes that is not (or no longer) held. */
static void kmbox_mailbox_take_room_locked(struct kmbox_mailbox *mbox,
					   size_t len)
{
	lockdep_assert_held(&mbox->lock);
	WRITE_ONCE(mbox->inflight_msgs, mbox->inflight_msgs + 1);
	WRITE_ONCE(mbox->inflight_bytes, mbox->inflight_bytes + len);
}

static void kmbox_mailbox_give_room_locked(struct kmbox_mailbox *mbox,
					   size_t len)
{
	lockdep_assert_held(&mbox->lock);
	WRITE_ONCE(mbox->inflight_msgs, mbox->inflight_msgs - 1);
	WRITE_ONCE(mbox->inflight_bytes, mbox->inflight_bytes - len);
}

/*
 * Give queued messages to waiting receivers, first come first served.
 * A waiter that peeks gets a reference to the message, which stays for
 * the next; one whose buffer is too small for it gets EMSGSIZE and
 * leaves it queued.
 */
static void kmbox_mailbox_feed_locked(struct kmbox_mailbox *mbox,
				      struct kmbox_wakeups *wk)
{
	struct kmbox_message *msg;
	struct kmbox_waiter *w;

	lockdep_assert_held(&mbox->lock);
	while (!list_empty(&mbox->recv_waiters) &&
	       (msg = kmbox_queue_peek(&mbox->queue))) {
		w = list_first_entry(&mbox->recv_waiters, struct kmbox_waiter,
				     node);
		if (msg->len > w->len) {
			w->msg_len = msg->len;
			kmbox_waiter_wake_locked(w, KMBOX_WAITER_DONE,
						 -EMSGSIZE, &wk->wakes);
		} else if (w->peek) {
			refcount_inc(&msg->ref);
			w->msg = msg;
			kmbox_waiter_wake_locked(w, KMBOX_WAITER_DONE, 0,
						 &wk->wakes);
		} else {
			kmbox_queue_remove(&mbox->queue, msg);
			w->msg = msg;
			kmbox_waiter_wake_locked(w, KMBOX_WAITER_DONE, 0,
						 &wk->wakes);
		}
	}
}

/* Queue a message: it gets its sequence number and the lock hold's time. */
static void kmbox_mailbox_enqueue_locked(struct kmbox_mailbox *mbox,
					 struct kmbox_message *msg, u64 *now)
{
	lockdep_assert_held(&mbox->lock);
	/* One clock read per lock hold, however many messages it queues. */
	if (!*now)
		*now = ktime_get_ns();
	msg->seq = ++mbox->next_seq;
	msg->time_ns = *now;
	kmbox_queue_push(&mbox->queue, msg);
	WRITE_ONCE(mbox->held_msgs, mbox->held_msgs + 1);
	WRITE_ONCE(mbox->held_bytes, mbox->held_bytes + msg->len);
	WRITE_ONCE(mbox->sent, mbox->sent + 1);
	if (mbox->held_msgs > mbox->high_water)
		WRITE_ONCE(mbox->high_water, mbox->held_msgs);
}

/*
 * Room was made: give it to every waiting sender whose message now fits,
 * oldest first, and wake it.  A sender whose message does not fit does
 * not hold up a later one whose message does.
 */
static void kmbox_mailbox_admit_locked(struct kmbox_mailbox *mbox,
				       struct kmbox_wakeups *wk)
{
	struct kmbox_waiter *w, *next;

	lockdep_assert_held(&mbox->lock);
	list_for_each_entry_safe(w, next, &mbox->send_waiters, node) {
		if (!kmbox_mailbox_fits(mbox, w->len))
			continue;
		kmbox_mailbox_take_room_locked(mbox, w->len);
		kmbox_waiter_wake_locked(w, KMBOX_WAITER_DONE, 0, &wk->wakes);
	}
}

/**
 * kmbox_mailbox_attach() - count a new file's role
 * @mbox: the mailbox
 * @fmode: the file's FMODE_READ (receive) and FMODE_WRITE (send) bits
 */
void kmbox_mailbox_attach(struct kmbox_mailbox *mbox, fmode_t fmode)
{
	kmbox_mailbox_lock_figures(mbox);
	if (fmode & FMODE_WRITE) {
		WRITE_ONCE(mbox->senders, mbox->senders + 1);
		WRITE_ONCE(mbox->had_sender, true);
	}
	if (fmode & FMODE_READ) {
		WRITE_ONCE(mbox->receivers, mbox->receivers + 1);
		WRITE_ONCE(mbox->had_receiver, true);
	}
	kmbox_mailbox_unlock_figures(mbox);
}

/**
 * kmbox_mailbox_detach() - uncount a closing file's role
 * @mbox: the mailbox
 * @fmode: the file's FMODE_READ and FMODE_WRITE bits
 *
 * In hangup mode, the last sender leaving wakes the receivers (they will
 * see end-of-stream once the queue is empty and no message is out for
 * copying), and the last receiver leaving wakes the senders (they will
 * get EPIPE).
 */
void kmbox_mailbox_detach(struct kmbox_mailbox *mbox, fmode_t fmode)
{
	bool hangup = mbox->attr_flags & KMBOX_ATTR_HANGUP;
	struct kmbox_wakeups wk;

	kmbox_mailbox_lock_figures(mbox);
	kmbox_wakeups_init_locked(mbox, &wk);
	if (fmode & FMODE_WRITE) {
		WRITE_ONCE(mbox->senders, mbox->senders - 1);
		if (hangup && !mbox->senders) {
			kmbox_waiter_wake_all_locked(&mbox->recv_waiters,
						     &wk.wakes);
			wk.events |= EPOLLHUP;
		}
	}
	if (fmode & FMODE_READ) {
		WRITE_ONCE(mbox->receivers, mbox->receivers - 1);
		if (hangup && !mbox->receivers) {
			kmbox_waiter_wake_all_locked(&mbox->send_waiters,
						     &wk.wakes);
			wk.events |= EPOLLERR;
		}
	}
	kmbox_mailbox_unlock_figures(mbox);
	kmbox_wakeups_flush(mbox, &wk);
}

/**
 * kmbox_mailbox_reserve() - take room for messages about to be sent,
 *	waiting for it as @wait allows
 * @mbox: the mailbox
 * @lens: the lengths of the messages, in the order they are to be sent
 * @n: how many, at least 1
 * @wait: whether and how long to wait while the first does not fit
 *
 * Takes room for the first messages that fit now, stopping before one
 * that does not; waits only when the first does not fit, in line with
 * the other senders, until a receive makes room for it.  The caller then
 * makes the messages and ends with kmbox_mailbox_send_end(), which
 * queues them in the room taken here or gives it back.
 *
 * Return: for how many messages room was taken (the first ones), or the
 * error of the first: -EMSGSIZE (longer than max_msg_size), -EPIPE (shut
 * down, or no receiver left in hangup mode), -EAGAIN, -ETIMEDOUT,
 * -ERESTARTSYS, or -EINTR when a fatal signal came as it was given room.
 */
int kmbox_mailbox_reserve(struct kmbox_mailbox *mbox, const size_t *lens,
			  unsigned int n, const struct kmbox_wait *wait)
{
	struct kmbox_waiter w;
	unsigned int i;
	int ret;

	for (;;) {
		ret = 0;
		spin_lock(&mbox->lock);
		for (i = 0; i < n; i++) {
			if (kmbox_mailbox_receivers_gone(mbox)) {
				ret = -EPIPE;
				break;
			}
			if (lens[i] > mbox->max_msg_size) {
				ret = -EMSGSIZE;
				break;
			}
			if (!kmbox_mailbox_fits(mbox, lens[i])) {
				if (wait->nonblock)
					ret = -EAGAIN;
				break;
			}
			kmbox_mailbox_take_room_locked(mbox, lens[i]);
		}
		if (i || ret) {
			spin_unlock(&mbox->lock);
			return i ? i : ret;
		}

		w.len = lens[0];
		kmbox_waiter_add_locked(&w, &mbox->send_waiters, &mbox->lock);
		atomic_inc(&mbox->blocked_senders);
		spin_unlock(&mbox->lock);
		ret = kmbox_waiter_wait(&w, &mbox->lock, wait);
		atomic_dec(&mbox->blocked_senders);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
		/* Told to look again: shutdown, hangup or new attributes. */
	}
	/*
	 * Given room by the receive that made it.  A task being killed
	 * sends nothing, as if it had been killed a moment earlier.
	 */
	if (fatal_signal_pending(current)) {
		kmbox_mailbox_send_end(mbox, NULL, 0, lens, 1);
		return -EINTR;
	}
	return 1;
}

/**
 * kmbox_mailbox_send_end() - queue the messages made in the room that
 *	kmbox_mailbox_reserve() took, and give back the rest of it
 * @mbox: the mailbox
 * @msgs: the messages made, the first @made of the @reserved: queued
 *	ones belong to the mailbox afterwards, the caller frees the others
 * @made: how many were made
 * @lens: the lengths given to kmbox_mailbox_reserve()
 * @reserved: for how many it took room
 *
 * Hands queued messages to waiting receivers, and room given back to
 * waiting senders.  Messages are not queued once the mailbox has no
 * receiver to come (shut down, or hangup mode with none left), so that
 * end-of-stream, once seen, stays.
 *
 * Return: @made, or -EPIPE when none was queued for that reason.
 */
int kmbox_mailbox_send_end(struct kmbox_mailbox *mbox,
			   struct kmbox_message **msgs, unsigned int made,
			   const size_t *lens, unsigned int reserved)
{
	struct kmbox_wakeups wk;
	unsigned int i;
	u64 now = 0;
	int ret = made;

	kmbox_mailbox_lock_figures(mbox);
	kmbox_wakeups_init_locked(mbox, &wk);
	for (i = 0; i < reserved; i++)
		kmbox_mailbox_give_room_locked(mbox, lens[i]);
	if (made && kmbox_mailbox_receivers_gone(mbox))
		ret = -EPIPE;
	for (i = 0; ret > 0 && i < made; i++)
		kmbox_mailbox_enqueue_locked(mbox, msgs[i], &now);
	if (ret != reserved) {
		kmbox_mailbox_admit_locked(mbox, &wk);
		wk.events |= EPOLLOUT | EPOLLWRNORM;
	}
	kmbox_mailbox_feed_locked(mbox, &wk);
	kmbox_wakeups_queued_locked(mbox, &wk, false);
	kmbox_mailbox_unlock_figures(mbox);
	kmbox_wakeups_flush(mbox, &wk);
	return ret;
}

/**
 * kmbox_mailbox_recv() - take the next messages, for the caller to copy
 *	out and then end with kmbox_mailbox_recv_end()
 * @mbox: the mailbox
 * @rx: where they go: the size of each buffer in, the messages out
 * @n: how many at most, at least 1
 * @peek: leave the message queued (then @n is 1): the caller gets a
 *	reference and ends with kmbox_mailbox_peek_end()
 * @wait: whether and how long to wait while none is queued
 * @msg_len: set to the length of the next message when it does not fit
 *	in the first buffer
 *
 * Takes what is queued, stopping before a message too long for its
 * buffer; waits only while nothing is queued.  A message taken still
 * counts against the capacity until kmbox_mailbox_recv_end().
 *
 * Return: how many messages were taken, or -EMSGSIZE (the first does not
 * fit; it stays queued), -EPIPE at end-of-stream, -EAGAIN, -ETIMEDOUT,
 * -ERESTARTSYS, or -EINTR when a fatal signal came as it was served.
 */
int kmbox_mailbox_recv(struct kmbox_mailbox *mbox, struct kmbox_rx *rx,
		       unsigned int n, bool peek, const struct kmbox_wait *wait,
		       size_t *msg_len)
{
	struct kmbox_message *msg;
	struct kmbox_waiter w;
	unsigned int got;
	int ret;

	for (;;) {
		ret = 0;
		got = 0;
		spin_lock(&mbox->lock);
		while (got < n && (msg = kmbox_queue_peek(&mbox->queue))) {
			if (msg->len > rx[got].len) {
				if (!got) {
					*msg_len = msg->len;
					ret = -EMSGSIZE;
				}
				break;
			}
			if (peek) {
				refcount_inc(&msg->ref);
				rx[got++].msg = msg;
				break;
			}
			kmbox_queue_remove(&mbox->queue, msg);
			rx[got++].msg = msg;
		}
		if (!got && !ret) {
			if (kmbox_mailbox_at_end(mbox))
				ret = -EPIPE;
			else if (wait->nonblock)
				ret = -EAGAIN;
		}
		if (got || ret) {
			spin_unlock(&mbox->lock);
			return got ? got : ret;
		}

		w.len = rx[0].len;
		w.peek = peek;
		w.msg = NULL;
		kmbox_waiter_add_locked(&w, &mbox->recv_waiters, &mbox->lock);
		atomic_inc(&mbox->blocked_receivers);
		spin_unlock(&mbox->lock);
		ret = kmbox_waiter_wait(&w, &mbox->lock, wait);
		atomic_dec(&mbox->blocked_receivers);
		if (ret < 0)
			return ret;
		if (!ret) {
			/* Served by a sender: the message, or EMSGSIZE. */
			if (w.result) {
				*msg_len = w.msg_len;
				return w.result;
			}
			rx[0].msg = w.msg;
			/* A task being killed takes nothing: it goes back. */
			if (fatal_signal_pending(current)) {
				if (peek)
					kmbox_mailbox_peek_end(mbox, w.msg);
				else
					kmbox_mailbox_recv_end(mbox, rx, 1, 0);
				return -EINTR;
			}
			return 1;
		}
		/*
		 * Told to look again: shutdown, hangup, or the end of the
		 * last copy-out after either.
		 */
	}
}

/**
 * kmbox_mailbox_recv_end() - finish a receive: the messages copied out
 *	are gone, the others go back in their places
 * @mbox: the mailbox
 * @rx: the messages kmbox_mailbox_recv() took; none is the caller's
 *	afterwards
 * @n: how many it took
 * @delivered: how many of the first reached the receiver
 *
 * The room the delivered messages leave goes to waiting senders, but
 * that of a message a PEEK still copies out only when the peek is done.
 * If the stream has ended and these were the last messages out,
 * waiting receivers look again, and see end-of-stream.
 */
void kmbox_mailbox_recv_end(struct kmbox_mailbox *mbox, struct kmbox_rx *rx,
			    unsigned int n, unsigned int delivered)
{
	struct kmbox_wakeups wk;
	unsigned int i;

	kmbox_mailbox_lock_figures(mbox);
	kmbox_wakeups_init_locked(mbox, &wk);
	for (i = 0; i < delivered; i++) {
		struct kmbox_message *msg = rx[i].msg;

		WRITE_ONCE(mbox->held_msgs, mbox->held_msgs - 1);
		WRITE_ONCE(mbox->held_bytes, mbox->held_bytes - msg->len);
		/*
		 * Peeks take and drop their references under the lock, so
		 * the count is stable here.  The last peek frees it.
		 */
		if (refcount_read(&msg->ref) > 1) {
			refcount_dec(&msg->ref);
			kmbox_mailbox_take_room_locked(mbox, msg->len);
			rx[i].msg = NULL;
		}
	}
	WRITE_ONCE(mbox->received, mbox->received + delivered);
	for (i = delivered; i < n; i++)
		kmbox_queue_putback(&mbox->queue, rx[i].msg);
	if (delivered) {
		kmbox_mailbox_admit_locked(mbox, &wk);
		wk.events |= EPOLLOUT | EPOLLWRNORM;
		/* The last message out was the stream's last: its end. */
		if (kmbox_mailbox_at_end(mbox)) {
			kmbox_waiter_wake_all_locked(&mbox->recv_waiters,
						     &wk.wakes);
			wk.events |= EPOLLHUP;
		}
	}
	kmbox_mailbox_feed_locked(mbox, &wk);
	kmbox_wakeups_queued_locked(mbox, &wk, delivered < n);
	kmbox_mailbox_unlock_figures(mbox);
	kmbox_wakeups_flush(mbox, &wk);

	for (i = 0; i < delivered; i++)
		if (rx[i].msg)
			kmbox_message_put(rx[i].msg);
}

/**
 * kmbox_mailbox_peek_end() - finish a PEEK
 * @mbox: the mailbox
 * @msg: the message kmbox_mailbox_recv() lent
 *
 * If the message was received meanwhile, its room, kept while the peek
 * copied it out, goes to waiting senders now.
 */
void kmbox_mailbox_peek_end(struct kmbox_mailbox *mbox,
			    struct kmbox_message *msg)
{
	struct kmbox_wakeups wk;
	bool last;

	spin_lock(&mbox->lock);
	kmbox_wakeups_init_locked(mbox, &wk);
	last = !refcount_dec_not_one(&msg->ref);
	if (last) {
		kmbox_mailbox_give_room_locked(mbox, msg->len);
		kmbox_mailbox_admit_locked(mbox, &wk);
		wk.events |= EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock(&mbox->lock);
	kmbox_wakeups_flush(mbox, &wk);
	if (last)
		kmbox_message_put(msg);
}

/**
 * kmbox_mailbox_shutdown() - end the mailbox for good
 * @mbox: the mailbox
 *
 * Sending fails with EPIPE from now on; receivers drain the queue and then
 * see end-of-stream.  Every waiter on both sides looks again.
 */
void kmbox_mailbox_shutdown(struct kmbox_mailbox *mbox)
{
	struct kmbox_wakeups wk;

	kmbox_mailbox_lock_figures(mbox);
	kmbox_wakeups_init_locked(mbox, &wk);
	WRITE_ONCE(mbox->shutdown, true);
	kmbox_waiter_wake_all_locked(&mbox->recv_waiters, &wk.wakes);
	kmbox_waiter_wake_all_locked(&mbox->send_waiters, &wk.wakes);
	wk.events = EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLOUT | EPOLLERR;
	kmbox_mailbox_unlock_figures(mbox);
	kmbox_wakeups_flush(mbox, &wk);
	kmbox_ring_wake_all(mbox);
}

/**
 * kmbox_mailbox_poll() - poll events of one file of a mailbox
 * @mbox: the mailbox
 * @file: the file, whose role selects the events
 * @pt: poll table
 *
 * Return: EPOLLIN|EPOLLRDNORM if a message is queued, else EPOLLHUP at
 * end-of-stream (receive role); EPOLLOUT|EPOLLWRNORM if a message of
 * max_msg_size fits or sending would fail at once, EPOLLERR if it would
 * fail with EPIPE (send role).
 */
__poll_t kmbox_mailbox_poll(struct kmbox_mailbox *mbox, struct file *file,
			    poll_table *pt)
{
	__poll_t mask = 0;

	/* Register first, then read the state. */
	poll_wait(file, &mbox->poll_wait, pt);
	/* Pairs with the barrier in kmbox_mailbox_wake_pollers(). */
	smp_mb();

	if (file->f_mode & FMODE_READ) {
		if (READ_ONCE(mbox->queue.msgs))
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (kmbox_mailbox_at_end(mbox))
			mask |= EPOLLHUP;
	}
	if (file->f_mode & FMODE_WRITE) {
		if (kmbox_mailbox_receivers_gone(mbox))
			mask |= EPOLLOUT | EPOLLWRNORM | EPOLLERR;
		else if (kmbox_mailbox_fits(mbox, READ_ONCE(mbox->max_msg_size)))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	return mask;
}

/**
 * kmbox_mailbox_get_attr() - the mailbox's attributes
 * @mbox: the mailbox
 * @attr: filled in completely (reserved fields zero)
 */
void kmbox_mailbox_get_attr(struct kmbox_mailbox *mbox,
			    struct kmbox_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	spin_lock(&mbox->lock);
	attr->max_msgs = mbox->max_msgs;
	attr->max_msg_size = mbox->max_msg_size;
	attr->max_bytes = mbox->max_bytes;
	attr->mode = mbox->mode;
	attr->flags = mbox->attr_flags;
	attr->region_size = mbox->region.size;
	spin_unlock(&mbox->lock);
}

/*
 * The attributes changed: senders whose message is now too long look
 * again (and fail with EMSGSIZE), senders whose message now fits are
 * given room, and pollers of both roles re-evaluate.
 */
static void kmbox_mailbox_attr_changed_locked(struct kmbox_mailbox *mbox,
					      struct kmbox_wakeups *wk)
{
	struct kmbox_waiter *w, *next;

	lockdep_assert_held(&mbox->lock);
	list_for_each_entry_safe(w, next, &mbox->send_waiters, node)
		if (w->len > mbox->max_msg_size)
			kmbox_waiter_wake_locked(w, KMBOX_WAITER_RETRY, 0,
						 &wk->wakes);
	kmbox_mailbox_admit_locked(mbox, wk);
	kmbox_mailbox_feed_locked(mbox, wk);
	kmbox_wakeups_queued_locked(mbox, wk, false);
	wk->events |= EPOLLOUT | EPOLLWRNORM;
}

/**
 * kmbox_mailbox_set_attr() - change capacity, message size or mode
 * @mbox: the mailbox
 * @in: new attributes; a field of 0 keeps its value; flags and
 *	region_size must be 0 or the mailbox's own
 *
 * Return: 0, -EPERM (not the owner), -EINVAL, -EBUSY (less capacity than
 * what is held) or -ENOMEM (the owner's bytes_per_user).
 */
int kmbox_mailbox_set_attr(struct kmbox_mailbox *mbox,
			   const struct kmbox_attr *in)
{
	bool privileged = capable(CAP_SYS_RESOURCE);
	struct kmbox_attr attr = *in;
	struct kmbox_wakeups wk;
	u64 charge;
	int ret;

	if (!kmbox_mailbox_is_owner(mbox))
		return -EPERM;

	kmbox_mailbox_lock_figures(mbox);
	kmbox_wakeups_init_locked(mbox, &wk);
	if (attr.flags && attr.flags != mbox->attr_flags) {
		ret = -EINVAL;
		goto out_unlock;
	}
	attr.flags = mbox->attr_flags;
	if (attr.region_size && attr.region_size != mbox->region.size) {
		ret = -EINVAL;
		goto out_unlock;
	}
	attr.region_size = mbox->region.size;
	if (!attr.max_msgs)
		attr.max_msgs = mbox->max_msgs;
	if (!attr.max_msg_size)
		attr.max_msg_size = mbox->max_msg_size;
	if (!attr.max_bytes)
		attr.max_bytes = mbox->max_bytes;
	if (!attr.mode)
		attr.mode = mbox->mode;
	ret = kmbox_limits_check_attr(&attr);
	if (ret)
		goto out_unlock;
	if (attr.max_msgs < mbox->held_msgs + mbox->inflight_msgs ||
	    attr.max_bytes < mbox->held_bytes + mbox->inflight_bytes) {
		ret = -EBUSY;
		goto out_unlock;
	}
	charge = kmbox_limits_charge(&attr);
	ret = kmbox_user_recharge(mbox->user, mbox->charge, charge, privileged);
	if (ret)
		goto out_unlock;
	WRITE_ONCE(mbox->charge, charge);

	WRITE_ONCE(mbox->max_msgs, attr.max_msgs);
	WRITE_ONCE(mbox->max_msg_size, attr.max_msg_size);
	WRITE_ONCE(mbox->max_bytes, attr.max_bytes);
	WRITE_ONCE(mbox->mode, attr.mode);
	kmbox_mailbox_attr_changed_locked(mbox, &wk);
out_unlock:
	kmbox_mailbox_unlock_figures(mbox);
	kmbox_wakeups_flush(mbox, &wk);
	return ret;
}

/**
 * kmbox_mailbox_stat() - the mailbox's figures, as the caller sees them
 * @mbox: the mailbox
 * @st: filled in completely (padding and reserved fields zero)
 *
 * Reads the figures without the lock, retrying while a lock hold changes
 * them (a seqcount): together they are of one moment, and a reader is
 * never held up for longer than a few list operations.
 */
void kmbox_mailbox_stat(struct kmbox_mailbox *mbox, struct kmbox_stat *st)
{
	struct user_namespace *ns = current_user_ns();
	unsigned int seq;
	bool shutdown;

	memset(st, 0, sizeof(*st));
	st->id = mbox->id;
	st->uid = from_kuid_munged(ns, mbox->uid);
	st->gid = from_kgid_munged(ns, mbox->gid);
	if (mbox->name) {
		st->state |= KMBOX_STATE_NAMED;
		strscpy(st->name, mbox->name, sizeof(st->name));
	}
	if (kmbox_registry_is_unlinked(mbox))
		st->state |= KMBOX_STATE_UNLINKED;
	st->blocked_senders = atomic_read(&mbox->blocked_senders);
	st->blocked_receivers = atomic_read(&mbox->blocked_receivers);
	st->region_size = mbox->region.size;
	st->mappings = atomic_read(&mbox->region.mappings);
	do {
		seq = read_seqcount_begin(&mbox->figures_seq);
		st->msgs = READ_ONCE(mbox->held_msgs);
		st->bytes = READ_ONCE(mbox->held_bytes);
		st->max_msgs = READ_ONCE(mbox->max_msgs);
		st->max_msg_size = READ_ONCE(mbox->max_msg_size);
		st->max_bytes = READ_ONCE(mbox->max_bytes);
		st->charge = READ_ONCE(mbox->charge);
		st->senders = READ_ONCE(mbox->senders);
		st->receivers = READ_ONCE(mbox->receivers);
		st->sent = READ_ONCE(mbox->sent);
		st->received = READ_ONCE(mbox->received);
		st->high_water = READ_ONCE(mbox->high_water);
		st->mode = READ_ONCE(mbox->mode);
		shutdown = READ_ONCE(mbox->shutdown);
	} while (read_seqcount_retry(&mbox->figures_seq, seq));
	if (shutdown)
		st->state |= KMBOX_STATE_SHUTDOWN;
	st->attr_flags = mbox->attr_flags;
	st->ring_producers = READ_ONCE(mbox->ring.ends[KMBOX_END_PRODUCER]);
	st->ring_consumers = READ_ONCE(mbox->ring.ends[KMBOX_END_CONSUMER]);
}
