// SPDX-License-Identifier: GPL-2.0
/*
 * Every struct the kernel writes back, pre-filled with 0xAA: its padding
 * and reserved fields come back zero, every field it reports is written
 * (no 0xAA left), a longer output struct gets its tail cleared, and what
 * the caller passed in comes back as it was.  The structs are those of
 * uapi/linux/kmbox.h: struct kmbox_version (VERSION), struct kmbox_attr
 * (GET_ATTR), struct kmbox_stat (STAT), struct kmbox_msg (RECV, and each
 * element of RECVV).  The input-only structs (SEND, SENDV and its
 * elements, SET_ATTR, CREATE, OPEN, UNLINK, RING_JOIN, RING_WAIT) are not
 * written at all.  Built 64-bit and 32-bit, this covers both the native
 * and the compat path.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define FILL		0xAA
#define FILL32		0xAAAAAAAAu
#define LONGER		64	/* bytes added to an output struct */

/*
 * Offset of the first aligned 32-bit word of @p that still holds the
 * fill pattern, or -1: a field the kernel should have written.
 */
static int left_filled(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t off;
	__u32 w;

	for (off = 0; off + 4 <= len; off += 4) {
		memcpy(&w, b + off, 4);
		if (w == FILL32)
			return off;
	}
	return -1;
}

/* Offset of the first non-zero byte of @p, or -1. */
static int non_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (b[i])
			return i;
	}
	return -1;
}

/* @cmd with its size field set to @size. */
static unsigned long resize(unsigned long cmd, unsigned int size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

/*
 * @cmd on @fd with its struct LONGER bytes longer, 0xAA-filled, at @big:
 * the result; non_zero(tail) gives the tail.
 */
static int call_longer(int fd, unsigned long cmd, void *big)
{
	size_t size = _IOC_SIZE(cmd) + LONGER;

	memset(big, FILL, size);
	return kmbox_test_ioctl(fd, resize(cmd, size), big);
}

FIXTURE(pad) {
	char name[64];
	int fd;			/* both roles, named, a one-page region */
	int dev;
	long page;
	void *map;
};

FIXTURE_SETUP(pad)
{
	struct kmbox_attr a = {
		.max_msgs = 8, .max_msg_size = 256, .mode = 0640,
		.flags = KMBOX_ATTR_HANGUP,
	};

	self->page = sysconf(_SC_PAGESIZE);
	a.region_size = self->page;
	self->map = MAP_FAILED;
	kmbox_test_name(self->name, sizeof(self->name), "pad");
	self->fd = kmbox_test_create(self->name, &a,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	self->dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0);
}

FIXTURE_TEARDOWN(pad)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->page);
	close(self->dev);
	kmbox_test_close3(self->name, self->fd, -1, -1);
}

TEST_F(pad, version)
{
	struct kmbox_version v;

	memset(&v, FILL, sizeof(v));
	ASSERT_EQ(0, kmbox_test_ioctl(self->dev, KMBOX_IOC_VERSION, &v));
	EXPECT_EQ(0, v.pad);
	EXPECT_EQ(KMBOX_ABI_VERSION, v.abi_version);
	EXPECT_EQ(-1, left_filled(&v, sizeof(v)));
}

/* An output struct longer than the kernel's: the tail is cleared. */
TEST_F(pad, version_longer)
{
	unsigned char big[sizeof(struct kmbox_version) + LONGER];
	struct kmbox_version *v = (void *)big;

	ASSERT_EQ(0, call_longer(self->dev, KMBOX_IOC_VERSION, big));
	EXPECT_EQ(0, v->pad);
	EXPECT_EQ(-1, non_zero(big + sizeof(*v), LONGER));
}

TEST_F(pad, get_attr)
{
	struct kmbox_attr a;

	memset(&a, FILL, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0, a.reserved[0]);
	EXPECT_EQ(0, a.reserved[1]);
	EXPECT_EQ(0, a.reserved[2]);
	EXPECT_EQ(8, a.max_msgs);
	EXPECT_EQ(256, a.max_msg_size);
	EXPECT_EQ(8 * 256, a.max_bytes);
	EXPECT_EQ(0640, a.mode);
	EXPECT_EQ(KMBOX_ATTR_HANGUP, a.flags);
	EXPECT_EQ(self->page, a.region_size);
	EXPECT_EQ(-1, left_filled(&a, sizeof(a)));
}

