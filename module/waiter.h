/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: how a call may wait, and tasks asleep in send or receive.
 */
#ifndef _KMBOX_WAITER_H
#define _KMBOX_WAITER_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct file;
struct kmbox_message;
struct task_struct;

/**
 * struct kmbox_wait - how a send or receive may wait
 * @nonblock: fail with -EAGAIN rather than sleep
 * @timed: @deadline applies
 * @relative: the deadline came from a relative timeout, so the call must
 *	not be restarted after a signal
 * @deadline: the host's CLOCK_MONOTONIC time at which waiting ends with
 *	-ETIMEDOUT
 */
struct kmbox_wait {
	bool nonblock;
	bool timed;
	bool relative;
	ktime_t deadline;
};

/*
 * Tasks one lock hold wakes after the lock is dropped; it wakes any more
 * than these at once.
 */
#define KMBOX_WAKE_BATCH	16

/**
 * struct kmbox_wake_list - tasks to wake once the mailbox lock is dropped
 * @n: how many
 * @tasks: the tasks, each with a reference
 *
 * The kernel's wake_q, which ipc/mqueue.c uses, is not exported to
 * modules; this is its small, bounded equivalent, on the waker's stack.
 */
struct kmbox_wake_list {
	unsigned int n;
	struct task_struct *tasks[KMBOX_WAKE_BATCH];
};

/* struct kmbox_waiter.state */
enum kmbox_waiter_state {
	KMBOX_WAITER_WAITING,	/* on its list, asleep or about to be */
	KMBOX_WAITER_RETRY,	/* taken off its list: look at the mailbox again */
	KMBOX_WAITER_DONE,	/* taken off its list and served: see @result */
};

/**
 * struct kmbox_waiter - a task waiting in send or receive, on its stack
 * @node: link in its mailbox's list of waiting senders or receivers
 * @task: the task
 * @msg: receive: the message a waker handed over (with PEEK, a
 *	reference to a queued message)
 * @len: send: the length of the message it needs room for; receive: the
 *	size of the buffer
 * @msg_len: receive, served with -EMSGSIZE: length of the message that
 *	did not fit
 * @peek: receive with KMBOX_PEEK: takes nothing, gets a reference
 * @result: once DONE: 0, or -EMSGSIZE for a receiver
 * @state: enum kmbox_waiter_state
 *
 * The mailbox lock protects every field while the waiter is on a list.
 * A waker takes it off the list, then publishes @state with a release;
 * from then on the waiter owns it again and may return at once, so the
 * waker must not touch it any more.
 */
struct kmbox_waiter {
	struct list_head node;
	struct task_struct *task;
	struct kmbox_message *msg;
	size_t len;
	size_t msg_len;
	bool peek;
	int result;
	int state;
};

int kmbox_wait_init(struct kmbox_wait *wait, struct file *file, u32 flags,
		    u64 timeout_ns);
long kmbox_wait_result(const struct kmbox_wait *wait, long ret);

void kmbox_waiter_add_locked(struct kmbox_waiter *w,
			     struct list_head *list, spinlock_t *lock);
int kmbox_waiter_wait(struct kmbox_waiter *w,
		      spinlock_t *lock, const struct kmbox_wait *wait);
void kmbox_waiter_wake_locked(struct kmbox_waiter *w, int state, int result,
			      struct kmbox_wake_list *wl);
void kmbox_waiter_wake_all_locked(struct list_head *list,
				  struct kmbox_wake_list *wl);
void kmbox_wake_list_init(struct kmbox_wake_list *wl);
void kmbox_wake_list_wake(struct kmbox_wake_list *wl);

#endif /* _KMBOX_WAITER_H */
