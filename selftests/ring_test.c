// SPDX-License-Identifier: GPL-2.0
/*
 * The libkmbox ring: kmbox_ring_attach(), _detach(), _send(), _recv() and
 * kmbox_ring_region_size(), over KMBOX_IOC_RING_JOIN, _WAIT and _WAKE.
 *
 * A single-producer single-consumer queue of messages in a mailbox's
 * shared region: the layout, a million messages across two processes,
 * the claim that neither side makes a system call while neither has to
 * wait (every system call traced with ptrace), sleeping and waking, the end of the other side (exit, SIGKILL,
 * shutdown), timeouts and signals, every error, a region that a third
 * party garbles, and both kinds of wrap-around (the end of the data area
 * and the u32 indices).
 *
 * Every error a library call is expected to return is checked with errno
 * poisoned first (RT_LIBERR), so that only the return value can pass.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox.h"
#include "kmbox_test.h"

#define RT_DATA		(64 * 1024)		/* data area of the fixture's ring */
#define RT_MAX		(RT_DATA / 2 - 8)	/* the largest message it carries */
#define RT_NSEC		1000000000ull
#define RT_MSEC		1000000ull
#define RT_GUARD_NS	(10 * RT_NSEC)	/* a wait that must not run out */

/* The layout (Documentation/userspace-api.rst, "The libkmbox ring"). */
#define RT_MAGIC	0x524d424bu
#define RT_OFF_MAGIC	0
#define RT_OFF_VERSION	4
#define RT_OFF_DSIZE	8
#define RT_OFF_DOFF	12
#define RT_OFF_TAIL	64
#define RT_OFF_HEAD	128
#define RT_OFF_CWAIT	192
#define RT_OFF_PWAIT	256
#define RT_OFF_DATA	4096

/* A call expected to fail: errno is poisoned so it cannot be the report. */
#define RT_LIBERR(call)	(errno = EDOM, (call))

/* Bytes a record of a @len-byte message takes in the ring. */
static __u32 rt_rec(size_t len)
{
	return 8 + (((__u32)len + 7) & ~7u);
}

/* Where the producer must put a record of @rec bytes at @pos: the new tail. */
static __u32 rt_model(__u32 pos, __u32 rec, __u32 *pad)
{
	__u32 off = pos % RT_DATA;

	*pad = off + rec > RT_DATA ? RT_DATA - off : 0;
	return pos + *pad + rec;
}

/* The bytes of message @tag: a pattern that differs for every tag. */
static void rt_fill(void *buf, size_t len, unsigned int tag)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(tag * 131 + i * 7 + (i >> 8) + 1);
}

static int rt_check(const void *buf, size_t len, unsigned int tag)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (unsigned char)(tag * 131 + i * 7 + (i >> 8) + 1))
			return 0;
	}
	return 1;
}

/* Sends message @tag of @len bytes: as kmbox_ring_send(). */
static ssize_t rt_send_tag(struct kmbox_ring *r, size_t len, unsigned int tag,
			   unsigned int flags, __u64 timeout_ns)
{
	static unsigned char buf[RT_MAX];

	rt_fill(buf, len, tag);
	return kmbox_ring_send(r, buf, len, flags, timeout_ns);
}

/*
 * Receives one message: 0 if it is message @tag of @len bytes, -EILSEQ if
 * it is another one, or the library's -errno.
 */
static int rt_recv_tag(struct kmbox_ring *r, size_t len, unsigned int tag,
		       unsigned int flags, __u64 timeout_ns)
{
	static unsigned char buf[RT_MAX + 1];
	ssize_t n = kmbox_ring_recv(r, buf, sizeof(buf), flags, timeout_ns);

	if (n < 0)
		return (int)n;
	if ((size_t)n != len || !rt_check(buf, len, tag)) {
		fprintf(stderr, "# got %zd bytes, want message %u of %zu\n",
			n, tag, len);
		return -EILSEQ;	/* the library never returns it */
	}
	return 0;
}

/* A read-write mapping of the whole region of @fd, or NULL. */
static unsigned char *rt_map(int fd, size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static __u32 rt_get(const unsigned char *raw, size_t off)
{
	return __atomic_load_n((const __u32 *)(raw + off), __ATOMIC_SEQ_CST);
}

static void rt_set(unsigned char *raw, size_t off, __u32 val)
{
	__atomic_store_n((__u32 *)(raw + off), val, __ATOMIC_SEQ_CST);
}

/* One byte over a pipe, to order the steps of two processes. */
static int rt_put(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static int rt_take(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

/*
 * Waits until the word at @off of @raw is @val and task @pid sleeps:
 * 0, or -1 after about 10 s.  With a waiting flag of the ring, that means
 * the task sleeps in KMBOX_IOC_RING_WAIT.
 */
static int rt_wait_flag_asleep(const unsigned char *raw, size_t off,
			       __u32 val, pid_t pid)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (rt_get(raw, off) == val && !kmbox_test_wait_sleeping(pid) &&
		    rt_get(raw, off) == val)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* A CLOCK_MONOTONIC deadline @ns from now. */
static __u64 rt_deadline(__u64 ns)
{
	return kmbox_test_now_ns() + ns;
}

/*
 * A named mailbox (unlinked at once) with the region of a ring of RT_DATA
 * bytes: pfd and cfd are two files with both roles, for the producer and
 * the consumer end; rw3 a third one, never joined, for raw mappings; snd
 * and rcv have one role each.  raw is a read-write mapping through rw3.
 */
FIXTURE(ring) {
	int pfd, cfd, rw3, snd, rcv;
	size_t region;
	unsigned char *raw;
	struct kmbox_ring prod, cons;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(ring)
{
	struct kmbox_version ver = { 0 };
	struct kmbox_attr attr = { 0 };
	char name[64];

	self->pfd = self->cfd = self->rw3 = self->snd = self->rcv = -1;
	self->raw = NULL;
	ASSERT_EQ(0, kmbox_test_dev_ioctl(KMBOX_IOC_VERSION, &ver));
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (!(ver.features & KMBOX_FEATURE_RING))
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");

	self->region = kmbox_ring_region_size(RT_DATA);
	ASSERT_NE(0, self->region);
	attr.region_size = self->region;
	kmbox_test_name(name, sizeof(name), "ring");
	self->pfd = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->pfd, 0);
	self->cfd = kmbox_test_open(name, KMBOX_CLOEXEC);
	self->rw3 = kmbox_test_open(name, KMBOX_CLOEXEC);
	self->snd = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	self->rcv = kmbox_test_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_EQ(0, kmbox_test_unlink(name));
	ASSERT_GE(self->cfd, 0);
	ASSERT_GE(self->rw3, 0);
	ASSERT_GE(self->snd, 0);
	ASSERT_GE(self->rcv, 0);
	self->raw = rt_map(self->rw3, self->region, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(self->raw != NULL);
}

FIXTURE_TEARDOWN(ring)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->prod.map)
		kmbox_ring_detach(&self->prod);
	if (self->cons.map)
		kmbox_ring_detach(&self->cons);
	if (self->raw)
		munmap(self->raw, self->region);
	if (self->pfd >= 0)
		close(self->pfd);
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->rw3 >= 0)
		close(self->rw3);
	if (self->snd >= 0)
		close(self->snd);
	if (self->rcv >= 0)
		close(self->rcv);
}

/* Attaches self->prod on pfd and self->cons on cfd. */
#define RT_ATTACH_BOTH() do {						\
	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,		\
				       KMBOX_RING_PRODUCER));		\
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,		\
				       KMBOX_RING_CONSUMER));		\
} while (0)

/* The size a region needs: the header page, then the data, in pages. */
TEST_F(ring, region_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t round = (4096 + page - 1) & ~(page - 1);

	EXPECT_EQ((64 * 1024 + 4096 + page - 1) & ~(page - 1),
		  kmbox_ring_region_size(64 * 1024));
	EXPECT_EQ((4096 + 64 + page - 1) & ~(page - 1),
		  kmbox_ring_region_size(64));
	EXPECT_EQ(round + 4096, kmbox_ring_region_size(4096));
	EXPECT_EQ((size_t)0x80000000u + round,
		  kmbox_ring_region_size(0x80000000u));
	/* Not a power of two, too small, too large. */
	EXPECT_EQ(0, kmbox_ring_region_size(0));
	EXPECT_EQ(0, kmbox_ring_region_size(1));
	EXPECT_EQ(0, kmbox_ring_region_size(32));
	EXPECT_EQ(0, kmbox_ring_region_size(63));
	EXPECT_EQ(0, kmbox_ring_region_size(96));
	EXPECT_EQ(0, kmbox_ring_region_size(64 * 1024 + 64));
	EXPECT_EQ(0, kmbox_ring_region_size(SIZE_MAX));
	if (sizeof(size_t) > 4) {
		/* Powers of two above 2 GiB: the indices are 32-bit. */
		EXPECT_EQ(0, kmbox_ring_region_size((size_t)0x80000000u << 1));
		EXPECT_EQ(0, kmbox_ring_region_size(SIZE_MAX / 2 + 1));
	}
}

