// SPDX-License-Identifier: GPL-2.0
/*
 * KMBOX_IOC_SHUTDOWN: from then on sending fails with EPIPE (and
 * SIGPIPE unless KMBOX_NOSIGNAL); what is queued is still received, then
 * end-of-stream (RECV EPIPE, read() 0); every sleeper wakes at once (one
 * that finds a message out for copying waits for it: stall_test); a
 * second call succeeds; STAT shows KMBOX_STATE_SHUTDOWN; poll shows
 * EPOLLHUP and EPOLLERR.
 */
#include <poll.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define MAX_MSGS	4
#define BAD		KMBOX_TEST_BAD

static int shut(int fd)
{
	return kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL);
}

FIXTURE(mb) {
	char name[64];
	int rw, snd, rcv;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(mb)
{
	kmbox_test_name(self->name, sizeof(self->name), "shutdown");
	ASSERT_EQ(0, kmbox_test_open3(self->name, MAX_MSGS, MSG_SIZE,
				      &self->rw, &self->snd, &self->rcv));
	ASSERT_EQ(0, kmbox_test_block_signal(SIGPIPE));
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill_kids(&self->kids);
	kmbox_test_close3(self->name, self->rw, self->snd, self->rcv);
}

TEST_F(mb, send_after_shutdown_epipe)
{
	struct kmbox_stat st;

	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->rw, "x", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_write(self->snd, "x", 1));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.sent);
}

/* SIGPIPE's default action kills a sender after shutdown. */
TEST_F(mb, send_after_shutdown_sigpipe_kills)
{
	pid_t pid;

	ASSERT_EQ(0, shut(self->rw));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		kmbox_test_send(self->snd, "x", 1, 0, 0);
		_exit(BAD);
	}
	ASSERT_EQ(1000 + SIGPIPE, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_F(mb, queued_messages_drained_then_eof)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	ASSERT_EQ(3, kmbox_test_send(self->snd, "one", 3, 0, 0));
	ASSERT_EQ(3, kmbox_test_send(self->snd, "two", 3, 1, 0));
	ASSERT_EQ(5, kmbox_test_send(self->snd, "three", 5, 0, 0));
	ASSERT_EQ(0, shut(self->snd));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(3, st.msgs);

	ASSERT_EQ(3, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "two", 3));
	ASSERT_EQ(3, kmbox_test_recv(self->rcv, buf, sizeof(buf),
				     KMBOX_PEEK, NULL));
	ASSERT_EQ(3, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_EQ(5, kmbox_test_recv(self->rw, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "three", 5));

	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					  KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					  KMBOX_PEEK, NULL));
	ASSERT_EQ(0, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_read(self->rw, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(3, st.received);
}

/* Every sleeping receiver wakes at once, whatever way it waits. */
TEST_F(mb, sleeping_receivers_all_wake)
{
	pid_t pid[4];
	int i;

	for (i = 0; i < 4; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char buf[MSG_SIZE];
			__u32 flags = 0;
			__u64 ns = 0;
			int n;

			switch (i) {
			case 0:
				n = kmbox_test_read(self->rcv, buf,
						    sizeof(buf));
				_exit(kmbox_test_verdict(n, 0));
			case 1:
				flags = KMBOX_TIMEOUT;
				ns = 30 * 1000000000ull;
				break;
			case 2:
				flags = KMBOX_PEEK;
				break;
			}
			n = kmbox_test_timed(self->rcv, KMBOX_IOC_RECV, buf,
					     sizeof(buf), flags, ns, NULL);
			_exit(kmbox_test_verdict(n, -EPIPE));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid[i], i + 1, 0));
	}
	ASSERT_EQ(0, shut(self->rw));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[i], NULL));
	}
}

