// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the mailbox object.
 *
 * A mailbox is a priority queue of messages (queue.c) with two wait
 * queues, one for receivers and one for senders, in the manner of
 * fs/pipe.c.  Its mutex protects the queue; messages are copied in before
 * it is taken and copied out while it is held, so a receiver that faults
 * leaves the message queued.
 *
 * Waiting.  A sender or receiver that cannot go on drops the mutex and
 * sleeps exclusively on its wait queue until a predicate, read with
 * READ_ONCE, says it may try again; it then retakes the mutex and checks
 * for real.  Pollers (poll, select, epoll) wait on a third queue of their
 * own.  Wake-ups happen after the mutex is dropped and only when somebody
 * waits: one full barrier (smp_mb() or wq_has_sleeper()) pairs with the
 * barrier in prepare_to_wait_*() for sleepers and with the smp_mb()
 * after poll_wait() for pollers, then the queues are looked at.  A
 * change of state wakes one sleeper and every poller, with an event key
 * so that epoll sees which event happened.
 *
 * A wake-up must never be lost.  A woken task that does not use it - a
 * signal or a timeout, a receiver that only peeks or whose buffer is too
 * small, a sender whose message still does not fit - hands it on to the
 * next sleeper, without waking pollers, for whom nothing changed.  A
 * sender that leaves room behind it wakes the next sender.  A sender
 * hands a wake-up on at most once per freeing of room, so senders whose
 * messages do not fit cannot wake each other for ever.
 *
 * A message is never handed directly to a sleeping task: the woken task
 * takes it from the queue itself.  That costs a mutex round trip but
 * cannot touch a waiter's stack after it has returned (the race fixed in
 * ipc/mqueue.c by commit a11ddb3).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "limits.h"
#include "mailbox.h"
#include "registry.h"

/**
 * kmbox_mailbox_new() - make a mailbox, charged to the calling user
 * @name: its name (the mailbox takes it over and kfree()s it), or NULL
 * @attr: its attributes, checked by kmbox_limits_check_attr()
 *
 * The new mailbox holds one reference and is not registered yet.
 *
 * Return: the mailbox, or ERR_PTR(-ENOMEM) or ERR_PTR(-ENOSPC) from the
 * per-user limits or the allocation of the region.  On error @name is
 * freed.
 */
struct kmbox_mailbox *kmbox_mailbox_new(const char *name,
					const struct kmbox_attr *attr)
{
	bool privileged = capable(CAP_SYS_RESOURCE);
	struct kmbox_mailbox *mbox;
	struct kmbox_user *user;
	int err;

	mbox = kzalloc(sizeof(*mbox), GFP_KERNEL_ACCOUNT);
	if (!mbox) {
		err = -ENOMEM;
		goto err_free_name;
	}
	user = kmbox_user_charge(current_fsuid(),
				 attr->max_bytes + attr->region_size, privileged);
	if (IS_ERR(user)) {
		err = PTR_ERR(user);
		goto err_free_mbox;
	}
	err = kmbox_region_init(&mbox->region, attr->region_size);
	if (err)
		goto err_uncharge;

	kref_init(&mbox->ref);
	mbox->name = name;
	mbox->uid = current_fsuid();
	mbox->gid = current_fsgid();
	mbox->user = user;
	INIT_LIST_HEAD(&mbox->all_node);
	INIT_HLIST_NODE(&mbox->name_node);
	mutex_init(&mbox->lock);
	kmbox_queue_init(&mbox->queue);
	mbox->max_msgs = attr->max_msgs;
	mbox->max_msg_size = attr->max_msg_size;
	mbox->max_bytes = attr->max_bytes;
	mbox->mode = attr->mode;
	mbox->attr_flags = attr->flags;
	init_waitqueue_head(&mbox->recv_wait);
	init_waitqueue_head(&mbox->send_wait);
	init_waitqueue_head(&mbox->poll_wait);
	atomic_set(&mbox->blocked_senders, 0);
	atomic_set(&mbox->blocked_receivers, 0);
	kmbox_ring_init(&mbox->ring);
	return mbox;

err_uncharge:
	kmbox_user_uncharge(user, attr->max_bytes + attr->region_size);
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
	kref_get(&mbox->ref);
}