/*
 * The first end lays the ring out: header fields at their offsets, data
 * size as asked; the second end finds it and agrees.  STAT counts the
 * ends and the mappings.
 */
TEST_F(ring, attach_layout)
{
	struct kmbox_stat st;
	char buf[8];

	ASSERT_EQ(0, rt_get(self->raw, RT_OFF_MAGIC));
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,
				       KMBOX_RING_CONSUMER));
	EXPECT_EQ(RT_MAGIC, rt_get(self->raw, RT_OFF_MAGIC));
	/* 2 where membarrier(2) is usable, else 1: see ring_proto_test. */
	EXPECT_EQ(self->cons.proto, rt_get(self->raw, RT_OFF_VERSION));
	EXPECT_TRUE(self->cons.proto == 1 || self->cons.proto == 2);
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_DSIZE));
	EXPECT_EQ(RT_OFF_DATA, rt_get(self->raw, RT_OFF_DOFF));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_TAIL));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	EXPECT_EQ(RT_DATA, self->cons.data_size);
	EXPECT_EQ(self->region, self->cons.map_size);
	EXPECT_EQ(KMBOX_RING_CONSUMER, self->cons.side);
	EXPECT_EQ(self->cfd, self->cons.fd);
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	EXPECT_EQ(2, st.mappings);	/* raw and the consumer's */

	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
	EXPECT_EQ(RT_DATA, self->prod.data_size);
	EXPECT_EQ(KMBOX_RING_PRODUCER, self->prod.side);
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	EXPECT_EQ(3, st.mappings);

	/* The two ends see the same memory. */
	ASSERT_EQ(3, kmbox_ring_send(&self->prod, "abc", 3, 0, 0));
	EXPECT_EQ(16, rt_get(self->raw, RT_OFF_TAIL));
	EXPECT_EQ(3, rt_get(self->raw, RT_OFF_DATA));		/* len */
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_DATA + 4));	/* flags */
	EXPECT_EQ(0, memcmp(self->raw + RT_OFF_DATA + 8, "abc", 3));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(3, kmbox_ring_recv(&self->cons, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(16, rt_get(self->raw, RT_OFF_HEAD));
}

/*
 * Messages of every length class come out in order and intact; each
 * takes an 8-byte header and its length rounded up to 8.
 */
TEST_F(ring, fifo_lengths)
{
	static const size_t len[] = {
		0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 4096, RT_MAX - 1, RT_MAX,
	};
	__u32 tail = 0, pad;
	unsigned int i;

	RT_ATTACH_BOTH();
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
	for (i = 0; i < ARRAY_SIZE(len); i++) {
		ASSERT_EQ((ssize_t)len[i],
			  rt_send_tag(&self->prod, len[i], i, 0, 0));
		tail = rt_model(tail, rt_rec(len[i]), &pad);
		EXPECT_EQ(tail, rt_get(self->raw, RT_OFF_TAIL));
		EXPECT_EQ(len[i], rt_get(self->raw, RT_OFF_DATA +
					 ((tail - rt_rec(len[i])) % RT_DATA)));
		ASSERT_EQ(0, rt_recv_tag(&self->cons, len[i], i,
					 KMBOX_DONTWAIT, 0));
		EXPECT_EQ(tail, rt_get(self->raw, RT_OFF_HEAD));
	}
	/* An empty message needs no buffer. */
	ASSERT_EQ(0, kmbox_ring_send(&self->prod, NULL, 0, 0, 0));
	ASSERT_EQ(0, kmbox_ring_recv(&self->cons, NULL, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
}

/* --- A million messages across two processes ---------------------------- */

#define RT_SPSC_MSGS	1000000
#define RT_SPSC_FLOOR	200000		/* the least a slow machine must do */
#define RT_SPSC_BUDGET	(120 * RT_NSEC)	/* the producer stops after this */

struct rt_spsc_hdr {
	__u64 seq;
	__u32 len;	/* of the payload after this header */
	__u32 sum;	/* FNV-1a of the payload */
};

#define RT_SPSC_BIG	(RT_MAX - sizeof(struct rt_spsc_hdr))

static __u32 rt_fnv(const unsigned char *p, size_t n)
{
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* Payload length of message @seq: mostly short, now and then the largest. */
static __u32 rt_spsc_len(__u64 seq)
{
	if (seq % 4099 == 17)
		return RT_SPSC_BIG;
	return ((__u32)seq * 2654435761u) >> 25;	/* 0..127 */
}

/* Builds message @seq in @buf: its total length. */
static size_t rt_spsc_make(unsigned char *buf, __u64 seq)
{
	struct rt_spsc_hdr h = { .seq = seq, .len = rt_spsc_len(seq) };
	unsigned char *p = buf + sizeof(h);
	__u32 x = (__u32)seq * 0x9E3779B9u | 1;
	__u32 i;

	for (i = 0; i < h.len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	h.sum = rt_fnv(p, h.len);
	memcpy(buf, &h, sizeof(h));
	return sizeof(h) + h.len;
}

/* 0 if @buf (@n bytes) is message @seq, intact; else what is wrong. */
static int rt_spsc_check(const unsigned char *buf, ssize_t n, __u64 seq)
{
	struct rt_spsc_hdr h;

	if (n < (ssize_t)sizeof(h))
		return 1;
	memcpy(&h, buf, sizeof(h));
	if (h.seq != seq)
		return 2;
	if (h.len != rt_spsc_len(seq) || (size_t)n != sizeof(h) + h.len)
		return 3;
	if (rt_fnv(buf + sizeof(h), h.len) != h.sum)
		return 4;
	return 0;
}

/*
 * A producer process sends RT_SPSC_MSGS messages of varied lengths, each
 * with its sequence number and a checksum of its payload; the consumer
 * (this process) checks every one, in order, then sees end-of-stream
 * when the producer has exited.  The producer stops early only if a slow
 * machine makes it run out of RT_SPSC_BUDGET; it says how many it sent.
 */
TEST_F_TIMEOUT(ring, spsc_million, 280)
{
	static unsigned char buf[RT_MAX];
	volatile __u64 *sent;
	__u64 seq, start, ns;
	ssize_t n;
	int bad = 0;
	pid_t pid;

	sent = mmap(NULL, sizeof(*sent), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sent != MAP_FAILED);
	*sent = 0;
	start = kmbox_test_now_ns();
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;

		close(self->cfd);
		CHILD_CHECK(kmbox_ring_attach(&r, self->pfd,
					      KMBOX_RING_PRODUCER) == 0);
		for (seq = 0; seq < RT_SPSC_MSGS; seq++) {
			size_t len = rt_spsc_make(buf, seq);

			n = kmbox_ring_send(&r, buf, len, 0, 0);
			if (n != (ssize_t)len) {
				fprintf(stderr, "# send %llu: %zd\n",
					(unsigned long long)seq, n);
				_exit(1);
			}
			if (seq % 1024 == 0 &&
			    kmbox_test_now_ns() - start > RT_SPSC_BUDGET)
				break;
		}
		*sent = seq;
		_exit(0);
	}
	close(self->pfd);
	self->pfd = -1;
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,
				       KMBOX_RING_CONSUMER));
	for (seq = 0;; seq++) {
		n = kmbox_ring_recv(&self->cons, buf, sizeof(buf),
				    KMBOX_TIMEOUT, 20 * RT_NSEC);
		if (n < 0)
			break;
		bad = rt_spsc_check(buf, n, seq);
		if (bad)
			break;
	}
	ns = kmbox_test_now_ns() - start;
	if (n != -EPIPE) {
		TH_LOG("after %llu: %zd; tail %#x head %#x cw %u pw %u",
		       (unsigned long long)seq, n,
		       rt_get(self->raw, RT_OFF_TAIL),
		       rt_get(self->raw, RT_OFF_HEAD),
		       rt_get(self->raw, RT_OFF_CWAIT),
		       rt_get(self->raw, RT_OFF_PWAIT));
		kill(pid, SIGKILL);
	}
	EXPECT_EQ(0, bad) {
		TH_LOG("message %llu is wrong (%d)", (unsigned long long)seq,
		       bad);
	}
	EXPECT_EQ(-EPIPE, n);
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(*sent, seq);
	EXPECT_GE(seq, RT_SPSC_FLOOR);
	ksft_print_msg("spsc: %llu of %d messages in %llu ms (%llu ns each)\n",
		       (unsigned long long)seq, RT_SPSC_MSGS,
		       (unsigned long long)(ns / RT_MSEC),
		       (unsigned long long)(seq ? ns / seq : 0));
	munmap((void *)sent, sizeof(*sent));
}

/* --- No system call while neither side has to wait ---------------------- */

/* Most system calls rt_trace() records by number. */
#define RT_TRACE_MAX	16

/* What a traced child did between its two marks. */
struct rt_trace {
	int calls;			/* system calls entered */
	long nr[RT_TRACE_MAX];		/* the first ones' numbers */
	int marks;			/* marks seen: 2 if it got that far */
};

/*
 * A mark in a traced child: a system call with no effect, which
 * rt_trace() recognises; what the child does between two marks is
 * counted.
 */
static void rt_mark(void)
{
	syscall(SYS_getppid);
}

/*
 * In a child: become traced by the parent and stop until it is ready.
 * What happens before the first rt_mark() is not counted, so the system
 * calls of this function and of raise() do not matter.
 */
static int rt_traceme(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		return -1;
	return raise(SIGSTOP);
}

/*
 * In the parent: trace child @pid (which called rt_traceme()) through
 * every system call it makes, with PTRACE_SYSCALL, and count in @t those
 * it enters between its first and its second rt_mark(); then let it run
 * on untraced.  0, or -1 if the tracing itself failed.
 */
static int rt_trace(pid_t pid, struct rt_trace *t)
{
	struct __ptrace_syscall_info info;
	int status, sig = 0;

	memset(t, 0, sizeof(*t));
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    WSTOPSIG(status) != SIGSTOP)
		return -1;
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return -1;
	while (t->marks < 2) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			return -1;
		sig = 0;
		if (waitpid(pid, &status, 0) != pid)
			return -1;
		if (!WIFSTOPPED(status))
			return 0;	/* it ended before its second mark */
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);	/* deliver it */
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid,
			   (void *)sizeof(info), &info) <= 0)
			return -1;
		if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (info.entry.nr == SYS_getppid) {
			t->marks++;
			continue;
		}
		if (t->marks == 1) {
			if (t->calls < RT_TRACE_MAX)
				t->nr[t->calls] = (long)info.entry.nr;
			t->calls++;
		}
	}
	return ptrace(PTRACE_DETACH, pid, NULL, NULL) ? -1 : 0;
}

