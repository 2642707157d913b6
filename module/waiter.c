// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: tasks asleep in send or receive.
 *
 * A task that must wait puts a struct kmbox_waiter on its stack and on
 * its mailbox's list of waiting senders or receivers, under the mailbox
 * lock, then sleeps.  Whoever changes the mailbox in a way that concerns
 * a waiter serves it under that lock, as ipc/mqueue.c does: a sender
 * hands its message to the first waiting receiver, a receiver that frees
 * room queues the message of a waiting sender, and shutdown, hangup or
 * a change of attributes tell a waiter to look again.  Serving takes the
 * waiter off its list, so each waiter is served at most once, and wakes
 * it after the lock is dropped (struct kmbox_wake_list, as a wake_q).
 * The waiter then returns without taking the lock again.
 *
 * Why no wake-up is lost: a waiter is served by name, not woken to race
 * for the mailbox.  Every change that could let a waiter go on serves
 * it in the same lock hold (mailbox.c keeps that rule), so a waiter
 * still on its list when the lock is dropped is one whose call cannot
 * go on.  The sleep itself is the classic pattern: the task sets its
 * state, then reads @state (a full barrier between them), then sleeps;
 * the waker writes @state, then wakes the task (try_to_wake_up() has a
 * full barrier before it reads the task's state).  Either the waiter
 * sees @state or the waker sees a sleeping task.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include <linux/kmbox.h>

#include "clock.h"
#include "waiter.h"

/**
 * kmbox_wait_init() - how a call may wait: its file's O_NONBLOCK, its
 *	flags and its timeout
 * @wait: set from the rest
 * @file: the file the call is on
 * @flags: the call's KMBOX_DONTWAIT, KMBOX_TIMEOUT and KMBOX_ABSTIME
 * @timeout_ns: relative (KMBOX_TIMEOUT) or a CLOCK_MONOTONIC deadline
 *	(KMBOX_ABSTIME), in the caller's time namespace; otherwise 0
 *
 * Return: 0, or -EINVAL for both timing flags, a timing flag with
 * KMBOX_DONTWAIT, a timeout without a timing flag, or one above
 * KTIME_MAX.
 */
int kmbox_wait_init(struct kmbox_wait *wait, struct file *file, u32 flags,
		    u64 timeout_ns)
{
	u32 timing = flags & (KMBOX_TIMEOUT | KMBOX_ABSTIME);

	if (timing == (KMBOX_TIMEOUT | KMBOX_ABSTIME) ||
	    (timing && flags & KMBOX_DONTWAIT) ||
	    (!timing && timeout_ns) || timeout_ns > KTIME_MAX)
		return -EINVAL;

	wait->nonblock = file->f_flags & O_NONBLOCK || flags & KMBOX_DONTWAIT;
	wait->timed = timing;
	wait->relative = timing == KMBOX_TIMEOUT;
	if (timing == KMBOX_TIMEOUT)
		wait->deadline = ktime_add_safe(ktime_get(),
						ns_to_ktime(timeout_ns));
	else if (timing == KMBOX_ABSTIME)
		wait->deadline = kmbox_clock_to_host(ns_to_ktime(timeout_ns));
	else
		wait->deadline = 0;
	return 0;
}

/**
 * kmbox_wait_result() - the return value of a call that may have waited
 * @wait: how it waited
 * @ret: what it got
 *
 * A call with a relative timeout is not restarted after a signal handler
 * ran, as the timeout would start again (EINTR, as select() does); after
 * a stop or a ptrace attach, when no handler ran, it is.
 *
 * Return: @ret, with -ERESTARTSYS made -ERESTARTNOHAND for a relative
 * timeout.
 */
long kmbox_wait_result(const struct kmbox_wait *wait, long ret)
{
	if (ret == -ERESTARTSYS && wait->relative)
		return -ERESTARTNOHAND;
	return ret;
}

/**
 * kmbox_waiter_add_locked() - put the calling task on a list of waiters
 * @w: its waiter, on its stack
 * @list: the mailbox's list of waiting senders or receivers
 * @lock: the mailbox lock, held
 *
 * The caller sets up @msg, @len and @peek, drops @lock, wakes whom it
 * has to, then calls kmbox_waiter_wait().
 */
void kmbox_waiter_add_locked(struct kmbox_waiter *w, struct list_head *list,
			     spinlock_t *lock)
{
	lockdep_assert_held(lock);
	w->task = current;
	w->result = 0;
	w->state = KMBOX_WAITER_WAITING;
	list_add_tail(&w->node, list);
}

static int kmbox_waiter_state(const struct kmbox_waiter *w)
{
	/* Pairs with the release in kmbox_waiter_wake_locked(). */
	return smp_load_acquire(&w->state);
}

/**
 * kmbox_waiter_wait() - sleep until served, a signal or the deadline
 * @w: a waiter that kmbox_waiter_add_locked() put on a list
 * @lock: the mailbox lock, not held
 * @wait: the deadline
 *
 * Return: 0 when served (see @w->result, and @w->msg for a receiver), 1
 * when told to look again, -ERESTARTSYS or -ETIMEDOUT when it left its
 * list unserved.  In each case @w is off its list.
 */
int kmbox_waiter_wait(struct kmbox_waiter *w, spinlock_t *lock,
		      const struct kmbox_wait *wait)
{
	ktime_t deadline = wait->deadline;
	bool expired = false;
	int ret;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kmbox_waiter_state(w) != KMBOX_WAITER_WAITING)
			break;
		if (signal_pending(current) || expired) {
			__set_current_state(TASK_RUNNING);
			spin_lock(lock);
			/* Served meanwhile: that counts, as in ipc/mqueue.c. */
			if (w->state != KMBOX_WAITER_WAITING) {
				spin_unlock(lock);
				break;
			}
			list_del(&w->node);
			spin_unlock(lock);
			return signal_pending(current) ? -ERESTARTSYS : -ETIMEDOUT;
		}
		if (wait->timed)
			expired = !schedule_hrtimeout_range(&deadline,
						current->timer_slack_ns,
						HRTIMER_MODE_ABS);
		else
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	ret = kmbox_waiter_state(w);
	return ret == KMBOX_WAITER_DONE ? 0 : 1;
}