/* Last reference gone: called with kmbox_registry_lock held, drops it. */
static void kmbox_mailbox_release(struct kref *ref)
{
	struct kmbox_mailbox *mbox = container_of(ref, struct kmbox_mailbox, ref);

	kmbox_registry_remove_locked(mbox);
	mutex_unlock(&kmbox_registry_lock);

	kmbox_queue_purge(&mbox->queue);
	kmbox_region_destroy(&mbox->region);
	kmbox_user_uncharge(mbox->user, mbox->max_bytes + mbox->region.size);
	mutex_destroy(&mbox->lock);
	kfree(mbox->name);
	kfree(mbox);
}

/**
 * kmbox_mailbox_put() - drop a reference; the last one frees the mailbox
 * @mbox: the mailbox
 */
void kmbox_mailbox_put(struct kmbox_mailbox *mbox)
{
	kref_put_mutex(&mbox->ref, kmbox_mailbox_release, &kmbox_registry_lock);
}

/**
 * kmbox_mailbox_is_owner() - may the caller unlink or change the mailbox
 * @mbox: the mailbox
 *
 * Return: true if the caller's fsuid owns it or it has CAP_SYS_ADMIN.
 */
bool kmbox_mailbox_is_owner(const struct kmbox_mailbox *mbox)
{
	return uid_eq(current_fsuid(), mbox->uid) || capable(CAP_SYS_ADMIN);
}

/**
 * kmbox_mailbox_may_open() - permission check for opening an existing
 *	mailbox, as for a file
 * @mbox: the mailbox
 * @fmode: FMODE_READ for the receive role, FMODE_WRITE for the send role
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
	if ((mode & want) == want || capable(CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/* Hand a wake-up to the first task sleeping on @sleepers, if any. */
static void kmbox_wake_sleeper(wait_queue_head_t *sleepers)
{
	if (wq_has_sleeper(sleepers))
		wake_up_interruptible(sleepers);
}

/* Wake every poller waiting for one of @events. */
static void kmbox_wake_pollers(struct kmbox_mailbox *mbox, __poll_t events)
{
	if (wq_has_sleeper(&mbox->poll_wait))
		wake_up_interruptible_poll(&mbox->poll_wait, events);
}

/*
 * The state changed for one side, under the mutex now dropped: wake one
 * task of @sleepers, one of @next too if not NULL, and every poller.  One
 * full barrier, pairing with prepare_to_wait_*() in the sleepers and the
 * smp_mb() in kmbox_mailbox_poll(), serves every queue looked at after it.
 */
static void kmbox_wake(struct kmbox_mailbox *mbox, wait_queue_head_t *sleepers,
		       wait_queue_head_t *next, __poll_t events)
{
	/* Orders the caller's change before the looks at the queues below. */
	smp_mb();
	/* Lockless looks, made safe by the barrier above. */
	if (waitqueue_active(sleepers))
		wake_up_interruptible(sleepers);
	/* Likewise. */
	if (next && waitqueue_active(next))
		wake_up_interruptible(next);
	/* Likewise. */
	if (waitqueue_active(&mbox->poll_wait))
		wake_up_interruptible_poll(&mbox->poll_wait, events);
}

/**
 * kmbox_mailbox_wake_all() - the state changed for all of one side: wake
 *	every sleeper of @sleepers and every poller
 * @mbox: the mailbox, unlocked
 * @sleepers: a wait queue of the mailbox
 * @events: the poll events to report
 */
void kmbox_mailbox_wake_all(struct kmbox_mailbox *mbox,
			    wait_queue_head_t *sleepers, __poll_t events)
{
	wake_up_interruptible_all(sleepers);
	kmbox_wake_pollers(mbox, events);
}

/**
 * kmbox_mailbox_attach() - count a new file's role
 * @mbox: the mailbox
 * @fmode: the file's FMODE_READ (receive) and FMODE_WRITE (send) bits
 */
