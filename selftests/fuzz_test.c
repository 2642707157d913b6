// SPDX-License-Identifier: GPL-2.0
/*
 * An ioctl fuzzer.  Random commands (the real KMBOX_IOC_* numbers and
 * their neighbours: another number, size, direction or type byte), random
 * struct contents, flags, reserved fields and pointers (NULL, unmapped,
 * kernel, misaligned, a buffer that ends right before a PROT_NONE page or
 * runs into it), on /dev/kmbox and on mailbox descriptors of each role,
 * with and without a region, mixed with valid calls (create, send,
 * receive, batches, rings, mappings, shutdown) so that the deeper paths
 * run too.
 *
 * Every call must return success or one of the errnos that
 * Documentation/userspace-api.rst lists for that ioctl (ENOTTY for an
 * unknown command); STAT's figures must agree with each other; the
 * process must not crash; at the end every mailbox still works and a
 * new one too.  The VM runner's dmesg and kmemleak checks catch what
 * goes wrong inside the kernel.
 *
 * The seed is printed at the start; KMBOX_FUZZ_SEED=<seed> replays it
 * (the PRNG is xorshift64 and no choice depends on the clock).
 * KMBOX_STRESS_SECS (default 2) bounds each run.
 */
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define SLOTS		6		/* mailboxes the fuzzer keeps */
#define ARG_SIZE	(16 * 1024)	/* the largest _IOC_SIZE, and more */
#define BUF_SIZE	(64 * 1024)	/* message buffers */
#define MAX_ITERS	10000000ul
#define MAX_REPORTS	20		/* bad results printed */
#define USER		65530		/* the test's unprivileged user */
#define TIMER_US	5000		/* SIGALRM period: ends any sleep */
#define REPLAY_ITERS	400

/* An ioctl of kmbox and the errnos its documentation lists. */
struct ioc {
	const char *name;
	unsigned int cmd;
	int on_mbox;		/* issued on a mailbox descriptor */
	int errs[10];		/* but EFAULT, EINVAL, E2BIG; 0 ends */
};

enum {
	I_VERSION, I_CREATE, I_OPEN, I_UNLINK,
	I_SEND, I_RECV, I_SHUTDOWN, I_GET_ATTR, I_SET_ATTR, I_STAT,
	I_SENDV, I_RECVV, I_RING_JOIN, I_RING_WAIT, I_RING_WAKE,
	I_COUNT
};

#define RECV_ERRS	EBADF, EMSGSIZE, EAGAIN, ETIMEDOUT, EINTR, EPIPE
#define SEND_ERRS	RECV_ERRS, ENOMEM

static const struct ioc iocs[I_COUNT] = {
	[I_VERSION] = { "VERSION", KMBOX_IOC_VERSION, 0, { 0 } },
	[I_CREATE] = { "CREATE", KMBOX_IOC_CREATE, 0,
		{ ENAMETOOLONG, EEXIST, EOVERFLOW, ENOSPC, ENOMEM, EACCES,
		  EMFILE } },
	[I_OPEN] = { "OPEN", KMBOX_IOC_OPEN, 0,
		{ ENOENT, EACCES, ENAMETOOLONG, EMFILE } },
	[I_UNLINK] = { "UNLINK", KMBOX_IOC_UNLINK, 0,
		{ ENOENT, EPERM, ENAMETOOLONG } },
	[I_SEND] = { "SEND", KMBOX_IOC_SEND, 1, { SEND_ERRS } },
	[I_RECV] = { "RECV", KMBOX_IOC_RECV, 1, { RECV_ERRS } },
	[I_SHUTDOWN] = { "SHUTDOWN", KMBOX_IOC_SHUTDOWN, 1, { 0 } },
	[I_GET_ATTR] = { "GET_ATTR", KMBOX_IOC_GET_ATTR, 1, { 0 } },
	[I_SET_ATTR] = { "SET_ATTR", KMBOX_IOC_SET_ATTR, 1,
		{ EPERM, EBUSY, ENOMEM } },
	[I_STAT] = { "STAT", KMBOX_IOC_STAT, 1, { 0 } },
	[I_SENDV] = { "SENDV", KMBOX_IOC_SENDV, 1, { SEND_ERRS } },
	[I_RECVV] = { "RECVV", KMBOX_IOC_RECVV, 1, { RECV_ERRS } },
	[I_RING_JOIN] = { "RING_JOIN", KMBOX_IOC_RING_JOIN, 1,
		{ ENODEV, EBADF, EALREADY, EBUSY } },
	[I_RING_WAIT] = { "RING_WAIT", KMBOX_IOC_RING_WAIT, 1,
		{ EPIPE, EAGAIN, ETIMEDOUT, EINTR } },
	[I_RING_WAKE] = { "RING_WAKE", KMBOX_IOC_RING_WAKE, 1, { 0 } },
};

/* The descriptors of a slot: both roles, send only, receive only. */
enum { RW, SND, RCV, ROLES };

struct slot {
	char name[64];		/* "" for an anonymous mailbox */
	int fd[ROLES];
	__u64 region;		/* region_size */
	void *map_rw;		/* region mapped through fd[RW], or NULL */
	void *map_ro;		/* read-only through fd[RCV], or NULL */
	__u64 max_msg_size;	/* at creation */
};

struct fuzz {
	__u64 s;		/* xorshift64 state */
	__u64 trace;		/* hash of every number drawn */
	long page;
	int dev, dev_ro;	/* /dev/kmbox read-write and read-only */
	struct slot slot[SLOTS];
	unsigned int made;	/* mailboxes made, for unique names */
	char *arg;		/* ARG_SIZE + 8: the argument struct */
	char *tmp;		/* ARG_SIZE: where it is built */
	char *buf;		/* BUF_SIZE + 8: message buffers */
	struct kmbox_msg *msgs;	/* KMBOX_MSGV_MAX + 1 elements */
	char *garg, *gbuf;	/* a page each, before a PROT_NONE one */
	void *unmapped;
	char long_name[KMBOX_NAME_MAX + 2];
	long long max_msgs_max, msg_size_max, bytes_max, region_size_max;
	unsigned long iters, calls, ok, bad;
	unsigned long per_errno[160];
};

static __u64 rnd(struct fuzz *f)
{
	__u64 x = f->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->s = x;
	f->trace = f->trace * 1000003 ^ x;
	return x;
}