TEST_F(mb, sleeping_senders_all_wake)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];
	pid_t pid[3];
	int i;

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	for (i = 0; i < 3; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			int n;

			if (i == 0) {
				n = kmbox_test_send(self->snd, "x", 1, 0,
						    KMBOX_NOSIGNAL);
				_exit(kmbox_test_verdict(n, -EPIPE));
			}
			if (i == 1)
				n = kmbox_test_write(self->snd, "x", 1);
			else
				n = kmbox_test_send(self->snd, "x", 1, 0, 0);
			/* SIGPIPE is blocked: it is pending now. */
			if (n == -EPIPE &&
			    kmbox_test_take_signal(SIGPIPE, NULL) != 1)
				_exit(BAD + 2);
			_exit(kmbox_test_verdict(n, -EPIPE));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid[i], 0, i + 1));
	}
	ASSERT_EQ(0, shut(self->rcv));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[i], NULL));
	}

	/* The queued messages are intact, then end-of-stream. */
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(MAX_MSGS, st.msgs);
	ASSERT_EQ(0, st.blocked_senders);
	for (i = 0; i < MAX_MSGS; i++) {
		ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0,
					     NULL));
		ASSERT_EQ('0' + i, buf[0]);
	}
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
}

TEST_F(mb, second_shutdown_succeeds)
{
	struct kmbox_stat a, b;

	ASSERT_EQ(1, kmbox_test_send(self->snd, "k", 1, 0, 0));
	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &a));
	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, shut(self->rcv));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &b));
	ASSERT_EQ(a.state, b.state);
	ASSERT_EQ(a.msgs, b.msgs);
	ASSERT_EQ(1, b.msgs);
}

TEST_F(mb, stat_state_shutdown)
{
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_FALSE(st.state & KMBOX_STATE_SHUTDOWN);
	ASSERT_TRUE(st.state & KMBOX_STATE_NAMED);
	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, kmbox_test_stat(self->rcv, &st));
	ASSERT_TRUE(st.state & KMBOX_STATE_SHUTDOWN);
	ASSERT_TRUE(st.state & KMBOX_STATE_NAMED);
	ASSERT_EQ(0, kmbox_test_stat(self->snd, &st));
	ASSERT_TRUE(st.state & KMBOX_STATE_SHUTDOWN);
}

/* Any role may shut down: receive-only and send-only descriptors. */
TEST_F(mb, shutdown_from_receive_only_fd)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(0, shut(self->rcv));
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
}

TEST_F(mb, shutdown_from_send_only_fd)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(0, shut(self->snd));
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->rw, "x", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
}

/* It cannot be undone: descriptors opened later see it as well. */
TEST_F(mb, new_descriptors_see_shutdown)
{
	char buf[MSG_SIZE];
	int s, r;

	ASSERT_EQ(0, shut(self->rw));
	s = kmbox_test_open(self->name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(s, 0);
	r = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(r, 0);
	ASSERT_EQ(-EPIPE, kmbox_test_send(s, "x", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(r, buf, sizeof(buf), 0, NULL));
	close(s);
	close(r);
}

TEST_F(mb, poll_after_shutdown)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(POLLOUT, kmbox_test_revents(self->snd, POLLOUT));
	ASSERT_EQ(0, kmbox_test_revents(self->rcv, POLLIN));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "p", 1, 0, 0));
	ASSERT_EQ(0, shut(self->rw));

	/* A message left: readable, not yet hung up. */
	ASSERT_EQ(POLLIN, kmbox_test_revents(self->rcv, POLLIN));
	ASSERT_TRUE(kmbox_test_revents(self->snd, POLLOUT) & POLLERR);
	ASSERT_FALSE(kmbox_test_revents(self->snd, POLLOUT) & POLLHUP);

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(POLLHUP, kmbox_test_revents(self->rcv, POLLIN));
	ASSERT_TRUE(kmbox_test_revents(self->snd, POLLOUT) & POLLERR);
	/* Both roles: both events. */
	ASSERT_EQ(POLLHUP | POLLERR, kmbox_test_revents(self->rw, POLLIN) &
				     (POLLHUP | POLLERR | POLLIN));
}

/* A poll() sleeping for room wakes at the shutdown with EPOLLERR. */
TEST_F(mb, sleeping_send_poller_wakes)
{
	pid_t pid;

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n;

		n = kmbox_test_poll(self->snd, POLLOUT, 30000);
		_exit(n <= 0 ? BAD + 1 : n & POLLERR ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

/* A poll() sleeping for a message wakes at the shutdown with EPOLLHUP. */
TEST_F(mb, sleeping_recv_poller_wakes)
{
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n;

		n = kmbox_test_poll(self->rcv, POLLIN, 30000);
		_exit(n <= 0 ? BAD + 1 : n == POLLHUP ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, shut(self->snd));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_HARNESS_MAIN