void kmbox_mailbox_attach(struct kmbox_mailbox *mbox, fmode_t fmode)
{
	mutex_lock(&mbox->lock);
	if (fmode & FMODE_WRITE) {
		WRITE_ONCE(mbox->senders, mbox->senders + 1);
		WRITE_ONCE(mbox->had_sender, true);
	}
	if (fmode & FMODE_READ) {
		WRITE_ONCE(mbox->receivers, mbox->receivers + 1);
		WRITE_ONCE(mbox->had_receiver, true);
	}
	mutex_unlock(&mbox->lock);
}

/**
 * kmbox_mailbox_detach() - uncount a closing file's role
 * @mbox: the mailbox
 * @fmode: the file's FMODE_READ and FMODE_WRITE bits
 *
 * In hangup mode, the last sender leaving wakes the receivers (they will
 * see end-of-stream once the queue is empty), and the last receiver
 * leaving wakes the senders (they will get EPIPE).
 */
void kmbox_mailbox_detach(struct kmbox_mailbox *mbox, fmode_t fmode)
{
	bool hangup = mbox->attr_flags & KMBOX_ATTR_HANGUP;
	bool wake_recv = false, wake_send = false;

	mutex_lock(&mbox->lock);
	if (fmode & FMODE_WRITE) {
		WRITE_ONCE(mbox->senders, mbox->senders - 1);
		wake_recv = hangup && !mbox->senders;
	}
	if (fmode & FMODE_READ) {
		WRITE_ONCE(mbox->receivers, mbox->receivers - 1);
		wake_send = hangup && !mbox->receivers;
	}
	mutex_unlock(&mbox->lock);

	if (wake_recv)
		kmbox_mailbox_wake_all(mbox, &mbox->recv_wait, EPOLLHUP);
	if (wake_send)
		kmbox_mailbox_wake_all(mbox, &mbox->send_wait, EPOLLERR);
}

/*
 * The predicates below are read without the mutex: they only decide
 * whether to sleep; the caller checks again under the mutex.
 */

/* Receivers can never get more: shut down, or hangup with no sender. */
static bool kmbox_mailbox_senders_gone(const struct kmbox_mailbox *mbox)
{
	return READ_ONCE(mbox->shutdown) ||
	       (mbox->attr_flags & KMBOX_ATTR_HANGUP &&
		READ_ONCE(mbox->had_sender) && !READ_ONCE(mbox->senders));
}

/* Sending must fail with EPIPE: shut down, or hangup with no receiver. */
static bool kmbox_mailbox_receivers_gone(const struct kmbox_mailbox *mbox)
{
	return READ_ONCE(mbox->shutdown) ||
	       (mbox->attr_flags & KMBOX_ATTR_HANGUP &&
		READ_ONCE(mbox->had_receiver) && !READ_ONCE(mbox->receivers));
}

/* One more message of @len bytes fits. */
static bool kmbox_mailbox_fits(const struct kmbox_mailbox *mbox, size_t len)
{
	return READ_ONCE(mbox->queue.msgs) < READ_ONCE(mbox->max_msgs) &&
	       READ_ONCE(mbox->queue.bytes) + len <= READ_ONCE(mbox->max_bytes);
}

static bool kmbox_mailbox_recv_ready(const struct kmbox_mailbox *mbox,
				     const void *unused)
{
	return READ_ONCE(mbox->queue.msgs) || kmbox_mailbox_senders_gone(mbox);
}

/* @arg: the size_t length of the message to send. */
static bool kmbox_mailbox_send_ready(const struct kmbox_mailbox *mbox,
				     const void *arg)
{
	return kmbox_mailbox_fits(mbox, *(const size_t *)arg) ||
	       kmbox_mailbox_receivers_gone(mbox);
}

