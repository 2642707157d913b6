// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: messages through a mailbox file: write() and read(), and the
 * SEND, RECV, SENDV and RECVV ioctls.
 *
 * Every copy from or to userspace happens here, with no lock held: a
 * message is made (allocated and copied in) once mailbox.c has given it
 * room, and queued after; it is copied out, data then metadata, after
 * mailbox.c has taken it off the queue.  A message whose copy-out faults
 * is given back to the mailbox, which puts it in its place again.
 * Batches move in chunks of up to KMBOX_IO_CHUNK messages and about
 * KMBOX_IO_CHUNK_BYTES of data: two lock holds per chunk to send (room,
 * then queue), two to receive (take, then end).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include <linux/kmbox.h>

#include "clock.h"
#include "mailbox.h"
#include "mailbox_file.h"
#include "mailbox_io.h"
#include "uarg.h"

#define KMBOX_IO_CHUNK		64
#define KMBOX_IO_CHUNK_BYTES	(256 * 1024)

#define KMBOX_SEND_FLAGS \
	(KMBOX_DONTWAIT | KMBOX_TIMEOUT | KMBOX_ABSTIME | KMBOX_NOSIGNAL)
#define KMBOX_RECV_FLAGS \
	(KMBOX_DONTWAIT | KMBOX_PEEK | KMBOX_TIMEOUT | KMBOX_ABSTIME)
#define KMBOX_RECVV_FLAGS \
	(KMBOX_DONTWAIT | KMBOX_TIMEOUT | KMBOX_ABSTIME | KMBOX_WAITFORONE)

/*
 * Make the messages of @km[0..@n) in the room kmbox_mailbox_reserve()
 * took for them, and queue them.  Return: how many were queued, with
 * *@err the error that stopped the others, if any.
 */
static unsigned int kmbox_make_and_queue(struct kmbox_mailbox *mbox,
					 const struct kmbox_msg *km,
					 const size_t *lens, unsigned int n,
					 struct kmbox_message **msgs, int *err)
{
	unsigned int i, made;
	int ret;

	*err = 0;
	for (made = 0; made < n; made++) {
		msgs[made] = kmbox_message_new(u64_to_user_ptr(km[made].buf),
					       lens[made], km[made].priority);
		if (IS_ERR(msgs[made])) {
			*err = PTR_ERR(msgs[made]);
			break;
		}
	}
	ret = kmbox_mailbox_send_end(mbox, msgs, made, lens, n);
	if (ret >= 0)
		return ret;
	for (i = 0; i < made; i++)
		kmbox_message_put(msgs[i]);
	*err = ret;
	return 0;
}

/* Send the message @km describes: its length, or -errno. */
static long kmbox_send_one(struct kmbox_mailbox *mbox,
			   const struct kmbox_msg *km,
			   const struct kmbox_wait *wait)
{
	struct kmbox_message *msg;
	size_t len;
	int err;

	/*
	 * Checked again under the lock; this spares taking it, and keeps
	 * a length above SIZE_MAX (32-bit) from being cut short.
	 */
	if (km->len > READ_ONCE(mbox->max_msg_size))
		return -EMSGSIZE;
	len = km->len;
	err = kmbox_mailbox_reserve(mbox, &len, 1, wait);
	if (err < 0)
		return err;
	if (!kmbox_make_and_queue(mbox, km, &len, 1, &msg, &err))
		return err;
	return len;
}