TEST_F(pad, get_attr_longer)
{
	unsigned char big[sizeof(struct kmbox_attr) + LONGER];
	struct kmbox_attr *a = (void *)big;

	ASSERT_EQ(0, call_longer(self->fd, KMBOX_IOC_GET_ATTR, big));
	EXPECT_EQ(0, a->reserved[2]);
	EXPECT_EQ(-1, left_filled(a, sizeof(*a)));
	EXPECT_EQ(-1, non_zero(big + sizeof(*a), LONGER));
}

/* STAT's padding, reserved words and the name's tail are zero. */
static void check_stat(struct __test_metadata *_metadata,
		       const struct kmbox_stat *st)
{
	size_t n = strnlen(st->name, sizeof(st->name));

	ASSERT_LT(n, sizeof(st->name));
	EXPECT_EQ(0, st->pad);
	EXPECT_EQ(0, st->reserved[0]);
	EXPECT_NE(0xAAAAAAAAAAAAAAAAull, st->charge);
	EXPECT_EQ(-1, non_zero(st->name + n, sizeof(st->name) - n));
	/* Every other field was written. */
	EXPECT_EQ(-1, left_filled(st, offsetof(struct kmbox_stat, name)));
}

/* A named mailbox with messages, a mapping and a ring end. */
TEST_F(pad, stat_busy)
{
	struct kmbox_ring_join j = { .side = KMBOX_RING_PRODUCER };
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_fill(self->fd, 3));
	self->map = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	ASSERT_TRUE(self->map != MAP_FAILED);
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_RING_JOIN, &j));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	check_stat(_metadata, &st);
	EXPECT_STREQ(self->name, st.name);
	EXPECT_EQ(3, st.msgs);
	EXPECT_EQ(1, st.mappings);
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
}

/* An anonymous, empty mailbox: many fields are 0, all are written. */
TEST_F(pad, stat_anonymous)
{
	struct kmbox_stat st;
	int fd = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	close(fd);
	check_stat(_metadata, &st);
	EXPECT_EQ(0, st.name[0]);
	EXPECT_EQ(0, st.state);
	EXPECT_EQ(0, st.region_size);
}

/* A name of KMBOX_NAME_MAX bytes leaves only the NUL. */
TEST_F(pad, stat_longest_name)
{
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox_stat st;
	int fd;

	memset(name, 'p', KMBOX_NAME_MAX);
	name[KMBOX_NAME_MAX] = 0;
	snprintf(name, 32, "pad-%d-", (int)getpid());
	name[strlen(name)] = 'p';
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	kmbox_test_close3(name, fd, -1, -1);
	check_stat(_metadata, &st);
	EXPECT_EQ(KMBOX_NAME_MAX, strlen(st.name));
}

TEST_F(pad, stat_longer)
{
	unsigned char big[sizeof(struct kmbox_stat) + LONGER];
	struct kmbox_stat *st = (void *)big;

	ASSERT_EQ(0, call_longer(self->fd, KMBOX_IOC_STAT, big));
	check_stat(_metadata, st);
	EXPECT_EQ(-1, non_zero(big + sizeof(*st), LONGER));
}

/* A struct kmbox_msg to receive into @buf, its output fields 0xAA. */
static void prefill_msg(struct kmbox_msg *m, void *buf, size_t len,
			__u32 flags)
{
	memset(m, FILL, sizeof(*m));
	m->buf = (__u64)(unsigned long)buf;
	m->len = len;
	m->timeout_ns = 0;
	m->flags = flags;
}

/* The input fields of @m are as prefill_msg() set them. */
static void check_inputs(struct __test_metadata *_metadata,
			 const struct kmbox_msg *m, void *buf, size_t len,
			 __u32 flags)
{
	EXPECT_EQ((__u64)(unsigned long)buf, m->buf);
	EXPECT_EQ(len, m->len);
	EXPECT_EQ(0, m->timeout_ns);
	EXPECT_EQ(flags, m->flags);
}

/* Every output field of a received message is written, and right. */
static void check_received(struct __test_metadata *_metadata,
			   const struct kmbox_msg *m, __u64 len, __u32 prio,
			   __u64 t0)
{
	EXPECT_EQ(len, m->msg_len);
	EXPECT_EQ(prio, m->priority);
	EXPECT_GE(m->seq, 1);
	EXPECT_LT(m->seq, 100);
	EXPECT_GE(m->time_ns, t0);
	EXPECT_LE(m->time_ns, kmbox_test_now_ns());
	EXPECT_EQ(getpid(), m->sender_pid);
	EXPECT_EQ(geteuid(), m->sender_uid);
	EXPECT_EQ(-1, left_filled(m, sizeof(*m)));
}

