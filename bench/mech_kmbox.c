// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: the kmbox mechanisms.
 *
 *   kmbox-rw         write() and read() on a mailbox descriptor
 *   kmbox-ioctl      kmbox_send() / kmbox_recv() (KMBOX_IOC_SEND/RECV)
 *   kmbox-sendv/N    kmbox_sendv() / kmbox_recvv() with N messages a call
 *                    (the receiver takes up to N, KMBOX_WAITFORONE)
 *   kmbox-ring       the libkmbox ring in the mailbox's shared region,
 *                    blocking (the kernel only puts a side to sleep)
 *   kmbox-ring-spin  the same ring, each side spinning: it tries its call
 *                    with KMBOX_RING_TRY (no system call) until it goes
 *                    through
 *   kmbox-ring-v/N   the same ring, N messages a call with kmbox_ring_sendv()
 *   kmbox-ring-v-spin/N  and kmbox_ring_recvv() (one publish per call)
 *   kmbox-ring-zc    the same ring without the copies: the producer writes
 *   kmbox-ring-zc-spin  the message into kmbox_ring_reserve()'s room and
 *                    commits it, the consumer reads every word of it in
 *                    place (kmbox_ring_peek()) and releases it; blocking
 *                    and spinning
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <kmbox.h>

#ifdef KMBOX_STANDIN
#include "doorbell_standin.h"
#else
static unsigned long ring_counter;
#endif

static int kmbox_attr_open(struct chan *c, size_t region)
{
	struct kmbox_attr a;

	memset(&a, 0, sizeof(a));
	a.max_msgs = c->cap;
	a.max_msg_size = c->size ? c->size : 1;
	a.max_bytes = (__u64)c->cap * a.max_msg_size;
	a.region_size = region;
	return kmbox_create(NULL, &a, 0);
}

static int kq_open(struct chan *c)
{
	int fd = kmbox_attr_open(c, 0);

	if (fd < 0)
		return fd;
	c->fd[0] = fd;
	return 0;
}

static int kq_side(struct chan *c, int side)
{
	(void)c;
	(void)side;
	return 0;
}

static void kq_close(struct chan *c)
{
	if (c->fd[0] >= 0)
		close(c->fd[0]);
	c->fd[0] = -1;
	free(c->priv);
	c->priv = NULL;
}

/* kmbox-rw */

static int krw_send(struct chan *c, const void *buf, unsigned int prio)
{
	ssize_t n;

	(void)prio;
	n = write(c->fd[0], buf, c->size);
	if (n < 0)
		return -errno;
	return (size_t)n == c->size ? 0 : -EIO;
}

static int krw_recv(struct chan *c, void *buf)
{
	ssize_t n = read(c->fd[0], buf, c->size);

	if (n < 0)
		return -errno;
	return (size_t)n == c->size ? 0 : -EIO;
}

const struct mech mech_kmbox_rw = {
	.name = "kmbox-rw",
	.flags = MF_KMBOX | MF_MULTI | MF_THREADS,
	.open = kq_open, .side = kq_side, .close = kq_close,
	.send = krw_send, .recv = krw_recv,
};

/* kmbox-ioctl */

static int kio_send(struct chan *c, const void *buf, unsigned int prio)
{
	struct kmbox_msg m;
	ssize_t n;

	if (!prio) {
		n = kmbox_send(c->fd[0], buf, c->size, 0);
	} else {
		memset(&m, 0, sizeof(m));
		m.buf = (__u64)(uintptr_t)buf;
		m.len = c->size;
		m.priority = prio;
		n = kmbox_send_msg(c->fd[0], &m);
	}
	if (n < 0)
		return (int)n;
	return (size_t)n == c->size ? 0 : -EIO;
}

static int kio_recv(struct chan *c, void *buf)
{
	ssize_t n = kmbox_recv(c->fd[0], buf, c->size, 0);

	if (n < 0)
		return (int)n;
	return (size_t)n == c->size ? 0 : -EIO;
}

const struct mech mech_kmbox_ioctl = {
	.name = "kmbox-ioctl",
	.flags = MF_KMBOX | MF_MULTI | MF_PRIO | MF_THREADS,
	.open = kq_open, .side = kq_side, .close = kq_close,
	.send = kio_send, .recv = kio_recv,
};