/*
 * One process holds both ends (two files) and moves 10,000 messages
 * through the ring in batches that always fit, wrapping the data area
 * many times: nobody ever has to wait, so the library must not enter the
 * kernel.  The parent traces every system call the child makes and
 * counts none between the child's two marks.
 */
TEST_F(ring, fast_path_no_syscall)
{
	struct rt_trace t;
	pid_t pid;
	int i;

	RT_ATTACH_BOTH();
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned int round, j, tag = 0;

		/* Warm up: resolve lazy bindings, touch the pages. */
		if (rt_send_tag(&self->prod, 1, 0, 0, 0) != 1 ||
		    rt_recv_tag(&self->cons, 1, 0, 0, 0))
			_exit(2);
		if (rt_traceme())
			_exit(3);
		rt_mark();
		for (round = 0; round < 200; round++) {
			for (j = 0; j < 50; j++) {
				if (rt_send_tag(&self->prod, (tag + j) * 37 % 500,
						tag + j, 0, 0) < 0)
					break;
			}
			for (j = 0; j < 50; j++, tag++) {
				if (rt_recv_tag(&self->cons, tag * 37 % 500,
						tag, 0, 0))
					break;
			}
			if (j < 50)
				break;
		}
		rt_mark();
		_exit(tag == 10000 ? 0 : 4);
	}
	ASSERT_EQ(0, rt_trace(pid, &t));
	EXPECT_EQ(2, t.marks);
	EXPECT_EQ(0, t.calls);
	for (i = 0; i < t.calls && i < RT_TRACE_MAX; i++) {
		TH_LOG("system call %ld", t.nr[i]);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* The wrap-around really happened: over 7 times the data area. */
	EXPECT_LT(7u * RT_DATA, rt_get(self->raw, RT_OFF_TAIL));
	EXPECT_EQ(rt_get(self->raw, RT_OFF_TAIL),
		  rt_get(self->raw, RT_OFF_HEAD));
}

/*
 * The other side of the claim, so that the test above can fail: the same
 * tracing sees each of these calls enter the kernel, once each:
 *   kmbox_send() on a mailbox (an ioctl, as a reference);
 *   kmbox_ring_send() while the consumer's waiting flag is up (it rings
 *   the doorbell);
 *   kmbox_ring_recv() while the producer's waiting flag is up (likewise);
 *   kmbox_ring_recv() with KMBOX_DONTWAIT on an empty ring (it asks the
 *   kernel whether the producer is gone): twice, since the kernel first
 *   reports the doorbell rung by the send above, which no wait has used
 *   up yet, and the library looks at the ring again; in a ring of layout
 *   version 2 each of these two waits comes after a membarrier(2), the
 *   sleeping side's barrier (see ring_proto_test).
 */
TEST_F(ring, fast_path_syscall_counted)
{
	struct rt_trace t;
	int i, barriers;
	pid_t pid;

	RT_ATTACH_BOTH();
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char buf[8];
		int bad = 0;

		if (rt_traceme())
			_exit(3);
		rt_mark();
		bad |= kmbox_send(self->snd, "x", 1, KMBOX_DONTWAIT) != 1;
		rt_set(self->raw, RT_OFF_CWAIT, 1);
		bad |= kmbox_ring_send(&self->prod, "y", 1, 0, 0) != 1;
		rt_set(self->raw, RT_OFF_PWAIT, 1);
		bad |= kmbox_ring_recv(&self->cons, buf, sizeof(buf), 0, 0) != 1;
		bad |= kmbox_ring_recv(&self->cons, buf, sizeof(buf),
				       KMBOX_DONTWAIT, 0) != -EAGAIN;
		rt_mark();
		_exit(bad ? 4 : 0);
	}
	ASSERT_EQ(0, rt_trace(pid, &t));
	EXPECT_EQ(2, t.marks);
	barriers = self->prod.proto == 2 ? 2 : 0;
	EXPECT_EQ(5 + barriers, t.calls);
	for (i = 0; i < t.calls && i < RT_TRACE_MAX; i++) {
		/* membarrier, then the wait, at the end */
		if (barriers && i >= t.calls - 4 && (t.calls - i) % 2 == 0) {
			EXPECT_EQ(SYS_membarrier, t.nr[i]);
		} else {
			EXPECT_EQ(SYS_ioctl, t.nr[i]);
		}
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* Both flags were taken down by the doorbells; DONTWAIT left its own. */
	EXPECT_EQ(1, rt_get(self->raw, RT_OFF_CWAIT));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_PWAIT));
}

/* --- The other side goes away ----------------------------------------- */

/*
 * A consumer asleep on an empty ring wakes with -EPIPE when the mailbox
 * is shut down (the producer is still there).
 */
