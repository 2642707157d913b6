// SPDX-License-Identifier: GPL-2.0
/*
 * The ring's batch calls: kmbox_ring_sendv() and kmbox_ring_recvv().
 * Several messages with one publish of the index: order and lengths, a
 * batch cut short by the room (or by a message too big, or an impossible
 * index, left for the next call), only the first message waiting, the
 * lengths written back, every error, wake-ups in both directions, and a
 * checked stream of batches between two processes.
 *
 * Built twice: for kmbox.ko (run in the VM) and natively with the
 * doorbell stand-in (ring_backend.h).
 */
#include "kselftest_harness.h"
#include "ring_backend.h"

#define BT_DATA		4096
#define BT_MAX		(BT_DATA / 2 - 8)
#define BT_MSEC		1000000ull
#define BT_LIBERR(call)	(errno = EDOM, (call))

FIXTURE(batch) {
	int fd[3];
	unsigned char *raw;
	size_t region;
	struct kmbox_ring p, c;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(batch)
{
	int ret = rb_open(BT_DATA, self->fd, 3, &self->raw);

	if (ret == -EOPNOTSUPP)
		SKIP(_exit(255), "the module has no KMBOX_FEATURE_RING");
	ASSERT_EQ(0, ret);
	self->region = kmbox_ring_region_size(BT_DATA);
	ASSERT_EQ(0, kmbox_ring_attach(&self->p, self->fd[0],
				       KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_ring_attach(&self->c, self->fd[1],
				       KMBOX_RING_CONSUMER));
}

FIXTURE_TEARDOWN(batch)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->p.map)
		kmbox_ring_detach(&self->p);
	if (self->c.map)
		kmbox_ring_detach(&self->c);
	rb_release(BT_DATA, self->fd, 3, self->raw);
}

/* @n messages in @iov over @bufs: message i is i + 1 bytes of 'a' + i. */
static void bt_msgs(struct iovec *iov, char (*bufs)[64], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(bufs[i], 'a' + i, i + 1);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = i + 1;
	}
}

/*
 * A batch goes out whole, in order, with one store of tail; a batch
 * received sets each length and takes them in order, with one store of
 * head; a receive batch larger than what is there takes what is there.
 */
TEST_F(batch, order_and_lengths)
{
	char out[8][64], in[12][64];
	struct iovec iov[12];
	__u32 want = 0;
	unsigned int i;

	bt_msgs(iov, out, 8);
	ASSERT_EQ(8, kmbox_ring_sendv(&self->p, iov, 8, 0, 0));
	for (i = 0; i < 8; i++)
		want += rb_rec(i + 1);
	EXPECT_EQ(want, rb_get(self->raw, RB_OFF_TAIL));
	for (i = 0; i < 12; i++) {
		iov[i].iov_base = in[i];
		iov[i].iov_len = sizeof(in[i]);
	}
	ASSERT_EQ(8, kmbox_ring_recvv(&self->c, iov, 12, 0, 0));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(i + 1, iov[i].iov_len);
		EXPECT_EQ(0, memcmp(in[i], out[i], i + 1));
	}
	EXPECT_EQ(sizeof(in[8]), iov[8].iov_len);	/* untouched */
	EXPECT_EQ(want, rb_get(self->raw, RB_OFF_HEAD));
	/* Smaller receive batches take the next ones. */
	bt_msgs(iov, out, 5);
	ASSERT_EQ(5, kmbox_ring_sendv(&self->p, iov, 5, 0, 0));
	iov[0].iov_base = in[0];
	iov[0].iov_len = 64;
	iov[1].iov_base = in[1];
	iov[1].iov_len = 64;
	ASSERT_EQ(2, kmbox_ring_recvv(&self->c, iov, 2, KMBOX_RING_TRY, 0));
	EXPECT_EQ(1, iov[0].iov_len);
	EXPECT_EQ(2, iov[1].iov_len);
	EXPECT_EQ(3, kmbox_ring_recv(&self->c, in[2], 64, 0, 0));
	EXPECT_EQ(0, memcmp(in[2], "ccc", 3));
}

/*
 * Room for three 1016-byte messages of five: three go, the call says 3;
 * the next call waits (here: fails with EAGAIN) for room for its first.
 */
