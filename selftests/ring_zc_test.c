// SPDX-License-Identifier: GPL-2.0
/*
 * The ring's zero-copy calls: kmbox_ring_reserve() and kmbox_ring_commit()
 * on the producer, kmbox_ring_peek() and kmbox_ring_release() on the
 * consumer.  Where the message lies, that it is invisible until it is
 * committed and stays in place until it is released, shorter commits,
 * dropped reservations, mixing with send and receive, padding, waiting,
 * every error, a stream across two processes, and a peer that rewrites
 * the region (the consumer must never trust a header twice).
 *
 * Built twice: for kmbox.ko (run in the VM) and natively with the
 * doorbell stand-in (ring_backend.h).
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "ring_backend.h"

#define ZC_DATA		4096
#define ZC_MAX		(ZC_DATA / 2 - 8)
#define ZC_MSEC		1000000ull

/* A call expected to fail: errno is poisoned so it cannot be the report. */
#define ZC_LIBERR(call)	(errno = EDOM, (call))

FIXTURE(zc) {
	int fd[3];
	unsigned char *raw;	/* the region, through fd[2] */
	size_t region;
	struct kmbox_ring p, c;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(zc)
{
	int ret = rb_open(ZC_DATA, self->fd, 3, &self->raw);

	if (ret == -EOPNOTSUPP)
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");
	ASSERT_EQ(0, ret);
	self->region = kmbox_ring_region_size(ZC_DATA);
	ASSERT_EQ(0, kmbox_ring_attach(&self->p, self->fd[0],
				       KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_ring_attach(&self->c, self->fd[1],
				       KMBOX_RING_CONSUMER));
}

FIXTURE_TEARDOWN(zc)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->p.map)
		kmbox_ring_detach(&self->p);
	if (self->c.map)
		kmbox_ring_detach(&self->c);
	rb_release(ZC_DATA, self->fd, 3, self->raw);
}

/* Offset in the data area of a pointer into @r's mapping. */
static long zc_off(const struct kmbox_ring *r, const void *p)
{
	return (long)((const unsigned char *)p - r->data);
}

/*
 * The reserved room is the record's payload at the producer's index, in
 * the data area; the message appears to the consumer only on commit, at
 * the same place, and its room comes back only on release.
 */
TEST_F(zc, reserve_commit_peek_release)
{
	const void *in;
	void *out;

	ASSERT_EQ(100, kmbox_ring_reserve(&self->p, &out, 100, 0, 0));
	EXPECT_EQ(8, zc_off(&self->p, out));
	memset(out, 0xab, 100);
	/* Not visible yet: neither the index nor a peek shows it. */
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_TAIL));
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						     KMBOX_RING_TRY, 0)));
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 100));
	EXPECT_EQ(rb_rec(100), rb_get(self->raw, RB_OFF_TAIL));
	EXPECT_EQ(100, rb_get(self->raw, RB_OFF_DATA));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_DATA + 4));

	ASSERT_EQ(100, kmbox_ring_peek(&self->c, &in, 0, 0));
	EXPECT_EQ(8, zc_off(&self->c, in));
	EXPECT_EQ(0xab, ((const unsigned char *)in)[0]);
	EXPECT_EQ(0xab, ((const unsigned char *)in)[99]);
	/* Looked at, not taken. */
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_HEAD));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(rb_rec(100), rb_get(self->raw, RB_OFF_HEAD));
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						     KMBOX_DONTWAIT, 0)));
}

/* A commit may be shorter than the reservation, down to 0 bytes. */
TEST_F(zc, commit_shorter)
{
	char buf[16];
	void *out;

	ASSERT_EQ(1000, kmbox_ring_reserve(&self->p, &out, 1000, 0, 0));
	memcpy(out, "short", 5);
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 5));
	EXPECT_EQ(rb_rec(5), rb_get(self->raw, RB_OFF_TAIL));
	ASSERT_EQ(0, kmbox_ring_reserve(&self->p, &out, 0, 0, 0));
	EXPECT_TRUE(out != NULL);
	ASSERT_EQ(1, kmbox_ring_reserve(&self->p, &out, 1, 0, 0));
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 0));
	ASSERT_EQ(5, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "short", 5));
	ASSERT_EQ(0, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
}

/*
 * Committing more than was reserved is -EMSGSIZE and keeps the
 * reservation; committing with none (never, or already committed) is
 * -EINVAL.
 */