TEST_F(ring, shutdown_wakes_consumer)
{
	int ready[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;
		ssize_t n;
		char buf[16];

		CHILD_CHECK(kmbox_ring_attach(&r, self->cfd,
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(rt_put(ready[1], 'r') == 0);
		n = kmbox_ring_recv(&r, buf, sizeof(buf), KMBOX_ABSTIME,
				    rt_deadline(RT_GUARD_NS));
		_exit(kmbox_test_verdict((int)n, -EPIPE));
	}
	ASSERT_EQ('r', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1, pid));
	ASSERT_EQ(0, kmbox_shutdown(self->snd));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(ready[0]);
	close(ready[1]);
}

/*
 * After a shutdown the consumer still takes what is in the ring, then
 * sees end-of-stream, also with KMBOX_DONTWAIT.  A producer with room
 * does not ask the kernel and goes on; one that has to wait gets -EPIPE.
 */
TEST_F(ring, shutdown_drains)
{
	ssize_t n;
	int i;

	RT_ATTACH_BOTH();
	ASSERT_EQ(10, rt_send_tag(&self->prod, 10, 1, 0, 0));
	ASSERT_EQ(20, rt_send_tag(&self->prod, 20, 2, 0, 0));
	ASSERT_EQ(0, kmbox_shutdown(self->rcv));
	ASSERT_EQ(30, rt_send_tag(&self->prod, 30, 3, 0, 0));
	for (i = 1; i <= 3; i++) {
		EXPECT_EQ(0, rt_recv_tag(&self->cons, 10 * i, i,
					 KMBOX_ABSTIME,
					 rt_deadline(RT_GUARD_NS)));
	}
	EXPECT_EQ(-EPIPE, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						   KMBOX_ABSTIME,
						   rt_deadline(RT_GUARD_NS))));
	EXPECT_EQ(-EPIPE, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						   KMBOX_DONTWAIT, 0)));

	/*
	 * Fill the ring: 63 records of 1024 bytes fit (96 bytes are used
	 * up at the start, so the 64th would need padding too).
	 */
	for (i = 0;; i++) {
		n = rt_send_tag(&self->prod, 1016, i, KMBOX_DONTWAIT, 0);
		if (n != 1016)
			break;
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_EQ(RT_DATA / 1024 - 1, i);
	EXPECT_EQ(-EPIPE, RT_LIBERR(rt_send_tag(&self->prod, 1016, 0,
						KMBOX_ABSTIME,
						rt_deadline(RT_GUARD_NS))));
	EXPECT_EQ(-EPIPE, RT_LIBERR(rt_send_tag(&self->prod, 1016, 0, 0, 0)));
}

/*
 * The producer process goes away, by exit or SIGKILL.  With @asleep, the
 * consumer has already taken the three messages and sleeps on the empty
 * ring: it must wake with -EPIPE.  Without, the consumer starts only
 * once the producer is gone: it still gets the three messages sent
 * before, then -EPIPE.
 */
static void rt_producer_gone(struct __test_metadata *_metadata,
			     FIXTURE_DATA(ring) *self, int kill_it,
			     int asleep)
{
	int c2p[2], p2c[2], go[2], sent[2];
	pid_t cons, prod;

	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(sent));
	cons = kmbox_test_spawn(&self->kids);
	ASSERT_GE(cons, 0);
	if (cons == 0) {
		struct kmbox_ring r;
		int i;

		close(self->pfd);
		CHILD_CHECK(kmbox_ring_attach(&r, self->cfd,
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(rt_put(c2p[1], 'r') == 0);
		if (!asleep)
			CHILD_CHECK(rt_take(p2c[0]) == 'g');
		for (i = 1; i <= 3; i++) {
			CHILD_CHECK(rt_recv_tag(&r, 100 * i, i, KMBOX_ABSTIME,
						rt_deadline(RT_GUARD_NS)) == 0);
		}
		_exit(kmbox_test_verdict((int)kmbox_ring_recv(&r, NULL, 0,
				KMBOX_ABSTIME, rt_deadline(RT_GUARD_NS)),
				-EPIPE));
	}
	ASSERT_EQ('r', rt_take(c2p[0]));
	prod = kmbox_test_spawn(&self->kids);
	ASSERT_GE(prod, 0);
	if (prod == 0) {
		struct kmbox_ring r;
		int i;

		close(self->cfd);
		CHILD_CHECK(kmbox_ring_attach(&r, self->pfd,
					      KMBOX_RING_PRODUCER) == 0);
		for (i = 1; i <= 3; i++)
			CHILD_CHECK(rt_send_tag(&r, 100 * i, i, 0, 0) == 100 * i);
		CHILD_CHECK(rt_put(sent[1], 's') == 0);
		rt_take(go[0]);
		_exit(0);
	}
	/* Only the children hold the two ends now. */
	close(self->pfd);
	close(self->cfd);
	self->pfd = self->cfd = -1;
	ASSERT_EQ('s', rt_take(sent[0]));
	if (asleep) {
		ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1,
						 cons));
		EXPECT_EQ(rt_rec(100) + rt_rec(200) + rt_rec(300),
			  rt_get(self->raw, RT_OFF_HEAD));
		EXPECT_EQ(rt_get(self->raw, RT_OFF_TAIL),
			  rt_get(self->raw, RT_OFF_HEAD));
	}
	if (kill_it) {
		ASSERT_EQ(0, kill(prod, SIGKILL));
		EXPECT_EQ(1000 + SIGKILL,
			  kmbox_test_kids_reap(&self->kids, prod, NULL));
	} else {
		ASSERT_EQ(0, rt_put(go[1], 'x'));
		EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, prod, NULL));
	}
	if (!asleep) {
		ASSERT_EQ(0, rt_put(p2c[1], 'g'));
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, cons, NULL));
	close(c2p[0]);
	close(c2p[1]);
	close(p2c[0]);
	close(p2c[1]);
	close(go[0]);
	close(go[1]);
	close(sent[0]);
	close(sent[1]);
}

TEST_F(ring, producer_exit_wakes_consumer)
{
	rt_producer_gone(_metadata, self, 0, 1);
}

TEST_F(ring, producer_kill_wakes_consumer)
{
	rt_producer_gone(_metadata, self, 1, 1);
}

TEST_F(ring, producer_exit_then_drain)
{
	rt_producer_gone(_metadata, self, 0, 0);
}

TEST_F(ring, producer_kill_then_drain)
{
	rt_producer_gone(_metadata, self, 1, 0);
}

/*
 * A producer asleep on a full ring wakes with -EPIPE when the consumer's
 * file is closed; what it had sent stays where it was.
 */
TEST_F(ring, consumer_gone_wakes_producer)
{
	int ready[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,
				       KMBOX_RING_CONSUMER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;
		int i;

		/* Nothing of the consumer's file stays in this process. */
		CHILD_CHECK(kmbox_ring_detach(&self->cons) == 0);
		close(self->cfd);
		CHILD_CHECK(kmbox_ring_attach(&r, self->pfd,
					      KMBOX_RING_PRODUCER) == 0);
		for (i = 0; i < RT_DATA / 1024; i++)
			CHILD_CHECK(rt_send_tag(&r, 1016, i, 0, 0) == 1016);
		CHILD_CHECK(rt_send_tag(&r, 1016, i, KMBOX_DONTWAIT, 0) ==
			    -EAGAIN);
		CHILD_CHECK(rt_put(ready[1], 'r') == 0);
		_exit(kmbox_test_verdict((int)rt_send_tag(&r, 1016, i,
				KMBOX_ABSTIME, rt_deadline(RT_GUARD_NS)),
				-EPIPE));
	}
	close(self->pfd);
	self->pfd = -1;
	ASSERT_EQ('r', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_PWAIT, 1, pid));
	ASSERT_EQ(0, kmbox_ring_detach(&self->cons));
	close(self->cfd);
	self->cfd = -1;
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	close(ready[0]);
	close(ready[1]);
}

/* --- Full, empty, timeouts, signals ------------------------------------ */

/*
 * A full ring: KMBOX_DONTWAIT gives -EAGAIN at once and leaves the
 * producer's waiting flag up, so that the consumer's next take rings the
 * doorbell (for a producer that waits in epoll); one message taken makes
 * room for one.
 */