/**
 * kmbox_mailbox_sleep() - sleep until a predicate holds
 * @mbox: the mailbox, not locked by the caller
 * @wq: the wait queue to sleep on, exclusively
 * @ready: the predicate, read without the mutex
 * @arg: passed to @ready
 * @wait: whether and how long to sleep
 *
 * Return: 0 when @ready(@mbox, @arg) holds (not a promise: the caller
 * checks again under the mutex), -EAGAIN for a call that may not sleep,
 * -ERESTARTSYS or -ETIMEDOUT.
 */
int kmbox_mailbox_sleep(struct kmbox_mailbox *mbox, wait_queue_head_t *wq,
			kmbox_ready_t ready, const void *arg,
			const struct kmbox_wait *wait)
{
	ktime_t deadline = wait->deadline;
	bool expired = false;
	DEFINE_WAIT(entry);
	int ret = 0;

	if (wait->nonblock)
		return -EAGAIN;

	for (;;) {
		prepare_to_wait_exclusive(wq, &entry, TASK_INTERRUPTIBLE);
		if (ready(mbox, arg))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (expired) {
			ret = -ETIMEDOUT;
			break;
		}
		if (wait->timed)
			expired = !schedule_hrtimeout_range(&deadline,
						current->timer_slack_ns,
						HRTIMER_MODE_ABS);
		else
			schedule();
	}
	finish_wait(wq, &entry);
	return ret;
}

/*
 * Sleep as a blocked sender or receiver.  A task that leaves without
 * using its wake-up (signal, timeout) hands it to the next sleeper.
 */
static int kmbox_mailbox_wait(struct kmbox_mailbox *mbox,
			      wait_queue_head_t *wq, atomic_t *blocked,
			      kmbox_ready_t ready, size_t len,
			      const struct kmbox_wait *wait)
{
	static const size_t any_len;
	int ret;

	if (wait->nonblock)
		return -EAGAIN;

	atomic_inc(blocked);
	ret = kmbox_mailbox_sleep(mbox, wq, ready, &len, wait);
	atomic_dec(blocked);

	if (ret && ready(mbox, &any_len))
		kmbox_wake_sleeper(wq);
	return ret;
}

static void kmbox_mailbox_enqueue_locked(struct kmbox_mailbox *mbox,
					 struct kmbox_message *msg)
{
	lockdep_assert_held(&mbox->lock);
	msg->seq = ++mbox->next_seq;
	msg->time_ns = ktime_get_ns();
	kmbox_queue_push(&mbox->queue, msg);
	mbox->sent++;
	if (mbox->queue.msgs > mbox->high_water)
		mbox->high_water = mbox->queue.msgs;
}

/**
 * kmbox_mailbox_send() - queue one message
 * @mbox: the mailbox
 * @buf: the message in userspace
 * @len: its length
 * @prio: its priority, 0 to KMBOX_PRIO_MAX
 * @wait: whether and how long to sleep while the mailbox is full
 *
 * Return: @len, or -EMSGSIZE, -ENOMEM, -EFAULT (nothing queued), -EPIPE
 * (shut down, or no receiver left in hangup mode; the caller raises
 * SIGPIPE), -EAGAIN, -ETIMEDOUT or -ERESTARTSYS.
 */