/* 0 to @n - 1. */
static __u32 below(struct fuzz *f, __u32 n)
{
	return n ? rnd(f) % n : 0;
}

/* True one time in @n. */
static int one_in(struct fuzz *f, __u32 n)
{
	return below(f, n) == 0;
}

static __u64 ptr(const void *p)
{
	return (__u64)(unsigned long)p;
}

/* A number of the kinds that break things: 0, 1, limits, powers of 2. */
static __u64 any_u64(struct fuzz *f)
{
	switch (below(f, 8)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return rnd(f);
	case 3:
		return ~0ull;
	case 4:
		return 1ull << below(f, 64);
	case 5:
		return (1ull << below(f, 64)) - 1;
	case 6:
		return below(f, 4096);
	default:
		return (__u64)INT64_MAX - 1 + below(f, 3);
	}
}

/* A slot's region mapping, or NULL: read-write or read-only. */
static void *any_map(struct fuzz *f)
{
	struct slot *s = &f->slot[below(f, SLOTS)];

	return one_in(f, 2) ? s->map_rw : s->map_ro;
}

/*
 * A user pointer for @len bytes: mostly @valid, else NULL, unmapped, in
 * the kernel, non-canonical, misaligned, ending right before a PROT_NONE
 * page, running into it, or a region mapping (maybe read-only).
 */
static __u64 any_ptr(struct fuzz *f, void *valid, size_t len, char *guard)
{
	size_t fit = len < (size_t)f->page ? len : (size_t)f->page;
	void *m;

	switch (below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return ptr(f->unmapped);
	case 2:
		return ptr(kmbox_test_kernel_ptr());
	case 3:
		return rnd(f) | 1ull << 63;
	case 4:
		return ptr(valid) + 1 + below(f, 7);
	case 5:
	case 6:
		return ptr(guard + f->page - fit);
	case 7:
		return ptr(guard + f->page - fit + 1 + below(f, 8));
	case 8:
		m = any_map(f);
		return m ? ptr(m) : ptr(valid);
	default:
		return ptr(valid);
	}
}

/* A name: a slot's, a new one, empty, 255 or 256 bytes, bad pointers. */
static __u64 any_name(struct fuzz *f)
{
	char *n = f->buf + BUF_SIZE - 128;
	size_t len;

	switch (below(f, 12)) {
	case 0:
		return 0;
	case 1:
		n[0] = 0;
		return ptr(n);
	case 2:
		f->long_name[KMBOX_NAME_MAX] = 0;
		return ptr(f->long_name);
	case 3:
		f->long_name[KMBOX_NAME_MAX] = 'z';
		return ptr(f->long_name);
	case 4:
		/* Unterminated, up to the guard page. */
		memset(f->gbuf + f->page - 16, 'q', 16);
		return ptr(f->gbuf + f->page - 16);
	case 5:
		/* Terminated right before the guard page. */
		len = 1 + below(f, 16);
		memset(f->gbuf + f->page - len - 1, 'g', len);
		f->gbuf[f->page - 1] = 0;
		return ptr(f->gbuf + f->page - len - 1);
	case 6:
		return any_ptr(f, n, 1, f->gbuf);
	case 7:
	case 8:
		snprintf(n, 64, "fuzz-%d-n%u", (int)getpid(), below(f, 8));
		return ptr(n);
	default:
		return ptr(f->slot[below(f, SLOTS)].name);
	}
}

/* Flags of a call and its timeout: mostly valid, never a long sleep. */
static void any_timing(struct fuzz *f, __u32 *flags, __u64 *timeout)
{
	*timeout = 0;
	switch (below(f, 10)) {
	case 0:
		*flags = 0;
		break;
	case 1:
		*flags = KMBOX_TIMEOUT;
		*timeout = below(f, 2000000);
		break;
	case 2:
		*flags = KMBOX_ABSTIME;
		*timeout = one_in(f, 2) ? below(f, 1000) :
			   kmbox_test_now_ns() + below(f, 2000000);
		break;
	case 3:
		*flags = (__u32)rnd(f);
		*timeout = any_u64(f);
		break;
	case 4:
		*flags = KMBOX_TIMEOUT | KMBOX_ABSTIME;
		*timeout = below(f, 1000);
		break;
	case 5:
		*flags = KMBOX_DONTWAIT |
			 (one_in(f, 2) ? KMBOX_TIMEOUT : KMBOX_ABSTIME);
		break;
	case 6:
		*flags = one_in(f, 2) ? KMBOX_TIMEOUT : 0;
		*timeout = (__u64)INT64_MAX + 1 + below(f, 2);
		break;
	default:
		*flags = KMBOX_DONTWAIT;
		*timeout = one_in(f, 4) ? 1 : 0;
		break;
	}
}

/* A message length: mostly small, sometimes huge or off a limit. */
static __u64 any_len(struct fuzz *f, const struct slot *s)
{
	switch (below(f, 8)) {
	case 0:
		return 0;
	case 1:
		return s->max_msg_size + below(f, 3) - 1;
	case 2:
		return any_u64(f);
	case 3:
		return BUF_SIZE;
	default:
		return below(f, 256);
	}
}

static void build_attr(struct fuzz *f, struct kmbox_attr *a)
{
	static const __u64 pick[] = { 0, 1, 2, 8, 64, 4096 };
	int i;

	a->max_msgs = one_in(f, 4) ? any_u64(f) : pick[below(f, 6)];
	if (one_in(f, 8))
		a->max_msgs = f->max_msgs_max + below(f, 2);
	a->max_msg_size = one_in(f, 4) ? any_u64(f) : pick[below(f, 6)];
	if (one_in(f, 8))
		a->max_msg_size = f->msg_size_max + below(f, 2);
	a->max_bytes = one_in(f, 3) ? any_u64(f) : 0;
	if (one_in(f, 8))
		a->max_bytes = f->bytes_max + below(f, 2);
	a->mode = one_in(f, 4) ? (__u32)rnd(f) : below(f, 01000);
	a->flags = one_in(f, 4) ? (__u32)rnd(f) : below(f, 2);
	switch (below(f, 8)) {
	case 0:
		a->region_size = any_u64(f);
		break;
	case 1:
		a->region_size = f->page * (1 + below(f, 4));
		break;
	case 2:
		/* The ceiling (rarely: it is populated at once) and above. */
		a->region_size = one_in(f, 8) ? f->region_size_max :
				 f->region_size_max + f->page;
		break;
	case 3:
		a->region_size = f->page + 1 + below(f, f->page - 1);
		break;
	default:
		a->region_size = 0;
		break;
	}
	for (i = 0; i < 3; i++)
		a->reserved[i] = one_in(f, 8) ? any_u64(f) : 0;
}

