// SPDX-License-Identifier: GPL-2.0
/*
 * Timeouts of sends and receives: KMBOX_TIMEOUT (relative) and
 * KMBOX_ABSTIME (a CLOCK_MONOTONIC deadline) end a wait with ETIMEDOUT,
 * never early; a call that need not wait succeeds whatever its deadline,
 * one that must wait with a deadline already past fails at once;
 * malformed timeouts are EINVAL.
 */
#include <signal.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define NSEC		1000000000ull
/* The timeout the waits are given. */
#define WAIT_NS		(100 * 1000000ull)
/* How late a timed-out call may return, even on a slow emulated CPU. */
#define SLACK_NS	(2 * NSEC)

FIXTURE(mb) {
	int fd;		/* send and receive; one message fills it */
	pid_t kid;
};

FIXTURE_SETUP(mb)
{
	struct kmbox_attr attr = { .max_msgs = 1, .max_msg_size = MSG_SIZE };

	self->kid = 0;
	self->fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill(&self->kid);
	close(self->fd);
}

TEST_F(mb, relative_recv_times_out)
{
	char buf[MSG_SIZE];
	__u64 t;

	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       WAIT_NS, &t));
	ASSERT_GE(t, WAIT_NS);
	ASSERT_LT(t, WAIT_NS + SLACK_NS);
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf),
					       KMBOX_TIMEOUT | KMBOX_PEEK,
					       WAIT_NS, &t));
	ASSERT_GE(t, WAIT_NS);
	ASSERT_LT(t, WAIT_NS + SLACK_NS);
}

TEST_F(mb, relative_send_times_out)
{
	struct kmbox_stat st;
	__u64 t;

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2", 1,
					       KMBOX_TIMEOUT, WAIT_NS, &t));
	ASSERT_GE(t, WAIT_NS);
	ASSERT_LT(t, WAIT_NS + SLACK_NS);
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(1, st.msgs);
	ASSERT_EQ(1, st.sent);
	ASSERT_EQ(0, st.blocked_senders);
}

/* Short timeouts are not rounded down to nothing. */
TEST_F(mb, short_relative_timeouts_not_early)
{
	static const __u64 ns[] = { 1, 1000, 50000, 1000000, 3000000 };
	char buf[MSG_SIZE];
	unsigned int i;
	__u64 t;

	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV,
						       buf, sizeof(buf),
						       KMBOX_TIMEOUT, ns[i],
						       &t));
		EXPECT_GE(t, ns[i]);
		EXPECT_LT(t, ns[i] + SLACK_NS);
	}
}

TEST_F(mb, absolute_recv_times_out)
{
	char buf[MSG_SIZE];
	__u64 deadline, now;

	deadline = kmbox_test_now_ns() + WAIT_NS;
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME,
					       deadline, NULL));
	now = kmbox_test_now_ns();
	ASSERT_GE(now, deadline);
	ASSERT_LT(now, deadline + SLACK_NS);
}

TEST_F(mb, absolute_send_times_out)
{
	__u64 deadline, now;

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	deadline = kmbox_test_now_ns() + WAIT_NS;
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2", 1,
					       KMBOX_ABSTIME, deadline, NULL));
	now = kmbox_test_now_ns();
	ASSERT_GE(now, deadline);
	ASSERT_LT(now, deadline + SLACK_NS);
	ASSERT_EQ(1, kmbox_test_queued(self->fd));
}

/* A deadline in the past, or a zero relative timeout, fails at once. */
TEST_F(mb, past_deadline_empty_at_once)
{
	char buf[MSG_SIZE];
	__u64 t, now = kmbox_test_now_ns();

	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME,
					       now - NSEC / 10, &t));
	ASSERT_LT(t, SLACK_NS);
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME, 0,
					       &t));
	ASSERT_LT(t, SLACK_NS);
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME, 1,
					       &t));
	ASSERT_LT(t, SLACK_NS);
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT, 0,
					       &t));
	ASSERT_LT(t, SLACK_NS);
}

TEST_F(mb, past_deadline_full_at_once)
{
	__u64 t;

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2", 1,
					       KMBOX_ABSTIME, 1, &t));
	ASSERT_LT(t, SLACK_NS);
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2", 1,
					       KMBOX_TIMEOUT, 0, &t));
	ASSERT_LT(t, SLACK_NS);
	ASSERT_EQ(1, kmbox_test_queued(self->fd));
}

/* A call that need not wait succeeds whatever its deadline. */
TEST_F(mb, past_deadline_no_wait_needed_succeeds)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "a", 1,
				      KMBOX_ABSTIME, 1, NULL));
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
				      sizeof(buf), KMBOX_ABSTIME | KMBOX_PEEK,
				      1, NULL));
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
				      sizeof(buf), KMBOX_ABSTIME, 1, NULL));
	ASSERT_EQ('a', buf[0]);
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "b", 1,
				      KMBOX_TIMEOUT, 0, NULL));
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
				      sizeof(buf), KMBOX_TIMEOUT, 0, NULL));
	ASSERT_EQ('b', buf[0]);
}

