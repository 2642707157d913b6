// SPDX-License-Identifier: GPL-2.0
/*
 * KMBOX_IOC_SHUTDOWN: from then on sending fails with EPIPE (and
 * SIGPIPE unless KMBOX_NOSIGNAL); what is queued is still received, then
 * end-of-stream (RECV EPIPE, read() 0); every sleeper wakes at once; a
 * second call succeeds; STAT shows KMBOX_STATE_SHUTDOWN; poll shows
 * EPOLLHUP and EPOLLERR.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define MAX_MSGS	4
#define MAX_KIDS	6
#define BAD		200	/* exit code: unexpected result */

static int rd(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : (int)n;
}

static int wr(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : (int)n;
}

static int verdict(int ret, int want)
{
	if (ret == want)
		return 0;
	return ret < 0 ? -ret : BAD + 1;
}

static int revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, 0);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

static int block_sigpipe(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* 1 if SIGPIPE was pending (and takes it), 0 if not, -1 on error. */
static int take_sigpipe(void)
{
	struct timespec zero = { 0 };
	sigset_t set, pend;

	if (sigpending(&pend))
		return -1;
	if (!sigismember(&pend, SIGPIPE))
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return sigtimedwait(&set, NULL, &zero) == SIGPIPE ? 1 : -1;
}

static int shut(int fd)
{
	return kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL);
}

FIXTURE(mb) {
	char name[64];
	int rw, snd, rcv;
	pid_t kids[MAX_KIDS];
};

FIXTURE_SETUP(mb)
{
	struct kmbox_attr attr = {
		.max_msgs = MAX_MSGS,
		.max_msg_size = MSG_SIZE,
	};

	self->rw = self->snd = self->rcv = -1;
	kmbox_test_name(self->name, sizeof(self->name), "shutdown");
	self->rw = kmbox_test_create(self->name, &attr,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->rw, 0);
	self->snd = kmbox_test_open(self->name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(self->snd, 0);
	self->rcv = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(self->rcv, 0);
	ASSERT_EQ(0, block_sigpipe());
}

FIXTURE_TEARDOWN(mb)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	if (self->rw >= 0)
		close(self->rw);
	if (self->snd >= 0)
		close(self->snd);
	if (self->rcv >= 0)
		close(self->rcv);
	kmbox_test_unlink(self->name);
}

static pid_t spawn(FIXTURE_DATA(mb) *self)
{
	pid_t pid;
	int i;

	for (i = 0; i < MAX_KIDS && self->kids[i]; i++)
		;
	if (i == MAX_KIDS)
		return -1;
	pid = fork();
	if (pid > 0)
		self->kids[i] = pid;
	return pid;
}

static int reap(FIXTURE_DATA(mb) *self, pid_t pid)
{
	int i, status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < MAX_KIDS; i++)
		if (self->kids[i] == pid)
			self->kids[i] = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : -1;
}

static int sleeping(int fd, pid_t pid, unsigned int recvs, unsigned int sends)
{
	struct kmbox_stat st;

	if (kmbox_test_wait_sleeping(pid))
		return -1;
	if (kmbox_test_stat(fd, &st))
		return -2;
	if (st.blocked_receivers != recvs || st.blocked_senders != sends)
		return -3;
	return 0;
}

static int fill(int fd)
{
	char c;
	int i;

	for (i = 0; i < MAX_MSGS; i++) {
		c = '0' + i;
		if (kmbox_test_send(fd, &c, 1, 0, KMBOX_DONTWAIT) != 1)
			return -1;
	}
	return 0;
}

TEST_F(mb, send_after_shutdown_epipe)
{
	struct kmbox_stat st;

	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, take_sigpipe());
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(1, take_sigpipe());
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->rw, "x", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(1, take_sigpipe());
	ASSERT_EQ(-EPIPE, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(0, take_sigpipe());
	ASSERT_EQ(-EPIPE, wr(self->snd, "x", 1));
	ASSERT_EQ(1, take_sigpipe());
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.sent);
}