TEST_F(zc, commit_errors)
{
	void *out;

	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 0)));
	ASSERT_EQ(10, kmbox_ring_reserve(&self->p, &out, 10, 0, 0));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_commit(&self->p, 11)));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_commit(&self->p, 16)));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_TAIL));
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 10));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 10)));
	EXPECT_EQ(rb_rec(10), rb_get(self->raw, RB_OFF_TAIL));
	/* Not on the consumer, not on a detached end. */
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->c, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(NULL, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_reserve(&self->c, &out, 1,
							0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_reserve(&self->p, NULL, 1,
							0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_reserve(NULL, &out, 1, 0, 0)));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out,
							  ZC_MAX + 1, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out, 1,
							KMBOX_PEEK, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out, 1,
				KMBOX_RING_TRY | KMBOX_DONTWAIT, 0)));
	ASSERT_EQ(0, kmbox_ring_detach(&self->p));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 0)));
}

/*
 * A reservation that is not committed is dropped by the next reserve or
 * send, even one that fails: only what was committed or sent reaches the
 * consumer.
 */
TEST_F(zc, reservation_dropped)
{
	char buf[16];
	void *out, *again;

	ASSERT_EQ(8, kmbox_ring_reserve(&self->p, &out, 8, 0, 0));
	memcpy(out, "dropped!", 8);
	ASSERT_EQ(4, kmbox_ring_reserve(&self->p, &again, 4, 0, 0));
	EXPECT_TRUE(out == again);
	memcpy(again, "kept", 4);
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 4));
	ASSERT_EQ(8, kmbox_ring_reserve(&self->p, &out, 8, 0, 0));
	ASSERT_EQ(4, kmbox_ring_send(&self->p, "sent", 4, 0, 0));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 8)));
	/* Calls that fail drop it too. */
	ASSERT_EQ(8, kmbox_ring_reserve(&self->p, &out, 8, 0, 0));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out,
							  ZC_MAX + 1, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 8)));
	ASSERT_EQ(8, kmbox_ring_reserve(&self->p, &out, 8, 0, 0));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_send(&self->p, NULL,
						       ZC_MAX + 1, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 8)));
	ASSERT_EQ(4, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	ASSERT_EQ(4, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "sent", 4));
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_recv(&self->c, buf,
						     sizeof(buf),
						     KMBOX_RING_TRY, 0)));
}

/*
 * Peek returns the same message until it is released; a receive after a
 * peek takes that message; a peek or receive that fails ends the look;
 * release with nothing looked at is -EINVAL.
 */
TEST_F(zc, peek_release_recv)
{
	const void *in, *again;
	char buf[8];

	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	ASSERT_EQ(3, kmbox_ring_send(&self->p, "one", 3, 0, 0));
	ASSERT_EQ(3, kmbox_ring_send(&self->p, "two", 3, 0, 0));
	ASSERT_EQ(5, kmbox_ring_send(&self->p, "three", 5, 0, 0));
	ASSERT_EQ(3, kmbox_ring_peek(&self->c, &in, 0, 0));
	ASSERT_EQ(3, kmbox_ring_peek(&self->c, &again, 0, 0));
	EXPECT_TRUE(in == again);
	EXPECT_EQ(0, memcmp(in, "one", 3));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	ASSERT_EQ(3, kmbox_ring_peek(&self->c, &in, 0, 0));
	EXPECT_EQ(0, memcmp(in, "two", 3));
	ASSERT_EQ(3, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	/* A peek or a receive that fails ends the look too. */
	ASSERT_EQ(5, kmbox_ring_peek(&self->c, &in, 0, 0));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						     KMBOX_PEEK, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	ASSERT_EQ(5, kmbox_ring_peek(&self->c, &in, 0, 0));
	EXPECT_EQ(-EMSGSIZE, ZC_LIBERR(kmbox_ring_recv(&self->c, buf, 4, 0,
						       0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	ASSERT_EQ(5, kmbox_ring_peek(&self->c, &in, KMBOX_RING_TRY, 0));
	EXPECT_EQ(0, memcmp(in, "three", 5));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(rb_get(self->raw, RB_OFF_TAIL),
		  rb_get(self->raw, RB_OFF_HEAD));
	/* Not on the producer; no NULL. */
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->p)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(NULL)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_peek(&self->p, &in, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_peek(&self->c, NULL, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						     KMBOX_TIMEOUT | 0x100,
						     1)));
}

/*
 * A reservation that does not fit before the end of the data area goes
 * to its start, after a padding record that the consumer passes; the
 * pointer is then at offset 8.
 */
TEST_F(zc, padding)
{
	const void *in;
	void *out;

	int i;

	/*
	 * 3 records of 1016 + 8 bytes, 2 taken: the index at 3072, 1024
	 * bytes left before the end of the data area, 3072 free in all.
	 */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1016, kmbox_ring_reserve(&self->p, &out, 1016, 0,
						   0));
		ASSERT_EQ(0, kmbox_ring_commit(&self->p, 1016));
		if (i == 2)
			break;
		ASSERT_EQ(1016, kmbox_ring_peek(&self->c, &in, 0, 0));
		ASSERT_EQ(0, kmbox_ring_release(&self->c));
	}
	/* 1100 bytes do not fit in the last 1024: padding, then offset 0. */
	ASSERT_EQ(1100, kmbox_ring_reserve(&self->p, &out, 1100, 0, 0));
	EXPECT_EQ(8, zc_off(&self->p, out));
	EXPECT_EQ(1024 - 8, rb_get(self->raw, RB_OFF_DATA + 3072));
	EXPECT_EQ(1, rb_get(self->raw, RB_OFF_DATA + 3076));
	/* Padding and record go out together, on commit. */
	EXPECT_EQ(3072, rb_get(self->raw, RB_OFF_TAIL));
	memset(out, 0x11, 1100);
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 1100));
	EXPECT_EQ(4096 + rb_rec(1100), rb_get(self->raw, RB_OFF_TAIL));
	ASSERT_EQ(1016, kmbox_ring_peek(&self->c, &in, 0, 0));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	ASSERT_EQ(1100, kmbox_ring_peek(&self->c, &in, 0, 0));
	EXPECT_EQ(8, zc_off(&self->c, in));
	EXPECT_EQ(0x11, ((const unsigned char *)in)[1099]);
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(4096 + rb_rec(1100), rb_get(self->raw, RB_OFF_HEAD));
}