TEST_F(ring, full_dontwait)
{
	int i;

	RT_ATTACH_BOTH();
	for (i = 0; i < RT_DATA / 1024; i++) {
		ASSERT_EQ(1016, rt_send_tag(&self->prod, 1016, i,
					    KMBOX_DONTWAIT, 0));
	}
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL) -
			   rt_get(self->raw, RT_OFF_HEAD));
	EXPECT_EQ(-EAGAIN, RT_LIBERR(rt_send_tag(&self->prod, 1016, i,
						 KMBOX_DONTWAIT, 0)));
	/* Even the smallest message does not fit. */
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_send(&self->prod, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(1, rt_get(self->raw, RT_OFF_PWAIT));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, 1016, 0, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_PWAIT));
	ASSERT_EQ(1016, rt_send_tag(&self->prod, 1016, i, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_send(&self->prod, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
	for (i = 1; i <= RT_DATA / 1024; i++) {
		ASSERT_EQ(0, rt_recv_tag(&self->cons, 1016, i,
					 KMBOX_DONTWAIT, 0));
	}
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
}

/*
 * Relative and absolute timeouts end an empty receive or a full send
 * with -ETIMEDOUT, never early; a deadline already past fails at once if
 * the call must wait, and does not matter if it need not.
 */
TEST_F(ring, timeouts)
{
	__u64 start, took;
	int i;

	RT_ATTACH_BOTH();
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
				KMBOX_TIMEOUT, 200 * RT_MSEC)));
	took = kmbox_test_now_ns() - start;
	EXPECT_GE(took, 200 * RT_MSEC);
	EXPECT_LT(took, RT_GUARD_NS);

	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
				KMBOX_ABSTIME, start + 200 * RT_MSEC)));
	took = kmbox_test_now_ns() - start;
	EXPECT_GE(took, 200 * RT_MSEC);
	EXPECT_LT(took, RT_GUARD_NS);

	/* Past deadlines and zero timeouts, on an empty ring. */
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
				KMBOX_ABSTIME, 1)));
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
				KMBOX_TIMEOUT, 0)));
	EXPECT_LT(kmbox_test_now_ns() - start, RT_GUARD_NS);

	/* The same for a full ring. */
	for (i = 0; i < RT_DATA / 1024; i++) {
		ASSERT_EQ(1016, rt_send_tag(&self->prod, 1016, i,
					    KMBOX_ABSTIME, 1));
	}
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(rt_send_tag(&self->prod, 8, 0,
				KMBOX_TIMEOUT, 200 * RT_MSEC)));
	took = kmbox_test_now_ns() - start;
	EXPECT_GE(took, 200 * RT_MSEC);
	EXPECT_LT(took, RT_GUARD_NS);
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(rt_send_tag(&self->prod, 8, 0,
				KMBOX_ABSTIME, start + 200 * RT_MSEC)));
	took = kmbox_test_now_ns() - start;
	EXPECT_GE(took, 200 * RT_MSEC);
	EXPECT_LT(took, RT_GUARD_NS);
	EXPECT_EQ(-ETIMEDOUT, RT_LIBERR(rt_send_tag(&self->prod, 8, 0,
				KMBOX_ABSTIME, 1)));

	/* A call that need not wait succeeds whatever its deadline. */
	EXPECT_EQ(0, rt_recv_tag(&self->cons, 1016, 0, KMBOX_ABSTIME, 1));
	EXPECT_EQ(0, rt_recv_tag(&self->cons, 1016, 1, KMBOX_TIMEOUT, 0));
	EXPECT_EQ(8, rt_send_tag(&self->prod, 8, 99, KMBOX_TIMEOUT, 0));
}

static volatile sig_atomic_t rt_signals;

static void rt_on_signal(int sig)
{
	(void)sig;
	rt_signals++;
}

static int rt_handle(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = rt_on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/*
 * A signal handler installed without SA_RESTART interrupts a sleeping
 * receive with -EINTR (and a sleeping send); with SA_RESTART the wait
 * goes on and the message that comes later is received.
 */
TEST_F(ring, signal_interrupts)
{
	volatile __u32 *seen;
	int ready[2];
	pid_t pid;
	int i;

	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(seen != MAP_FAILED);
	*seen = 0;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;
		char buf[16];
		ssize_t n;

		CHILD_CHECK(kmbox_ring_attach(&r, self->cfd,
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(rt_handle(SIGUSR1, 0) == 0);
		CHILD_CHECK(rt_put(ready[1], '1') == 0);
		n = kmbox_ring_recv(&r, buf, sizeof(buf), 0, 0);
		if (n != -EINTR || rt_signals != 1)
			_exit(kmbox_test_verdict((int)n, -EINTR));
		/* The waiting flag is down again after the interruption. */
		CHILD_CHECK(rt_get(self->raw, RT_OFF_CWAIT) == 0);

		CHILD_CHECK(rt_handle(SIGUSR1, SA_RESTART) == 0);
		CHILD_CHECK(rt_put(ready[1], '2') == 0);
		n = kmbox_ring_recv(&r, buf, sizeof(buf), 0, 0);
		*seen = rt_signals;
		CHILD_CHECK(n == 5 && !memcmp(buf, "after", 5));
		CHILD_CHECK(rt_signals == 2);
		_exit(0);
	}
	ASSERT_EQ('1', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1, pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ('2', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1, pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* Give the handler time to run and the wait to start again. */
	for (i = 0; i < 100; i++)
		usleep(10000);
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1, pid));
	EXPECT_EQ(0, *seen);
	ASSERT_EQ(5, kmbox_ring_send(&self->prod, "after", 5, 0, 0));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(ready[0]);
	close(ready[1]);
	munmap((void *)seen, sizeof(*seen));
}

/* The same for a producer asleep on a full ring: -EINTR. */
TEST_F(ring, signal_interrupts_send)
{
	int ready[2], i;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,
				       KMBOX_RING_CONSUMER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;

		CHILD_CHECK(kmbox_ring_attach(&r, self->pfd,
					      KMBOX_RING_PRODUCER) == 0);
		for (i = 0; i < RT_DATA / 1024; i++)
			CHILD_CHECK(rt_send_tag(&r, 1016, i, 0, 0) == 1016);
		CHILD_CHECK(rt_handle(SIGUSR1, 0) == 0);
		CHILD_CHECK(rt_put(ready[1], 'r') == 0);
		_exit(kmbox_test_verdict((int)rt_send_tag(&r, 1016, i, 0, 0),
					 -EINTR));
	}
	ASSERT_EQ('r', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_PWAIT, 1, pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* Nothing of the interrupted message went in. */
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL));
	close(ready[0]);
	close(ready[1]);
}

/* --- Wake-ups ------------------------------------------------------------ */

/*
 * The consumer sleeps on the empty ring (its waiting flag up, the task
 * asleep); one message from the producer wakes it, and the producer took
 * the flag down when it rang.
 */
TEST_F(ring, wake_sleeping_consumer)
{
	int ready[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;

		CHILD_CHECK(kmbox_ring_attach(&r, self->cfd,
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(rt_put(ready[1], 'r') == 0);
		_exit(kmbox_test_verdict(rt_recv_tag(&r, 77, 7, KMBOX_ABSTIME,
					 rt_deadline(RT_GUARD_NS)), 0));
	}
	ASSERT_EQ('r', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_CWAIT, 1, pid));
	ASSERT_EQ(77, rt_send_tag(&self->prod, 77, 7, 0, 0));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_CWAIT));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(ready[0]);
	close(ready[1]);
}

/*
 * The producer sleeps on a full ring; taking one message makes room and
 * wakes it, and its message lands after the others.
 */
TEST_F(ring, wake_sleeping_producer)
{
	int ready[2], i;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->cfd,
				       KMBOX_RING_CONSUMER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring r;

		CHILD_CHECK(kmbox_ring_attach(&r, self->pfd,
					      KMBOX_RING_PRODUCER) == 0);
		for (i = 0; i < RT_DATA / 1024; i++)
			CHILD_CHECK(rt_send_tag(&r, 1016, i, 0, 0) == 1016);
		CHILD_CHECK(rt_put(ready[1], 'r') == 0);
		_exit(kmbox_test_verdict((int)rt_send_tag(&r, 1016, i,
				KMBOX_ABSTIME, rt_deadline(RT_GUARD_NS)),
				1016));
	}
	ASSERT_EQ('r', rt_take(ready[0]));
	ASSERT_EQ(0, rt_wait_flag_asleep(self->raw, RT_OFF_PWAIT, 1, pid));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, 1016, 0, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	for (i = 1; i <= RT_DATA / 1024; i++) {
		ASSERT_EQ(0, rt_recv_tag(&self->cons, 1016, i,
					 KMBOX_DONTWAIT, 0));
	}
	close(ready[0]);
	close(ready[1]);
}

/* --- Errors -------------------------------------------------------------- */

TEST_F(ring, err_bad_side)
{
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_attach(&self->prod,
						       self->pfd, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_attach(&self->prod,
						       self->pfd, 3)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_attach(&self->prod,
						       self->pfd, ~0u)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_attach(NULL, self->pfd,
					KMBOX_RING_PRODUCER)));
	/* Nothing was laid out or joined. */
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_MAGIC));
	EXPECT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
}

