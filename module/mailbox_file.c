// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: mailbox file descriptors.
 *
 * A mailbox file is an anonymous-inode file whose private data holds a
 * reference to its mailbox.  Its role is its access mode, as for the two
 * ends of a pipe: FMODE_WRITE may send, FMODE_READ may receive, so the
 * VFS itself refuses read() or write() without the role (EBADF), and
 * mmap() of the region follows the rules of a file's mapping.  A file of
 * neither (KMBOX_NOROLE, access mode 3 as for ioctl-only device files)
 * only looks at the mailbox and changes its attributes or state.
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
#include "mailbox_io.h"
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

static ssize_t kmbox_mailbox_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *ppos)
{
	return kmbox_io_write(file, buf, len);
}

static ssize_t kmbox_mailbox_read(struct file *file, char __user *buf,
				  size_t len, loff_t *ppos)
{
	return kmbox_io_read(file, buf, len);
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

	st = kmalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
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
		return kmbox_io_send(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RECV):
		return kmbox_io_recv(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SHUTDOWN):
		return kmbox_ioctl_shutdown(file, cmd);
	case KMBOX_IOC_BASE(KMBOX_IOC_GET_ATTR):
		return kmbox_ioctl_get_attr(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SET_ATTR):
		return kmbox_ioctl_set_attr(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_STAT):
		return kmbox_ioctl_stat(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_SENDV):
		return kmbox_io_sendv(file, cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_RECVV):
		return kmbox_io_recvv(file, cmd, arg);
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
	case 0:
		return "none";
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
	seq_printf(sf, "charge:\t%llu\n", st->charge);
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
 * kmbox_mailbox_file_prepare() - a file and a descriptor for a mailbox,
 *	not yet in the caller's table
 * @mbox: the mailbox; on success the file takes over the caller's
 *	reference, on failure the caller keeps it
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both) or KMBOX_NOROLE,
 *	KMBOX_CLOEXEC, KMBOX_NONBLOCK
 * @filep: where to return the file
 *
 * Everything that can fail in giving a mailbox a descriptor, done before
 * anyone can see it: kmbox_mailbox_file_commit() then cannot fail, and
 * kmbox_mailbox_file_abort() undoes this.  The file counts in the
 * mailbox's senders and receivers from here on.
 *
 * Return: the descriptor reserved, or -EMFILE, -ENFILE or -ENOMEM.
 */
int kmbox_mailbox_file_prepare(struct kmbox_mailbox *mbox, u32 flags,
			       struct file **filep)
{
	struct kmbox_file *kf;
	int oflags = O_RDWR;
	struct file *file;
	int fd, err;

	if ((flags & (KMBOX_SEND | KMBOX_RECV)) == KMBOX_SEND)
		oflags = O_WRONLY;
	else if ((flags & (KMBOX_SEND | KMBOX_RECV)) == KMBOX_RECV)
		oflags = O_RDONLY;
	else if (flags & KMBOX_NOROLE)
		oflags = O_ACCMODE;	/* neither FMODE_READ nor FMODE_WRITE */
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
	*filep = file;
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_free_kf:
	kfree(kf);
	return err;
}

/**
 * kmbox_mailbox_file_commit() - give the caller a prepared descriptor
 * @fd: the descriptor kmbox_mailbox_file_prepare() returned
 * @file: its file
 */
void kmbox_mailbox_file_commit(int fd, struct file *file)
{
	fd_install(fd, file);
}

/**
 * kmbox_mailbox_file_abort() - undo kmbox_mailbox_file_prepare()
 * @fd: the descriptor it returned
 * @file: its file
 *
 * The file's release, like any last fput() of a task, runs before the
 * task returns to userspace: then the file leaves the mailbox's senders
 * and receivers, and drops the reference it took over.
 *
 * Context: process context.
 */
void kmbox_mailbox_file_abort(int fd, struct file *file)
{
	put_unused_fd(fd);
	fput(file);
}

/**
 * kmbox_mailbox_file_install() - a new file descriptor for a mailbox
 * @mbox: the mailbox; on success the file takes over the caller's
 *	reference, on failure the caller keeps it
 * @flags: as for kmbox_mailbox_file_prepare()
 *
 * Return: the descriptor, or -EMFILE, -ENFILE or -ENOMEM.
 */
int kmbox_mailbox_file_install(struct kmbox_mailbox *mbox, u32 flags)
{
	struct file *file;
	int fd;

	fd = kmbox_mailbox_file_prepare(mbox, flags, &file);
	if (fd >= 0)
		kmbox_mailbox_file_commit(fd, file);
	return fd;
}