/*
 * Waiting: a reserve on a full ring and a peek on an empty one fail with
 * -EAGAIN (KMBOX_DONTWAIT, KMBOX_RING_TRY) or -ETIMEDOUT, and nothing is
 * held after them; a peek asleep on an empty ring wakes for a commit, a
 * reserve asleep on a full one for a release.
 */
TEST_F(zc, waiting)
{
	const void *in;
	void *out;
	pid_t pid;
	int i;

	EXPECT_EQ(-ETIMEDOUT, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
				KMBOX_TIMEOUT, 20 * ZC_MSEC)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1016, kmbox_ring_reserve(&self->p, &out, 1016,
						   KMBOX_DONTWAIT, 0));
		ASSERT_EQ(0, kmbox_ring_commit(&self->p, 1016));
	}
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out, 0,
							KMBOX_RING_TRY, 0)));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_PWAIT));
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out, 0,
							KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(1, rb_get(self->raw, RB_OFF_PWAIT));
	EXPECT_EQ(-ETIMEDOUT, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out, 0,
				KMBOX_TIMEOUT, 20 * ZC_MSEC)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 0)));

	/* The consumer releases one from another process: room comes. */
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		usleep(50000);
		CHILD_CHECK(kmbox_ring_peek(&self->c, &in, 0, 0) == 1016);
		CHILD_CHECK(kmbox_ring_release(&self->c) == 0);
		_exit(0);
	}
	ASSERT_EQ(1016, kmbox_ring_reserve(&self->p, &out, 1016,
					   KMBOX_TIMEOUT, 10 * RB_NSEC));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(0, kmbox_ring_commit(&self->p, 1016));
}

/* A peek asleep on the empty ring wakes for a commit in another process. */
TEST_F(zc, peek_wakes)
{
	const void *in;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		void *out;

		usleep(50000);
		CHILD_CHECK(kmbox_ring_reserve(&self->p, &out, 6, 0, 0) == 6);
		memcpy(out, "wakeup", 6);
		CHILD_CHECK(kmbox_ring_commit(&self->p, 6) == 0);
		_exit(0);
	}
	ASSERT_EQ(6, kmbox_ring_peek(&self->c, &in, KMBOX_TIMEOUT,
				     10 * RB_NSEC));
	EXPECT_EQ(0, memcmp(in, "wakeup", 6));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
}

/* End of stream: a peek on an empty ring whose producer left is -EPIPE. */
TEST_F(zc, peek_end_of_stream)
{
	const void *in;

	ASSERT_EQ(2, kmbox_ring_send(&self->p, "hi", 2, 0, 0));
	kmbox_ring_detach(&self->p);
	rb_close(self->fd[0]);
	self->fd[0] = -1;
	ASSERT_EQ(2, kmbox_ring_peek(&self->c, &in, 0, 0));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(-EPIPE, ZC_LIBERR(kmbox_ring_peek(&self->c, &in, 0, 0)));
	/* KMBOX_RING_TRY does not ask: just empty. */
	EXPECT_EQ(-EAGAIN, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						     KMBOX_RING_TRY, 0)));
}