ssize_t kmbox_mailbox_send(struct kmbox_mailbox *mbox, const void __user *buf,
			   size_t len, u32 prio, const struct kmbox_wait *wait)
{
	u64 handed_on = U64_MAX;
	struct kmbox_message *msg;
	bool was_empty, room_left;
	int ret;

	if (len > READ_ONCE(mbox->max_msg_size))
		return -EMSGSIZE;
	msg = kmbox_message_new(buf, len, prio);
	if (IS_ERR(msg))
		return PTR_ERR(msg);

	for (;;) {
		bool hand_on = false;

		mutex_lock(&mbox->lock);
		if (kmbox_mailbox_receivers_gone(mbox)) {
			ret = -EPIPE;
			goto err_unlock;
		}
		if (len > mbox->max_msg_size) {
			ret = -EMSGSIZE;
			goto err_unlock;
		}
		if (kmbox_mailbox_fits(mbox, len))
			break;
		/*
		 * Not enough room for this message; maybe for the next
		 * sender's.  Hand the wake-up on, once per freeing of room
		 * (mbox->received counts them).
		 */
		if (handed_on != mbox->received && kmbox_mailbox_fits(mbox, 0)) {
			handed_on = mbox->received;
			hand_on = true;
		}
		mutex_unlock(&mbox->lock);
		if (hand_on)
			kmbox_wake_sleeper(&mbox->send_wait);
		ret = kmbox_mailbox_wait(mbox, &mbox->send_wait,
					 &mbox->blocked_senders,
					 kmbox_mailbox_send_ready, len, wait);
		if (ret)
			goto err_free_msg;
	}
	was_empty = !mbox->queue.msgs;
	kmbox_mailbox_enqueue_locked(mbox, msg);
	room_left = kmbox_mailbox_fits(mbox, 0);
	mutex_unlock(&mbox->lock);

	/* A sender that leaves room behind it wakes the next sender. */
	kmbox_wake(mbox, &mbox->recv_wait, room_left ? &mbox->send_wait : NULL,
		   EPOLLIN | EPOLLRDNORM);
	if (was_empty)
		kill_fasync(&mbox->fasync, SIGIO, POLL_IN);
	return len;

err_unlock:
	mutex_unlock(&mbox->lock);
err_free_msg:
	kmbox_message_free(msg);
	return ret;
}

/**
 * kmbox_mailbox_recv() - hand the next message to @deliver, and dequeue it
 * @mbox: the mailbox
 * @peek: leave the message queued
 * @wait: whether and how long to sleep while the mailbox is empty
 * @deliver: copies the message out, with the mailbox locked
 * @ctx: passed to @deliver
 *
 * The message is dequeued only if @deliver succeeded.
 *
 * Return: what @deliver returned (the length, -EMSGSIZE or -EFAULT), or
 * -EPIPE at end-of-stream, -EAGAIN, -ETIMEDOUT or -ERESTARTSYS.
 */
ssize_t kmbox_mailbox_recv(struct kmbox_mailbox *mbox, bool peek,
			   const struct kmbox_wait *wait,
			   kmbox_deliver_t deliver, void *ctx)
{
	struct kmbox_message *msg;
	int ret;

	for (;;) {
		mutex_lock(&mbox->lock);
		msg = kmbox_queue_peek(&mbox->queue);
		if (msg)
			break;
		if (kmbox_mailbox_senders_gone(mbox)) {
			mutex_unlock(&mbox->lock);
			return -EPIPE;
		}
		mutex_unlock(&mbox->lock);
		ret = kmbox_mailbox_wait(mbox, &mbox->recv_wait,
					 &mbox->blocked_receivers,
					 kmbox_mailbox_recv_ready, 0, wait);
		if (ret)
			return ret;
	}

	ret = deliver(ctx, msg);
	if (ret < 0 || peek) {
		/* The message stays: it may be the one a sleeper awaits. */
		mutex_unlock(&mbox->lock);
		kmbox_wake_sleeper(&mbox->recv_wait);
		return ret;
	}
	kmbox_queue_remove(&mbox->queue, msg);
	mbox->received++;
	mutex_unlock(&mbox->lock);

	kmbox_message_free(msg);
	kmbox_wake(mbox, &mbox->send_wait, NULL, EPOLLOUT | EPOLLWRNORM);
	return ret;
}

/**
 * kmbox_mailbox_shutdown() - end the mailbox for good
 * @mbox: the mailbox
 *
 * Sending fails with EPIPE from now on; receivers drain the queue and then
 * see end-of-stream.  Every sleeper on both sides wakes.
 */
