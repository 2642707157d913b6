// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-process soak: WORKERS processes do a random mix of every
 * operation on a few named mailboxes and a ring for KMBOX_STRESS_SECS
 * seconds (default 2): send, write, SENDV, receive, read, RECVV, peek,
 * poll, relative and absolute timeouts (some already past), opening and
 * closing by name with random roles and O_NONBLOCK, dup, fork (a child
 * that carries on for a while with the descriptors it inherited),
 * SET_ATTR growing and shrinking the capacity and the largest message,
 * STAT and GET_ATTR, and ring traffic through libkmbox.
 *
 * Every message carries its producer, its sequence number, the mailbox it
 * was sent to, its priority, its sender's pid and a checksum.  Receivers
 * check each one and mark it in a table shared by every process
 * (MAP_SHARED anonymous memory); at the end the test drains what is left
 * and checks that every message sent was received exactly once, that
 * nothing else was, and that each mailbox's own figures agree.
 *
 * The random choices come from a seed printed at the start; set
 * KMBOX_SOAK_SEED to replay one (the choices are the same; the
 * interleaving of the processes, of course, is not).
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"
#include "kmbox.h"

#define NSEC		1000000000ull
#define MSEC		1000000ull
#define WORKERS		8
#define MAILBOXES	4
#define RING		MAILBOXES	/* mailbox index of the ring's messages */
#define BIG		16		/* slots of workers and the ring */
#define KID_SLOTS	8192		/* slots of children */
#define PRODUCERS	(BIG + KID_SLOTS)
#define KID_SEQS	4096		/* a child sends fewer than this */
#define FDS		6		/* descriptors per mailbox per process */
#define MSG_MAX		256		/* largest max_msg_size ever set */
#define MSG_MIN		64		/* smallest max_msg_size ever set */
#define BATCH		8		/* most messages per SENDV, RECVV */
#define KIDS		2		/* children a worker has at once */
#define RING_DATA	8192
#define MAX_OPS		50000000ul	/* a worker's bound besides the time */

struct hdr {
	__u32 producer;
	__u32 seq;
	__u32 mbox;	/* index of the mailbox (or RING) it was sent to */
	__u32 prio;
	__s32 pid;	/* the sender's */
	__u32 len;	/* of the payload */
	__u32 csum;	/* of the payload */
	__u32 pad;
};

#define PAYLOAD_MAX	(MSG_MAX - sizeof(struct hdr))

enum op {
	OP_SEND, OP_WRITE, OP_SENDV, OP_RECV, OP_READ, OP_RECVV, OP_PEEK,
	OP_POLL, OP_PAST, OP_OPEN, OP_CLOSE, OP_DUP, OP_FORK, OP_SETATTR,
	OP_STAT, OP_RING, NR_OPS,
};

static const char * const op_names[NR_OPS] = {
	"send", "write", "sendv", "recv", "read", "recvv", "peek", "poll",
	"past", "open", "close", "dup", "fork", "setattr", "stat", "ring",
};

/* How often each operation is picked, out of the sum. */
static const unsigned int op_weight[NR_OPS] = {
	[OP_SEND] = 12, [OP_WRITE] = 4, [OP_SENDV] = 6, [OP_RECV] = 12,
	[OP_READ] = 4, [OP_RECVV] = 6, [OP_PEEK] = 3, [OP_POLL] = 3,
	[OP_PAST] = 2, [OP_OPEN] = 3, [OP_CLOSE] = 3, [OP_DUP] = 2,
	[OP_FORK] = 1, [OP_SETATTR] = 2, [OP_STAT] = 2, [OP_RING] = 12,
};

/* Shared by every process. */
struct board {
	__u32 seq_max;			/* seqs of a BIG producer */
	__u32 producers[2];		/* slots handed out: BIG, kids */
	__u32 sent[PRODUCERS];		/* seqs below were sent */
	__u64 mbox_sent[MAILBOXES + 1];
	__u64 mbox_received[MAILBOXES + 1];	/* not counting peeks */
	__u64 ops[NR_OPS];
	__u64 kids;
	__u32 errors;
	char err[256];			/* the first error */
	__u32 seen[];			/* a bit per (producer, seq) */
};

/* One descriptor a process holds. */
struct fdent {
	int fd;
	__u32 roles;	/* KMBOX_SEND | KMBOX_RECV */
};