/* After a failed send: SIGPIPE for EPIPE unless asked not to. */
static long kmbox_send_result(const struct kmbox_wait *wait, u32 flags,
			      long ret)
{
	if (ret == -EPIPE && !(flags & KMBOX_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return kmbox_wait_result(wait, ret);
}

/**
 * kmbox_io_write() - write(): one message of priority 0
 * @file: a mailbox file with the send role (the VFS checked it)
 * @buf: the message
 * @len: its length
 *
 * Return: @len, or -errno as for KMBOX_IOC_SEND; EPIPE raises SIGPIPE.
 */
ssize_t kmbox_io_write(struct file *file, const char __user *buf, size_t len)
{
	struct kmbox_msg km = { .buf = (uintptr_t)buf, .len = len };
	struct kmbox_wait wait;

	kmbox_wait_init(&wait, file, 0, 0);
	return kmbox_send_result(&wait, 0,
				 kmbox_send_one(kmbox_mailbox_file_mbox(file),
						&km, &wait));
}

/**
 * kmbox_io_read() - read(): one message
 * @file: a mailbox file with the receive role (the VFS checked it)
 * @buf: the buffer
 * @len: its length
 *
 * Return: the message's length, 0 at end-of-stream, or -errno as for
 * KMBOX_IOC_RECV.
 */
ssize_t kmbox_io_read(struct file *file, char __user *buf, size_t len)
{
	struct kmbox_mailbox *mbox = kmbox_mailbox_file_mbox(file);
	struct kmbox_rx rx = { .len = len };
	struct kmbox_wait wait;
	size_t msg_len;
	bool fault;
	int ret;

	kmbox_wait_init(&wait, file, 0, 0);
	ret = kmbox_mailbox_recv(mbox, &rx, 1, false, &wait, &msg_len);
	if (ret < 0)
		return ret == -EPIPE ? 0 : ret;
	msg_len = rx.msg->len;
	fault = copy_to_user(buf, rx.msg->data, msg_len);
	kmbox_mailbox_recv_end(mbox, &rx, 1, !fault);
	return fault ? -EFAULT : msg_len;
}

/* The priority and per-message fields of one message to send. */
static int kmbox_check_send_msg(const struct kmbox_msg *km, u32 allowed)
{
	if (km->flags & ~allowed || km->priority > KMBOX_PRIO_MAX)
		return -EINVAL;
	return 0;
}

/**
 * kmbox_io_send() - KMBOX_IOC_SEND
 * @file: a mailbox file
 * @cmd: the command, with the caller's struct size
 * @arg: its struct kmbox_msg
 *
 * Return: the length sent, or -errno.
 */
long kmbox_io_send(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kmbox_wait wait;
	struct kmbox_msg km;
	long ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = kmbox_uarg_copy_in(&km, sizeof(km), cmd, arg);
	if (ret)
		return ret;
	ret = kmbox_check_send_msg(&km, KMBOX_SEND_FLAGS);
	if (ret)
		return ret;
	ret = kmbox_wait_init(&wait, file, km.flags, km.timeout_ns);
	if (ret)
		return ret;
	ret = kmbox_send_one(kmbox_mailbox_file_mbox(file), &km, &wait);
	return kmbox_send_result(&wait, km.flags, ret);
}

/* Output fields are ignored on input: they start from zero. */
static void kmbox_clear_output(struct kmbox_msg *km)
{
	km->priority = 0;
	km->msg_len = 0;
	km->seq = 0;
	km->time_ns = 0;
	km->sender_pid = 0;
	km->sender_uid = 0;
}

/*
 * Copy a received message to the buffer @km names, then @km with the
 * message's metadata to @uout.  Return: 0 or -EFAULT.
 */
static int kmbox_copy_out(struct kmbox_msg *km, struct kmbox_msg __user *uout,
			  const struct kmbox_message *msg)
{
	if (copy_to_user(u64_to_user_ptr(km->buf), msg->data, msg->len))
		return -EFAULT;
	km->msg_len = msg->len;
	km->priority = msg->prio;
	km->seq = msg->seq;
	km->time_ns = kmbox_clock_from_host(msg->time_ns);
	km->sender_pid = pid_nr_ns(msg->sender, task_active_pid_ns(current));
	km->sender_uid = from_kuid_munged(current_user_ns(), msg->sender_euid);
	if (copy_to_user(uout, km, sizeof(*km)))
		return -EFAULT;
	return 0;
}

/* EMSGSIZE of the first message: tell the caller the length it needs. */
static long kmbox_report_size(struct kmbox_msg *km,
			      struct kmbox_msg __user *uout, size_t msg_len)
{
	km->msg_len = msg_len;
	if (copy_to_user(uout, km, sizeof(*km)))
		return -EFAULT;
	return -EMSGSIZE;
}

/**
 * kmbox_io_recv() - KMBOX_IOC_RECV
 * @file: a mailbox file
 * @cmd: the command, with the caller's struct size
 * @arg: its struct kmbox_msg, which gets the metadata
 *
 * Return: the length of the message, or -errno.
 */
long kmbox_io_recv(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kmbox_mailbox *mbox = kmbox_mailbox_file_mbox(file);
	struct kmbox_msg __user *uout = (void __user *)arg;
	struct kmbox_wait wait;
	struct kmbox_msg km;
	struct kmbox_rx rx;
	size_t msg_len;
	bool peek;
	long ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = kmbox_uarg_copy_in(&km, sizeof(km), cmd, arg);
	if (ret)
		return ret;
	if (km.flags & ~KMBOX_RECV_FLAGS)
		return -EINVAL;
	ret = kmbox_wait_init(&wait, file, km.flags, km.timeout_ns);
	if (ret)
		return ret;
	kmbox_clear_output(&km);
	peek = km.flags & KMBOX_PEEK;
	/* No buffer is larger than the address space (32-bit). */
	rx.len = min_t(u64, km.len, SIZE_MAX);
	ret = kmbox_mailbox_recv(mbox, &rx, 1, peek, &wait, &msg_len);
	if (ret == -EMSGSIZE)
		return kmbox_report_size(&km, uout, msg_len);
	if (ret < 0)
		return kmbox_wait_result(&wait, ret);
	ret = kmbox_copy_out(&km, uout, rx.msg);
	if (!ret)
		ret = rx.msg->len;
	if (peek)
		kmbox_mailbox_peek_end(mbox, rx.msg);
	else
		kmbox_mailbox_recv_end(mbox, &rx, 1, ret >= 0);
	return ret;
}

/* The call-level part of SENDV and RECVV. */
static long kmbox_msgv_init(struct kmbox_msgv *mv, struct kmbox_wait *wait,
			    struct file *file, unsigned int cmd,
			    unsigned long arg, u32 allowed)
{
	long ret;

	ret = kmbox_uarg_copy_in(mv, sizeof(*mv), cmd, arg);
	if (ret)
		return ret;
	if (mv->flags & ~allowed || !mv->count || mv->count > KMBOX_MSGV_MAX)
		return -EINVAL;
	return kmbox_wait_init(wait, file, mv->flags, mv->timeout_ns);
}

/*
 * Read @n elements of an array, all at once if they can be read; else
 * those before the first that cannot.  Return: how many were read.
 */
static unsigned int kmbox_copy_elements(struct kmbox_msg *km,
					const struct kmbox_msg __user *umsgs,
					unsigned int n)
{
	unsigned int i;

	if (!copy_from_user(km, umsgs, n * sizeof(*km)))
		return n;
	for (i = 0; i < n; i++)
		if (copy_from_user(&km[i], &umsgs[i], sizeof(*km)))
			break;
	return i;
}

/* Elements, lengths and messages of one chunk of a SENDV. */
struct kmbox_sendv_chunk {
	struct kmbox_msg km[KMBOX_IO_CHUNK];
	size_t lens[KMBOX_IO_CHUNK];
	struct kmbox_message *msgs[KMBOX_IO_CHUNK];
};

/*
 * One chunk of a SENDV: read and check its elements, stopping at the
 * first that cannot be sent, then send those before it, in the room the
 * mailbox gives (waiting for it as @wait allows).  Return: how many were
 * sent, with *@err the error that stopped the chunk short, if any.
 */
static unsigned int kmbox_sendv_chunk(struct kmbox_mailbox *mbox,
				      struct kmbox_msg __user *umsgs,
				      unsigned int n,
				      struct kmbox_sendv_chunk *c,
				      const struct kmbox_wait *wait, int *err)
{
	unsigned int read, k, sent = 0, queued;
	size_t bytes = 0;
	int stop, room;

	read = kmbox_copy_elements(c->km, umsgs, n);
	stop = read < n ? -EFAULT : 0;
	for (k = 0; k < read; k++) {
		const struct kmbox_msg *km = &c->km[k];
		int bad;

		/* The rest goes in the next chunk. */
		if (bytes >= KMBOX_IO_CHUNK_BYTES) {
			stop = 0;
			break;
		}
		bad = kmbox_check_send_msg(km, 0);
		if (!bad && km->timeout_ns)
			bad = -EINVAL;
		if (!bad && km->len > READ_ONCE(mbox->max_msg_size))
			bad = -EMSGSIZE;
		if (bad) {
			stop = bad;
			break;
		}
		c->lens[k] = km->len;
		bytes += km->len;
	}

	*err = 0;
	while (sent < k) {
		room = kmbox_mailbox_reserve(mbox, c->lens + sent, k - sent,
					     wait);
		if (room < 0) {
			*err = room;
			return sent;
		}
		queued = kmbox_make_and_queue(mbox, c->km + sent,
					      c->lens + sent, room,
					      c->msgs + sent, err);
		sent += queued;
		if (*err)
			return sent;
	}
	*err = stop;
	return sent;
}

/**
 * kmbox_io_sendv() - KMBOX_IOC_SENDV
 * @file: a mailbox file
 * @cmd: the command, with the caller's struct size
 * @arg: its struct kmbox_msgv
 *
 * Each message follows the blocking rules, under one deadline, as for
 * sendmmsg().
 *
 * Return: how many were sent, or the error of the first if none was.
 */
long kmbox_io_sendv(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kmbox_mailbox *mbox = kmbox_mailbox_file_mbox(file);
	struct kmbox_msg __user *umsgs;
	struct kmbox_sendv_chunk *c;
	struct kmbox_wait wait;
	struct kmbox_msgv mv;
	unsigned int done = 0;
	long ret;
	int err = 0;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = kmbox_msgv_init(&mv, &wait, file, cmd, arg, KMBOX_SEND_FLAGS);
	if (ret)
		return ret;
	c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	umsgs = u64_to_user_ptr(mv.msgs);
	while (done < mv.count && !err)
		done += kmbox_sendv_chunk(mbox, umsgs + done,
					  min_t(u32, mv.count - done,
						KMBOX_IO_CHUNK),
					  c, &wait, &err);
	kfree(c);
	if (done)
		return done;
	return kmbox_send_result(&wait, mv.flags, err);
}

/* Elements and messages of one chunk of a RECVV. */
struct kmbox_recvv_chunk {
	struct kmbox_msg km[KMBOX_IO_CHUNK];
	struct kmbox_rx rx[KMBOX_IO_CHUNK];
};

/*
 * One chunk of a RECVV from element @first on: read and check the
 * elements, take what the mailbox has for them (waiting as @wait allows
 * if it has nothing), copy each out.  Return: how many were received,
 * with *@err the error that stopped the chunk short, if any.
 */
static unsigned int kmbox_recvv_chunk(struct kmbox_mailbox *mbox,
				      struct kmbox_msg __user *umsgs,
				      unsigned int first, unsigned int n,
				      struct kmbox_recvv_chunk *c,
				      const struct kmbox_wait *wait, int *err)
{
	unsigned int i, k, got;
	size_t msg_len;
	int ret;

	*err = 0;
	n = kmbox_copy_elements(c->km, &umsgs[first], n);
	if (!n) {
		*err = -EFAULT;
		return 0;
	}
	for (k = 0; k < n; k++) {
		if (c->km[k].flags || c->km[k].timeout_ns)
			break;
		kmbox_clear_output(&c->km[k]);
		c->rx[k].len = min_t(u64, c->km[k].len, SIZE_MAX);
	}
	if (!k) {
		*err = -EINVAL;
		return 0;
	}
	ret = kmbox_mailbox_recv(mbox, c->rx, k, false, wait, &msg_len);
	if (ret < 0) {
		/* Only an error of the call's first element is reported. */
		if (ret == -EMSGSIZE && !first)
			ret = kmbox_report_size(&c->km[0], &umsgs[0], msg_len);
		*err = ret;
		return 0;
	}
	got = ret;
	for (i = 0; i < got; i++)
		if (kmbox_copy_out(&c->km[i], &umsgs[first + i], c->rx[i].msg))
			break;
	kmbox_mailbox_recv_end(mbox, c->rx, got, i);
	if (i < got)
		*err = -EFAULT;
	else if (k < n && got == k)
		*err = -EINVAL;
	return i;
}

/**
 * kmbox_io_recvv() - KMBOX_IOC_RECVV
 * @file: a mailbox file
 * @cmd: the command, with the caller's struct size
 * @arg: its struct kmbox_msgv
 *
 * Fills the array, each message following the blocking rules under one
 * deadline, as recvmmsg(); with KMBOX_WAITFORONE only the first waits
 * and the call takes what is ready after it.
 *
 * Return: how many were received, or the error of the first if none was.
 */
long kmbox_io_recvv(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kmbox_mailbox *mbox = kmbox_mailbox_file_mbox(file);
	struct kmbox_recvv_chunk *c;
	struct kmbox_wait wait;
	struct kmbox_msgv mv;
	unsigned int done = 0;
	long ret;
	int err = 0;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = kmbox_msgv_init(&mv, &wait, file, cmd, arg, KMBOX_RECVV_FLAGS);
	if (ret)
		return ret;
	c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	while (done < mv.count && !err) {
		done += kmbox_recvv_chunk(mbox, u64_to_user_ptr(mv.msgs), done,
					  min_t(u32, mv.count - done,
						KMBOX_IO_CHUNK),
					  c, &wait, &err);
		if (done && mv.flags & KMBOX_WAITFORONE)
			wait.nonblock = true;
	}
	kfree(c);
	if (done)
		return done;
	return kmbox_wait_result(&wait, err);
}