/* A mailbox without a region: -ENODEV. */
TEST_F(ring, err_no_region)
{
	struct kmbox_ring r;
	int fd;

	fd = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENODEV, RT_LIBERR(kmbox_ring_attach(&r, fd,
						       KMBOX_RING_PRODUCER)));
	EXPECT_EQ(-ENODEV, RT_LIBERR(kmbox_ring_attach(&r, fd,
						       KMBOX_RING_CONSUMER)));
	close(fd);
	/* Not a mailbox at all. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTTY, RT_LIBERR(kmbox_ring_attach(&r, fd,
						       KMBOX_RING_CONSUMER)));
	close(fd);
	EXPECT_EQ(-EBADF, RT_LIBERR(kmbox_ring_attach(&r, 1000000,
						      KMBOX_RING_CONSUMER)));
}

/* A receive-only file cannot map the region read-write: -EACCES. */
TEST_F(ring, err_recv_only_fd)
{
	struct kmbox_stat st;

	EXPECT_EQ(-EACCES, RT_LIBERR(kmbox_ring_attach(&self->cons,
				self->rcv, KMBOX_RING_CONSUMER)));
	EXPECT_EQ(-EACCES, RT_LIBERR(kmbox_ring_attach(&self->cons,
				self->rcv, KMBOX_RING_PRODUCER)));
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(0, st.ring_consumers);
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.mappings);	/* the fixture's raw one only */
	EXPECT_TRUE(self->cons.map == NULL);
}

/* A send-only file cannot map the region at all: -EACCES. */
TEST_F(ring, err_send_only_fd)
{
	struct kmbox_stat st;

	EXPECT_EQ(-EACCES, RT_LIBERR(kmbox_ring_attach(&self->prod,
				self->snd, KMBOX_RING_PRODUCER)));
	EXPECT_EQ(-EACCES, RT_LIBERR(kmbox_ring_attach(&self->prod,
				self->snd, KMBOX_RING_CONSUMER)));
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.mappings);
}

/* A second producer or consumer file: -EBUSY, and its mapping is undone. */
TEST_F(ring, err_second_end_busy)
{
	struct kmbox_ring r;
	struct kmbox_stat st;

	RT_ATTACH_BOTH();
	EXPECT_EQ(-EBUSY, RT_LIBERR(kmbox_ring_attach(&r, self->rw3,
						      KMBOX_RING_PRODUCER)));
	EXPECT_EQ(-EBUSY, RT_LIBERR(kmbox_ring_attach(&r, self->rw3,
						      KMBOX_RING_CONSUMER)));
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	EXPECT_EQ(3, st.mappings);
}

/* The same file twice, as the same or the other end: -EALREADY. */
TEST_F(ring, err_same_file_twice)
{
	struct kmbox_ring r;
	struct kmbox_stat st;
	int dup_fd;

	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->pfd,
				       KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EALREADY, RT_LIBERR(kmbox_ring_attach(&r, self->pfd,
						KMBOX_RING_PRODUCER)));
	EXPECT_EQ(-EALREADY, RT_LIBERR(kmbox_ring_attach(&r, self->pfd,
						KMBOX_RING_CONSUMER)));
	/* A dup() is the same open file description. */
	dup_fd = dup(self->pfd);
	ASSERT_GE(dup_fd, 0);
	EXPECT_EQ(-EALREADY, RT_LIBERR(kmbox_ring_attach(&r, dup_fd,
						KMBOX_RING_CONSUMER)));
	close(dup_fd);
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	EXPECT_EQ(2, st.mappings);
}

/*
 * A region that holds something else than a version-1 ring of this size:
 * -EPROTO, and nothing is written to it.
 */
TEST_F(ring, err_garbage_magic)
{
	static const struct { size_t off; __u32 val; } bad[] = {
		{ RT_OFF_MAGIC, 0xdeadbeef },
		{ RT_OFF_MAGIC, 0x4b424d52 },	/* the other byte order */
		{ RT_OFF_VERSION, 3 },
		{ RT_OFF_VERSION, 0 },
		{ RT_OFF_DSIZE, RT_DATA / 2 },
		{ RT_OFF_DSIZE, RT_DATA * 2 },
		{ RT_OFF_DOFF, 8192 },
		{ RT_OFF_DOFF, 0 },
	};
	struct kmbox_stat st;
	unsigned int i;
	char buf[8];
	int fd;

	/* Laid out by hand, as a version-1 ring of RT_DATA bytes. */
	rt_set(self->raw, RT_OFF_VERSION, 1);
	rt_set(self->raw, RT_OFF_DSIZE, RT_DATA);
	rt_set(self->raw, RT_OFF_DOFF, RT_OFF_DATA);
	rt_set(self->raw, RT_OFF_MAGIC, RT_MAGIC);
	rt_set(self->raw, RT_OFF_DATA, 0x5a5a5a5a);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		__u32 good = rt_get(self->raw, bad[i].off);

		rt_set(self->raw, bad[i].off, bad[i].val);
		fd = i % 2 ? self->pfd : self->cfd;
		EXPECT_EQ(-EPROTO, RT_LIBERR(kmbox_ring_attach(i % 2 ?
				&self->prod : &self->cons, fd,
				i % 2 ? KMBOX_RING_PRODUCER :
					KMBOX_RING_CONSUMER))) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(bad[i].val, rt_get(self->raw, bad[i].off));
		rt_set(self->raw, bad[i].off, good);
	}
	/* Nothing was written, joined or left mapped. */
	EXPECT_EQ(0x5a5a5a5a, rt_get(self->raw, RT_OFF_DATA));
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	EXPECT_EQ(1, st.mappings);
	/* The good header is accepted, by the same files. */
	RT_ATTACH_BOTH();
	ASSERT_EQ(0, rt_get(self->raw, RT_OFF_TAIL));
	ASSERT_EQ(2, kmbox_ring_send(&self->prod, "ok", 2, 0, 0));
	ASSERT_EQ(2, kmbox_ring_recv(&self->cons, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
}

/* Messages above data_size / 2 - 8: -EMSGSIZE; the largest one passes. */
TEST_F(ring, err_msg_too_big)
{
	static unsigned char big[RT_MAX + 2];

	RT_ATTACH_BOTH();
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_send(&self->prod, big,
						RT_MAX + 1, 0, 0)));
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_send(&self->prod, big,
						RT_DATA, KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_send(&self->prod, big,
						SIZE_MAX, 0, 0)));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_TAIL));
	ASSERT_EQ(RT_MAX, rt_send_tag(&self->prod, RT_MAX, 5, 0, 0));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, RT_MAX, 5, 0, 0));
}

/* A buffer too small: -EMSGSIZE, and the message stays for the next call. */
TEST_F(ring, err_recv_buf_small)
{
	char buf[64];

	RT_ATTACH_BOTH();
	ASSERT_EQ(50, rt_send_tag(&self->prod, 50, 3, 0, 0));
	ASSERT_EQ(1, kmbox_ring_send(&self->prod, "z", 1, 0, 0));
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_recv(&self->cons, buf, 49,
						       0, 0)));
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						       KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	ASSERT_EQ(50, kmbox_ring_recv(&self->cons, buf, 50, 0, 0));
	EXPECT_TRUE(rt_check(buf, 50, 3));
	EXPECT_EQ(1, kmbox_ring_recv(&self->cons, buf, 1, 0, 0));
	EXPECT_EQ('z', buf[0]);
}