/* Open flags, mostly valid. */
static __u32 any_open_flags(struct fuzz *f, int excl)
{
	__u32 fl = below(f, 32);

	if (!excl)
		fl &= ~KMBOX_EXCL;
	if (one_in(f, 8))
		fl = (__u32)rnd(f);
	if (one_in(f, 16))
		fl |= KMBOX_EXCL;
	return fl;
}

/* An element of a batch, mostly valid. */
static void build_elem(struct fuzz *f, struct kmbox_msg *m,
		       const struct slot *s, char *data)
{
	memset(m, 0, sizeof(*m));
	m->len = one_in(f, 8) ? any_len(f, s) : below(f, 128);
	m->buf = any_ptr(f, data, m->len, f->gbuf);
	m->priority = one_in(f, 16) ? (__u32)rnd(f) : below(f, 32);
	if (one_in(f, 16))
		m->flags = (__u32)rnd(f);
	if (one_in(f, 16))
		m->timeout_ns = any_u64(f);
	if (one_in(f, 8)) {
		m->msg_len = rnd(f);
		m->seq = rnd(f);
	}
}

/*
 * Build a plausible argument of @ioc into f->tmp (zeroed, ARG_SIZE),
 * mostly valid so that calls get past the first checks.
 */
static void build(struct fuzz *f, int ioc, const struct slot *s)
{
	struct kmbox_create *c = (void *)f->tmp;
	struct kmbox_unlink *u = (void *)f->tmp;
	struct kmbox_open *o = (void *)f->tmp;
	struct kmbox_msg *m = (void *)f->tmp;
	struct kmbox_msgv *v = (void *)f->tmp;
	struct kmbox_ring_join *j = (void *)f->tmp;
	struct kmbox_ring_wait *w = (void *)f->tmp;
	char *data = f->buf;
	__u32 i, n;
	__u32 *word;

	memset(f->tmp, 0, ARG_SIZE);
	switch (ioc) {
	case I_CREATE:
		c->name = one_in(f, 3) ? 0 : any_name(f);
		c->flags = any_open_flags(f, 1);
		c->pad = one_in(f, 16) ? (__u32)rnd(f) : 0;
		build_attr(f, &c->attr);
		break;
	case I_OPEN:
		o->name = any_name(f);
		o->flags = any_open_flags(f, 0);
		o->pad = one_in(f, 16) ? (__u32)rnd(f) : 0;
		break;
	case I_UNLINK:
		u->name = any_name(f);
		u->flags = one_in(f, 8) ? (__u32)rnd(f) : 0;
		u->pad = one_in(f, 8) ? (__u32)rnd(f) : 0;
		break;
	case I_SEND:
	case I_RECV:
		m->len = any_len(f, s);
		m->buf = any_ptr(f, data, m->len, f->gbuf);
		any_timing(f, &m->flags, &m->timeout_ns);
		if (one_in(f, 4))
			m->flags |= 1u << below(f, 6);
		m->priority = one_in(f, 8) ? (__u32)rnd(f) : below(f, 32);
		if (one_in(f, 4)) {
			m->msg_len = rnd(f);
			m->seq = rnd(f);
			m->time_ns = rnd(f);
			m->sender_pid = (__s32)rnd(f);
			m->sender_uid = (__u32)rnd(f);
		}
		break;
	case I_SET_ATTR:
		build_attr(f, (void *)f->tmp);
		/* Mostly within reach: grow or shrink a little. */
		if (one_in(f, 2)) {
			struct kmbox_attr *a = (void *)f->tmp;

			a->max_bytes = 0;
			a->region_size = one_in(f, 2) ? 0 : s->region;
			a->reserved[0] = a->reserved[1] = a->reserved[2] = 0;
		}
		break;
	case I_SENDV:
	case I_RECVV:
		switch (below(f, 8)) {
		case 0:
			n = 0;
			break;
		case 1:
			n = KMBOX_MSGV_MAX + below(f, 2);
			break;
		case 2:
			n = (__u32)rnd(f);
			break;
		default:
			n = 1 + below(f, 16);
			break;
		}
		v->count = n;
		if (n > KMBOX_MSGV_MAX)
			n = KMBOX_MSGV_MAX;
		for (i = 0; i < n && i < 32; i++)
			build_elem(f, &f->msgs[i], s, data + 512 * i);
		for (; i < n; i++)
			f->msgs[i] = f->msgs[i % 32];
		v->msgs = any_ptr(f, f->msgs, n * sizeof(*f->msgs), f->gbuf);
		any_timing(f, &v->flags, &v->timeout_ns);
		if (one_in(f, 4))
			v->flags |= 1u << below(f, 6);
		break;
	case I_RING_JOIN:
		j->side = one_in(f, 8) ? (__u32)rnd(f) : 1 + below(f, 2);
		j->flags = one_in(f, 8) ? (__u32)rnd(f) : 0;
		break;
	case I_RING_WAIT:
		word = s->map_rw ? (__u32 *)s->map_rw + below(f, 64) :
				   (__u32 *)(f->buf + 4 * below(f, 64));
		w->uaddr = any_ptr(f, word, 4, f->gbuf);
		w->value = one_in(f, 3) ? (__u32)rnd(f) : *word;
		any_timing(f, &w->flags, &w->timeout_ns);
		break;
	default:
		/* VERSION, GET_ATTR, STAT: output only; garbage in. */
		if (one_in(f, 2))
			memset(f->tmp, 0xAA, 512);
		break;
	}
}

/* Is @err one of those @ioc documents? */
static int documented(const struct ioc *ioc, int err)
{
	int i;

	if (err == EFAULT || err == EINVAL || err == E2BIG)
		return 1;
	for (i = 0; i < 10 && ioc->errs[i]; i++) {
		if (ioc->errs[i] == err)
			return 1;
	}
	return 0;
}

