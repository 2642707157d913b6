// SPDX-License-Identifier: GPL-2.0
/*
 * What each end of the ring keeps of the other's index, and
 * KMBOX_RING_TRY.
 *
 * The producer reads head only when the head it read last says the ring
 * is full, the consumer reads tail only when the tail it read last says
 * it is empty; each value is checked when it is read, never trusted
 * twice.  So a peer that garbles an index is noticed at the next read,
 * not before; what was read and checked stays in force (the space the
 * consumer freed, the bytes the producer published).  A new end starts
 * with nothing cached: it must not overwrite messages already there.
 * KMBOX_RING_TRY fails with -EAGAIN without a system call or a waiting
 * flag.  Before a call sleeps it looks at the other index again, as many
 * times as its end's count says, which adapts.
 *
 * Built twice: for kmbox.ko (run in the VM) and natively with the
 * doorbell stand-in (ring_backend.h).
 */
#include <pthread.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "ring_backend.h"

#define CT_DATA		4096
#define CT_LIBERR(call)	(errno = EDOM, (call))

FIXTURE(cache) {
	int fd[4];
	unsigned char *raw;
	size_t region;
	struct kmbox_ring p, c;
};

FIXTURE_SETUP(cache)
{
	int ret = rb_open(CT_DATA, self->fd, 4, &self->raw);

	if (ret == -EOPNOTSUPP)
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");
	ASSERT_EQ(0, ret);
	self->region = kmbox_ring_region_size(CT_DATA);
	ASSERT_EQ(0, kmbox_ring_attach(&self->p, self->fd[0],
				       KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_ring_attach(&self->c, self->fd[1],
				       KMBOX_RING_CONSUMER));
}

FIXTURE_TEARDOWN(cache)
{
	if (self->p.map)
		kmbox_ring_detach(&self->p);
	if (self->c.map)
		kmbox_ring_detach(&self->c);
	rb_release(CT_DATA, self->fd, 4, self->raw);
}

/* Sends 1016-byte messages (1 KiB records) until the ring is full. */
static int ct_fill(struct kmbox_ring *p)
{
	static char buf[1016];
	int n = 0;

	while (kmbox_ring_send(p, buf, sizeof(buf), KMBOX_RING_TRY, 0) ==
	       sizeof(buf))
		n++;
	return n;
}

/*
 * A garbled head is not read while the head read last leaves room: the
 * sends go on; the first one that needs more room reads it and fails
 * with -EBADMSG, and keeps failing until it is repaired.
 */
TEST_F(cache, head_read_when_full)
{
	static char buf[1016];
	int i;

	ASSERT_EQ(1016, kmbox_ring_send(&self->p, buf, 1016, 0, 0));
	/* The producer read head (0) for that send: 3 KiB left. */
	rb_set(self->raw, RB_OFF_HEAD, 0xdead);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1016, kmbox_ring_send(&self->p, buf, 1016,
						KMBOX_DONTWAIT, 0));
	}
	EXPECT_EQ(-EBADMSG, CT_LIBERR(kmbox_ring_send(&self->p, buf, 8,
						      KMBOX_RING_TRY, 0)));
	EXPECT_EQ(-EBADMSG, CT_LIBERR(kmbox_ring_send(&self->p, buf, 8, 0,
						      0)));
	EXPECT_EQ(4096, rb_get(self->raw, RB_OFF_TAIL));
	rb_set(self->raw, RB_OFF_HEAD, 0);
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_send(&self->p, buf, 8,
						     KMBOX_RING_TRY, 0)));
	ASSERT_EQ(1016, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(8, kmbox_ring_send(&self->p, buf, 8, KMBOX_RING_TRY, 0));
}

/*
 * The consumer takes what the tail it read covers, even if the tail is
 * garbled in the meantime; it reads the tail again only when it has
 * taken all that, and then notices.
 */
TEST_F(cache, tail_read_when_empty)
{
	char buf[16];

	ASSERT_EQ(1, kmbox_ring_send(&self->p, "a", 1, 0, 0));
	ASSERT_EQ(1, kmbox_ring_send(&self->p, "b", 1, 0, 0));
	ASSERT_EQ(1, kmbox_ring_send(&self->p, "c", 1, 0, 0));
	ASSERT_EQ(1, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	rb_set(self->raw, RB_OFF_TAIL, 0xbad);
	ASSERT_EQ(1, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ('b', buf[0]);
	ASSERT_EQ(1, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ('c', buf[0]);
	EXPECT_EQ(-EBADMSG, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
						      sizeof(buf),
						      KMBOX_RING_TRY, 0)));
	EXPECT_EQ(48, rb_get(self->raw, RB_OFF_HEAD));
	rb_set(self->raw, RB_OFF_TAIL, 48);
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
						     sizeof(buf),
						     KMBOX_RING_TRY, 0)));
}

/*
 * A new producer, attached to a ring that holds messages, reads head
 * before its first send: it does not overwrite them.
 */
TEST_F(cache, new_producer_reads_head)
{
	static char buf[1016];
	int n, i;

	n = ct_fill(&self->p);
	ASSERT_EQ(4, n);
	kmbox_ring_detach(&self->p);
	rb_close(self->fd[0]);
	self->fd[0] = -1;
	ASSERT_EQ(0, kmbox_ring_attach(&self->p, self->fd[3],
				       KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_send(&self->p, buf, 8,
						     KMBOX_RING_TRY, 0)));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(1016, kmbox_ring_recv(&self->c, buf, sizeof(buf),
						KMBOX_RING_TRY, 0));
	}
	EXPECT_EQ(4, ct_fill(&self->p));
}

