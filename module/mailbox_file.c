// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: mailbox file descriptors.
 *
 * A mailbox file is an anonymous-inode file whose private data holds a
 * reference to its mailbox.  Its role is its access mode, as for the two
 * ends of a pipe: FMODE_WRITE may send, FMODE_READ may receive, so the
 * VFS itself refuses read() or write() without the role (EBADF), and
 * mmap() of the region follows the rules of a file's mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include <linux/kmbox.h>

#include "mailbox.h"
#include "mailbox_file.h"
#include "region.h"
#include "ring.h"
#include "uarg.h"

/**
 * struct kmbox_file - private data of a mailbox file
 * @mbox: the mailbox, one reference
 * @ring_side: KMBOX_RING_PRODUCER or KMBOX_RING_CONSUMER once the file has
 *	joined the ring, else 0; set once, by cmpxchg()
 * @ring_seen: count of the file's doorbell when it joined or its last
 *	KMBOX_IOC_RING_WAIT returned 0, for poll()
 */
struct kmbox_file {
	struct kmbox_mailbox *mbox;
	u32 ring_side;
	u64 ring_seen;
};

/**
 * kmbox_mailbox_file_mbox() - the mailbox of a mailbox file
 * @file: a file made by kmbox_mailbox_file_install()
 *
 * Return: the mailbox, which lives at least as long as @file.
 */
struct kmbox_mailbox *kmbox_mailbox_file_mbox(struct file *file)
{
	struct kmbox_file *kf = file->private_data;

	return kf->mbox;
}

#define KMBOX_SEND_FLAGS \
	(KMBOX_DONTWAIT | KMBOX_TIMEOUT | KMBOX_ABSTIME | KMBOX_NOSIGNAL)
#define KMBOX_RECV_FLAGS \
	(KMBOX_DONTWAIT | KMBOX_PEEK | KMBOX_TIMEOUT | KMBOX_ABSTIME)

/* How a call may wait: the file's O_NONBLOCK and the call's flags. */
static int kmbox_wait_init(struct kmbox_wait *wait, struct file *file,
			   u32 flags, u64 timeout_ns)
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
	else
		wait->deadline = ns_to_ktime(timeout_ns);
	return 0;
}

/*
 * A call with a relative timeout is not restarted after a signal handler
 * ran, as the timeout would start again (EINTR, as select() does); after
 * a stop or a ptrace attach, when no handler ran, it is.
 */
static long kmbox_wait_result(const struct kmbox_wait *wait, long ret)
{
	if (ret == -ERESTARTSYS && wait->relative)
		return -ERESTARTNOHAND;
	return ret;
}