static void report(struct fuzz *f, const char *what, unsigned int cmd,
		   const char *fdname, long ret, int err)
{
	f->bad++;
	if (f->bad > MAX_REPORTS)
		return;
	ksft_print_msg("iteration %lu: %s cmd %#x on %s: returned %ld, %s\n",
		       f->iters, what, cmd, fdname, ret,
		       ret < 0 ? strerror(err) : "no error");
}

/*
 * The kmbox ioctl that @cmd is on a descriptor of kind @on_mbox, or -1:
 * the same type, number and direction, and for a command without an
 * argument also no size.
 */
static int resolve(unsigned int cmd, int on_mbox)
{
	unsigned int sizemask = _IOC_SIZEMASK << _IOC_SIZESHIFT;
	int i;

	for (i = 0; i < I_COUNT; i++) {
		if (iocs[i].on_mbox != on_mbox)
			continue;
		if ((cmd & ~sizemask) != (iocs[i].cmd & ~sizemask))
			continue;
		if (_IOC_DIR(iocs[i].cmd) == _IOC_NONE && _IOC_SIZE(cmd))
			return -1;
		return i;
	}
	return -1;
}

/* STAT's figures must agree with each other. */
static void check_stat(struct fuzz *f, const struct kmbox_stat *st,
		       const char *fdname)
{
	const char *why = NULL;

	if (st->sent - st->received != st->msgs)
		why = "sent - received != msgs";
	else if (st->msgs > st->max_msgs || st->bytes > st->max_bytes)
		why = "more queued than the capacity";
	else if (st->high_water < st->msgs)
		why = "high_water below msgs";
	else if (st->msgs == 0 && st->bytes != 0)
		why = "bytes queued in an empty mailbox";
	else if (st->pad || st->reserved[0] || !st->charge)
		why = "padding not zero";
	else if (st->ring_producers > 1 || st->ring_consumers > 1)
		why = "two ends of one side";
	else if (!st->receivers && !st->senders && !st->mappings)
		why = "no descriptor counted";
	if (!why)
		return;
	report(f, why, KMBOX_IOC_STAT, fdname, 0, 0);
	ksft_print_msg("  msgs %llu bytes %llu sent %llu received %llu max %llu/%llu hw %llu\n",
		       (unsigned long long)st->msgs,
		       (unsigned long long)st->bytes,
		       (unsigned long long)st->sent,
		       (unsigned long long)st->received,
		       (unsigned long long)st->max_msgs,
		       (unsigned long long)st->max_bytes,
		       (unsigned long long)st->high_water);
}

/*
 * Check the result of @cmd (meant as @ioc, or -1 for any other) on a
 * descriptor of kind @on_mbox, its argument at @arg of @usize bytes
 * (NULL if the pointer was not a valid one).
 */
static void check(struct fuzz *f, unsigned int cmd, int on_mbox,
		  const char *fdname, long ret, int err, const void *arg)
{
	int i = resolve(cmd, on_mbox);
	const struct ioc *ioc = i >= 0 ? &iocs[i] : NULL;
	unsigned int usize = _IOC_SIZE(cmd);
	const struct kmbox_msgv *v = arg;
	const struct kmbox_msg *m = arg;

	f->calls++;
	if (ret < 0 && err >= 0 && err < 160)
		f->per_errno[err]++;
	if (!ioc) {
		if (ret >= 0 || err != ENOTTY)
			report(f, "unknown command", cmd, fdname, ret, err);
		return;
	}
	if (ret < 0) {
		if (!documented(ioc, err))
			report(f, ioc->name, cmd, fdname, ret, err);
		return;
	}
	f->ok++;
	if (usize && usize < _IOC_SIZE(ioc->cmd))
		report(f, "short struct accepted", cmd, fdname, ret, 0);
	switch (i) {
	case I_CREATE:
	case I_OPEN:
		close(ret);
		break;
	case I_SEND:
		if (arg && (__u64)ret != m->len)
			report(f, "SEND length", cmd, fdname, ret, 0);
		break;
	case I_RECV:
		if (arg && ((__u64)ret > m->len || m->msg_len != (__u64)ret ||
			    m->priority > KMBOX_PRIO_MAX || !m->seq))
			report(f, "RECV metadata", cmd, fdname, ret, 0);
		break;
	case I_SENDV:
	case I_RECVV:
		if (arg && (ret < 1 || ret > v->count))
			report(f, ioc->name, cmd, fdname, ret, 0);
		break;
	case I_STAT:
		if (arg)
			check_stat(f, arg, fdname);
		break;
	default:
		if (ret)
			report(f, ioc->name, cmd, fdname, ret, 0);
		break;
	}
}

/* A type byte of no ioctl the VFS handles itself (FIOCLEX, FIFREEZE...). */
static unsigned int other_type(struct fuzz *f)
{
	static const unsigned char vfs[] = {
		0x00, 'T', 'X', 'f', 0x94, KMBOX_IOC_MAGIC,
	};
	unsigned int t, i;

again:
	t = below(f, 256);
	for (i = 0; i < sizeof(vfs); i++) {
		if (t == vfs[i])
			goto again;
	}
	return t;
}

/* @cmd, or a neighbour of it: another size, direction, number or type. */
static unsigned int mutate_cmd(struct fuzz *f, unsigned int cmd)
{
	unsigned int dir = _IOC_DIR(cmd), type = _IOC_TYPE(cmd);
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);

	switch (below(f, 20)) {
	case 0:
		size = below(f, _IOC_SIZEMASK + 1);
		break;
	case 1:
		size = size + 8 * (1 + below(f, 8));
		break;
	case 2:
		size = size > 8 ? size - 1 - below(f, 8) : below(f, 16);
		break;
	case 3:
		dir = below(f, 4);
		break;
	case 4:
		nr = below(f, 256);
		break;
	case 5:
		nr = nr ^ (1u << below(f, 8));
		break;
	case 6:
		type = other_type(f);
		break;
	default:
		return cmd;
	}
	return _IOC(dir, type, nr, size);
}