/* --- A peer that rewrites the region ---------------------------------- */

/*
 * The header of a message looked at is read once: a producer that
 * rewrites it afterwards (a longer length, padding flags) changes neither
 * what the peek returned nor what the release takes.
 */
TEST_F(zc, hostile_header_after_peek)
{
	const void *in;
	char buf[8];

	ASSERT_EQ(0, kmbox_ring_send(&self->p, NULL, 0, 0, 0));
	ASSERT_EQ(4, kmbox_ring_send(&self->p, "next", 4, 0, 0));
	/* The empty message first: its record is 8 bytes. */
	ASSERT_EQ(0, kmbox_ring_peek(&self->c, &in, 0, 0));
	rb_set(self->raw, RB_OFF_DATA, 0x7ffffff0);
	rb_set(self->raw, RB_OFF_DATA + 4, 1);
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(8, rb_get(self->raw, RB_OFF_HEAD));
	ASSERT_EQ(4, kmbox_ring_recv(&self->c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, memcmp(buf, "next", 4));
}

/*
 * Impossible headers and indices seen by a peek or a reserve: -EBADMSG,
 * nothing held (release and commit are -EINVAL), nothing published.
 */
TEST_F(zc, hostile_bad_record)
{
	const void *in;
	void *out;
	int i;

	ASSERT_EQ(5, kmbox_ring_send(&self->p, "hello", 5, 0, 0));
	rb_set(self->raw, RB_OFF_DATA, ZC_MAX + 1);
	EXPECT_EQ(-EBADMSG, ZC_LIBERR(kmbox_ring_peek(&self->c, &in, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_release(&self->c)));
	rb_set(self->raw, RB_OFF_DATA, 5);
	rb_set(self->raw, RB_OFF_DATA + 4, 4);
	EXPECT_EQ(-EBADMSG, ZC_LIBERR(kmbox_ring_peek(&self->c, &in, 0, 0)));
	rb_set(self->raw, RB_OFF_DATA + 4, 0);
	/* A record longer than what tail says is in use. */
	rb_set(self->raw, RB_OFF_DATA, 9);
	EXPECT_EQ(-EBADMSG, ZC_LIBERR(kmbox_ring_peek(&self->c, &in, 0, 0)));
	rb_set(self->raw, RB_OFF_DATA, 5);
	ASSERT_EQ(5, kmbox_ring_peek(&self->c, &in, 0, 0));
	ASSERT_EQ(0, kmbox_ring_release(&self->c));
	EXPECT_EQ(16, rb_get(self->raw, RB_OFF_HEAD));

	/* An impossible tail, read because the ring looks empty. */
	rb_set(self->raw, RB_OFF_TAIL, 16 + ZC_DATA + 8);
	EXPECT_EQ(-EBADMSG, ZC_LIBERR(kmbox_ring_peek(&self->c, &in,
						      KMBOX_DONTWAIT, 0)));
	rb_set(self->raw, RB_OFF_TAIL, 16);

	/* An impossible head, read because the ring looks full. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1016, kmbox_ring_reserve(&self->p, &out, 1016, 0,
						   0));
		ASSERT_EQ(0, kmbox_ring_commit(&self->p, 1016));
	}
	rb_set(self->raw, RB_OFF_HEAD, 3);
	EXPECT_EQ(-EBADMSG, ZC_LIBERR(kmbox_ring_reserve(&self->p, &out,
							 1016, 0, 0)));
	EXPECT_EQ(-EINVAL, ZC_LIBERR(kmbox_ring_commit(&self->p, 0)));
	EXPECT_EQ(16 + 3 * 1024, rb_get(self->raw, RB_OFF_TAIL));
}

/*
 * A hostile process scribbles over the region while the two ends reserve,
 * commit, peek and release (over the records for good, over the indices
 * for a moment each): every call returns a result or -EBADMSG,
 * -EAGAIN or -EINVAL (a commit or release after a failure), and nothing
 * faults: the pointers stay in the data area.
 */
TEST_F(zc, hostile_concurrent)
{
	unsigned int i, ok = 0, bad = 0, other = 0;
	volatile int *started;
	const void *in;
	__u64 end;
	void *out;
	ssize_t n;
	pid_t pid;

	started = mmap(NULL, sizeof(*started), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(started != MAP_FAILED);
	*started = 0;
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		__u32 x = 777, off;

		*started = 1;
		for (;;) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			off = x % 4 == 0 ? RB_OFF_TAIL : x % 4 == 1 ?
			      RB_OFF_HEAD : RB_OFF_DATA + (x >> 8) % ZC_DATA / 4 * 4;
			if (off < RB_OFF_DATA) {
				/* An index: garbled for a moment, then back. */
				__u32 was = rb_get(self->raw, off);

				rb_set(self->raw, off, x & 0x80 ? x : x & 0xfff);
				usleep(20);
				rb_set(self->raw, off, was);
				usleep(200);
			} else {
				rb_set(self->raw, off, x & 0x80 ? x : x & 0xfff);
			}
		}
	}
	while (!*started)
		usleep(1000);
	end = kmbox_test_now_ns() + 300 * ZC_MSEC;
	for (i = 0; i < 20000 || kmbox_test_now_ns() < end; i++) {
		n = kmbox_ring_reserve(&self->p, &out, i % 700,
				       KMBOX_RING_TRY, 0);
		if (n >= 0) {
			EXPECT_TRUE(zc_off(&self->p, out) >= 8 &&
				    zc_off(&self->p, out) + n <= ZC_DATA);
			memset(out, 0x42, (size_t)n);
			if (kmbox_ring_commit(&self->p, (size_t)n) == 0)
				ok++;
		} else if (n == -EBADMSG) {
			bad++;
		} else if (n != -EAGAIN) {
			other++;
		}
		n = kmbox_ring_peek(&self->c, &in, KMBOX_RING_TRY, 0);
		if (n >= 0) {
			EXPECT_TRUE(zc_off(&self->c, in) >= 8 &&
				    zc_off(&self->c, in) + n <= ZC_DATA);
			if (kmbox_ring_release(&self->c) == 0)
				ok++;
		} else if (n == -EBADMSG) {
			bad++;
		} else if (n != -EAGAIN) {
			other++;
		}
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(0, other);
	rb_note("hostile_concurrent: %u ok, %u EBADMSG\n", ok, bad);
	EXPECT_GT(bad, 0);
	EXPECT_GT(ok, 100);
	munmap((void *)started, sizeof(*started));
}

/* --- Two processes -------------------------------------------------------- */

/*
 * A producer process writes messages of varied lengths in place (each
 * with its sequence number and a checksum), a consumer checks each one in
 * place before it releases it; the stream ends with an empty message.
 */
TEST_F_TIMEOUT(zc, stream, 120)
{
	__u64 end = kmbox_test_now_ns() + kmbox_test_stress_secs() * RB_NSEC / 2;
	__u32 seq, len, sum;
	const void *in;
	ssize_t n = 0;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		void *out;

		for (seq = 0; kmbox_test_now_ns() < end; seq++) {
			len = 8 + seq * 2654435761u % (ZC_MAX - 7);
			n = kmbox_ring_reserve(&self->p, &out, len,
					       KMBOX_TIMEOUT, 10 * RB_NSEC);
			if (n != (ssize_t)len)
				_exit(1);
			kmbox_test_payload((unsigned char *)out + 8, len - 8,
					   3, seq);
			sum = kmbox_test_fnv1a((unsigned char *)out + 8,
					       len - 8);
			memcpy(out, &seq, 4);
			memcpy((unsigned char *)out + 4, &sum, 4);
			if (kmbox_ring_commit(&self->p, len))
				_exit(2);
		}
		_exit(kmbox_ring_reserve(&self->p, &out, 0, 0, 0) == 0 &&
		      kmbox_ring_commit(&self->p, 0) == 0 ? 0 : 3);
	}
	for (seq = 0;; seq++) {
		__u32 got[2];

		n = kmbox_ring_peek(&self->c, &in, KMBOX_TIMEOUT,
				    10 * RB_NSEC);
		if (n < 8)
			break;
		memcpy(got, in, 8);
		len = 8 + seq * 2654435761u % (ZC_MAX - 7);
		if (got[0] != seq || n != len ||
		    got[1] != kmbox_test_fnv1a((const unsigned char *)in + 8,
					      len - 8))
			break;
		ASSERT_EQ(0, kmbox_ring_release(&self->c));
	}
	EXPECT_EQ(0, n) {
		TH_LOG("message %u: %zd", seq, n);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_GT(seq, 100);
	rb_note("zero-copy stream: %u messages (%s)\n", seq, RB_WHERE);
}

TEST_HARNESS_MAIN