static void recv_case(struct __test_metadata *_metadata,
		      FIXTURE_DATA(pad) *self, __u32 flags)
{
	__u64 t0 = kmbox_test_now_ns();
	struct kmbox_msg m;
	char buf[16];

	ASSERT_EQ(5, kmbox_test_send(self->fd, "hello", 5, 7, 0));
	prefill_msg(&m, buf, sizeof(buf), flags);
	ASSERT_EQ(5, kmbox_test_ioctl(self->fd, KMBOX_IOC_RECV, &m));
	check_inputs(_metadata, &m, buf, sizeof(buf), flags);
	check_received(_metadata, &m, 5, 7, t0);
}

TEST_F(pad, recv)
{
	recv_case(_metadata, self, KMBOX_DONTWAIT);
}

TEST_F(pad, recv_peek)
{
	recv_case(_metadata, self, KMBOX_DONTWAIT | KMBOX_PEEK);
}

/*
 * EMSGSIZE writes msg_len; the other output fields come back zero, not
 * the caller's 0xAA nor anything of the kernel's.
 */
TEST_F(pad, recv_emsgsize)
{
	struct kmbox_msg m;
	char buf[4];

	ASSERT_EQ(5, kmbox_test_send(self->fd, "hello", 5, 7, 0));
	prefill_msg(&m, buf, sizeof(buf), KMBOX_DONTWAIT);
	ASSERT_EQ(-EMSGSIZE, kmbox_test_ioctl(self->fd, KMBOX_IOC_RECV, &m));
	check_inputs(_metadata, &m, buf, sizeof(buf), KMBOX_DONTWAIT);
	EXPECT_EQ(5, m.msg_len);
	EXPECT_EQ(0, m.priority);
	EXPECT_EQ(0, m.seq);
	EXPECT_EQ(0, m.time_ns);
	EXPECT_EQ(0, m.sender_pid);
	EXPECT_EQ(0, m.sender_uid);
}

/* The output fields of a RECVV element: 0xAA, its buffer too. */
static void prefill_elems(struct kmbox_msg *e, int n, char (*bufs)[16])
{
	int i;

	for (i = 0; i < n; i++) {
		prefill_msg(&e[i], bufs[i], sizeof(bufs[i]), 0);
		memset(bufs[i], FILL, sizeof(bufs[i]));
	}
}

/* An element the call did not reach: as the caller left it. */
static void check_untouched(struct __test_metadata *_metadata,
			    const struct kmbox_msg *e, const char *buf)
{
	struct kmbox_msg want;
	char fill[16];

	prefill_msg(&want, (void *)buf, 16, 0);
	EXPECT_EQ(0, memcmp(&want, e, sizeof(want)));
	memset(fill, FILL, sizeof(fill));
	EXPECT_EQ(0, memcmp(fill, buf, sizeof(fill)));
}

/* Two messages into three elements: two written, the third untouched. */
TEST_F(pad, recvv_elements)
{
	__u64 t0 = kmbox_test_now_ns();
	struct kmbox_msg e[3];
	char bufs[3][16];
	struct kmbox_msgv v = {
		.msgs = (__u64)(unsigned long)e, .count = 3,
		.flags = KMBOX_DONTWAIT,
	};
	int i;

	ASSERT_EQ(3, kmbox_test_send(self->fd, "one", 3, 2, 0));
	ASSERT_EQ(3, kmbox_test_send(self->fd, "two", 3, 1, 0));
	prefill_elems(e, 3, bufs);
	ASSERT_EQ(2, kmbox_test_ioctl(self->fd, KMBOX_IOC_RECVV, &v));
	for (i = 0; i < 2; i++) {
		check_inputs(_metadata, &e[i], bufs[i], 16, 0);
		check_received(_metadata, &e[i], 3, 2 - i, t0);
	}
	EXPECT_EQ(0, memcmp(bufs[0], "one", 3));
	EXPECT_EQ(0, memcmp(bufs[1], "two", 3));
	check_untouched(_metadata, &e[2], bufs[2]);
	/* The msgv itself is not written back. */
	EXPECT_EQ(3, v.count);
	EXPECT_EQ(KMBOX_DONTWAIT, v.flags);
}