/**
 * kmbox_wake_list_init() - an empty list of tasks to wake
 * @wl: the list, on the waker's stack
 */
void kmbox_wake_list_init(struct kmbox_wake_list *wl)
{
	wl->n = 0;
}

/* Wake @task now or after the lock is dropped; consumes the reference. */
static void kmbox_wake_list_add(struct kmbox_wake_list *wl,
				struct task_struct *task)
{
	if (wl->n < KMBOX_WAKE_BATCH) {
		wl->tasks[wl->n++] = task;
		return;
	}
	/* Rare (a shutdown with many waiters): correct, just under the lock. */
	wake_up_process(task);
	put_task_struct(task);
}

/**
 * kmbox_wake_list_wake() - wake the tasks of a list, with no lock held
 * @wl: the list; empty afterwards
 *
 * A task may be woken after it has already returned and gone to sleep
 * somewhere else: sleeps in the kernel tolerate such spurious wake-ups,
 * as with a wake_q.
 */
void kmbox_wake_list_wake(struct kmbox_wake_list *wl)
{
	unsigned int i;

	for (i = 0; i < wl->n; i++) {
		wake_up_process(wl->tasks[i]);
		put_task_struct(wl->tasks[i]);
	}
	wl->n = 0;
}

/**
 * kmbox_waiter_wake_locked() - serve a waiter: take it off its list and
 *	wake it once the mailbox lock is dropped
 * @w: a waiting waiter, on a list of the locked mailbox
 * @state: KMBOX_WAITER_DONE or KMBOX_WAITER_RETRY
 * @result: for DONE, the waiter's result (its other fields are set by
 *	the caller before)
 * @wl: where to note the task; the caller wakes the list after unlocking
 */
void kmbox_waiter_wake_locked(struct kmbox_waiter *w, int state, int result,
			      struct kmbox_wake_list *wl)
{
	struct task_struct *task = get_task_struct(w->task);

	list_del(&w->node);
	w->result = result;
	/*
	 * From this store on, the waiter may return and its stack go: @w
	 * must not be touched again, hence the task reference taken above
	 * (the use-after-free that commit a11ddb3 fixed in ipc/mqueue.c).
	 */
	smp_store_release(&w->state, state);
	kmbox_wake_list_add(wl, task);
}

/**
 * kmbox_waiter_wake_all_locked() - tell every waiter of a list to look
 *	at the mailbox again
 * @list: a list of waiters of the locked mailbox
 * @wl: as for kmbox_waiter_wake_locked()
 */
void kmbox_waiter_wake_all_locked(struct list_head *list,
				  struct kmbox_wake_list *wl)
{
	struct kmbox_waiter *w, *next;

	list_for_each_entry_safe(w, next, list, node)
		kmbox_waiter_wake_locked(w, KMBOX_WAITER_RETRY, 0, wl);
}