/* The descriptor a call goes to, and a name for it in reports. */
static int pick_fd(struct fuzz *f, int on_mbox, struct slot **sp,
		   const char **fdname)
{
	static const char * const names[] = { "rw", "send-only", "recv-only" };
	struct slot *s = &f->slot[below(f, SLOTS)];
	int role = below(f, ROLES);

	*sp = s;
	if (!on_mbox) {
		*fdname = one_in(f, 4) ? "dev-ro" : "dev";
		return !strcmp(*fdname, "dev") ? f->dev : f->dev_ro;
	}
	*fdname = names[role];
	return s->fd[role];
}

/* One fuzzed ioctl. */
static void fuzz_ioctl(struct fuzz *f)
{
	int i = below(f, I_COUNT), on_mbox, fd, place;
	unsigned int cmd = mutate_cmd(f, iocs[i].cmd), usize;
	const char *fdname;
	struct slot *s;
	char *arg = NULL;
	long ret;
	int err;

	/* Mostly the right kind of descriptor; sometimes the other. */
	on_mbox = one_in(f, 6) ? !iocs[i].on_mbox : iocs[i].on_mbox;
	fd = pick_fd(f, on_mbox, &s, &fdname);
	build(f, i, s);
	usize = _IOC_SIZE(cmd);
	/* A longer struct: mostly a zero tail, sometimes not. */
	if (usize > 8 && usize > _IOC_SIZE(iocs[i].cmd) && one_in(f, 3))
		f->tmp[usize - 1 - below(f, 8)] = (char)(1 + below(f, 255));
	/* A flipped byte anywhere. */
	if (usize && one_in(f, 5))
		f->tmp[below(f, usize)] ^= (char)(1 + below(f, 255));

	place = below(f, 16);
	switch (place) {
	case 0:
		ret = ioctl(fd, cmd, NULL);
		break;
	case 1:
		ret = ioctl(fd, cmd, f->unmapped);
		break;
	case 2:
		ret = ioctl(fd, cmd, kmbox_test_kernel_ptr());
		break;
	case 3:
		/* Misaligned. */
		arg = f->arg + 1 + below(f, 7);
		memcpy(arg, f->tmp, usize);
		ret = ioctl(fd, cmd, arg);
		break;
	case 4:
	case 5:
	case 6:
		/* Ending right before the guard page, or running into it. */
		if (usize <= (unsigned int)f->page) {
			unsigned int most = usize < 8 ? usize : 8;
			unsigned int over = place == 4 && usize ?
					    1 + below(f, most) : 0;

			arg = f->garg + f->page - usize + over;
			memcpy(arg, f->tmp, usize - over);
			ret = ioctl(fd, cmd, arg);
			if (over)
				arg = NULL;
			break;
		}
		/* fall through */
	default:
		arg = f->arg;
		memcpy(arg, f->tmp, usize);
		ret = ioctl(fd, cmd, arg);
		break;
	}
	err = errno;
	/* Only a struct that the call could read whole is checked after. */
	if (place < 3 || usize < _IOC_SIZE(iocs[i].cmd))
		arg = NULL;
	check(f, cmd, on_mbox, fdname, ret, err, arg);
}

static void unmap_slot(struct fuzz *f, struct slot *s)
{
	if (s->map_rw)
		munmap(s->map_rw, s->region);
	if (s->map_ro)
		munmap(s->map_ro, s->region);
	s->map_rw = s->map_ro = NULL;
}

static void close_slot(struct fuzz *f, struct slot *s)
{
	int r;

	unmap_slot(f, s);
	for (r = 0; r < ROLES; r++) {
		if (s->fd[r] >= 0)
			close(s->fd[r]);
		s->fd[r] = -1;
	}
}

/*
 * A new mailbox in @s (named or not, hangup or not, region or not); @s
 * keeps its old one if that fails: 0 or -errno.
 */
