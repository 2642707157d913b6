// SPDX-License-Identifier: GPL-2.0
/*
 * The ring's wake-up protocols: no wake-up is ever lost.
 *
 * A ring laid out by libkmbox 1.2 in a process that can use membarrier(2)
 * is of layout version 2: the side that goes to sleep pays for the
 * barrier (MEMBARRIER_CMD_GLOBAL_EXPEDITED), the side that publishes
 * issues none.  One laid out as libkmbox 1.1 does (version 1), or by a
 * process that cannot use membarrier(2), keeps a full fence on both
 * sides.  Each test runs on both (the fixture's variants): two processes
 * move messages through a tiny ring while each one pauses at random, so
 * that both go to sleep and wake thousands of times; a lost wake-up shows
 * as a call that runs into its 10 s timeout.  Then how the version is
 * chosen and refused.
 *
 * Built twice: for kmbox.ko (run in the VM) and natively with the
 * doorbell stand-in (ring_backend.h).
 */
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "ring_backend.h"

#define PT_DATA		4096		/* the smallest ring: 2040-byte messages at most */
#define PT_MAX		(PT_DATA / 2 - 8)
#define PT_GUARD_NS	(10 * RB_NSEC)	/* a wait that must not run out */
#define PT_MIN_SLEEPS	100		/* each side slept at least this often */
#define PT_HARD_NS	(60 * RB_NSEC)	/* ... unless the machine is that slow */

/* 1 if this process can use membarrier(2) as libkmbox needs it. */
static int pt_membarrier_usable(void)
{
	const int need = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
			 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return q >= 0 && (q & need) == need;
}