/* A first element too short: msg_len only; the others untouched. */
TEST_F(pad, recvv_first_emsgsize)
{
	struct kmbox_msg e[2];
	char bufs[2][16];
	struct kmbox_msgv v = {
		.msgs = (__u64)(unsigned long)e, .count = 2,
		.flags = KMBOX_DONTWAIT,
	};

	ASSERT_EQ(5, kmbox_test_send(self->fd, "hello", 5, 0, 0));
	prefill_elems(e, 2, bufs);
	e[0].len = 2;
	ASSERT_EQ(-EMSGSIZE, kmbox_test_ioctl(self->fd, KMBOX_IOC_RECVV, &v));
	EXPECT_EQ(5, e[0].msg_len);
	EXPECT_EQ(0, e[0].priority);
	EXPECT_EQ(0, e[0].seq);
	EXPECT_EQ(0, e[0].time_ns);
	EXPECT_EQ(0, e[0].sender_pid);
	EXPECT_EQ(0, e[0].sender_uid);
	check_untouched(_metadata, &e[1], bufs[1]);
}

/* @cmd on @fd with @arg (@len bytes): 0 if it left @arg as it was. */
static int untouched(int fd, unsigned long cmd, void *arg, size_t len,
		     int *ret)
{
	unsigned char copy[sizeof(struct kmbox_create)];

	memcpy(copy, arg, len);
	*ret = kmbox_test_ioctl(fd, cmd, arg);
	return memcmp(copy, arg, len);
}

/* SEND and SENDV write nothing back, not even to the ignored fields. */
TEST_F(pad, send_structs_untouched)
{
	struct kmbox_msg m, e[2];
	struct kmbox_msgv v = {
		.msgs = (__u64)(unsigned long)e, .count = 2,
	};
	unsigned char copy[sizeof(e)];
	int ret;

	prefill_msg(&m, "hi", 2, 0);
	m.priority = 3;
	EXPECT_EQ(0, untouched(self->fd, KMBOX_IOC_SEND, &m, sizeof(m),
			       &ret));
	EXPECT_EQ(2, ret);
	/* Elements: flags and timeout_ns must be 0; the rest is 0xAA. */
	prefill_msg(&e[0], "a", 1, 0);
	prefill_msg(&e[1], "b", 1, 0);
	e[0].priority = e[1].priority = 0;
	memcpy(copy, e, sizeof(e));
	EXPECT_EQ(0, untouched(self->fd, KMBOX_IOC_SENDV, &v, sizeof(v),
			       &ret));
	EXPECT_EQ(2, ret);
	EXPECT_EQ(0, memcmp(copy, e, sizeof(e)));
}

/* The other input structs are not written either. */
TEST_F(pad, input_structs_untouched)
{
	char other[64];
	struct kmbox_attr a = { .mode = 0600 };
	struct kmbox_create c = {
		.name = (__u64)(unsigned long)other,
		.flags = KMBOX_EXCL | KMBOX_CLOEXEC,
		.attr = { .max_msgs = 4 },
	};
	struct kmbox_open o = {
		.name = (__u64)(unsigned long)other,
		.flags = KMBOX_CLOEXEC,
	};
	struct kmbox_unlink u = { .name = (__u64)(unsigned long)other };
	struct kmbox_ring_join j = { .side = KMBOX_RING_CONSUMER };
	struct kmbox_ring_wait w = { .flags = KMBOX_DONTWAIT, .value = 5 };
	__u32 word = 5;
	int made, ret;

	kmbox_test_name(other, sizeof(other), "pad-other");
	EXPECT_EQ(0, untouched(self->fd, KMBOX_IOC_SET_ATTR, &a, sizeof(a),
			       &ret));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, untouched(self->dev, KMBOX_IOC_CREATE, &c, sizeof(c),
			       &made));
	ASSERT_GE(made, 0);
	EXPECT_EQ(0, untouched(self->dev, KMBOX_IOC_OPEN, &o, sizeof(o),
			       &ret));
	EXPECT_GE(ret, 0);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(0, untouched(self->dev, KMBOX_IOC_UNLINK, &u, sizeof(u),
			       &ret));
	EXPECT_EQ(0, ret);
	close(made);
	EXPECT_EQ(0, untouched(self->fd, KMBOX_IOC_RING_JOIN, &j, sizeof(j),
			       &ret));
	EXPECT_EQ(0, ret);
	w.uaddr = (__u64)(unsigned long)&word;
	EXPECT_EQ(0, untouched(self->fd, KMBOX_IOC_RING_WAIT, &w, sizeof(w),
			       &ret));
	EXPECT_EQ(-EAGAIN, ret);
}

TEST_HARNESS_MAIN