/* One process of the soak: a worker or a worker's child. */
struct worker {
	struct board *b;
	const char (*names)[64];	/* [MAILBOXES + 1], RING last */
	__u64 rng;
	__u64 end;			/* CLOCK_MONOTONIC deadline */
	int child;			/* no fork, no ring */
	__u32 producer;			/* slot, ~0 if none */
	__u32 seq;
	struct fdent fds[MAILBOXES][FDS];
	int nfds[MAILBOXES];
	pid_t kids[KIDS];
	struct kmbox_ring ring;
	int ring_side;			/* 0 or the end it attached */
	__u32 ring_producer;		/* slot of its ring messages */
	__u32 ring_seq;
	int ring_done;			/* EPIPE: the producer is gone */
};

static __u64 rng_next(__u64 *s)
{
	__u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static __u32 rnd(struct worker *w, __u32 n)
{
	return rng_next(&w->rng) % n;
}

/* Records the first error; every error is counted. */
static void __attribute__((format(printf, 2, 3)))
fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&w->b->errors, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(w->b->err, sizeof(w->b->err), fmt, ap);
	va_end(ap);
}

/* How many seqs producer @p may send. */
static __u32 seq_limit(const struct board *b, __u32 p)
{
	return p < BIG ? b->seq_max : KID_SEQS;
}

/* Bit number of (@p, @seq) in the seen table. */
static size_t seen_bit(const struct board *b, __u32 p, __u32 seq)
{
	if (p < BIG)
		return (size_t)p * b->seq_max + seq;
	return (size_t)BIG * b->seq_max + (size_t)(p - BIG) * KID_SEQS + seq;
}

static size_t seen_size(__u32 seq_max)
{
	return ((size_t)BIG * seq_max + (size_t)KID_SLOTS * KID_SEQS) / 8;
}

/* Marks (@p, @seq) seen: whether it was already. */
static int mark_seen(struct board *b, __u32 p, __u32 seq)
{
	size_t bit = seen_bit(b, p, seq);
	__u32 mask = 1u << (bit % 32);

	return !!(__atomic_fetch_or(&b->seen[bit / 32], mask,
				    __ATOMIC_RELAXED) & mask);
}

static int was_seen(const struct board *b, __u32 p, __u32 seq)
{
	size_t bit = seen_bit(b, p, seq);

	return !!(b->seen[bit / 32] & 1u << (bit % 32));
}

/* A new producer slot (@kid: a child's), ~0 if there is none left. */
static __u32 new_producer(struct board *b, int kid)
{
	__u32 p = __atomic_fetch_add(&b->producers[kid], 1, __ATOMIC_RELAXED);

	if (kid)
		return p < KID_SLOTS ? BIG + p : ~0u;
	return p < BIG ? p : ~0u;
}

/*
 * Builds message @seq of @producer for mailbox @mbox in @buf, with a
 * payload of random length up to @max bytes in all: its length.
 */
static size_t make_msg(struct worker *w, unsigned char *buf, __u32 producer,
		       __u32 seq, __u32 mbox, __u32 prio, size_t max)
{
	struct hdr *h = (struct hdr *)buf;
	unsigned char *pay = buf + sizeof(*h);

	h->producer = producer;
	h->seq = seq;
	h->mbox = mbox;
	h->prio = prio;
	h->pid = getpid();
	h->len = rnd(w, max - sizeof(*h) + 1);
	h->pad = 0;
	kmbox_test_payload(pay, h->len, producer, seq);
	h->csum = kmbox_test_fnv1a(pay, h->len);
	return sizeof(*h) + h->len;
}

/*
 * Checks a message of @len bytes received from mailbox @mbox; @m (may be
 * NULL: read(), ring) has its metadata.  Marks it seen unless @peek.
 */