static int make_slot(struct fuzz *f, struct slot *s)
{
	struct slot n = { .fd = { -1, -1, -1 } };
	struct kmbox_attr a = { 0 };
	int r, rcv_flags;

	a.max_msgs = 1 + below(f, 32);
	a.max_msg_size = 1 + below(f, 4096);
	a.mode = 0600;
	a.flags = one_in(f, 3) ? KMBOX_ATTR_HANGUP : 0;
	a.region_size = one_in(f, 2) ? f->page * (1 + below(f, 4)) : 0;
	n.region = a.region_size;
	n.max_msg_size = a.max_msg_size;
	if (!one_in(f, 3))
		snprintf(n.name, sizeof(n.name), "fuzz-%d-%u",
			 (int)getpid(), ++f->made);
	rcv_flags = KMBOX_RECV | KMBOX_CLOEXEC |
		    (one_in(f, 2) ? KMBOX_NONBLOCK : 0);
	n.fd[RW] = kmbox_test_create(n.name[0] ? n.name : NULL, &a,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	if (n.fd[RW] < 0)
		return n.fd[RW];
	if (n.name[0]) {
		n.fd[SND] = kmbox_test_open(n.name,
					    KMBOX_SEND | KMBOX_CLOEXEC);
		n.fd[RCV] = kmbox_test_open(n.name, rcv_flags);
	} else {
		/* No name to open: the same file, as near as it gets. */
		n.fd[SND] = dup(n.fd[RW]);
		n.fd[RCV] = dup(n.fd[RW]);
	}
	for (r = 0; r < ROLES; r++) {
		if (n.fd[r] < 0) {
			close_slot(f, &n);
			return -EIO;
		}
	}
	close_slot(f, s);
	*s = n;
	return 0;
}

/* Map the region of @s, read-write and read-only. */
static void map_slot(struct fuzz *f, struct slot *s)
{
	void *p;

	if (!s->region)
		return;
	unmap_slot(f, s);
	p = mmap(NULL, s->region, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->fd[RW], 0);
	if (p == MAP_FAILED)
		report(f, "mmap of a region", 0, "rw", -1, errno);
	else
		s->map_rw = p;
	p = mmap(NULL, s->region, PROT_READ, MAP_SHARED, s->fd[RCV], 0);
	/* An anonymous slot's "recv" descriptor has both roles: fine too. */
	if (p == MAP_FAILED)
		report(f, "read-only mmap of a region", 0, "recv-only", -1,
		       errno);
	else
		s->map_ro = p;
}

/*
 * remap_file_pages() on a region's mapping must fail with EINVAL (no
 * mapping may escape the mailbox), taking the range with it.
 */
static void remap_slot(struct fuzz *f, struct slot *s)
{
	long ret;

	if (!s->map_rw)
		return;
	errno = 0;
	ret = syscall(SYS_remap_file_pages, s->map_rw, s->region, 0,
		      below(f, s->region / f->page), 0);
	if (ret != -1 || errno != EINVAL)
		report(f, "remap_file_pages of a region", 0, "rw", ret, errno);
	munmap(s->map_rw, s->region);
	s->map_rw = NULL;
}

/* Split a region's mapping with mprotect() or madvise(): the count follows. */
static void split_slot(struct fuzz *f, struct slot *s)
{
	char *page;

	if (!s->map_rw || s->region < 2 * f->page)
		return;
	page = s->map_rw + f->page * below(f, s->region / f->page);
	if (one_in(f, 2))
		mprotect(page, f->page, PROT_READ);
	else
		madvise(page, f->page, one_in(f, 2) ? MADV_DONTFORK :
					MADV_DOFORK);
}

/* A send that must work unless the mailbox is full or closed down. */
static void valid_send(struct fuzz *f, struct slot *s, int fd)
{
	__u64 len = below(f, s->max_msg_size + 1);
	struct kmbox_msg m = {
		.buf = ptr(f->buf),
		.len = len,
		.flags = KMBOX_DONTWAIT | KMBOX_NOSIGNAL,
		.priority = below(f, 32),
	};
	long ret = ioctl(fd, KMBOX_IOC_SEND, &m);

	check(f, KMBOX_IOC_SEND, 1, "valid send", ret, errno, &m);
}

static void valid_recv(struct fuzz *f, int fd)
{
	struct kmbox_msg m = {
		.buf = ptr(f->buf),
		.len = BUF_SIZE,
		.flags = KMBOX_DONTWAIT | (one_in(f, 4) ? KMBOX_PEEK : 0),
	};
	long ret = ioctl(fd, KMBOX_IOC_RECV, &m);

	check(f, KMBOX_IOC_RECV, 1, "valid recv", ret, errno, &m);
}

static void valid_batch(struct fuzz *f, struct slot *s, int send)
{
	unsigned int cmd = send ? KMBOX_IOC_SENDV : KMBOX_IOC_RECVV;
	struct kmbox_msgv v = {
		.msgs = ptr(f->msgs),
		.count = 1 + below(f, 16),
		.flags = KMBOX_DONTWAIT,
	};
	__u32 i;
	long ret;

	for (i = 0; i < v.count; i++) {
		memset(&f->msgs[i], 0, sizeof(f->msgs[i]));
		f->msgs[i].buf = ptr(f->buf + 1024 * i);
		f->msgs[i].len = send ? below(f, s->max_msg_size + 1) : 1024;
		f->msgs[i].priority = send ? below(f, 32) : 0;
	}
	if (send)
		v.flags |= KMBOX_NOSIGNAL;
	ret = ioctl(s->fd[send ? SND : RCV], cmd, &v);
	check(f, cmd, 1, send ? "valid sendv" : "valid recvv", ret, errno,
	      &v);
}

/* A child that sends one message and exits before it is received. */
static void valid_fork_send(struct fuzz *f, struct slot *s)
{
	char c = 'k';
	sigset_t set, old;
	pid_t pid;
	int ret;

	/* No SIGALRM may interrupt the wait. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(kmbox_test_send(s->fd[SND], &c, 1, 0,
				      KMBOX_DONTWAIT | KMBOX_NOSIGNAL) == -EIO);
	ret = pid < 0 ? -1 : kmbox_test_wait(pid, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret)
		report(f, "fork", 0, "child", ret, errno);
}

/* A valid call, or a change of the pool, so that deeper paths run. */
static void valid_op(struct fuzz *f)
{
	struct slot *s = &f->slot[below(f, SLOTS)];
	int r = below(f, ROLES);
	struct kmbox_ring_join j = { .side = 1 + below(f, 2) };
	struct kmbox_ring_wait w = { .flags = KMBOX_DONTWAIT };
	struct kmbox_stat st;
	struct kmbox_attr a;
	long ret;

	switch (below(f, 26)) {
	case 0:
	case 1:
	case 2:
	case 3:
		valid_send(f, s, s->fd[r == RCV ? RW : r]);
		break;
	case 4:
	case 5:
	case 6:
		valid_recv(f, s->fd[r == SND ? RW : r]);
		break;
	case 7:
	case 8:
		valid_batch(f, s, below(f, 2));
		break;
	case 9:
		ret = write(s->fd[SND], f->buf, below(f, 64));
		check(f, KMBOX_IOC_SEND, 1, "write", ret, errno, NULL);
		break;
	case 10:
		ret = read(s->fd[RCV], f->buf, BUF_SIZE);
		check(f, KMBOX_IOC_RECV, 1, "read", ret, errno, NULL);
		break;
	case 11:
		memset(&st, 0xAA, sizeof(st));
		ret = ioctl(s->fd[r], KMBOX_IOC_STAT, &st);
		check(f, KMBOX_IOC_STAT, 1, "valid stat", ret, errno, &st);
		break;
	case 12:
		/* The user's bytes_per_user may be used up by SET_ATTR. */
		ret = make_slot(f, s);
		if (ret && ret != -ENOMEM && ret != -ENOSPC)
			report(f, "making a mailbox", 0, "dev", -1, -ret);
		break;
	case 13:
		if (one_in(f, 8)) {
			ret = ioctl(s->fd[r], KMBOX_IOC_SHUTDOWN);
			check(f, KMBOX_IOC_SHUTDOWN, 1, "shutdown", ret, errno,
			      NULL);
		}
		break;
	case 14:
		/* Close a one-role descriptor and open it again by name. */
		if (s->name[0] && r != RW) {
			close(s->fd[r]);
			s->fd[r] = kmbox_test_open(s->name, r == SND ?
						   KMBOX_SEND : KMBOX_RECV);
			/* Unlinked by the fuzzer meanwhile? Any fd will do. */
			if (s->fd[r] < 0)
				s->fd[r] = dup(s->fd[RW]);
		}
		break;
	case 15:
		map_slot(f, s);
		break;
	case 16:
		unmap_slot(f, s);
		break;
	case 17:
		ret = ioctl(s->fd[RW], KMBOX_IOC_RING_JOIN, &j);
		check(f, KMBOX_IOC_RING_JOIN, 1, "ring join", ret, errno, &j);
		break;
	case 18:
		ret = ioctl(s->fd[RW], KMBOX_IOC_RING_WAKE);
		check(f, KMBOX_IOC_RING_WAKE, 1, "ring wake", ret, errno, NULL);
		break;
	case 19:
		w.uaddr = ptr(s->map_rw ? s->map_rw : (void *)f->buf);
		w.value = *(__u32 *)(unsigned long)w.uaddr;
		ret = ioctl(s->fd[RW], KMBOX_IOC_RING_WAIT, &w);
		check(f, KMBOX_IOC_RING_WAIT, 1, "ring wait", ret, errno, &w);
		break;
	case 20:
		memset(&a, 0, sizeof(a));
		a.max_msgs = 1 + below(f, 64);
		ret = ioctl(s->fd[RW], KMBOX_IOC_SET_ATTR, &a);
		check(f, KMBOX_IOC_SET_ATTR, 1, "set attr", ret, errno, &a);
		break;
	case 21:
		if (one_in(f, 16))
			valid_fork_send(f, s);
		break;
	case 22:
		remap_slot(f, s);
		break;
	case 23:
		split_slot(f, s);
		break;
	default:
		fuzz_ioctl(f);
		break;
	}
}

static void on_alarm(int sig)
{
}

/* Set up @f with @seed: 0 or -1. */
static int fuzz_init(struct fuzz *f, __u64 seed)
{
	int i, r;

	memset(f, 0, sizeof(*f));
	f->s = seed ? seed : 1;
	f->page = sysconf(_SC_PAGESIZE);
	f->max_msgs_max = kmbox_test_param_read("max_msgs_max");
	f->msg_size_max = kmbox_test_param_read("msg_size_max");
	f->bytes_max = kmbox_test_param_read("bytes_max");
	f->region_size_max = kmbox_test_param_read("region_size_max");
	if (f->max_msgs_max < 0 || f->msg_size_max < 0 || f->bytes_max < 0 ||
	    f->region_size_max < 0)
		return -1;
	f->arg = calloc(1, ARG_SIZE + 8);
	f->tmp = calloc(1, ARG_SIZE);
	f->buf = calloc(1, BUF_SIZE + 8);
	f->msgs = calloc(KMBOX_MSGV_MAX + 1, sizeof(*f->msgs));
	f->garg = kmbox_test_guarded(f->page);
	f->gbuf = kmbox_test_guarded(f->page);
	f->unmapped = kmbox_test_unmapped();
	if (!f->arg || !f->tmp || !f->buf || !f->msgs || !f->garg ||
	    !f->gbuf || !f->unmapped)
		return -1;
	memset(f->long_name, 'z', sizeof(f->long_name));
	snprintf(f->long_name, 32, "fuzz-%d-long-", (int)getpid());
	f->long_name[strlen(f->long_name)] = 'z';
	f->long_name[KMBOX_NAME_MAX + 1] = 0;
	f->dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	f->dev_ro = open(KMBOX_DEV, O_RDONLY | O_CLOEXEC);
	if (f->dev < 0 || f->dev_ro < 0)
		return -1;
	for (i = 0; i < SLOTS; i++) {
		for (r = 0; r < ROLES; r++)
			f->slot[i].fd[r] = -1;
		if (make_slot(f, &f->slot[i]))
			return -1;
	}
	return 0;
}

/* Run until @secs have passed or @max iterations: SIGALRM ends sleeps. */
static void fuzz_loop(struct fuzz *f, unsigned int secs, unsigned long max)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = TIMER_US },
		.it_value = { .tv_usec = TIMER_US },
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	__u64 end = kmbox_test_now_ns() + secs * 1000000000ull;

	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setitimer(ITIMER_REAL, &it, NULL);
	for (f->iters = 0; f->iters < max; f->iters++) {
		if (!(f->iters & 63) && secs && kmbox_test_now_ns() > end)
			break;
		if (one_in(f, 3))
			valid_op(f);
		else
			fuzz_ioctl(f);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Expect @ret to be @want; a report otherwise. */
static void expect(struct fuzz *f, const char *what, long ret, long want)
{
	if (ret != want) {
		f->bad++;
		ksft_print_msg("end check: %s: %ld, not %ld\n", what, ret,
			       want);
	}
}

/*
 * Receive everything queued in @fd without waiting (a message longer
 * than the buffer in a buffer of its size): how many, *@last the error
 * that ended it.
 */
static unsigned long drain(struct fuzz *f, int fd, int *last)
{
	unsigned long n = 0;
	struct kmbox_msg m;
	char *big;
	int ret;

	for (;;) {
		ret = kmbox_test_recv(fd, f->buf, BUF_SIZE, KMBOX_DONTWAIT, &m);
		if (ret == -EMSGSIZE) {
			big = malloc(m.msg_len);
			ret = big ? kmbox_test_recv(fd, big, m.msg_len,
						    KMBOX_DONTWAIT, NULL) :
				    -ENOMEM;
			free(big);
		}
		if (ret < 0)
			break;
		n++;
	}
	*last = ret;
	return n;
}

/* After the fuzzing: every mailbox is consistent and still works. */
static void fuzz_final_check(struct fuzz *f)
{
	struct kmbox_attr a;
	struct kmbox_stat st;
	char got[8], msg[8] = "final";
	int i, n, fd, left, shut;
	unsigned long drained;
	size_t len;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &f->slot[i];

		expect(f, "STAT", kmbox_test_stat(s->fd[RW], &st), 0);
		check_stat(f, &st, "final");
		shut = !!(st.state & KMBOX_STATE_SHUTDOWN);
		left = st.msgs;
		drained = drain(f, s->fd[RW], &n);
		expect(f, "messages drained", drained, left);
		expect(f, "recv after the drain", n, shut ? -EPIPE : -EAGAIN);
		expect(f, "messages queued", kmbox_test_queued(s->fd[RW]), 0);
		expect(f, "GET_ATTR", kmbox_test_ioctl(s->fd[RW],
						       KMBOX_IOC_GET_ATTR, &a),
		       0);
		len = a.max_msg_size < sizeof(msg) ? a.max_msg_size :
						     sizeof(msg);
		expect(f, "send", kmbox_test_send(s->fd[RW], msg, len, 3,
						  KMBOX_DONTWAIT |
						  KMBOX_NOSIGNAL),
		       shut ? -EPIPE : (long)len);
		if (shut)
			continue;
		memset(got, 0, sizeof(got));
		expect(f, "recv", kmbox_test_recv(s->fd[RW], got, sizeof(got),
						  KMBOX_DONTWAIT, NULL), len);
		expect(f, "message", memcmp(got, msg, len), 0);
	}
	/* A new mailbox works. */
	fd = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	expect(f, "a new mailbox", fd >= 0, 1);
	if (fd >= 0) {
		expect(f, "its send", kmbox_test_send(fd, msg, 5, 0, 0), 5);
		expect(f, "its recv", kmbox_test_recv(fd, got, sizeof(got), 0,
						      NULL), 5);
		close(fd);
	}
}

static void fuzz_free(struct fuzz *f)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		close_slot(f, &f->slot[i]);
	if (f->dev >= 0)
		close(f->dev);
	if (f->dev_ro >= 0)
		close(f->dev_ro);
}