TEST_F(batch, cut_by_room)
{
	static char big[5][1016];
	struct iovec iov[5];
	char in[1016];
	unsigned int i;

	ASSERT_EQ(1016, kmbox_ring_send(&self->p, big[0], 1016, 0, 0));
	for (i = 0; i < 5; i++) {
		memset(big[i], '0' + i, sizeof(big[i]));
		iov[i].iov_base = big[i];
		iov[i].iov_len = sizeof(big[i]);
	}
	ASSERT_EQ(3, kmbox_ring_sendv(&self->p, iov, 5, 0, 0));
	EXPECT_EQ(4096, rb_get(self->raw, RB_OFF_TAIL));
	EXPECT_EQ(-EAGAIN, BT_LIBERR(kmbox_ring_sendv(&self->p, iov + 3, 2,
						      KMBOX_RING_TRY, 0)));
	EXPECT_EQ(-ETIMEDOUT, BT_LIBERR(kmbox_ring_sendv(&self->p, iov + 3, 2,
				KMBOX_TIMEOUT, 20 * BT_MSEC)));
	ASSERT_EQ(1016, kmbox_ring_recv(&self->c, in, sizeof(in), 0, 0));
	ASSERT_EQ(1, kmbox_ring_sendv(&self->p, iov + 3, 2, 0, 0));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1016, kmbox_ring_recv(&self->c, in, sizeof(in), 0, 0));
		EXPECT_EQ('0' + i, in[0]);
	}
}

/*
 * A message that cannot go stops the batch after the ones before it and
 * is reported by the next call; so does one that does not fit its
 * receive buffer, which stays in the ring.
 */
TEST_F(batch, cut_by_error)
{
	static char huge[BT_MAX + 1];
	char out[4][64], in[4][64];
	struct iovec iov[4];
	unsigned int i;

	bt_msgs(iov, out, 4);
	iov[2].iov_base = huge;
	iov[2].iov_len = sizeof(huge);
	ASSERT_EQ(2, kmbox_ring_sendv(&self->p, iov, 4, 0, 0));
	EXPECT_EQ(-EMSGSIZE, BT_LIBERR(kmbox_ring_sendv(&self->p, iov + 2, 2,
							0, 0)));
	ASSERT_EQ(1, kmbox_ring_sendv(&self->p, iov + 3, 1, 0, 0));
	for (i = 0; i < 3; i++) {
		iov[i].iov_base = in[i];
		iov[i].iov_len = 2;	/* the third message is 4 bytes */
	}
	ASSERT_EQ(2, kmbox_ring_recvv(&self->c, iov, 3, 0, 0));
	EXPECT_EQ(-EMSGSIZE, BT_LIBERR(kmbox_ring_recvv(&self->c, iov, 1, 0,
							0)));
	iov[0].iov_len = 64;
	ASSERT_EQ(1, kmbox_ring_recvv(&self->c, iov, 1, 0, 0));
	EXPECT_EQ(4, iov[0].iov_len);
	EXPECT_EQ(0, memcmp(in[0], "dddd", 4));
}