static void check_msg(struct worker *w, const unsigned char *buf, size_t len,
		      __u32 mbox, const struct kmbox_msg *m, int peek)
{
	const struct hdr *h = (const struct hdr *)buf;

	if (len < sizeof(*h) || len != sizeof(*h) + h->len) {
		fail(w, "mailbox %u: message of %zu bytes", mbox, len);
		return;
	}
	if (h->mbox != mbox || h->producer >= PRODUCERS ||
	    h->seq >= seq_limit(w->b, h->producer)) {
		fail(w, "mailbox %u: header mailbox %u producer %u seq %u",
		     mbox, h->mbox, h->producer, h->seq);
		return;
	}
	if (kmbox_test_fnv1a(buf + sizeof(*h), h->len) != h->csum)
		fail(w, "producer %u seq %u: bad checksum", h->producer,
		     h->seq);
	if (m && (m->priority != h->prio || m->sender_pid != h->pid ||
		  m->msg_len != len))
		fail(w, "producer %u seq %u: metadata prio %u pid %d len %llu",
		     h->producer, h->seq, m->priority, m->sender_pid,
		     (unsigned long long)m->msg_len);
	if (peek)
		return;
	if (mark_seen(w->b, h->producer, h->seq))
		fail(w, "producer %u seq %u received twice", h->producer,
		     h->seq);
	__atomic_fetch_add(&w->b->mbox_received[mbox], 1, __ATOMIC_RELAXED);
}

/* @n messages of this process went into @mbox. */
static void sent(struct worker *w, __u32 mbox, __u32 n)
{
	w->seq += n;
	__atomic_store_n(&w->b->sent[w->producer], w->seq, __ATOMIC_RELEASE);
	__atomic_fetch_add(&w->b->mbox_sent[mbox], n, __ATOMIC_RELAXED);
}

/* Can this process send @n more messages. */
static int can_send(struct worker *w, __u32 n)
{
	return w->producer != ~0u &&
	       w->seq + n <= seq_limit(w->b, w->producer);
}

/* Random call flags: DONTWAIT, or a relative or absolute timeout. */
static __u32 timing(struct worker *w, __u64 *timeout_ns)
{
	switch (rnd(w, 3)) {
	case 0:
		*timeout_ns = 0;
		return KMBOX_DONTWAIT;
	case 1:
		*timeout_ns = rnd(w, 2 * MSEC);
		return KMBOX_TIMEOUT;
	default:
		*timeout_ns = kmbox_test_now_ns() + rnd(w, 2 * MSEC);
		return KMBOX_ABSTIME;
	}
}

/* Index of a random descriptor of @mbox with @role, or -1. */
static int pick_fd(struct worker *w, int mbox, __u32 role)
{
	int i, n = w->nfds[mbox], start;

	if (!n)
		return -1;
	start = rnd(w, n);
	for (i = 0; i < n; i++) {
		struct fdent *e = &w->fds[mbox][(start + i) % n];

		if ((e->roles & role) == role)
			return e->fd;
	}
	return -1;
}

static int nonblocking(int fd)
{
	return fcntl(fd, F_GETFL) & O_NONBLOCK;
}

/* Opens mailbox @mbox by name with random roles and flags. */
static void do_open(struct worker *w, int mbox)
{
	static const __u32 roles[] = {
		KMBOX_SEND, KMBOX_RECV, KMBOX_SEND | KMBOX_RECV,
	};
	__u32 r = roles[rnd(w, 3)];
	int fd;

	if (w->nfds[mbox] == FDS)
		return;
	fd = kmbox_test_open(w->names[mbox], r | KMBOX_CLOEXEC |
			     (rnd(w, 4) ? 0 : KMBOX_NONBLOCK));
	if (fd < 0) {
		fail(w, "open %s: %d", w->names[mbox], fd);
		return;
	}
	w->fds[mbox][w->nfds[mbox]++] = (struct fdent){ fd, r };
}

static void do_close(struct worker *w, int mbox)
{
	int i, n = w->nfds[mbox];

	if (n <= 1)
		return;
	i = rnd(w, n);
	if (close(w->fds[mbox][i].fd))
		fail(w, "close: %d", -errno);
	w->fds[mbox][i] = w->fds[mbox][n - 1];
	w->nfds[mbox]--;
}

static void do_dup(struct worker *w, int mbox)
{
	int i, n = w->nfds[mbox], fd;

	if (!n || n == FDS)
		return;
	i = rnd(w, n);
	fd = fcntl(w->fds[mbox][i].fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		fail(w, "dup: %d", -errno);
		return;
	}
	w->fds[mbox][n] = (struct fdent){ fd, w->fds[mbox][i].roles };
	w->nfds[mbox]++;
}

