// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: what Linux already has.
 *
 *   pipe             pipe2(); the buffer is set to the channel's capacity
 *                    in bytes plus a page (F_SETPIPE_SZ rounds it up to a
 *                    power of two pages)
 *   unix-seqpacket   socketpair(AF_UNIX, SOCK_SEQPACKET)
 *   unix-stream      socketpair(AF_UNIX, SOCK_STREAM)
 *   posix-mq         mq_open() with mq_maxmsg = capacity
 *   sysv-msg         msgget(IPC_PRIVATE), msg_qbytes = capacity in bytes
 *
 * Byte streams (pipe, unix-stream) carry fixed-size messages: a receiver
 * reads exactly one message's bytes.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !bench_abort)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !bench_abort)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Two descriptors: fd[0] is the sending end, fd[1] the receiving one. */
static int two_side(struct chan *c, int side)
{
	int drop = side == SIDE_TX ? 1 : 0;

	close(c->fd[drop]);
	c->fd[drop] = -1;
	return 0;
}

static void two_close(struct chan *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
}

static int stream_send(struct chan *c, const void *buf, unsigned int prio)
{
	(void)prio;
	return write_all(c->fd[0], buf, c->size);
}

static int stream_recv(struct chan *c, void *buf)
{
	return read_all(c->fd[1], buf, c->size);
}

/* pipe */

static int pipe_open(struct chan *c)
{
	int fds[2];
	/* a pipe frees room a page at a time: one page more than the data */
	size_t bytes = c->size * c->cap + 4096;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	c->fd[0] = fds[1];
	c->fd[1] = fds[0];
	if (bytes < 4096)
		bytes = 4096;
	if (bytes > (16u << 20))
		bytes = 16u << 20;
	/* a pipe that cannot hold what the workload queues would block it */
	if (fcntl(fds[1], F_SETPIPE_SZ, (int)bytes) < 0)
		return -errno;
	return 0;
}

const struct mech mech_pipe = {
	.name = "pipe",
	.flags = MF_MULTI,
	.open = pipe_open, .side = two_side, .close = two_close,
	.send = stream_send, .recv = stream_recv,
};

/* AF_UNIX */

static int unix_open(struct chan *c, int type)
{
	int fds[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds))
		return -errno;
	c->fd[0] = fds[0];
	c->fd[1] = fds[1];
	return 0;
}

static int seqpacket_open(struct chan *c)
{
	return unix_open(c, SOCK_SEQPACKET);
}

static int ustream_open(struct chan *c)
{
	return unix_open(c, SOCK_STREAM);
}

static int seqpacket_send(struct chan *c, const void *buf, unsigned int prio)
{
	ssize_t n;

	(void)prio;
	do
		n = send(c->fd[0], buf, c->size, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR && !bench_abort);
	if (n < 0)
		return -errno;
	return (size_t)n == c->size ? 0 : -EIO;
}

static int seqpacket_recv(struct chan *c, void *buf)
{
	ssize_t n;

	do
		n = recv(c->fd[1], buf, c->size, 0);
	while (n < 0 && errno == EINTR && !bench_abort);
	if (n < 0)
		return -errno;
	if (n == 0 && c->size)
		return -EPIPE;
	return (size_t)n == c->size ? 0 : -EIO;
}

const struct mech mech_unix_seqpacket = {
	.name = "unix-seqpacket",
	.flags = MF_MULTI,
	.open = seqpacket_open, .side = two_side, .close = two_close,
	.send = seqpacket_send, .recv = seqpacket_recv,
};

const struct mech mech_unix_stream = {
	.name = "unix-stream",
	.flags = 0,
	.open = ustream_open, .side = two_side, .close = two_close,
	.send = stream_send, .recv = stream_recv,
};

/* POSIX message queues */

static unsigned long mq_counter;

static int pmq_open(struct chan *c)
{
	struct mq_attr a;
	char name[64];
	mqd_t q;

	memset(&a, 0, sizeof(a));
	a.mq_maxmsg = c->cap;
	a.mq_msgsize = c->size ? (long)c->size : 1;
	snprintf(name, sizeof(name), "/kmbox-bench-%d-%lu", (int)getpid(),
		 mq_counter++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	c->fd[0] = (int)q;
	return 0;
}

static int one_side(struct chan *c, int side)
{
	(void)c;
	(void)side;
	return 0;
}

static void one_close(struct chan *c)
{
	if (c->fd[0] >= 0)
		close(c->fd[0]);
	c->fd[0] = -1;
}

static int pmq_send(struct chan *c, const void *buf, unsigned int prio)
{
	int ret;

	do
		ret = mq_send((mqd_t)c->fd[0], buf, c->size, prio);
	while (ret < 0 && errno == EINTR && !bench_abort);
	return ret < 0 ? -errno : 0;
}

static int pmq_recv(struct chan *c, void *buf)
{
	ssize_t n;

	do
		n = mq_receive((mqd_t)c->fd[0], buf, c->size ? c->size : 1,
			       NULL);
	while (n < 0 && errno == EINTR && !bench_abort);
	if (n < 0)
		return -errno;
	return (size_t)n == c->size ? 0 : -EIO;
}

const struct mech mech_posix_mq = {
	.name = "posix-mq",
	.flags = MF_MULTI | MF_PRIO | MF_THREADS,
	.open = pmq_open, .side = one_side, .close = one_close,
	.send = pmq_send, .recv = pmq_recv,
};

/* System V message queues: the mtype goes in the buffer's headroom. */

static int sysv_open(struct chan *c)
{
	struct msqid_ds ds;
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		return -errno;
	c->fd[0] = -1;
	c->fd[2] = id;
	c->fd[3] = (int)getpid();
	if (msgctl(id, IPC_STAT, &ds) == 0) {
		ds.msg_qbytes = c->size * c->cap;
		if (ds.msg_qbytes < c->size)
			ds.msg_qbytes = c->size;
		msgctl(id, IPC_SET, &ds);
	}
	return 0;
}

static int sysv_send(struct chan *c, const void *buf, unsigned int prio)
{
	long *mtype = (long *)((char *)buf - sizeof(long));
	int ret;

	*mtype = (long)prio + 1;
	do
		ret = msgsnd(c->fd[2], mtype, c->size, 0);
	while (ret < 0 && errno == EINTR && !bench_abort);
	return ret < 0 ? -errno : 0;
}

static int sysv_recv(struct chan *c, void *buf)
{
	long *mtype = (long *)((char *)buf - sizeof(long));
	ssize_t n;

	do
		n = msgrcv(c->fd[2], mtype, c->size, 0, 0);
	while (n < 0 && errno == EINTR && !bench_abort);
	if (n < 0)
		return -errno;
	return (size_t)n == c->size ? 0 : -EIO;
}

static void sysv_close(struct chan *c)
{
	/* Only the process that made it removes it. */
	if (c->fd[2] >= 0 && c->fd[3] == (int)getpid())
		msgctl(c->fd[2], IPC_RMID, NULL);
	c->fd[2] = -1;
}

const struct mech mech_sysv_msg = {
	.name = "sysv-msg",
	.flags = MF_MULTI | MF_THREADS,
	.open = sysv_open, .side = one_side, .close = sysv_close,
	.send = sysv_send, .recv = sysv_recv,
};