/* INT64_MAX is the longest timeout; one more is EINVAL. */
TEST_F(mb, timeout_above_int64_max_einval)
{
	static const __u64 bad[] = {
		(__u64)INT64_MAX + 1, UINT64_MAX, 1ull << 63 | 12345,
	};
	static const __u32 how[] = { KMBOX_TIMEOUT, KMBOX_ABSTIME };
	char buf[MSG_SIZE];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (j = 0; j < ARRAY_SIZE(how); j++) {
			/* Empty: would wait; the send could queue at once. */
			EXPECT_EQ(-EINVAL,
				  kmbox_test_timed(self->fd, KMBOX_IOC_RECV,
						   buf, sizeof(buf), how[j],
						   bad[i], NULL));
			EXPECT_EQ(-EINVAL,
				  kmbox_test_timed(self->fd, KMBOX_IOC_SEND,
						   "x", 1, how[j], bad[i],
						   NULL));
		}
	}
	ASSERT_EQ(0, kmbox_test_queued(self->fd));

	/* Valid, and need not wait. */
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "x", 1,
				      KMBOX_TIMEOUT, INT64_MAX, NULL));
	for (j = 0; j < ARRAY_SIZE(how); j++) {
		EXPECT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV,
						    buf, sizeof(buf), how[j],
						    UINT64_MAX, NULL));
	}
	ASSERT_EQ(1, kmbox_test_queued(self->fd));
	ASSERT_EQ(1, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
				      sizeof(buf), KMBOX_ABSTIME, INT64_MAX,
				      NULL));
}

TEST_F(mb, timeout_and_abstime_einval)
{
	const __u32 both = KMBOX_TIMEOUT | KMBOX_ABSTIME;
	char buf[MSG_SIZE];

	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), both, WAIT_NS, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "x", 1,
					    both, WAIT_NS, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "x", 1,
					    both, 0, NULL));
	ASSERT_EQ(0, kmbox_test_queued(self->fd));
	/* Even when a message is there to take. */
	ASSERT_EQ(1, kmbox_test_send(self->fd, "y", 1, 0, 0));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), both, WAIT_NS, NULL));
	ASSERT_EQ(1, kmbox_test_queued(self->fd));
}

TEST_F(mb, timeout_without_flag_einval)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), 0, WAIT_NS, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), 0, 1, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "x", 1,
					    0, 1, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "x", 1,
					    KMBOX_NOSIGNAL, UINT64_MAX, NULL));
	ASSERT_EQ(0, kmbox_test_queued(self->fd));
	ASSERT_EQ(1, kmbox_test_send(self->fd, "y", 1, 0, 0));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), KMBOX_PEEK, 1, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					    sizeof(buf), 0, 1, NULL));
	ASSERT_EQ(1, kmbox_test_queued(self->fd));
}

TEST_F(mb, dontwait_with_timeout_einval)
{
	char buf[MSG_SIZE];
	__u32 f;

	for (f = KMBOX_TIMEOUT; f <= KMBOX_ABSTIME; f <<= 1) {
		EXPECT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_RECV,
						    buf, sizeof(buf),
						    KMBOX_DONTWAIT | f, WAIT_NS,
						    NULL));
		EXPECT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND,
						    "x", 1, KMBOX_DONTWAIT | f,
						    WAIT_NS, NULL));
		EXPECT_EQ(-EINVAL, kmbox_test_timed(self->fd, KMBOX_IOC_SEND,
						    "x", 1, KMBOX_DONTWAIT | f,
						    0, NULL));
	}
	ASSERT_EQ(0, kmbox_test_queued(self->fd));
}

/* A message that arrives before the timeout is received. */
TEST_F(mb, message_before_relative_timeout)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		__u64 t;
		int n = kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					 sizeof(buf), KMBOX_TIMEOUT, 20 * NSEC,
					 &t);

		if (n < 0)
			_exit(-n);
		_exit(n == 4 && !memcmp(buf, "soon", 4) && t < 20 * NSEC ?
		      0 : 200);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(1, st.blocked_receivers);
	ASSERT_EQ(4, kmbox_test_send(self->fd, "soon", 4, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
	ASSERT_EQ(0, kmbox_test_queued(self->fd));
}

TEST_F(mb, message_before_absolute_deadline)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		int n = kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					 sizeof(buf), KMBOX_ABSTIME,
					 kmbox_test_now_ns() + 20 * NSEC, NULL);

		if (n < 0)
			_exit(-n);
		_exit(n == 4 && !memcmp(buf, "soon", 4) ? 0 : 200);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(1, st.blocked_receivers);
	ASSERT_EQ(4, kmbox_test_send(self->fd, "soon", 4, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
}

/* Room that appears before the timeout lets the send through. */
TEST_F(mb, room_before_timeout)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		int n = kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2", 1,
					 KMBOX_TIMEOUT, 20 * NSEC, NULL);

		_exit(n == 1 ? 0 : n < 0 ? -n : 200);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(1, st.blocked_senders);
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('1', buf[0]);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('2', buf[0]);
}

/*
 * The largest relative timeout must not wrap into a deadline in the
 * past: the call sleeps until a message comes.
 */
TEST_F(mb, huge_relative_timeout_sleeps)
{
	char buf[MSG_SIZE];

	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		int n = kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					 sizeof(buf), KMBOX_TIMEOUT, INT64_MAX,
					 NULL);

		_exit(n == 1 ? 0 : n < 0 ? -n : 200);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(1, kmbox_test_send(self->fd, "h", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
}

/* After a timed-out wait the mailbox works as before. */
TEST_F(mb, works_after_timeout)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       1000000, NULL));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(0, st.blocked_receivers);
	ASSERT_EQ(1, kmbox_test_send(self->fd, "a", 1, 0, 0));
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "b", 1,
					       KMBOX_TIMEOUT, 1000000, NULL));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(0, st.blocked_senders);
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('a', buf[0]);
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->fd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

TEST_HARNESS_MAIN