/* Each end does only its own job: -EINVAL for the other one's. */
TEST_F(ring, err_wrong_end)
{
	struct kmbox_ring none;
	char buf[8];

	RT_ATTACH_BOTH();
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_send(&self->cons, "a", 1,
						     0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_recv(&self->prod, buf,
						     sizeof(buf), 0, 0)));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_TAIL));
	memset(&none, 0, sizeof(none));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_send(&none, "a", 1, 0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_recv(&none, buf, 1, 0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_send(NULL, "a", 1, 0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_recv(NULL, buf, 1, 0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_detach(&none)));
}

/*
 * Unknown flags and bad timing combinations: -EINVAL on both ends, at
 * once, even when the call would not have had to wait.
 */
TEST_F(ring, err_bad_flags)
{
	static const struct { unsigned int flags; __u64 ns; } bad[] = {
		{ KMBOX_PEEK, 0 },
		{ KMBOX_NOSIGNAL, 0 },
		{ KMBOX_WAITFORONE, 0 },
		{ 1u << 20, 0 },
		{ 1u << 30, 0 },
		{ KMBOX_RING_TRY | KMBOX_DONTWAIT, 0 },
		{ KMBOX_TIMEOUT | KMBOX_ABSTIME, RT_NSEC },
		{ KMBOX_DONTWAIT | KMBOX_TIMEOUT, RT_NSEC },
		{ KMBOX_DONTWAIT | KMBOX_ABSTIME, RT_NSEC },
		{ KMBOX_DONTWAIT | KMBOX_TIMEOUT, 0 },
		{ 0, 1 },
		{ KMBOX_DONTWAIT, 5 },
		{ KMBOX_TIMEOUT, (__u64)INT64_MAX + 1 },
		{ KMBOX_ABSTIME, ~0ull },
	};
	char buf[8];
	unsigned int i;

	RT_ATTACH_BOTH();
	ASSERT_EQ(1, kmbox_ring_send(&self->prod, "q", 1, 0, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_send(&self->prod,
				"x", 1, bad[i].flags, bad[i].ns))) {
			TH_LOG("send case %u", i);
		}
		EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_recv(&self->cons,
				buf, sizeof(buf), bad[i].flags, bad[i].ns))) {
			TH_LOG("recv case %u", i);
		}
	}
	/* Nothing moved. */
	EXPECT_EQ(16, rt_get(self->raw, RT_OFF_TAIL));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	/* The largest timeout is fine. */
	EXPECT_EQ(1, kmbox_ring_recv(&self->cons, buf, sizeof(buf),
				     KMBOX_TIMEOUT, INT64_MAX));
	EXPECT_EQ('q', buf[0]);
}

/* A region of one page has no room for a ring: -ENOSPC. */
TEST_F(ring, err_region_too_small)
{
	struct kmbox_attr attr = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	struct kmbox_ring r;
	int fd;

	if (page != 4096)
		SKIP(return, "the page is not 4 KiB");
	attr.region_size = page;
	fd = kmbox_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOSPC, RT_LIBERR(kmbox_ring_attach(&r, fd,
						       KMBOX_RING_PRODUCER)));
	close(fd);

	/* Two pages: a ring of 4 KiB. */
	attr.region_size = 2 * page;
	fd = kmbox_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_ring_attach(&r, fd, KMBOX_RING_PRODUCER));
	EXPECT_EQ(4096, r.data_size);
	EXPECT_EQ(-EMSGSIZE, RT_LIBERR(kmbox_ring_send(&r, NULL, 2041,
						       0, 0)));
	EXPECT_EQ(0, kmbox_ring_detach(&r));
	close(fd);

	/* Four pages: 8 KiB, the largest power of two that fits in 12. */
	attr.region_size = 4 * page;
	fd = kmbox_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_ring_attach(&r, fd, KMBOX_RING_CONSUMER));
	EXPECT_EQ(8192, r.data_size);
	EXPECT_EQ(0, kmbox_ring_detach(&r));
	close(fd);
}

/* Detach unmaps, and the file stays that end of the ring until closed. */
TEST_F(ring, detach)
{
	struct kmbox_ring r;
	struct kmbox_stat st;

	RT_ATTACH_BOTH();
	ASSERT_EQ(0, kmbox_ring_detach(&self->prod));
	EXPECT_TRUE(self->prod.map == NULL);
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_send(&self->prod, "a", 1,
						     0, 0)));
	EXPECT_EQ(-EINVAL, RT_LIBERR(kmbox_ring_detach(&self->prod)));
	ASSERT_EQ(0, kmbox_test_stat(self->pfd, &st));
	EXPECT_EQ(2, st.mappings);
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(-EALREADY, RT_LIBERR(kmbox_ring_attach(&r, self->pfd,
						KMBOX_RING_PRODUCER)));
	/* Once the file is closed, another one can be the producer. */
	close(self->pfd);
	self->pfd = -1;
	ASSERT_EQ(0, kmbox_test_stat(self->cfd, &st));
	EXPECT_EQ(0, st.ring_producers);
	ASSERT_EQ(0, kmbox_ring_attach(&self->prod, self->rw3,
				       KMBOX_RING_PRODUCER));
	ASSERT_EQ(4, rt_send_tag(&self->prod, 4, 1, 0, 0));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, 4, 1, 0, 0));
}

/* --- A region that a third party garbles --------------------------------- */

/*
 * Impossible values of tail seen by the consumer: more than the data
 * size in use, an index behind head, or not a multiple of 8: -EBADMSG,
 * nothing read, nothing published.  Once repaired the ring works again.
 */
TEST_F(ring, corrupt_tail)
{
	static const __u32 bad[] = {
		RT_DATA + 8, RT_DATA * 4, 0xfffffff8, 0x80000000, 3, 12, 1,
	};
	unsigned int i;

	RT_ATTACH_BOTH();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rt_set(self->raw, RT_OFF_TAIL, bad[i]);
		EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons,
				NULL, 0, KMBOX_DONTWAIT, 0))) {
			TH_LOG("tail %#x", bad[i]);
		}
		EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons,
				NULL, 0, KMBOX_ABSTIME,
				rt_deadline(RT_GUARD_NS))));
		EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	}
	rt_set(self->raw, RT_OFF_TAIL, 0);
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_recv(&self->cons, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
	ASSERT_EQ(9, rt_send_tag(&self->prod, 9, 9, 0, 0));
	EXPECT_EQ(0, rt_recv_tag(&self->cons, 9, 9, 0, 0));
}

/*
 * Impossible values of head seen by the producer (ahead of tail, too far
 * behind, unaligned): -EBADMSG, nothing written.  The producer reads head
 * only when the head it read last says the ring is full, so the ring is
 * filled first: from then on every send reads it.
 */
TEST_F(ring, corrupt_head)
{
	static const __u32 bad[] = {
		RT_DATA + 8, RT_DATA + 4096, RT_DATA - RT_DATA - 8,
		RT_DATA - 4, 1, 0x80000000 + RT_DATA,
	};
	unsigned int i, n;
	ssize_t ret;

	RT_ATTACH_BOTH();
	for (n = 0; (ret = rt_send_tag(&self->prod, 8, n, KMBOX_DONTWAIT,
				       0)) == 8; n++)
		;
	ASSERT_EQ(-EAGAIN, ret);
	ASSERT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL));
	ASSERT_EQ(RT_DATA / 16, n);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rt_set(self->raw, RT_OFF_HEAD, bad[i]);
		EXPECT_EQ(-EBADMSG, RT_LIBERR(rt_send_tag(&self->prod, 8, 0,
				KMBOX_DONTWAIT, 0))) {
			TH_LOG("head %#x", bad[i]);
		}
		EXPECT_EQ(-EBADMSG, RT_LIBERR(rt_send_tag(&self->prod, 8, 0,
				0, 0)));
		EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL));
	}
	rt_set(self->raw, RT_OFF_HEAD, 0);
	EXPECT_EQ(-EAGAIN, RT_LIBERR(rt_send_tag(&self->prod, 8, n,
						     KMBOX_DONTWAIT, 0)));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, 8, 0, 0, 0));
	ASSERT_EQ(8, rt_send_tag(&self->prod, 8, n, 0, 0));
	for (i = 1; i <= n; i++) {
		EXPECT_EQ(0, rt_recv_tag(&self->cons, 8, i, 0, 0));
	}
}

/*
 * Impossible record headers: a length above the largest message, a
 * record longer than what tail says is in use, unknown flags, a padding
 * record where no padding can be or not reaching the end: -EBADMSG, the
 * record stays.  Repaired, it is received intact.
 */