/* A send of one message: SEND (any timing) or, on O_NONBLOCK, write(). */
static void do_send(struct worker *w, int mbox, int use_write)
{
	unsigned char buf[MSG_MAX];
	__u32 prio = use_write ? 0 : rnd(w, KMBOX_PRIO_MAX + 1);
	int fd = pick_fd(w, mbox, KMBOX_SEND), ret;
	size_t len;

	if (fd < 0 || !can_send(w, 1) || (use_write && !nonblocking(fd)))
		return;
	len = make_msg(w, buf, w->producer, w->seq, mbox, prio, MSG_MAX);
	if (use_write) {
		ret = kmbox_test_write(fd, buf, len);
	} else {
		struct kmbox_msg m = {
			.buf = (__u64)(unsigned long)buf,
			.len = len,
			.priority = prio,
		};

		m.flags = timing(w, &m.timeout_ns);
		ret = kmbox_test_ioctl(fd, KMBOX_IOC_SEND, &m);
	}
	if (ret == (int)len)
		sent(w, mbox, 1);
	else if (ret != -EAGAIN && ret != -ETIMEDOUT && ret != -EMSGSIZE)
		fail(w, "send to %d: %d", mbox, ret);
}

static void do_sendv(struct worker *w, int mbox)
{
	unsigned char buf[BATCH][MSG_MAX];
	struct kmbox_msg m[BATCH];
	struct kmbox_msgv v = { .msgs = (__u64)(unsigned long)m };
	int fd = pick_fd(w, mbox, KMBOX_SEND), ret, i;

	v.count = 1 + rnd(w, BATCH);
	if (fd < 0 || !can_send(w, v.count))
		return;
	memset(m, 0, sizeof(m));
	for (i = 0; i < (int)v.count; i++) {
		m[i].priority = rnd(w, KMBOX_PRIO_MAX + 1);
		m[i].buf = (__u64)(unsigned long)buf[i];
		m[i].len = make_msg(w, buf[i], w->producer, w->seq + i, mbox,
				    m[i].priority, MSG_MAX);
	}
	v.flags = timing(w, &v.timeout_ns);
	ret = kmbox_test_ioctl(fd, KMBOX_IOC_SENDV, &v);
	if (ret > 0 && ret <= (int)v.count)
		sent(w, mbox, ret);
	else if (ret != -EAGAIN && ret != -ETIMEDOUT && ret != -EMSGSIZE)
		fail(w, "sendv to %d: %d", mbox, ret);
}

/* RECV (maybe a peek, any timing) or, on O_NONBLOCK, read(). */
static void do_recv(struct worker *w, int mbox, int use_read, int peek)
{
	unsigned char buf[MSG_MAX];
	int fd = pick_fd(w, mbox, KMBOX_RECV), ret;
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = sizeof(buf),
	};

	if (fd < 0 || (use_read && !nonblocking(fd)))
		return;
	if (use_read) {
		ret = kmbox_test_read(fd, buf, sizeof(buf));
	} else {
		m.flags = timing(w, &m.timeout_ns);
		/* A peek must not wait: a taker may empty the box. */
		if (peek)
			m.flags = KMBOX_PEEK | KMBOX_DONTWAIT;
		m.timeout_ns = peek ? 0 : m.timeout_ns;
		ret = kmbox_test_ioctl(fd, KMBOX_IOC_RECV, &m);
	}
	if (ret >= 0)
		check_msg(w, buf, ret, mbox, use_read ? NULL : &m, peek);
	else if (ret != -EAGAIN && ret != -ETIMEDOUT)
		fail(w, "recv from %d: %d", mbox, ret);
}