/* SIGPIPE's default action kills a sender after shutdown. */
TEST_F(mb, send_after_shutdown_sigpipe_kills)
{
	pid_t pid;

	ASSERT_EQ(0, shut(self->rw));
	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		kmbox_test_send(self->snd, "x", 1, 0, 0);
		_exit(BAD);
	}
	ASSERT_EQ(1000 + SIGPIPE, reap(self, pid));
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
	ASSERT_EQ(3, rd(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_EQ(5, kmbox_test_recv(self->rw, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "three", 5));

	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					  KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					  KMBOX_PEEK, NULL));
	ASSERT_EQ(0, rd(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, rd(self->rw, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(3, st.received);
}

/* Every sleeping receiver wakes at once, whatever way it waits. */
TEST_F(mb, sleeping_receivers_all_wake)
{
	pid_t pid[4];
	int i;

	for (i = 0; i < 4; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			struct kmbox_msg m = { 0 };
			char buf[MSG_SIZE];

			switch (i) {
			case 0:
				_exit(verdict(rd(self->rcv, buf, sizeof(buf)),
					      0));
			case 1:
				m.flags = KMBOX_TIMEOUT;
				m.timeout_ns = 30 * 1000000000ull;
				break;
			case 2:
				m.flags = KMBOX_PEEK;
				break;
			}
			m.buf = (__u64)(unsigned long)buf;
			m.len = sizeof(buf);
			_exit(verdict(kmbox_test_ioctl(self->rcv,
						       KMBOX_IOC_RECV, &m),
				      -EPIPE));
		}
		ASSERT_EQ(0, sleeping(self->rw, pid[i], i + 1, 0));
	}
	ASSERT_EQ(0, shut(self->rw));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, reap(self, pid[i]));
	}
}

TEST_F(mb, sleeping_senders_all_wake)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];
	pid_t pid[3];
	int i;

	ASSERT_EQ(0, fill(self->snd));
	for (i = 0; i < 3; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			int n;

			if (i == 0)
				_exit(verdict(kmbox_test_send(self->snd, "x",
							      1, 0,
							      KMBOX_NOSIGNAL),
					      -EPIPE));
			if (i == 1)
				n = wr(self->snd, "x", 1);
			else
				n = kmbox_test_send(self->snd, "x", 1, 0, 0);
			/* SIGPIPE is blocked: it is pending now. */
			if (n == -EPIPE && take_sigpipe() != 1)
				_exit(BAD + 2);
			_exit(verdict(n, -EPIPE));
		}
		ASSERT_EQ(0, sleeping(self->rw, pid[i], 0, i + 1));
	}
	ASSERT_EQ(0, shut(self->rcv));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, reap(self, pid[i]));
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

	ASSERT_EQ(POLLOUT, revents(self->snd, POLLOUT));
	ASSERT_EQ(0, revents(self->rcv, POLLIN));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "p", 1, 0, 0));
	ASSERT_EQ(0, shut(self->rw));

	/* A message left: readable, not yet hung up. */
	ASSERT_EQ(POLLIN, revents(self->rcv, POLLIN));
	ASSERT_TRUE(revents(self->snd, POLLOUT) & POLLERR);
	ASSERT_FALSE(revents(self->snd, POLLOUT) & POLLHUP);

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(POLLHUP, revents(self->rcv, POLLIN));
	ASSERT_TRUE(revents(self->snd, POLLOUT) & POLLERR);
	/* Both roles: both events. */
	ASSERT_EQ(POLLHUP | POLLERR,
		  revents(self->rw, POLLIN) & (POLLHUP | POLLERR | POLLIN));
}

/* A poll() sleeping for room wakes at the shutdown with EPOLLERR. */
TEST_F(mb, sleeping_send_poller_wakes)
{
	pid_t pid;

	ASSERT_EQ(0, fill(self->snd));
	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct pollfd p = { .fd = self->snd, .events = POLLOUT };

		if (poll(&p, 1, 30000) != 1)
			_exit(BAD + 1);
		_exit(p.revents & POLLERR ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, shut(self->rw));
	ASSERT_EQ(0, reap(self, pid));
}

/* A poll() sleeping for a message wakes at the shutdown with EPOLLHUP. */
TEST_F(mb, sleeping_recv_poller_wakes)
{
	pid_t pid;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct pollfd p = { .fd = self->rcv, .events = POLLIN };

		if (poll(&p, 1, 30000) != 1)
			_exit(BAD + 1);
		_exit(p.revents == POLLHUP ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, shut(self->snd));
	ASSERT_EQ(0, reap(self, pid));
}

TEST_HARNESS_MAIN