TEST_F(ring, corrupt_record)
{
	static const struct { __u32 len, flags; } bad[] = {
		{ 0xfffffff0, 0 },
		{ RT_MAX + 1, 0 },
		{ 0x80000000, 0 },
		{ 200, 0 },		/* 208 bytes, only 112 in use */
		{ 105, 0 },		/* 120 bytes, only 112 in use */
		{ 100, 2 },
		{ 100, 0x80000000 },
		{ 100, 3 },
		{ RT_DATA - 8, 1 },	/* padding at offset 0 */
		{ 100, 1 },
	};
	static unsigned char buf[RT_MAX];
	unsigned int i;

	RT_ATTACH_BOTH();
	ASSERT_EQ(100, rt_send_tag(&self->prod, 100, 4, 0, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rt_set(self->raw, RT_OFF_DATA, bad[i].len);
		rt_set(self->raw, RT_OFF_DATA + 4, bad[i].flags);
		EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons,
				buf, sizeof(buf), KMBOX_DONTWAIT, 0))) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(0, rt_get(self->raw, RT_OFF_HEAD));
	}
	rt_set(self->raw, RT_OFF_DATA, 100);
	rt_set(self->raw, RT_OFF_DATA + 4, 0);
	EXPECT_EQ(0, rt_recv_tag(&self->cons, 100, 4, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(112, rt_get(self->raw, RT_OFF_HEAD));
}

/*
 * The record at the very end of the data area, where the region ends too:
 * a length that would run past the end (allowed by the amount in use)
 * must not be copied, or the process would fault; a padding record whose
 * length does not reach the end exactly is refused as well.
 */
TEST_F(ring, corrupt_record_at_end)
{
	static unsigned char buf[RT_MAX];
	__u32 at = RT_DATA - 16;

	/* Both indices 16 bytes before the end, before anyone attaches. */
	rt_set(self->raw, RT_OFF_TAIL, at);
	rt_set(self->raw, RT_OFF_HEAD, at);
	RT_ATTACH_BOTH();
	ASSERT_EQ(8, rt_send_tag(&self->prod, 8, 1, 0, 0));
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_TAIL));

	/* A maximal record that fits in use but not before the end. */
	rt_set(self->raw, RT_OFF_DATA + at, RT_MAX);
	rt_set(self->raw, RT_OFF_TAIL, at + 8 + RT_MAX);
	EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons, buf,
						      sizeof(buf), 0, 0)));
	/* The same as padding of the wrong length. */
	rt_set(self->raw, RT_OFF_DATA + at + 4, 1);
	EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons, buf,
						      sizeof(buf), 0, 0)));
	rt_set(self->raw, RT_OFF_DATA + at, 16);
	EXPECT_EQ(-EBADMSG, RT_LIBERR(kmbox_ring_recv(&self->cons, buf,
						      sizeof(buf), 0, 0)));
	/*
	 * Proper padding (8 bytes of it) is skipped: then the ring is empty.
	 * The consumer keeps the tail it has read and checked (the producer
	 * published those bytes), so a tail that goes back is not seen until
	 * it has taken them: a new consumer, on another file, starts afresh.
	 */
	kmbox_ring_detach(&self->cons);
	close(self->cfd);
	self->cfd = -1;
	ASSERT_EQ(0, kmbox_ring_attach(&self->cons, self->rw3,
				       KMBOX_RING_CONSUMER));
	rt_set(self->raw, RT_OFF_DATA + at, 8);
	rt_set(self->raw, RT_OFF_TAIL, RT_DATA);
	EXPECT_EQ(-EAGAIN, RT_LIBERR(kmbox_ring_recv(&self->cons, buf,
						     sizeof(buf),
						     KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(RT_DATA, rt_get(self->raw, RT_OFF_HEAD));
	ASSERT_EQ(8, rt_send_tag(&self->prod, 8, 2, 0, 0));
	EXPECT_EQ(0, rt_recv_tag(&self->cons, 8, 2, 0, 0));
}

/*
 * Garbage in the waiting flags costs at most a doorbell for nobody: the
 * messages go through and the flag is taken down.
 */
TEST_F(ring, corrupt_waiting_flags)
{
	RT_ATTACH_BOTH();
	rt_set(self->raw, RT_OFF_CWAIT, 0xdeadbeef);
	rt_set(self->raw, RT_OFF_PWAIT, 7);
	ASSERT_EQ(5, rt_send_tag(&self->prod, 5, 1, 0, 0));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_CWAIT));
	EXPECT_EQ(7, rt_get(self->raw, RT_OFF_PWAIT));
	ASSERT_EQ(0, rt_recv_tag(&self->cons, 5, 1, 0, 0));
	EXPECT_EQ(0, rt_get(self->raw, RT_OFF_PWAIT));
}

/*
 * A hostile process scribbles over the indices, the flags and the data
 * while the two ends keep going: every call returns a result or
 * -EBADMSG, -EAGAIN or -EMSGSIZE, and nothing faults.
 */
TEST_F(ring, corrupt_concurrent)
{
	static unsigned char buf[RT_MAX];
	unsigned int i, ok = 0, bad = 0, other = 0;
	ssize_t n;
	pid_t pid;

	RT_ATTACH_BOTH();
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		__u32 x = 12345, off;

		for (;;) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			off = x % 4;
			if (off == 0)
				off = RT_OFF_TAIL;
			else if (off == 1)
				off = RT_OFF_HEAD;
			else
				off = RT_OFF_DATA + (x >> 8) % RT_DATA / 4 * 4;
			rt_set(self->raw, off, x & 0x80 ? x : x & 0xffff);
			if (x % 64 == 0)
				usleep(100);
		}
	}
	for (i = 0; i < 20000; i++) {
		n = rt_send_tag(&self->prod, i % 300, i, KMBOX_DONTWAIT, 0);
		if (n >= 0)
			ok++;
		else if (n == -EBADMSG)
			bad++;
		else if (n != -EAGAIN)
			other++;
		n = kmbox_ring_recv(&self->cons, buf, i % 3 ? sizeof(buf) : 8,
				    KMBOX_DONTWAIT, 0);
		if (n >= 0)
			ok++;
		else if (n == -EBADMSG)
			bad++;
		else if (n != -EAGAIN && n != -EMSGSIZE)
			other++;
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(0, other);
	ksft_print_msg("corrupt_concurrent: %u ok, %u EBADMSG\n", ok, bad);
	EXPECT_GT(bad, 0);
}

/* --- Wrap-around ---------------------------------------------------------- */

/*
 * Records that do not fit before the end of the data area go to its
 * start, after a padding record (flags 1, reaching the end); the consumer
 * skips it.  Lengths are chosen so that the padding takes every size.
 */
TEST_F(ring, wrap_padding)
{
	unsigned int i, pads = 0;
	__u32 tail = 0, pad, len;

	RT_ATTACH_BOTH();
	for (i = 0; i < 600; i++) {
		len = 1000 + (i * 40) % 3000;
		tail = rt_model(tail, rt_rec(len), &pad);
		ASSERT_EQ((ssize_t)len, rt_send_tag(&self->prod, len, i, 0, 0));
		ASSERT_EQ(tail, rt_get(self->raw, RT_OFF_TAIL));
		if (pad) {
			__u32 at = RT_OFF_DATA + RT_DATA - pad;

			pads++;
			EXPECT_EQ(pad - 8, rt_get(self->raw, at));
			EXPECT_EQ(1, rt_get(self->raw, at + 4));
		}
		/* Keep a few messages in flight. */
		if (i >= 5) {
			len = 1000 + ((i - 5) * 40) % 3000;
			ASSERT_EQ(0, rt_recv_tag(&self->cons, len, i - 5,
						 KMBOX_DONTWAIT, 0));
		}
	}
	for (i = 595; i < 600; i++) {
		len = 1000 + (i * 40) % 3000;
		ASSERT_EQ(0, rt_recv_tag(&self->cons, len, i, KMBOX_DONTWAIT,
					 0));
	}
	EXPECT_EQ(tail, rt_get(self->raw, RT_OFF_HEAD));
	EXPECT_GT(pads, 10);
}

/*
 * The indices count bytes modulo 2^32: starting just before the wrap
 * (head = tail = 0xfffff000, written before anyone attaches), messages
 * cross it without a hitch, padding included.
 */
TEST_F(ring, wrap_u32)
{
	__u32 start = 0xfffff000u, tail = start, pad;
	unsigned int i;

	rt_set(self->raw, RT_OFF_TAIL, start);
	rt_set(self->raw, RT_OFF_HEAD, start);
	RT_ATTACH_BOTH();
	for (i = 0; i < 300; i++) {
		tail = rt_model(tail, rt_rec(1000 + i), &pad);
		ASSERT_EQ(1000 + i, rt_send_tag(&self->prod, 1000 + i, i,
						0, 0));
		ASSERT_EQ(tail, rt_get(self->raw, RT_OFF_TAIL));
		if (i % 3 == 2) {
			unsigned int j;

			for (j = i - 2; j <= i; j++) {
				ASSERT_EQ(0, rt_recv_tag(&self->cons, 1000 + j,
							 j, KMBOX_DONTWAIT, 0));
			}
		}
	}
	EXPECT_EQ(tail, rt_get(self->raw, RT_OFF_HEAD));
	/* It did wrap: far past 2^32, so a small number now. */
	EXPECT_LT(tail, 0x100000u);
	EXPECT_GT(tail, 0x10000u);
}

TEST_HARNESS_MAIN