/* An impossible head met in the middle of a batch stops it there. */
TEST_F(batch, cut_by_bad_index)
{
	static char big[4][1016];
	struct iovec iov[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		iov[i].iov_base = big[i];
		iov[i].iov_len = sizeof(big[i]);
	}
	ASSERT_EQ(1016, kmbox_ring_send(&self->p, big[0], 1016, 0, 0));
	/* The producer read head (0) for that send: 3 KiB of room left. */
	rb_set(self->raw, RB_OFF_HEAD, 5);
	ASSERT_EQ(3, kmbox_ring_sendv(&self->p, iov, 4, 0, 0));
	EXPECT_EQ(-EBADMSG, BT_LIBERR(kmbox_ring_sendv(&self->p, iov, 1,
						       KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(4096, rb_get(self->raw, RB_OFF_TAIL));
}

TEST_F(batch, errors)
{
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };

	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(&self->p, &iov, 0, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(&self->p, NULL, 1, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(&self->c, &iov, 1, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(NULL, &iov, 1, 0, 0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(&self->p, &iov, 1,
						      KMBOX_WAITFORONE, 0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_sendv(&self->p, &iov, 1, 0,
						      5)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_recvv(&self->c, &iov, 0, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_recvv(&self->c, NULL, 1, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_recvv(&self->p, &iov, 1, 0,
						      0)));
	EXPECT_EQ(-EINVAL, BT_LIBERR(kmbox_ring_recvv(&self->c, &iov, 1,
				KMBOX_RING_TRY | KMBOX_TIMEOUT, 1)));
	EXPECT_EQ(-EAGAIN, BT_LIBERR(kmbox_ring_recvv(&self->c, &iov, 1,
						      KMBOX_DONTWAIT, 0)));
	EXPECT_EQ(-ETIMEDOUT, BT_LIBERR(kmbox_ring_recvv(&self->c, &iov, 1,
				KMBOX_TIMEOUT, 20 * BT_MSEC)));
	EXPECT_EQ(0, rb_get(self->raw, RB_OFF_TAIL));
}

/*
 * A consumer asleep on the empty ring wakes for a batch, and a producer
 * asleep on the full ring for a batch received, each in another process
 * (which uses that end alone, as after fork() only one process may).
 */
TEST_F(batch, wakes_consumer)
{
	char out[3][64], in[3][64];
	struct iovec iov[4];
	unsigned int i;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		usleep(50000);
		bt_msgs(iov, out, 3);
		CHILD_CHECK(kmbox_ring_sendv(&self->p, iov, 3, 0, 0) == 3);
		_exit(0);
	}
	for (i = 0; i < 3; i++) {
		iov[i].iov_base = in[i];
		iov[i].iov_len = 64;
	}
	/* At least the first; the others if they came with it. */
	ASSERT_EQ(3, kmbox_ring_recvv(&self->c, iov, 3, KMBOX_TIMEOUT,
				      10 * RB_NSEC));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_F(batch, wakes_producer)
{
	static char big[4][1016];
	struct iovec iov[4];
	unsigned int i;
	pid_t pid;

	for (i = 0; i < 4; i++) {
		iov[i].iov_base = big[i];
		iov[i].iov_len = sizeof(big[i]);
	}
	ASSERT_EQ(4, kmbox_ring_sendv(&self->p, iov, 4, 0, 0));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		usleep(50000);
		CHILD_CHECK(kmbox_ring_recvv(&self->c, iov, 2, 0, 0) == 2);
		_exit(0);
	}
	ASSERT_EQ(2, kmbox_ring_sendv(&self->p, iov, 4, KMBOX_TIMEOUT,
				      10 * RB_NSEC));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

/*
 * A producer process sends batches of 1 to 32 messages of varied lengths,
 * each with its sequence number and checksum; the consumer receives in
 * batches of its own sizes and checks every one; an empty message ends.
 */
TEST_F_TIMEOUT(batch, stream, 120)
{
	__u64 end = kmbox_test_now_ns() + kmbox_test_stress_secs() * RB_NSEC / 2;
	static unsigned char bufs[32][512];
	struct iovec iov[32];
	__u32 seq = 0, k, n, len, got, sum;
	int ret = 0;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		while (kmbox_test_now_ns() < end) {
			n = 1 + seq % 32;
			for (k = 0; k < n; k++) {
				len = 8 + (seq + k) * 2654435761u % 500;
				kmbox_test_payload(bufs[k] + 8, len - 8, 5,
						   seq + k);
				sum = kmbox_test_fnv1a(bufs[k] + 8, len - 8);
				got = seq + k;
				memcpy(bufs[k], &got, 4);
				memcpy(bufs[k] + 4, &sum, 4);
				iov[k].iov_base = bufs[k];
				iov[k].iov_len = len;
			}
			for (k = 0; k < n; k += ret) {
				ret = kmbox_ring_sendv(&self->p, iov + k, n - k,
						       KMBOX_TIMEOUT,
						       10 * RB_NSEC);
				if (ret <= 0)
					_exit(1);
			}
			seq += n;
		}
		iov[0].iov_len = 0;
		_exit(kmbox_ring_sendv(&self->p, iov, 1, 0, 0) == 1 ? 0 : 2);
	}
	for (;;) {
		n = 1 + seq % 29;
		for (k = 0; k < n; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof(bufs[k]);
		}
		ret = kmbox_ring_recvv(&self->c, iov, n, KMBOX_TIMEOUT,
				       10 * RB_NSEC);
		if (ret <= 0)
			break;
		for (k = 0; k < (__u32)ret; k++, seq++) {
			if (iov[k].iov_len == 0)
				goto done;
			len = 8 + seq * 2654435761u % 500;
			memcpy(&got, bufs[k], 4);
			memcpy(&sum, bufs[k] + 4, 4);
			if (iov[k].iov_len != len || got != seq ||
			    sum != kmbox_test_fnv1a(bufs[k] + 8, len - 8)) {
				ret = -EILSEQ;
				goto done;
			}
		}
	}
done:
	EXPECT_GT(ret, 0) {
		TH_LOG("message %u: %d", seq, ret);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_GT(seq, 100);
	rb_note("batch stream: %u messages (%s)\n", seq, RB_WHERE);
}

TEST_HARNESS_MAIN