/* write(): one message of priority 0. */
static ssize_t kmbox_mailbox_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *ppos)
{
	struct kmbox_wait wait;
	ssize_t ret;

	kmbox_wait_init(&wait, file, 0, 0);
	ret = kmbox_mailbox_send(kmbox_mailbox_file_mbox(file), buf, len, 0, &wait);
	if (ret == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return ret;
}

struct kmbox_read_ctx {
	char __user *buf;
	size_t len;
};

static int kmbox_deliver_read(void *ctx, const struct kmbox_message *msg)
{
	struct kmbox_read_ctx *rd = ctx;

	if (msg->len > rd->len)
		return -EMSGSIZE;
	if (copy_to_user(rd->buf, msg->data, msg->len))
		return -EFAULT;
	return msg->len;
}

/* read(): one message; 0 at end-of-stream. */
static ssize_t kmbox_mailbox_read(struct file *file, char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct kmbox_read_ctx rd = { .buf = buf, .len = len };
	struct kmbox_wait wait;
	ssize_t ret;

	kmbox_wait_init(&wait, file, 0, 0);
	ret = kmbox_mailbox_recv(kmbox_mailbox_file_mbox(file), false, &wait,
				 kmbox_deliver_read, &rd);
	return ret == -EPIPE ? 0 : ret;
}

/* The priority and per-message fields of one message to send. */
static int kmbox_check_send_msg(const struct kmbox_msg *km, u32 allowed)
{
	if (km->flags & ~allowed || km->priority > KMBOX_PRIO_MAX)
		return -EINVAL;
	return 0;
}

/* After a failed send: SIGPIPE for EPIPE unless asked not to. */
static long kmbox_send_result(const struct kmbox_wait *wait, u32 flags,
			      long ret)
{
	if (ret == -EPIPE && !(flags & KMBOX_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return kmbox_wait_result(wait, ret);
}

static long kmbox_ioctl_send(struct file *file, unsigned int cmd,
			     unsigned long arg)
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
	ret = kmbox_mailbox_send(kmbox_mailbox_file_mbox(file), u64_to_user_ptr(km.buf),
				 km.len, km.priority, &wait);
	return kmbox_send_result(&wait, km.flags, ret);
}

struct kmbox_recv_ctx {
	struct kmbox_msg km;
	struct kmbox_msg __user *uout;
	bool report_size;	/* on EMSGSIZE, write msg_len back */
};

/*
 * KMBOX_IOC_RECV and RECVV: the data and the metadata both reach
 * userspace before the message is dequeued, so a fault on either loses
 * nothing.
 */
static int kmbox_deliver_recv(void *ctx, const struct kmbox_message *msg)
{
	struct kmbox_recv_ctx *rc = ctx;
	struct kmbox_msg *km = &rc->km;

	km->msg_len = msg->len;
	if (msg->len > km->len) {
		/* Tell the caller the size it needs, if this error is its. */
		if (rc->report_size && copy_to_user(rc->uout, km, sizeof(*km)))
			return -EFAULT;
		return -EMSGSIZE;
	}
	if (copy_to_user(u64_to_user_ptr(km->buf), msg->data, msg->len))
		return -EFAULT;
	km->priority = msg->prio;
	km->seq = msg->seq;
	km->time_ns = msg->time_ns;
	km->sender_pid = pid_nr_ns(msg->sender, task_active_pid_ns(current));
	km->sender_uid = from_kuid_munged(current_user_ns(), msg->sender_euid);
	if (copy_to_user(rc->uout, km, sizeof(*km)))
		return -EFAULT;
	return msg->len;
}

/* Receive one message into @rc->km's buffer, its metadata to @rc->uout. */
static long kmbox_recv_one(struct file *file, struct kmbox_recv_ctx *rc,
			   bool peek, const struct kmbox_wait *wait)
{
	/* Output fields are ignored on input: start them from zero. */
	rc->km.priority = 0;
	rc->km.msg_len = 0;
	rc->km.seq = 0;
	rc->km.time_ns = 0;
	rc->km.sender_pid = 0;
	rc->km.sender_uid = 0;
	return kmbox_mailbox_recv(kmbox_mailbox_file_mbox(file), peek, wait,
				  kmbox_deliver_recv, rc);
}

static long kmbox_ioctl_recv(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct kmbox_recv_ctx rc = {
		.uout = (void __user *)arg,
		.report_size = true,
	};
	struct kmbox_wait wait;
	long ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = kmbox_uarg_copy_in(&rc.km, sizeof(rc.km), cmd, arg);
	if (ret)
		return ret;
	if (rc.km.flags & ~KMBOX_RECV_FLAGS)
		return -EINVAL;
	ret = kmbox_wait_init(&wait, file, rc.km.flags, rc.km.timeout_ns);
	if (ret)
		return ret;
	ret = kmbox_recv_one(file, &rc, rc.km.flags & KMBOX_PEEK, &wait);
	return kmbox_wait_result(&wait, ret);
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
 * KMBOX_IOC_SENDV: each message follows the blocking rules, under one
 * deadline, as for sendmmsg(); returns how many were sent, or the error
 * of the first if none was.
 */
static long kmbox_ioctl_sendv(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kmbox_msg __user *umsgs;
	struct kmbox_wait wait;
	struct kmbox_msgv mv;
	struct kmbox_msg km;
	long ret = 0;
	u32 i;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = kmbox_msgv_init(&mv, &wait, file, cmd, arg, KMBOX_SEND_FLAGS);
	if (ret)
		return ret;
	umsgs = u64_to_user_ptr(mv.msgs);
	for (i = 0; i < mv.count; i++) {
		if (copy_from_user(&km, &umsgs[i], sizeof(km))) {
			ret = -EFAULT;
			break;
		}
		ret = kmbox_check_send_msg(&km, 0);
		if (!ret && km.timeout_ns)
			ret = -EINVAL;
		if (ret)
			break;
		ret = kmbox_mailbox_send(kmbox_mailbox_file_mbox(file),
					 u64_to_user_ptr(km.buf), km.len,
					 km.priority, &wait);
		if (ret < 0)
			break;
	}
	if (i)
		return i;
	return kmbox_send_result(&wait, mv.flags, ret);
}

/*
 * KMBOX_IOC_RECVV: fills the array, each message following the blocking
 * rules under one deadline, as recvmmsg(); with KMBOX_WAITFORONE only the
 * first waits and the call takes what is ready after it.  Returns how
 * many were received, or the error of the first if none was.
 */
static long kmbox_ioctl_recvv(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kmbox_recv_ctx rc;
	struct kmbox_wait wait;
	struct kmbox_msgv mv;
	long ret = 0;
	u32 i;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = kmbox_msgv_init(&mv, &wait, file, cmd, arg,
			      KMBOX_DONTWAIT | KMBOX_TIMEOUT | KMBOX_ABSTIME |
			      KMBOX_WAITFORONE);
	if (ret)
		return ret;
	for (i = 0; i < mv.count; i++) {
		rc.uout = u64_to_user_ptr(mv.msgs) + i * sizeof(rc.km);
		if (copy_from_user(&rc.km, rc.uout, sizeof(rc.km))) {
			ret = -EFAULT;
			break;
		}
		if (rc.km.flags || rc.km.timeout_ns) {
			ret = -EINVAL;
			break;
		}
		/* Only an error of the first element is reported. */
		rc.report_size = !i;
		ret = kmbox_recv_one(file, &rc, false, &wait);
		if (ret < 0)
			break;
		if (mv.flags & KMBOX_WAITFORONE)
			wait.nonblock = true;
	}
	if (i)
		return i;
	return kmbox_wait_result(&wait, ret);
}

static long kmbox_ioctl_shutdown(struct file *file, unsigned int cmd)
{
	if (cmd != KMBOX_IOC_SHUTDOWN)
		return -ENOTTY;
	kmbox_mailbox_shutdown(kmbox_mailbox_file_mbox(file));
	return 0;
}

static long kmbox_ioctl_get_attr(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct kmbox_attr attr;

	kmbox_mailbox_get_attr(kmbox_mailbox_file_mbox(file), &attr);
	return kmbox_uarg_copy_out(cmd, arg, &attr, sizeof(attr));
}

static long kmbox_ioctl_set_attr(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct kmbox_attr attr;
	long ret;

	ret = kmbox_uarg_copy_in(&attr, sizeof(attr), cmd, arg);
	if (ret)
		return ret;
	return kmbox_mailbox_set_attr(kmbox_mailbox_file_mbox(file), &attr);
}

static long kmbox_ioctl_stat(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct kmbox_stat *st;
	long ret;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	kmbox_mailbox_stat(kmbox_mailbox_file_mbox(file), st);
	ret = kmbox_uarg_copy_out(cmd, arg, st, sizeof(*st));
	kfree(st);
	return ret;
}

static long kmbox_ioctl_ring_join(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct kmbox_file *kf = file->private_data;
	struct kmbox_ring_join join;
	fmode_t role;
	u64 seen;
	long ret;

	ret = kmbox_uarg_copy_in(&join, sizeof(join), cmd, arg);
	if (ret)
		return ret;
	if (join.flags || (join.side != KMBOX_RING_PRODUCER &&
			   join.side != KMBOX_RING_CONSUMER))
		return -EINVAL;
	if (!kf->mbox->region.shmem)
		return -ENODEV;
	role = join.side == KMBOX_RING_PRODUCER ? FMODE_WRITE : FMODE_READ;
	if (!(file->f_mode & role))
		return -EBADF;

	/* Claim the file first: a second JOIN on it fails at once. */
	if (cmpxchg(&kf->ring_side, 0, join.side))
		return -EALREADY;
	ret = kmbox_ring_join(kf->mbox, join.side - 1, &seen);
	if (ret) {
		WRITE_ONCE(kf->ring_side, 0);
		return ret;
	}
	WRITE_ONCE(kf->ring_seen, seen);
	return 0;
}

static long kmbox_ioctl_ring_wait(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct kmbox_file *kf = file->private_data;
	u32 side = READ_ONCE(kf->ring_side);
	struct kmbox_ring_wait rw;
	struct kmbox_wait wait;
	u64 seen;
	long ret;

	ret = kmbox_uarg_copy_in(&rw, sizeof(rw), cmd, arg);
	if (ret)
		return ret;
	if (!side || rw.flags & ~(KMBOX_DONTWAIT | KMBOX_TIMEOUT |
				  KMBOX_ABSTIME) ||
	    !IS_ALIGNED(rw.uaddr, sizeof(u32)))
		return -EINVAL;
	ret = kmbox_wait_init(&wait, file, rw.flags, rw.timeout_ns);
	if (ret)
		return ret;
	/* A ring since the file's last wait counts: see ring.c. */
	seen = READ_ONCE(kf->ring_seen);
	ret = kmbox_ring_wait(kf->mbox, side - 1, u64_to_user_ptr(rw.uaddr),
			      rw.value, &wait, &seen);
	WRITE_ONCE(kf->ring_seen, seen);
	return kmbox_wait_result(&wait, ret);
}

static long kmbox_ioctl_ring_wake(struct file *file, unsigned int cmd)
{
	struct kmbox_file *kf = file->private_data;
	u32 side = READ_ONCE(kf->ring_side);

	if (cmd != KMBOX_IOC_RING_WAKE)
		return -ENOTTY;
	if (!side)
		return -EINVAL;
	/* Each end rings the other's doorbell. */
	kmbox_ring_wake(kf->mbox, side == KMBOX_RING_PRODUCER ?
			KMBOX_END_CONSUMER : KMBOX_END_PRODUCER);
	return 0;
}

static long kmbox_mailbox_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	switch (KMBOX_IOC_BASE(cmd)) {
	case KMBOX_IOC_BASE(KMBOX_IOC_SEND):
		return kmbox_ioctl_send(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RECV):
		return kmbox_ioctl_recv(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SHUTDOWN):
		return kmbox_ioctl_shutdown(file, cmd);
	case KMBOX_IOC_BASE(KMBOX_IOC_GET_ATTR):
		return kmbox_ioctl_get_attr(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SET_ATTR):
		return kmbox_ioctl_set_attr(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_STAT):
		return kmbox_ioctl_stat(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SENDV):
		return kmbox_ioctl_sendv(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RECVV):
		return kmbox_ioctl_recvv(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RING_JOIN):
		return kmbox_ioctl_ring_join(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RING_WAIT):
		return kmbox_ioctl_ring_wait(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RING_WAKE):
		return kmbox_ioctl_ring_wake(file, cmd);
	default:
		return -ENOTTY;
	}
}

/*
 * The queue's events, and EPOLLPRI for an end of the ring whose doorbell
 * rang since its last wait, or whose wait would fail with EPIPE.  The
 * barrier in kmbox_mailbox_poll() orders the looks at the ring after the
 * registration on the poll queue, which the ring's wake-ups also wake.
 */
static __poll_t kmbox_mailbox_file_poll(struct file *file, poll_table *pt)
{
	struct kmbox_file *kf = file->private_data;
	u32 side = READ_ONCE(kf->ring_side);
	__poll_t mask;

	mask = kmbox_mailbox_poll(kf->mbox, file, pt);
	if (side && (kmbox_ring_rung(kf->mbox, side - 1,
				     READ_ONCE(kf->ring_seen)) ||
		     kmbox_ring_hung(kf->mbox, side - 1)))
		mask |= EPOLLPRI;
	return mask;
}

static int kmbox_mailbox_mmap(struct file *file, struct vm_area_struct *vma)
{
	return kmbox_region_mmap(file, vma);
}

static int kmbox_mailbox_fasync(int fd, struct file *file, int on)
{
	struct kmbox_mailbox *mbox = kmbox_mailbox_file_mbox(file);

	return fasync_helper(fd, file, on, &mbox->fasync);
}

static int kmbox_mailbox_release(struct inode *inode, struct file *file)
{
	struct kmbox_file *kf = file->private_data;
	struct kmbox_mailbox *mbox = kf->mbox;

	if (kf->ring_side)
		kmbox_ring_leave(mbox, kf->ring_side - 1);
	kmbox_mailbox_detach(mbox, file->f_mode);
	kmbox_mailbox_put(mbox);
	kfree(kf);
	return 0;
}

static const char *kmbox_ring_side_name(u32 side)
{
	switch (side) {
	case KMBOX_RING_PRODUCER:
		return "producer";
	case KMBOX_RING_CONSUMER:
		return "consumer";
	default:
		return "-";
	}
}

static const char *kmbox_role(fmode_t fmode)
{
	switch (fmode & (FMODE_READ | FMODE_WRITE)) {
	case FMODE_WRITE:
		return "send";
	case FMODE_READ:
		return "recv";
	default:
		return "send,recv";
	}
}

static void kmbox_mailbox_show_fdinfo(struct seq_file *sf, struct file *file)
{
	struct kmbox_file *kf = file->private_data;
	struct kmbox_stat stat, *st = &stat;

	/*
	 * On the stack (408 bytes), not kmalloc()ed: show_fdinfo cannot
	 * report an error, and a silently shortened fdinfo would mislead.
	 */
	kmbox_mailbox_stat(kf->mbox, st);
	seq_printf(sf, "kmbox-id:\t%llu\n", st->id);
	seq_puts(sf, "kmbox-name:\t");
	seq_escape(sf, st->name, " \t\n\\");
	seq_printf(sf, "\nkmbox-role:\t%s\n", kmbox_role(file->f_mode));
	seq_printf(sf, "msgs:\t%llu\nbytes:\t%llu\n", st->msgs, st->bytes);
	seq_printf(sf, "max_msgs:\t%llu\nmax_msg_size:\t%llu\nmax_bytes:\t%llu\n",
		   st->max_msgs, st->max_msg_size, st->max_bytes);
	seq_printf(sf, "senders:\t%u\nreceivers:\t%u\n",
		   st->senders, st->receivers);
	seq_printf(sf, "blocked_senders:\t%u\nblocked_receivers:\t%u\n",
		   st->blocked_senders, st->blocked_receivers);
	seq_printf(sf, "sent:\t%llu\nreceived:\t%llu\nhigh_water:\t%llu\n",
		   st->sent, st->received, st->high_water);
	seq_printf(sf, "uid:\t%u\ngid:\t%u\nmode:\t%04o\nattr_flags:\t%#x\nstate:\t%#x\n",
		   st->uid, st->gid, st->mode, st->attr_flags, st->state);
	seq_printf(sf, "region_size:\t%llu\nmappings:\t%llu\nring:\t%s\n",
		   st->region_size, st->mappings,
		   kmbox_ring_side_name(READ_ONCE(kf->ring_side)));
}

static const struct file_operations kmbox_mailbox_fops = {
	.owner		= THIS_MODULE,
	.read		= kmbox_mailbox_read,
	.write		= kmbox_mailbox_write,
	.poll		= kmbox_mailbox_file_poll,
	.unlocked_ioctl	= kmbox_mailbox_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kmbox_mailbox_mmap,
	.fasync		= kmbox_mailbox_fasync,
	.release	= kmbox_mailbox_release,
	.show_fdinfo	= kmbox_mailbox_show_fdinfo,
};

/**
 * kmbox_mailbox_file_install() - a new file descriptor for a mailbox
 * @mbox: the mailbox; on success the file takes over the caller's
 *	reference, on failure the caller keeps it
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both), KMBOX_CLOEXEC,
 *	KMBOX_NONBLOCK
 *
 * Return: the descriptor, or -EMFILE, -ENFILE or -ENOMEM.
 */
int kmbox_mailbox_file_install(struct kmbox_mailbox *mbox, u32 flags)
{
	struct kmbox_file *kf;
	int oflags = O_RDWR;
	struct file *file;
	int fd, err;

	if ((flags & (KMBOX_SEND | KMBOX_RECV)) == KMBOX_SEND)
		oflags = O_WRONLY;
	else if ((flags & (KMBOX_SEND | KMBOX_RECV)) == KMBOX_RECV)
		oflags = O_RDONLY;
	if (flags & KMBOX_NONBLOCK)
		oflags |= O_NONBLOCK;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	kf->mbox = mbox;
	fd = get_unused_fd_flags(flags & KMBOX_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0) {
		err = fd;
		goto err_free_kf;
	}
	file = anon_inode_getfile("[kmbox]", &kmbox_mailbox_fops, kf, oflags);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_fd;
	}
	kmbox_mailbox_attach(mbox, file->f_mode);
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_free_kf:
	kfree(kf);
	return err;
}