static void do_recvv(struct worker *w, int mbox)
{
	unsigned char buf[BATCH][MSG_MAX];
	struct kmbox_msg m[BATCH];
	struct kmbox_msgv v = { .msgs = (__u64)(unsigned long)m };
	int fd = pick_fd(w, mbox, KMBOX_RECV), ret, i;

	if (fd < 0)
		return;
	v.count = 1 + rnd(w, BATCH);
	memset(m, 0, sizeof(m));
	for (i = 0; i < (int)v.count; i++) {
		m[i].buf = (__u64)(unsigned long)buf[i];
		m[i].len = MSG_MAX;
	}
	v.flags = timing(w, &v.timeout_ns);
	if (v.flags != KMBOX_DONTWAIT && rnd(w, 2))
		v.flags |= KMBOX_WAITFORONE;
	ret = kmbox_test_ioctl(fd, KMBOX_IOC_RECVV, &v);
	if (ret > (int)v.count) {
		fail(w, "recvv from %d: %d of %u", mbox, ret, v.count);
		return;
	}
	for (i = 0; i < ret; i++)
		check_msg(w, buf[i], m[i].msg_len, mbox, &m[i], 0);
	if (ret <= 0 && ret != -EAGAIN && ret != -ETIMEDOUT)
		fail(w, "recvv from %d: %d", mbox, ret);
}

/* poll() for what the descriptor's roles allow: never an error. */
static void do_poll(struct worker *w, int mbox)
{
	int n = w->nfds[mbox], r;

	if (!n)
		return;
	r = kmbox_test_poll(w->fds[mbox][rnd(w, n)].fd, POLLIN | POLLOUT,
			    rnd(w, 2));
	if (r < 0 || r & (POLLERR | POLLHUP | POLLNVAL))
		fail(w, "poll of %d: %#x", mbox, r);
}

/* A deadline already past: done if it need not wait, else ETIMEDOUT. */
static void do_past(struct worker *w, int mbox)
{
	unsigned char buf[MSG_MAX];
	int fd = pick_fd(w, mbox, KMBOX_RECV), ret;
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = sizeof(buf),
		.flags = KMBOX_ABSTIME,
		.timeout_ns = rnd(w, 2) ? 1 : kmbox_test_now_ns() - MSEC,
	};

	if (fd < 0 || nonblocking(fd))
		return;
	ret = kmbox_test_ioctl(fd, KMBOX_IOC_RECV, &m);
	if (ret >= 0)
		check_msg(w, buf, ret, mbox, &m, 0);
	else if (ret != -ETIMEDOUT)
		fail(w, "recv by a past deadline from %d: %d", mbox, ret);
}

/*
 * SET_ATTR with a random capacity and largest message: shrinking below
 * what is queued is EBUSY; a queued message longer than the new largest
 * one stays and is delivered (receivers' buffers hold MSG_MAX).
 */
static void do_setattr(struct worker *w, int mbox)
{
	struct kmbox_attr a = { 0 };
	int n = w->nfds[mbox], ret;

	if (!n)
		return;
	a.max_msgs = 4 + rnd(w, 61);
	a.max_msg_size = MSG_MIN + rnd(w, MSG_MAX - MSG_MIN + 1);
	a.max_bytes = a.max_msgs * a.max_msg_size;
	ret = kmbox_test_ioctl(w->fds[mbox][rnd(w, n)].fd,
			       KMBOX_IOC_SET_ATTR, &a);
	if (ret && ret != -EBUSY)
		fail(w, "set_attr of %d: %d", mbox, ret);
}

/* STAT and GET_ATTR: the figures hold together. */
static void do_stat(struct worker *w, int mbox)
{
	int n = w->nfds[mbox], fd;
	struct kmbox_stat st;
	struct kmbox_attr a;

	if (!n)
		return;
	fd = w->fds[mbox][rnd(w, n)].fd;
	if (kmbox_test_stat(fd, &st) ||
	    kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a)) {
		fail(w, "stat of %d", mbox);
		return;
	}
	if (st.msgs > st.max_msgs || st.bytes > st.max_bytes ||
	    st.msgs > st.high_water || st.received > st.sent ||
	    st.sent - st.received != st.msgs || !st.senders ||
	    !st.receivers || st.state != KMBOX_STATE_NAMED)
		fail(w, "stat of %d: msgs %llu/%llu bytes %llu/%llu sent %llu received %llu",
		     mbox, (unsigned long long)st.msgs,
		     (unsigned long long)st.max_msgs,
		     (unsigned long long)st.bytes,
		     (unsigned long long)st.max_bytes,
		     (unsigned long long)st.sent,
		     (unsigned long long)st.received);
}