/* kmbox-sendv/N */

struct kvec {
	unsigned int n;
	struct kmbox_msg msgs[];
};

static int kv_open(struct chan *c)
{
	struct kvec *v;
	int ret = kq_open(c);

	if (ret)
		return ret;
	v = calloc(1, sizeof(*v) + c->batch * sizeof(v->msgs[0]));
	if (!v)
		return -ENOMEM;
	v->n = c->batch;
	c->priv = v;
	return 0;
}

static int kv_sendv(struct chan *c, void *const *bufs, unsigned int n)
{
	struct kvec *v = c->priv;
	unsigned int i, done = 0;
	int ret;

	if (n > v->n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		memset(&v->msgs[i], 0, sizeof(v->msgs[i]));
		v->msgs[i].buf = (__u64)(uintptr_t)bufs[i];
		v->msgs[i].len = c->size;
	}
	while (done < n) {
		ret = kmbox_sendv(c->fd[0], v->msgs + done, n - done, 0, 0);
		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	return 0;
}

static int kv_recvv(struct chan *c, void *const *bufs, unsigned int n)
{
	struct kvec *v = c->priv;
	unsigned int i;
	int ret;

	if (n > v->n)
		n = v->n;
	for (i = 0; i < n; i++) {
		memset(&v->msgs[i], 0, sizeof(v->msgs[i]));
		v->msgs[i].buf = (__u64)(uintptr_t)bufs[i];
		v->msgs[i].len = c->size;
	}
	ret = kmbox_recvv(c->fd[0], v->msgs, n, KMBOX_WAITFORONE, 0);
	return ret;
}

static int kv_send1(struct chan *c, const void *buf, unsigned int prio)
{
	void *b = (void *)buf;

	(void)prio;
	return kv_sendv(c, &b, 1);
}

static int kv_recv1(struct chan *c, void *buf)
{
	int ret = kv_recvv(c, &buf, 1);

	return ret < 0 ? ret : 0;
}

const struct mech mech_kmbox_vec = {
	.name = "kmbox-sendv",
	.flags = MF_KMBOX | MF_MULTI | MF_BATCH | MF_THREADS,
	.open = kv_open, .side = kq_side, .close = kq_close,
	.send = kv_send1, .recv = kv_recv1,
	.sendv = kv_sendv, .recvv = kv_recvv,
};

/* kmbox-ring, kmbox-ring-spin */

struct kring {
	struct kmbox_ring r;
	int spin;
	int attached;
};

/* Data area for @cap messages of @size bytes: a power of two. */
size_t ring_data_size(size_t size, unsigned int cap)
{
	size_t rec = 8 + ((size + 7) & ~(size_t)7), want = rec * cap, d = 4096;

	if (want < 4 * rec)
		want = 4 * rec;
	while (d < want)
		d *= 2;
	return d;
}

/*
 * The mailbox of a ring, with a region for @data bytes, and two files of
 * it in fd[0] (the producer's) and fd[1] (the consumer's): from kmbox.ko,
 * or, in the native build, from the doorbell stand-in.
 */
static int kr_mailbox(struct chan *c, size_t data)
{
#ifdef KMBOX_STANDIN
	return standin_mailbox(kmbox_ring_region_size(data), c->fd, 2);
#else
	struct kmbox_attr a;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "kmbox-bench-%d-%lu", (int)getpid(),
		 ring_counter++);
	memset(&a, 0, sizeof(a));
	a.max_msgs = 1;
	a.max_msg_size = 1;
	a.max_bytes = 1;
	a.region_size = kmbox_ring_region_size(data);
	ret = kmbox_create(name, &a, KMBOX_EXCL);
	if (ret < 0)
		return ret;
	c->fd[0] = ret;
	ret = kmbox_open(name, 0);
	kmbox_unlink(name);
	if (ret < 0)
		return ret;
	c->fd[1] = ret;
	return 0;
#endif
}

static void kr_close_fd(int fd)
{
#ifdef KMBOX_STANDIN
	standin_close(fd);
#else
	close(fd);
#endif
}