static void print_summary(struct fuzz *f, const char *who, __u64 ns)
{
	char line[512];
	int e, n = 0;

	ksft_print_msg("%s: %lu iterations in %llu ms: %lu calls, %lu ok, %lu bad\n",
		       who, f->iters, (unsigned long long)(ns / 1000000),
		       f->calls, f->ok, f->bad);
	for (e = 1; e < 160 && n < (int)sizeof(line) - 32; e++) {
		if (f->per_errno[e])
			n += snprintf(line + n, sizeof(line) - n, " E%d:%lu",
				      e, f->per_errno[e]);
	}
	line[n] = 0;
	ksft_print_msg("%s: errnos%s\n", who, line);
}

/* The seed: KMBOX_FUZZ_SEED, or one from the clock and the pid. */
static __u64 fuzz_seed(void)
{
	const char *env = getenv("KMBOX_FUZZ_SEED");
	__u64 seed;

	if (env && *env)
		return strtoull(env, NULL, 0);
	seed = kmbox_test_now_ns() ^ (__u64)getpid() << 32;
	return seed ? seed : 1;
}

/*
 * In a child (as @uid unless it is 0): fuzz for @secs or @max iterations
 * from @seed, check the end state; exit with the count of bad results
 * (at most 100), 101 if the set-up failed.  *@trace (shared memory, may
 * be NULL) gets the hash of every number drawn.
 */