/* One message through the ring, as its producer or its consumer. */
static void do_ring(struct worker *w)
{
	unsigned char buf[MSG_MAX];
	__u32 flags = rnd(w, 2) ? KMBOX_DONTWAIT : KMBOX_TIMEOUT;
	__u64 timeout_ns = flags == KMBOX_TIMEOUT ? rnd(w, MSEC) : 0;
	size_t len;
	ssize_t ret;

	if (w->ring_side == KMBOX_RING_PRODUCER) {
		if (w->ring_producer == ~0u ||
		    w->ring_seq >= seq_limit(w->b, w->ring_producer))
			return;
		len = make_msg(w, buf, w->ring_producer, w->ring_seq, RING, 0,
			       MSG_MAX);
		ret = kmbox_ring_send(&w->ring, buf, len, flags, timeout_ns);
		if (ret == (ssize_t)len) {
			w->ring_seq++;
			__atomic_store_n(&w->b->sent[w->ring_producer],
					 w->ring_seq, __ATOMIC_RELEASE);
			__atomic_fetch_add(&w->b->mbox_sent[RING], 1,
					   __ATOMIC_RELAXED);
		} else if (ret == -EPIPE) {
			/* The consumer has finished and gone. */
			w->ring_producer = ~0u;
		} else if (ret != -EAGAIN && ret != -ETIMEDOUT) {
			fail(w, "ring send: %zd", ret);
		}
	} else if (w->ring_side == KMBOX_RING_CONSUMER && !w->ring_done) {
		ret = kmbox_ring_recv(&w->ring, buf, sizeof(buf), flags,
				      timeout_ns);
		if (ret >= 0)
			check_msg(w, buf, ret, RING, NULL, 0);
		else if (ret == -EPIPE)
			w->ring_done = 1;
		else if (ret != -EAGAIN && ret != -ETIMEDOUT)
			fail(w, "ring recv: %zd", ret);
	}
}

/* Reaps this worker's children; waits for them if @block. */
static void reap(struct worker *w, int block)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < KIDS; i++) {
		if (!w->kids[i])
			continue;
		pid = waitpid(w->kids[i], &status, block ? 0 : WNOHANG);
		if (pid == 0)
			continue;
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			fail(w, "child %d: status %#x", w->kids[i], status);
		w->kids[i] = 0;
	}
}

static void run(struct worker *w, unsigned long max_ops);

/*
 * A child that carries on with the descriptors it inherited (the same
 * open files as its parent's), as a producer of its own, for a while.
 */
static void do_fork(struct worker *w)
{
	struct worker kid;
	int i;
	pid_t pid;

	for (i = 0; i < KIDS && w->kids[i]; i++)
		;
	if (w->child || i == KIDS)
		return;
	rng_next(&w->rng);
	pid = fork();
	if (pid < 0) {
		fail(w, "fork: %d", -errno);
		return;
	}
	if (pid) {
		w->kids[i] = pid;
		__atomic_fetch_add(&w->b->kids, 1, __ATOMIC_RELAXED);
		return;
	}
	kid = *w;
	kid.child = 1;
	kid.ring_side = 0;
	kid.rng ^= 0x5851f42d4c957f2dull;
	kid.producer = new_producer(w->b, 1);
	kid.seq = 0;
	memset(kid.kids, 0, sizeof(kid.kids));
	run(&kid, 50 + rnd(&kid, 200));
	_exit(0);
}

static void do_op(struct worker *w, enum op op, int mbox)
{
	switch (op) {
	case OP_SEND:
	case OP_WRITE:
		do_send(w, mbox, op == OP_WRITE);
		break;
	case OP_SENDV:
		do_sendv(w, mbox);
		break;
	case OP_RECV:
	case OP_READ:
	case OP_PEEK:
		do_recv(w, mbox, op == OP_READ, op == OP_PEEK);
		break;
	case OP_RECVV:
		do_recvv(w, mbox);
		break;
	case OP_POLL:
		do_poll(w, mbox);
		break;
	case OP_PAST:
		do_past(w, mbox);
		break;
	case OP_OPEN:
		do_open(w, mbox);
		break;
	case OP_CLOSE:
		do_close(w, mbox);
		break;
	case OP_DUP:
		do_dup(w, mbox);
		break;
	case OP_FORK:
		do_fork(w);
		break;
	case OP_SETATTR:
		do_setattr(w, mbox);
		break;
	case OP_STAT:
		do_stat(w, mbox);
		break;
	case OP_RING:
		do_ring(w);
		break;
	case NR_OPS:
		break;
	}
}