static int kr_open(struct chan *c)
{
	struct kring *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->spin = !!(c->m->flags & MF_SPIN);
	c->priv = k;
	return kr_mailbox(c, ring_data_size(c->size, c->cap));
}

int ring_chan_side(struct chan *c, int side, unsigned int *end)
{
	int keep = side == SIDE_TX ? 0 : 1;

	kr_close_fd(c->fd[!keep]);
	c->fd[!keep] = -1;
	*end = side == SIDE_TX ? KMBOX_RING_PRODUCER : KMBOX_RING_CONSUMER;
	return c->fd[keep];
}

static int kr_side(struct chan *c, int side)
{
	struct kring *k = c->priv;
	unsigned int end;
	int fd = ring_chan_side(c, side, &end), ret;

	ret = kmbox_ring_attach(&k->r, fd, end);
	if (ret)
		return ret;
	k->attached = 1;
	return 0;
}

#define SPIN_LIMIT (1u << 22)

/*
 * Makes call_with_flags(flags), a ring call: when spinning (the -spin
 * mechanisms), tried with KMBOX_RING_TRY (no system call, no waiting
 * flag) until it goes through, then, after SPIN_LIMIT tries, made
 * blocking so that a stalled peer cannot make it spin for ever.
 */
#define KR_SPIN(k, n, call_with_flags) do {				\
	unsigned int _i;						\
									\
	(n) = -EAGAIN;							\
	for (_i = 0; (k)->spin && (n) == -EAGAIN && _i < SPIN_LIMIT;	\
	     _i++) {							\
		(n) = call_with_flags(KMBOX_RING_TRY);			\
		if ((n) == -EAGAIN)					\
			cpu_relax();					\
	}								\
	if ((n) == -EAGAIN)						\
		(n) = call_with_flags(0);				\
} while (0)

static int kr_send(struct chan *c, const void *buf, unsigned int prio)
{
	struct kring *k = c->priv;
	ssize_t n;

	(void)prio;
#define KR_SEND(flags) kmbox_ring_send(&k->r, buf, c->size, flags, 0)
	KR_SPIN(k, n, KR_SEND);
#undef KR_SEND
	return n < 0 ? (int)n : 0;
}

static int kr_recv(struct chan *c, void *buf)
{
	struct kring *k = c->priv;
	ssize_t n;

#define KR_RECV(flags) kmbox_ring_recv(&k->r, buf, c->size, flags, 0)
	KR_SPIN(k, n, KR_RECV);
#undef KR_RECV
	if (n < 0)
		return (int)n;
	return (size_t)n == c->size ? 0 : -EIO;
}

static int kr_zc_send(struct chan *c, const void *buf, unsigned int prio)
{
	struct kring *k = c->priv;
	void *room;
	ssize_t n;

	(void)prio;
#define KR_RESERVE(flags) kmbox_ring_reserve(&k->r, &room, c->size, flags, 0)
	KR_SPIN(k, n, KR_RESERVE);
#undef KR_RESERVE
	if (n < 0)
		return (int)n;
	memcpy(room, buf, c->size);
	return kmbox_ring_commit(&k->r, c->size);
}

/* The consumer reads every 8-byte word in place; the header is copied. */
static int kr_zc_recv(struct chan *c, void *buf)
{
	struct kring *k = c->priv;
	const uint64_t *w;
	uint64_t sum = 0;
	const void *in;
	size_t i, head = c->size < sizeof(struct bmsg) ? c->size :
			 sizeof(struct bmsg);
	ssize_t n;

#define KR_PEEK(flags) kmbox_ring_peek(&k->r, &in, flags, 0)
	KR_SPIN(k, n, KR_PEEK);
#undef KR_PEEK
	if (n < 0)
		return (int)n;
	if ((size_t)n != c->size)
		return -EIO;
	w = in;
	for (i = 0; i < c->size / 8; i++)
		sum += w[i];
	memcpy(buf, in, head);
	__asm__ __volatile__("" : : "r"(sum));
	return kmbox_ring_release(&k->r);
}

/* kmbox-ring-v, kmbox-ring-v-spin: batches, kmbox_ring_sendv()/recvv() */