static pid_t fuzz_child(uid_t uid, __u64 seed, unsigned int secs,
			unsigned long max, __u64 *trace)
{
	struct fuzz f;
	__u64 start;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)))
		_exit(101);
	if (fuzz_init(&f, seed))
		_exit(101);
	start = kmbox_test_now_ns();
	fuzz_loop(&f, secs, max);
	fuzz_final_check(&f);
	print_summary(&f, uid ? "user" : "root", kmbox_test_now_ns() - start);
	if (trace)
		*trace = f.trace;
	fuzz_free(&f);
	fflush(NULL);
	_exit(f.bad > 100 ? 100 : f.bad);
}

/* Mailboxes of @uid in /proc/driver/kmbox. */
static int mailboxes_of(uid_t uid)
{
	char line[512];
	unsigned int id, u;
	int n = 0;
	FILE *p = fopen("/proc/driver/kmbox", "re");

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%u %u", &id, &u) == 2 && u == uid)
			n++;
	}
	fclose(p);
	return n;
}

FIXTURE(fuzz) {
	pid_t pid;
	__u64 seed;
	unsigned int secs;
};

FIXTURE_SETUP(fuzz)
{
	self->pid = 0;
	self->seed = fuzz_seed();
	self->secs = kmbox_test_stress_secs();
}

FIXTURE_TEARDOWN(fuzz)
{
	kmbox_test_kill(&self->pid);
}

/* Root: no per-user limit, every permission. */
TEST_F(fuzz, as_root)
{
	ksft_print_msg("as_root: seed %llu (KMBOX_FUZZ_SEED=%llu replays it), %u s\n",
		       (unsigned long long)self->seed,
		       (unsigned long long)self->seed, self->secs);
	self->pid = fuzz_child(0, self->seed, self->secs, MAX_ITERS, NULL);
	ASSERT_GT(self->pid, 0);
	EXPECT_EQ(0, kmbox_test_reap_kid(&self->pid));
}

/* An unprivileged user: limits and permissions apply; nothing leaks. */
TEST_F(fuzz, as_user)
{
	__u64 seed = self->seed ^ 0x5eed;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another user");
	ASSERT_EQ(0, mailboxes_of(USER));
	ksft_print_msg("as_user: seed %llu (KMBOX_FUZZ_SEED=%llu replays it), %u s\n",
		       (unsigned long long)seed,
		       (unsigned long long)self->seed, self->secs);
	self->pid = fuzz_child(USER, seed, self->secs, MAX_ITERS, NULL);
	ASSERT_GT(self->pid, 0);
	EXPECT_EQ(0, kmbox_test_reap_kid(&self->pid));
	/* Its mailboxes died with it. */
	EXPECT_EQ(0, mailboxes_of(USER));
}

/* The same seed draws the same numbers: a run can be replayed. */
TEST_F(fuzz, seed_replays)
{
	__u64 *trace = mmap(NULL, 2 * sizeof(*trace), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i;

	ASSERT_TRUE(trace != MAP_FAILED);
	for (i = 0; i < 2; i++) {
		self->pid = fuzz_child(0, self->seed, 0, REPLAY_ITERS,
				       &trace[i]);
		ASSERT_GT(self->pid, 0);
		EXPECT_EQ(0, kmbox_test_reap_kid(&self->pid));
	}
	EXPECT_NE(0, trace[0]);
	EXPECT_EQ(trace[0], trace[1]);
	munmap(trace, 2 * sizeof(*trace));
}

/* Each subtest's timeout follows KMBOX_STRESS_SECS. */
KMBOX_TEST_STRESS_TIMEOUT(fuzz, as_root)
KMBOX_TEST_STRESS_TIMEOUT(fuzz, as_user)
KMBOX_TEST_STRESS_TIMEOUT(fuzz, seed_replays)

TEST_HARNESS_MAIN