/* Random operations until the deadline or @max_ops. */
static void run(struct worker *w, unsigned long max_ops)
{
	unsigned int total = 0, r, op;
	unsigned long n;
	__u64 counts[NR_OPS] = { 0 };

	for (op = 0; op < NR_OPS; op++)
		total += op_weight[op];
	for (n = 0; n < max_ops && kmbox_test_now_ns() < w->end; n++) {
		r = rnd(w, total);
		for (op = 0; r >= op_weight[op]; op++)
			r -= op_weight[op];
		do_op(w, op, rnd(w, MAILBOXES));
		counts[op]++;
		if (!w->child && !(n % 16))
			reap(w, 0);
	}
	reap(w, 1);
	for (op = 0; op < NR_OPS; op++)
		__atomic_fetch_add(&w->b->ops[op], counts[op],
				   __ATOMIC_RELAXED);
}

/* A worker process: one descriptor of each mailbox to start with. */
static void worker(struct board *b, const char (*names)[64], int id,
		   __u64 seed, __u64 end)
{
	struct worker w = {
		.b = b,
		.names = names,
		.end = end,
		.rng = seed * 0x9e3779b97f4a7c15ull + id + 1,
		.ring_producer = ~0u,
	};
	int m, fd, ret;

	w.producer = new_producer(b, 0);
	for (m = 0; m < MAILBOXES; m++)
		do_open(&w, m);
	if (id < 2) {
		/* Worker 0 is the ring's producer, worker 1 its consumer. */
		w.ring_side = id ? KMBOX_RING_CONSUMER : KMBOX_RING_PRODUCER;
		if (!id)
			w.ring_producer = new_producer(b, 0);
		fd = kmbox_test_open(names[RING], KMBOX_CLOEXEC);
		ret = fd < 0 ? fd : kmbox_ring_attach(&w.ring, fd,
						      w.ring_side);
		if (ret) {
			fail(&w, "ring attach: %d", ret);
			w.ring_side = 0;
		}
	}
	run(&w, MAX_OPS);
	_exit(0);
}

FIXTURE(soak) {
	struct board *b;
	size_t size;
	char names[MAILBOXES + 1][64];
	int fd[MAILBOXES + 1];		/* the test's, both roles */
	pid_t pid[WORKERS];
};

FIXTURE_SETUP(soak)
{
	__u32 secs = kmbox_test_stress_secs();
	struct kmbox_attr attr = {
		.max_msgs = 16,
		.max_msg_size = MSG_MAX,
	};
	__u32 seq_max;
	int m;

	seq_max = 16384 + 4096 * (secs > 240 ? 240 : secs);
	self->size = sizeof(*self->b) + seen_size(seq_max);
	self->b = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->b != MAP_FAILED);
	self->b->seq_max = seq_max;
	for (m = 0; m <= MAILBOXES; m++) {
		kmbox_test_name(self->names[m], sizeof(self->names[m]),
				"soak");
		if (m == RING)
			attr.region_size = kmbox_ring_region_size(RING_DATA);
		self->fd[m] = kmbox_test_create(self->names[m], &attr,
						KMBOX_EXCL | KMBOX_CLOEXEC);
		ASSERT_GE(self->fd[m], 0);
	}
}

FIXTURE_TEARDOWN(soak)
{
	int m;

	for (m = 0; m < WORKERS; m++)
		kmbox_test_kill(&self->pid[m]);
	for (m = 0; m <= MAILBOXES; m++) {
		close(self->fd[m]);
		kmbox_test_unlink(self->names[m]);
	}
	munmap(self->b, self->size);
}

/* The seed: KMBOX_SOAK_SEED, or a fixed one. */
static __u64 soak_seed(void)
{
	const char *s = getenv("KMBOX_SOAK_SEED");

	if (s && *s)
		return strtoull(s, NULL, 0);
	return 0x6b6d626f78ull;	/* "kmbox": the same mix every run */
}

/*
 * Takes what is left in mailbox @m (and, for the ring, what its producer
 * left in the ring), as the workers would: the number taken.
 */