/*
 * KMBOX_RING_TRY on a full or empty ring: -EAGAIN, the waiting flag stays
 * down (so the other side will not ring), and no end-of-stream report
 * (KMBOX_DONTWAIT asks the kernel, and raises the flag).
 */
TEST_F(cache, try_flag)
{
	char buf[8];

	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
						     sizeof(buf),
						     KMBOX_RING_TRY, 0)));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_CWAIT));
	ASSERT_EQ(4, ct_fill(&self->p));
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
						     KMBOX_RING_TRY, 0)));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_PWAIT));
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
						     KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(1, rb_get(self->raw, RB_OFF_PWAIT));
	/* With any other flag or a timeout: -EINVAL. */
	EXPECT_EQ(-EINVAL, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
				KMBOX_RING_TRY | KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(-EINVAL, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
				KMBOX_RING_TRY | KMBOX_TIMEOUT, 1)));
	EXPECT_EQ(-EINVAL, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
				sizeof(buf), KMBOX_RING_TRY | KMBOX_ABSTIME,
				1)));
	EXPECT_EQ(-EINVAL, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
				sizeof(buf), KMBOX_RING_TRY, 1)));

	/* The consumer goes: TRY still says full, DONTWAIT says gone. */
	kmbox_ring_detach(&self->c);
	rb_close(self->fd[1]);
	self->fd[1] = -1;
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
						     KMBOX_RING_TRY, 0)));
	EXPECT_EQ(-EPIPE, CT_LIBERR(kmbox_ring_send(&self->p, NULL, 0,
						    KMBOX_DONTWAIT, 0)));
}

/*
 * The looks before a sleep: 256 at first; a quarter after looks that saw
 * nothing move, down to 16; untouched by calls that do not sleep
 * (KMBOX_DONTWAIT, KMBOX_RING_TRY); back to 256 after looks that saw the
 * index move (a thread moves tail back and forth under them).
 */
struct ct_toggle {
	unsigned char *raw;
	__u32 a, b;
	volatile int stop, running;
};

/* Pins the calling thread to CPU @cpu: 0 or -1. */
static int ct_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ?
	       -1 : 0;
}

static void *ct_toggler(void *arg)
{
	struct ct_toggle *t = arg;

	ct_pin(1);	/* if it cannot, the looks just see less */
	t->running = 1;
	while (!t->stop) {
		rb_set(t->raw, RB_OFF_TAIL, t->a);
		rb_set(t->raw, RB_OFF_TAIL, t->b);
	}
	rb_set(t->raw, RB_OFF_TAIL, t->b);
	return NULL;
}

TEST_F(cache, spins_adapt)
{
	static const unsigned int after[] = { 64, 16, 16 };
	struct ct_toggle t = { .raw = self->raw };
	unsigned int i, tries;
	__u64 deadline;
	__u32 pos = 0;
	pthread_t th;
	ssize_t n;
	char buf[8];

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "the looks are for a peer on another CPU");
	ASSERT_EQ(0, ct_pin(0));
	EXPECT_EQ(256, self->c.spins);
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_recv(&self->c, buf, 8,
						     KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(-EAGAIN, CT_LIBERR(kmbox_ring_recv(&self->c, buf, 8,
						     KMBOX_RING_TRY, 0)));
	EXPECT_EQ(256, self->c.spins);
	EXPECT_EQ(-ETIMEDOUT, CT_LIBERR(kmbox_ring_recv(&self->c, buf, 8,
				KMBOX_TIMEOUT, 1000000)));
	EXPECT_EQ(64, self->c.spins);
	/*
	 * A record at the consumer's index, and a thread on the other CPU
	 * moving tail back and forth over it: the consumer either reads
	 * tail past it, or looks again and sees it move (or, if the thread
	 * was not running then, sleeps and runs into its 20 ms timeout:
	 * then again).  For up to 15 s: a vCPU of a busy host may be away
	 * for long stretches.
	 */
	deadline = kmbox_test_now_ns() + 15 * 1000000000ull;
	for (tries = 0; self->c.spins != 256 &&
	     kmbox_test_now_ns() < deadline; tries++) {
		/* Free-running indices; 16-byte records never wrap. */
		unsigned int at = RB_OFF_DATA + (pos & (CT_DATA - 1));

		rb_set(self->raw, at, 5);
		rb_set(self->raw, at + 4, 0);
		memcpy(self->raw + at + 8, "moved", 5);
		t.a = pos;
		t.b = pos + 16;
		t.stop = t.running = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, ct_toggler, &t));
		while (!t.running)
			usleep(100);
		n = kmbox_ring_recv(&self->c, buf, sizeof(buf), KMBOX_TIMEOUT,
				    20 * 1000000ull);
		t.stop = 1;
		pthread_join(th, NULL);
		if (n == -ETIMEDOUT)
			continue;
		ASSERT_EQ(5, n);
		EXPECT_EQ(0, memcmp(buf, "moved", 5));
		pos += 16;
	}
	EXPECT_EQ(256, self->c.spins) {
		TH_LOG("no look saw tail move in %u tries", tries);
	}
	for (i = 0; i < ARRAY_SIZE(after); i++) {
		EXPECT_EQ(-ETIMEDOUT, CT_LIBERR(kmbox_ring_recv(&self->c, buf,
				8, KMBOX_TIMEOUT, 1000000)));
		EXPECT_EQ(after[i], self->c.spins);
	}
}

TEST_HARNESS_MAIN