/* xorshift32 */
static __u32 pt_rand(__u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * A pause of up to about 20 us now and then, spent spinning (a sleep of
 * its own would blur the count of the ring's sleeps): long enough for the
 * other side to run into a full or empty ring and sleep.
 */
static void pt_pause(__u32 *x)
{
	__u64 until;

	if (pt_rand(x) % 8)
		return;
	until = kmbox_test_now_ns() + pt_rand(x) % 20000;
	while (kmbox_test_now_ns() < until)
		;
}

/* Message @seq: its length (8 to PT_MAX) and its bytes, seq first. */
static size_t pt_make(unsigned char *buf, __u32 seq)
{
	size_t len = 8 + seq * 2654435761u % (PT_MAX - 7);

	memcpy(buf, &seq, 4);
	kmbox_test_payload(buf + 4, (__u32)len - 4, 7, seq);
	return len;
}

static int pt_check(const unsigned char *buf, ssize_t n, __u32 seq)
{
	unsigned char want[PT_MAX];

	return n == (ssize_t)pt_make(want, seq) && !memcmp(buf, want, n);
}

FIXTURE(proto) {
	int fd[3];		/* producer's file, consumer's, a third one */
	unsigned char *raw;	/* the region, through fd[2] */
	size_t region;
	struct kmbox_test_kids kids;
};

/* The layout the region holds before the ends attach. */
FIXTURE_VARIANT(proto) {
	__u32 version;		/* 0: fresh, laid out by the first end */
};

FIXTURE_VARIANT_ADD(proto, membarrier) {
	.version = 0,
};

FIXTURE_VARIANT_ADD(proto, fence) {
	.version = 1,
};

FIXTURE_SETUP(proto)
{
	int ret = rb_open(PT_DATA, self->fd, 3, &self->raw);

	if (ret == -EOPNOTSUPP)
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");
	ASSERT_EQ(0, ret);
	self->region = kmbox_ring_region_size(PT_DATA);
	if (variant->version) {
		/* As libkmbox 1.1 lays it out. */
		rb_set(self->raw, RB_OFF_VERSION, variant->version);
		rb_set(self->raw, RB_OFF_DSIZE, PT_DATA);
		rb_set(self->raw, RB_OFF_DOFF, RB_OFF_DATA);
		rb_set(self->raw, RB_OFF_MAGIC, RB_MAGIC);
	}
}

FIXTURE_TEARDOWN(proto)
{
	kmbox_test_kill_kids(&self->kids);
	rb_release(PT_DATA, self->fd, 3, self->raw);
}

/* The version the region must hold once an end is attached. */
static __u32 pt_want_version(const FIXTURE_VARIANT(proto) *variant)
{
	if (variant->version)
		return variant->version;
	return pt_membarrier_usable() ? 2 : 1;
}

/*
 * The first end lays out version 2 where membarrier(2) is usable (else
 * 1), a ring already laid out keeps its version, and each end follows it.
 */
TEST_F(proto, version)
{
	struct kmbox_ring p, c;

	rb_note("doorbells: %s\n", RB_WHERE);
	ASSERT_EQ(0, kmbox_ring_attach(&c, self->fd[1], KMBOX_RING_CONSUMER));
	EXPECT_EQ(pt_want_version(variant), rb_get(self->raw, RB_OFF_VERSION));
	ASSERT_EQ(0, kmbox_ring_attach(&p, self->fd[0], KMBOX_RING_PRODUCER));
	EXPECT_EQ(pt_want_version(variant), rb_get(self->raw, RB_OFF_VERSION));
	EXPECT_EQ(pt_want_version(variant), p.proto);
	EXPECT_EQ(pt_want_version(variant), c.proto);
	EXPECT_EQ(RB_MAGIC, rb_get(self->raw, RB_OFF_MAGIC));
	EXPECT_EQ(PT_DATA, rb_get(self->raw, RB_OFF_DSIZE));
	ASSERT_EQ(3, kmbox_ring_send(&p, "abc", 3, 0, 0));
	EXPECT_EQ(3, kmbox_ring_recv(&c, (char[8]){ 0 }, 8, 0, 0));
	kmbox_ring_detach(&p);
	kmbox_ring_detach(&c);
}

/*
 * Producer (child) and consumer (this process) stream messages of every
 * length through the smallest ring, each pausing at random: the producer
 * finds the ring full and sleeps, the consumer finds it empty and sleeps,
 * thousands of times.  Every message arrives, in order and intact, no
 * call runs into its 10 s timeout, and both sides really slept (their
 * voluntary context switches; the pauses spin).  The producer goes on
 * for half of KMBOX_STRESS_SECS, and longer (up to PT_HARD_NS) until
 * both sides have slept PT_MIN_SLEEPS times, on a slow or busy machine.
 */
TEST_F_TIMEOUT(proto, stream_sleepy, 120)
{
	__u64 start = kmbox_test_now_ns();
	__u64 end = start + kmbox_test_stress_secs() * RB_NSEC / 2;
	volatile long *slept;	/* [0] consumer, [1] producer */
	unsigned char buf[PT_MAX];
	struct kmbox_ring c;
	long s0;
	__u32 seq, x = 99;
	ssize_t n = 0;
	pid_t pid;

	slept = mmap(NULL, 2 * sizeof(*slept), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(slept != MAP_FAILED);
	slept[0] = slept[1] = 0;
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring p;
		__u64 now;

		CHILD_CHECK(kmbox_ring_attach(&p, self->fd[0],
					      KMBOX_RING_PRODUCER) == 0);
		s0 = rb_sleeps();
		x = 12345;
		for (seq = 0;; seq++) {
			size_t len = pt_make(buf, seq);

			n = kmbox_ring_send(&p, buf, len, KMBOX_TIMEOUT,
					    PT_GUARD_NS);
			if (n != (ssize_t)len) {
				fprintf(stderr, "# send %u: %zd\n", seq, n);
				_exit(1);
			}
			pt_pause(&x);
			if (seq % 64)
				continue;
			slept[1] = rb_sleeps() - s0;
			now = kmbox_test_now_ns();
			if (now >= end && ((slept[0] >= PT_MIN_SLEEPS &&
					    slept[1] >= PT_MIN_SLEEPS) ||
					   now >= start + PT_HARD_NS))
				break;
		}
		slept[1] = rb_sleeps() - s0;
		n = kmbox_ring_send(&p, NULL, 0, KMBOX_TIMEOUT, PT_GUARD_NS);
		_exit(n == 0 ? 0 : 2);
	}
	ASSERT_EQ(0, kmbox_ring_attach(&c, self->fd[1], KMBOX_RING_CONSUMER));
	s0 = rb_sleeps();
	for (seq = 0;; seq++) {
		n = kmbox_ring_recv(&c, buf, sizeof(buf), KMBOX_TIMEOUT,
				    PT_GUARD_NS);
		if (n <= 0 || !pt_check(buf, n, seq))
			break;
		pt_pause(&x);
		if (seq % 64 == 0)
			slept[0] = rb_sleeps() - s0;
	}
	slept[0] = rb_sleeps() - s0;
	EXPECT_EQ(0, n) {
		TH_LOG("message %u: %zd; tail %#x head %#x cw %u pw %u", seq,
		       n, rb_get(self->raw, RB_OFF_TAIL),
		       rb_get(self->raw, RB_OFF_HEAD),
		       rb_get(self->raw, RB_OFF_CWAIT),
		       rb_get(self->raw, RB_OFF_PWAIT));
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	rb_note("stream_sleepy: %u messages, consumer slept %ld times, producer %ld\n",
		seq, slept[0], slept[1]);
	EXPECT_GE(slept[0], PT_MIN_SLEEPS);
	EXPECT_GE(slept[1], PT_MIN_SLEEPS);
	kmbox_ring_detach(&c);
	munmap((void *)slept, 2 * sizeof(*slept));
}

/*
 * Ping-pong through two rings: each message finds the other side asleep
 * (or about to sleep), so every round trip is two wake-ups, taken with
 * random pauses on both sides so that the sleeper is caught at every
 * step of its way to sleep.  The reply must come every time.  It goes on
 * as stream_sleepy does.
 */
TEST_F_TIMEOUT(proto, pingpong_sleepy, 120)
{
	__u64 start = kmbox_test_now_ns();
	__u64 end = start + kmbox_test_stress_secs() * RB_NSEC / 2;
	struct kmbox_ring tx, rx;
	int back[3] = { -1, -1, -1 };
	unsigned char *raw2;
	__u32 seq, x = 7, got;
	long sleeps;
	ssize_t n = 0;
	pid_t pid;

	ASSERT_EQ(0, rb_mailbox(PT_DATA, back, 2));
	raw2 = mmap(NULL, self->region, PROT_READ | PROT_WRITE, MAP_SHARED,
		    back[1], 0);
	ASSERT_TRUE(raw2 != MAP_FAILED);
	if (variant->version) {
		rb_set(raw2, RB_OFF_VERSION, variant->version);
		rb_set(raw2, RB_OFF_DSIZE, PT_DATA);
		rb_set(raw2, RB_OFF_DOFF, RB_OFF_DATA);
		rb_set(raw2, RB_OFF_MAGIC, RB_MAGIC);
	}
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring in, out;

		x = 4242;
		CHILD_CHECK(kmbox_ring_attach(&in, self->fd[1],
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(kmbox_ring_attach(&out, back[0],
					      KMBOX_RING_PRODUCER) == 0);
		for (;;) {
			n = kmbox_ring_recv(&in, &got, sizeof(got),
					    KMBOX_TIMEOUT, PT_GUARD_NS);
			if (n != sizeof(got))
				_exit(n == 0 ? 0 : 1);
			pt_pause(&x);
			got++;
			if (kmbox_ring_send(&out, &got, sizeof(got),
					    KMBOX_TIMEOUT, PT_GUARD_NS) !=
			    sizeof(got))
				_exit(2);
		}
	}
	ASSERT_EQ(0, kmbox_ring_attach(&tx, self->fd[0], KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_ring_attach(&rx, back[1], KMBOX_RING_CONSUMER));
	sleeps = rb_sleeps();
	for (seq = 0; kmbox_test_now_ns() < end ||
		      (rb_sleeps() - sleeps < PT_MIN_SLEEPS &&
		       kmbox_test_now_ns() < start + PT_HARD_NS); seq++) {
		n = kmbox_ring_send(&tx, &seq, sizeof(seq), KMBOX_TIMEOUT,
				    PT_GUARD_NS);
		if (n != sizeof(seq))
			break;
		pt_pause(&x);
		n = kmbox_ring_recv(&rx, &got, sizeof(got), KMBOX_TIMEOUT,
				    PT_GUARD_NS);
		if (n != sizeof(got) || got != seq + 1)
			break;
	}
	sleeps = rb_sleeps() - sleeps;
	EXPECT_EQ(sizeof(got), n) {
		TH_LOG("round trip %u: %zd (got %u)", seq, n, got);
	}
	EXPECT_EQ(0, kmbox_ring_send(&tx, NULL, 0, KMBOX_TIMEOUT, PT_GUARD_NS));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	rb_note("pingpong_sleepy: %u round trips, %ld sleeps here\n",
		       seq, sleeps);
	EXPECT_GE(sleeps, PT_MIN_SLEEPS);
	kmbox_ring_detach(&tx);
	kmbox_ring_detach(&rx);
	munmap(raw2, self->region);
	rb_close(back[0]);
	rb_close(back[1]);
}

/* --- How the version is chosen --------------------------------------- */

/* A fresh region: three files and a raw mapping, as the proto fixture. */
FIXTURE(layout) {
	int fd[3];
	unsigned char *raw;
	size_t region;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(layout)
{
	int ret = rb_open(PT_DATA, self->fd, 3, &self->raw);

	if (ret == -EOPNOTSUPP)
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");
	ASSERT_EQ(0, ret);
	self->region = kmbox_ring_region_size(PT_DATA);
}

FIXTURE_TEARDOWN(layout)
{
	kmbox_test_kill_kids(&self->kids);
	rb_release(PT_DATA, self->fd, 3, self->raw);
}

/*
 * Makes membarrier(2) fail with ENOSYS in this process, as a sandbox
 * might: 0, or -1 where the kernel has no seccomp filters.
 */
static int pt_deny_membarrier(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -1 : 0;
}

/*
 * A process that cannot use membarrier(2) lays a fresh ring out as
 * version 1 and follows it; it cannot follow version 2, and its attach to
 * such a ring fails with -EOPNOTSUPP before joining.
 */
TEST_F(layout, no_membarrier)
{
	struct kmbox_stat st;
	pid_t pid;
	int ret;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_ring c;

		if (pt_deny_membarrier())
			_exit(4);
		CHILD_CHECK(!pt_membarrier_usable());
		CHILD_CHECK(kmbox_ring_attach(&c, self->fd[1],
					      KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(c.proto == 1);
		CHILD_CHECK(rb_get(self->raw, RB_OFF_VERSION) == 1);
		/* Now a version-2 ring in the same region. */
		kmbox_ring_detach(&c);
		rb_set(self->raw, RB_OFF_VERSION, 2);
		CHILD_CHECK(kmbox_ring_attach(&c, self->fd[0],
					      KMBOX_RING_PRODUCER) ==
			    -EOPNOTSUPP);
		_exit(0);
	}
	ret = kmbox_test_kids_reap(&self->kids, pid, NULL);
	if (ret == 4)
		SKIP(return, "no seccomp filters in this kernel");
	ASSERT_EQ(0, ret);
	/* The refused producer did not join. */
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd[0], KMBOX_IOC_STAT, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
}

/*
 * Versions the library does not know, and a version word already claimed
 * (by another end laying the ring out) with one of them: -EPROTO before
 * joining, nothing written.
 */
TEST_F(layout, unknown_version)
{
	static const __u32 bad[] = { 3, 0x100, 0xffffffff };
	struct kmbox_ring r;
	struct kmbox_stat st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rb_set(self->raw, RB_OFF_VERSION, bad[i]);
		EXPECT_EQ(-EPROTO, kmbox_ring_attach(&r, self->fd[0],
						     KMBOX_RING_PRODUCER));
		EXPECT_EQ(0, rb_get(self->raw, RB_OFF_MAGIC));
		rb_set(self->raw, RB_OFF_VERSION, bad[i]);
		rb_set(self->raw, RB_OFF_DSIZE, PT_DATA);
		rb_set(self->raw, RB_OFF_DOFF, RB_OFF_DATA);
		rb_set(self->raw, RB_OFF_MAGIC, RB_MAGIC);
		EXPECT_EQ(-EPROTO, kmbox_ring_attach(&r, self->fd[1],
						     KMBOX_RING_CONSUMER));
		rb_set(self->raw, RB_OFF_MAGIC, 0);
		rb_set(self->raw, RB_OFF_DSIZE, 0);
		rb_set(self->raw, RB_OFF_DOFF, 0);
	}
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd[0], KMBOX_IOC_STAT, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
}

/*
 * Two ends attach to fresh regions at the same moment, again and again:
 * they always agree on the version, and it is the one the region holds.
 */
TEST_F_TIMEOUT(layout, attach_race, 120)
{
	volatile __u32 *seen;
	int round, rounds = 200, fd[3], ret;
	unsigned char *raw;
	pid_t pid;

	seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(seen != MAP_FAILED);
	for (round = 0; round < rounds; round++) {
		struct kmbox_ring r;

		ASSERT_EQ(0, rb_mailbox(PT_DATA, fd, 3));
		raw = mmap(NULL, self->region, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd[2], 0);
		ASSERT_TRUE(raw != MAP_FAILED);
		seen[0] = 0;
		pid = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			__atomic_store_n(&seen[1], 1, __ATOMIC_SEQ_CST);
			while (!__atomic_load_n(&seen[2], __ATOMIC_SEQ_CST))
				;
			if (kmbox_ring_attach(&r, fd[0], KMBOX_RING_PRODUCER))
				_exit(1);
			seen[0] = r.proto;
			_exit(0);
		}
		while (!__atomic_load_n(&seen[1], __ATOMIC_SEQ_CST))
			;
		__atomic_store_n(&seen[2], 1, __ATOMIC_SEQ_CST);
		ret = kmbox_ring_attach(&r, fd[1], KMBOX_RING_CONSUMER);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
		EXPECT_EQ(r.proto, seen[0]);
		EXPECT_EQ(r.proto, rb_get(raw, RB_OFF_VERSION));
		EXPECT_EQ(RB_MAGIC, rb_get(raw, RB_OFF_MAGIC));
		seen[1] = seen[2] = 0;
		kmbox_ring_detach(&r);
		munmap(raw, self->region);
		rb_close(fd[0]);
		rb_close(fd[1]);
		rb_close(fd[2]);
	}
	munmap((void *)seen, 4096);
}

TEST_HARNESS_MAIN