static __u64 drain(FIXTURE_DATA(soak) *self, struct worker *w, int m)
{
	unsigned char buf[MSG_MAX];
	struct kmbox_ring ring;
	struct kmbox_msg km;
	__u64 n = 0;
	ssize_t ret;

	if (m == RING) {
		ret = kmbox_ring_attach(&ring, self->fd[m],
					KMBOX_RING_CONSUMER);
		if (ret) {
			fail(w, "drain: ring attach: %zd", ret);
			return 0;
		}
		while ((ret = kmbox_ring_recv(&ring, buf, sizeof(buf),
					      KMBOX_DONTWAIT, 0)) >= 0) {
			check_msg(w, buf, ret, RING, NULL, 0);
			n++;
		}
		if (ret != -EPIPE)
			fail(w, "drain: ring: %zd", ret);
		kmbox_ring_detach(&ring);
		return n;
	}
	while ((ret = kmbox_test_recv(self->fd[m], buf, sizeof(buf),
				      KMBOX_DONTWAIT, &km)) >= 0) {
		check_msg(w, buf, ret, m, &km, 0);
		n++;
	}
	if (ret != -EAGAIN)
		fail(w, "drain %d: %zd", m, ret);
	return n;
}

/*
 * WORKERS processes, a random mix of operations, then the accounting:
 * every message sent was received exactly once (by a worker, a child
 * or the final drain), none that was not sent, checksums and metadata
 * intact, and each mailbox's STAT agrees with what was counted.
 */
TEST_F(soak, mix)
{
	struct board *b = self->b;
	struct worker w = { .b = b };
	__u64 seed = soak_seed(), left = 0, missing = 0, phantom = 0;
	__u64 end = kmbox_test_now_ns() + kmbox_test_stress_secs() * NSEC;
	struct kmbox_stat st;
	__u32 p, s, m;
	int i;

	ksft_print_msg("soak: seed %llu (KMBOX_SOAK_SEED=%llu replays it), %u workers, %u s\n",
		       (unsigned long long)seed, (unsigned long long)seed,
		       WORKERS, kmbox_test_stress_secs());
	for (i = 0; i < WORKERS; i++) {
		self->pid[i] = fork();
		ASSERT_GE(self->pid[i], 0);
		if (self->pid[i] == 0)
			worker(b, (const char (*)[64])self->names, i, seed,
			       end);
	}
	for (i = 0; i < WORKERS; i++) {
		EXPECT_EQ(0, kmbox_test_reap_kid(&self->pid[i]));
	}
	for (m = 0; m <= MAILBOXES; m++)
		left += drain(self, &w, m);

	for (p = 0; p < PRODUCERS; p++) {
		for (s = 0; s < seq_limit(b, p); s++) {
			int n = was_seen(b, p, s);

			if (s < b->sent[p] && !n)
				missing++;
			else if (s >= b->sent[p] && n)
				phantom++;
		}
	}
	EXPECT_EQ(0, b->errors) {
		TH_LOG("%u errors, the first: %s", b->errors, b->err);
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, phantom);
	for (m = 0; m <= MAILBOXES; m++) {
		EXPECT_EQ(b->mbox_sent[m], b->mbox_received[m]) {
			TH_LOG("mailbox %u", m);
		}
		if (m == RING)
			continue;
		ASSERT_EQ(0, kmbox_test_stat(self->fd[m], &st));
		EXPECT_EQ(b->mbox_sent[m], st.sent);
		EXPECT_EQ(b->mbox_received[m], st.received);
		EXPECT_EQ(0, st.msgs);
		EXPECT_EQ(0, st.blocked_senders);
		EXPECT_EQ(0, st.blocked_receivers);
		EXPECT_EQ(1, st.senders);
		EXPECT_EQ(1, st.receivers);
	}
	for (m = 0; m <= MAILBOXES; m++)
		ksft_print_msg("soak: %s %u: %llu messages\n",
			       m == RING ? "ring   " : "mailbox", m,
			       (unsigned long long)b->mbox_sent[m]);
	ksft_print_msg("soak: %llu drained at the end, %llu children\n",
		       (unsigned long long)left, (unsigned long long)b->kids);
	for (i = 0; i < NR_OPS; i++)
		ksft_print_msg("soak: %-8s %llu\n", op_names[i],
			       (unsigned long long)b->ops[i]);
}

KMBOX_TEST_STRESS_TIMEOUT(soak, mix)

TEST_HARNESS_MAIN