void kmbox_mailbox_shutdown(struct kmbox_mailbox *mbox)
{
	mutex_lock(&mbox->lock);
	WRITE_ONCE(mbox->shutdown, true);
	mutex_unlock(&mbox->lock);

	kmbox_mailbox_wake_all(mbox, &mbox->recv_wait, EPOLLIN | EPOLLRDNORM | EPOLLHUP);
	kmbox_mailbox_wake_all(mbox, &mbox->send_wait, EPOLLOUT | EPOLLERR);
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
	/*
	 * Pairs with the barrier of the wakers (kmbox_wake(), and
	 * wq_has_sleeper() in kmbox_wake_pollers()): either the waker sees
	 * us on the queue or we see its change.
	 */
	smp_mb();

	if (file->f_mode & FMODE_READ) {
		if (READ_ONCE(mbox->queue.msgs))
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (kmbox_mailbox_senders_gone(mbox))
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
	mutex_lock(&mbox->lock);
	attr->max_msgs = mbox->max_msgs;
	attr->max_msg_size = mbox->max_msg_size;
	attr->max_bytes = mbox->max_bytes;
	attr->mode = mbox->mode;
	attr->flags = mbox->attr_flags;
	attr->region_size = mbox->region.size;
	mutex_unlock(&mbox->lock);
}

/**
 * kmbox_mailbox_set_attr() - change capacity, message size or mode
 * @mbox: the mailbox
 * @in: new attributes; a field of 0 keeps its value; flags and
 *	region_size must be 0 or the mailbox's own
 *
 * Return: 0, -EPERM (not the owner), -EINVAL, -EBUSY (less capacity than
 * what is queued) or -ENOMEM (the owner's bytes_per_user).
 */
int kmbox_mailbox_set_attr(struct kmbox_mailbox *mbox,
			   const struct kmbox_attr *in)
{
	bool privileged = capable(CAP_SYS_RESOURCE);
	struct kmbox_attr attr = *in;
	bool grew;
	int ret;

	if (!kmbox_mailbox_is_owner(mbox))
		return -EPERM;

	mutex_lock(&mbox->lock);
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
	if (attr.max_msgs < mbox->queue.msgs ||
	    attr.max_bytes < mbox->queue.bytes) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = kmbox_user_recharge(mbox->user, mbox->max_bytes, attr.max_bytes,
				  privileged);
	if (ret)
		goto out_unlock;

	grew = attr.max_msgs > mbox->max_msgs ||
	       attr.max_bytes > mbox->max_bytes ||
	       attr.max_msg_size > mbox->max_msg_size;
	WRITE_ONCE(mbox->max_msgs, attr.max_msgs);
	WRITE_ONCE(mbox->max_msg_size, attr.max_msg_size);
	WRITE_ONCE(mbox->max_bytes, attr.max_bytes);
	WRITE_ONCE(mbox->mode, attr.mode);
	mutex_unlock(&mbox->lock);

	if (grew)
		kmbox_mailbox_wake_all(mbox, &mbox->send_wait, EPOLLOUT | EPOLLWRNORM);
	return 0;

out_unlock:
	mutex_unlock(&mbox->lock);
	return ret;
}

/**
 * kmbox_mailbox_stat() - the mailbox's figures, as the caller sees them
 * @mbox: the mailbox
 * @st: filled in completely (padding and reserved fields zero)
 */
void kmbox_mailbox_stat(struct kmbox_mailbox *mbox, struct kmbox_stat *st)
{
	struct user_namespace *ns = current_user_ns();

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

	mutex_lock(&mbox->lock);
	st->msgs = mbox->queue.msgs;
	st->bytes = mbox->queue.bytes;
	st->max_msgs = mbox->max_msgs;
	st->max_msg_size = mbox->max_msg_size;
	st->max_bytes = mbox->max_bytes;
	st->senders = mbox->senders;
	st->receivers = mbox->receivers;
	st->sent = mbox->sent;
	st->received = mbox->received;
	st->high_water = mbox->high_water;
	st->mode = mbox->mode;
	st->attr_flags = mbox->attr_flags;
	st->ring_producers = mbox->ring.ends[KMBOX_END_PRODUCER];
	st->ring_consumers = mbox->ring.ends[KMBOX_END_CONSUMER];
	if (mbox->shutdown)
		st->state |= KMBOX_STATE_SHUTDOWN;
	mutex_unlock(&mbox->lock);
}