static int kr_sendv(struct chan *c, void *const *bufs, unsigned int n)
{
	struct kring *k = c->priv;
	struct iovec iov[1024];
	unsigned int i, done = 0;
	int ret;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = c->size;
	}
	while (done < n) {
#define KR_SENDV(flags) kmbox_ring_sendv(&k->r, iov + done, n - done, flags, 0)
		KR_SPIN(k, ret, KR_SENDV);
#undef KR_SENDV
		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	return 0;
}

static int kr_recvv(struct chan *c, void *const *bufs, unsigned int n)
{
	struct kring *k = c->priv;
	struct iovec iov[1024];
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = c->size;
	}
#define KR_RECVV(flags) kmbox_ring_recvv(&k->r, iov, n, flags, 0)
	KR_SPIN(k, ret, KR_RECVV);
#undef KR_RECVV
	return ret;
}

static void kr_close(struct chan *c)
{
	struct kring *k = c->priv;

	if (k && k->attached)
		kmbox_ring_detach(&k->r);
	if (c->fd[0] >= 0)
		kr_close_fd(c->fd[0]);
	if (c->fd[1] >= 0)
		kr_close_fd(c->fd[1]);
	c->fd[0] = c->fd[1] = -1;
	free(k);
	c->priv = NULL;
}

/* A word of the ring's header (Documentation/userspace-api.rst). */
static __u32 kr_word(const struct kring *k, size_t off)
{
	return __atomic_load_n((const __u32 *)((const char *)k->r.map + off),
			       __ATOMIC_ACQUIRE);
}

static void kr_diag(struct chan *c, char *buf, size_t len)
{
	struct kring *k = c->priv;
	struct kmbox_stat st;

	if (!k || !k->attached) {
		snprintf(buf, len, "not attached");
		return;
	}
	memset(&st, 0, sizeof(st));
	kmbox_stat(k->r.fd, &st);
	snprintf(buf, len,
		 "side %s pos %u peer %u tail %u head %u consumer_waiting %u producer_waiting %u data_size %u protocol %u; stat: producers %u consumers %u mappings %llu state 0x%x",
		 k->r.side == KMBOX_RING_PRODUCER ? "producer" : "consumer",
		 k->r.pos, k->r.peer, kr_word(k, 64), kr_word(k, 128),
		 kr_word(k, 192), kr_word(k, 256), k->r.data_size, k->r.proto,
		 st.ring_producers, st.ring_consumers,
		 (unsigned long long)st.mappings, st.state);
}

const struct mech mech_kmbox_ring = {
	.name = "kmbox-ring",
	.flags = MF_KMBOX | MF_RING,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_send, .recv = kr_recv, .diag = kr_diag,
};

const struct mech mech_kmbox_ring_spin = {
	.name = "kmbox-ring-spin",
	.flags = MF_KMBOX | MF_RING | MF_SPIN,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_send, .recv = kr_recv, .diag = kr_diag,
};

const struct mech mech_kmbox_ring_zc = {
	.name = "kmbox-ring-zc",
	.flags = MF_KMBOX | MF_RING,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_zc_send, .recv = kr_zc_recv, .diag = kr_diag,
};

const struct mech mech_kmbox_ring_zc_spin = {
	.name = "kmbox-ring-zc-spin",
	.flags = MF_KMBOX | MF_RING | MF_SPIN,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_zc_send, .recv = kr_zc_recv, .diag = kr_diag,
};

const struct mech mech_kmbox_ring_vec = {
	.name = "kmbox-ring-v",
	.flags = MF_KMBOX | MF_RING | MF_BATCH,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_send, .recv = kr_recv, .diag = kr_diag,
	.sendv = kr_sendv, .recvv = kr_recvv,
};

const struct mech mech_kmbox_ring_vec_spin = {
	.name = "kmbox-ring-v-spin",
	.flags = MF_KMBOX | MF_RING | MF_SPIN | MF_BATCH,
	.open = kr_open, .side = kr_side, .close = kr_close,
	.send = kr_send, .recv = kr_recv, .diag = kr_diag,
	.sendv = kr_sendv, .recvv = kr_recvv,
};
