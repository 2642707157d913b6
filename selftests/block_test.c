// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking sends and receives: a receive on an empty mailbox sleeps until
 * a message arrives, a send to a full one until it fits; O_NONBLOCK (from
 * KMBOX_NONBLOCK or fcntl) and KMBOX_DONTWAIT give EAGAIN instead; one
 * message wakes one sleeping receiver and room for one message wakes one
 * sleeping sender, in the order they went to sleep; but a message never
 * waits while a receiver sleeps (the woken one may peek, or fail), and a
 * sender whose message fits does not sleep on.
 *
 * A child is acted upon only once /proc shows it sleeping and STAT counts
 * it among the blocked tasks.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define MAX_MSGS	2
#define MAX_KIDS	8

/* Exit code of a child whose call returned something unexpected. */
#define BAD		200

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

/* A child's exit code for a call that returned @ret: errno, or BAD + 1. */
static int errcode(int ret)
{
	return ret < 0 ? -ret : BAD + 1;
}

/* Voluntary context switches of @pid: they grow each time it sleeps. */
static long nvcsw(pid_t pid)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
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
	kmbox_test_name(self->name, sizeof(self->name), "block");
	self->rw = kmbox_test_create(self->name, &attr,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->rw, 0);
	self->snd = kmbox_test_open(self->name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(self->snd, 0);
	self->rcv = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(self->rcv, 0);
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

/* fork(), remembering the child so that teardown can reap it. */
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

static void forget(FIXTURE_DATA(mb) *self, pid_t pid)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		if (self->kids[i] == pid)
			self->kids[i] = 0;
}

/* Waits for @pid (-1: any child): its exit code, 1000 + signal, or -1. */
static int reap(FIXTURE_DATA(mb) *self, pid_t pid, pid_t *who)
{
	int status;

	pid = waitpid(pid, &status, 0);
	if (pid < 0)
		return -1;
	forget(self, pid);
	if (who)
		*who = pid;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : -1;
}

/* The child has neither exited nor been reaped. */
static int alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/*
 * Waits until @pid sleeps, then checks that STAT counts @recvs sleeping
 * receivers and @sends sleeping senders.  0 if so.
 */
static int sleeping(int fd, pid_t pid, unsigned int recvs, unsigned int sends)
{
	struct kmbox_stat st;

	if (kmbox_test_wait_sleeping(pid))
		return -1;
	if (kmbox_test_stat(fd, &st))
		return -2;
	if (st.blocked_receivers != recvs || st.blocked_senders != sends) {
		fprintf(stderr, "# blocked: %u receivers, %u senders\n",
			st.blocked_receivers, st.blocked_senders);
		return -3;
	}
	return 0;
}

static long long queued(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return st.msgs;
}

/* Fills the mailbox with MAX_MSGS messages "0", "1", ... */
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

/* 0 if @ret is @want, else the errno or BAD + 1. */
static int verdict(int ret, int want)
{
	if (ret == want)
		return 0;
	return ret < 0 ? -ret : BAD + 1;
}

/* Child: a blocking PEEK that must see "0123456789". */
static int recv_peek_expect(int fd, char *buf)
{
	int n = kmbox_test_recv(fd, buf, MSG_SIZE, KMBOX_PEEK, NULL);

	if (n < 0)
		return -n;
	return n == 10 && !memcmp(buf, "0123456789", 10) ? 0 : BAD;
}

/* Child: a blocking receive that must get @want (@len bytes). */
static int recv_expect(int fd, const char *want, int len)
{
	char buf[MSG_SIZE];
	int n = kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL);

	if (n < 0)
		return -n;
	return n == len && !memcmp(buf, want, len) ? 0 : BAD;
}

TEST_F(mb, recv_blocks_until_send)
{
	struct kmbox_stat st;
	pid_t pid;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(recv_expect(self->rcv, "hello", 5));
	ASSERT_EQ(0, sleeping(self->rw, pid, 1, 0));
	ASSERT_TRUE(alive(pid));

	ASSERT_EQ(5, kmbox_test_send(self->snd, "hello", 5, 0, 0));
	ASSERT_EQ(0, reap(self, pid, NULL));
	ASSERT_EQ(0, queued(self->rw));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.blocked_receivers);
}

/* The test process itself sleeps; a child sends once it sees that. */
TEST_F(mb, recv_in_parent_woken_by_child)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];
	pid_t pid;
	int n;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (kmbox_test_wait_sleeping(getppid()))
			_exit(BAD);
		n = kmbox_test_send(self->snd, "wake", 4, 0, 0);
		_exit(n == 4 ? 0 : errcode(n));
	}
	ASSERT_EQ(4, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, "wake", 4));
	ASSERT_EQ(pid, m.sender_pid);
	ASSERT_EQ(0, reap(self, pid, NULL));
}

TEST_F(mb, read_blocks_until_write)
{
	pid_t pid;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char buf[MSG_SIZE];
		int n = rd(self->rcv, buf, sizeof(buf));

		_exit(n == 3 && !memcmp(buf, "abc", 3) ? 0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(self->rw, pid, 1, 0));
	ASSERT_EQ(3, wr(self->snd, "abc", 3));
	ASSERT_EQ(0, reap(self, pid, NULL));
}

TEST_F(mb, send_blocks_until_recv)
{
	char buf[MSG_SIZE];
	pid_t pid;

	ASSERT_EQ(0, fill(self->snd));
	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_send(self->snd, "late", 4, 0, 0);

		_exit(n == 4 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(self->rw, pid, 0, 1));
	ASSERT_TRUE(alive(pid));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('0', buf[0]);
	ASSERT_EQ(0, reap(self, pid, NULL));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));

	/* The late message came after those queued before it. */
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('1', buf[0]);
	ASSERT_EQ(4, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "late", 4));
}

TEST_F(mb, write_blocks_until_read)
{
	char buf[MSG_SIZE];
	pid_t pid;

	ASSERT_EQ(0, fill(self->snd));
	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = wr(self->snd, "w", 1);

		_exit(n == 1 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(self->rw, pid, 0, 1));
	ASSERT_EQ(1, rd(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, reap(self, pid, NULL));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));
}

/* Full by bytes: the sender sleeps until its message fits. */
TEST_F(mb, send_blocks_until_bytes_fit)
{
	struct kmbox_attr attr = {
		.max_msgs = 16, .max_msg_size = 100, .max_bytes = 200,
	};
	char buf[100] = { 0 };
	pid_t pid;
	int fd;

	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(100, kmbox_test_send(fd, buf, 100, 0, 0));
	ASSERT_EQ(60, kmbox_test_send(fd, buf, 60, 0, 0));
	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_send(fd, buf, 100, 0, 0);

		_exit(n == 100 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(fd, pid, 0, 1));
	ASSERT_EQ(2, queued(fd));
	ASSERT_EQ(100, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, reap(self, pid, NULL));
	ASSERT_EQ(2, queued(fd));
	close(fd);
}

/* A sleeping receiver whose buffer is too small: EMSGSIZE, nothing lost. */
TEST_F(mb, woken_receiver_small_buffer_emsgsize)
{
	char buf[MSG_SIZE];
	pid_t pid;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_msg m;
		int n = kmbox_test_recv(self->rcv, buf, 4, 0, &m);

		_exit(n == -EMSGSIZE && m.msg_len == 10 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(self->rw, pid, 1, 0));
	ASSERT_EQ(10, kmbox_test_send(self->snd, "0123456789", 10, 0, 0));
	ASSERT_EQ(0, reap(self, pid, NULL));
	ASSERT_EQ(1, queued(self->rw));
	ASSERT_EQ(10, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
}

TEST_F(mb, dontwait_eagain)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rw, buf, sizeof(buf),
					   KMBOX_DONTWAIT | KMBOX_PEEK, NULL));
	ASSERT_EQ(0, fill(self->snd));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->rw, "x", 1, 7, KMBOX_DONTWAIT));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));
	/* DONTWAIT does not stop a call that need not wait. */
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_DONTWAIT));
}

/* KMBOX_NONBLOCK at open: the descriptor is O_NONBLOCK. */
TEST_F(mb, nonblock_flag_eagain)
{
	char buf[MSG_SIZE];
	int nr, ns;

	nr = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_NONBLOCK |
			     KMBOX_CLOEXEC);
	ASSERT_GE(nr, 0);
	ns = kmbox_test_open(self->name, KMBOX_SEND | KMBOX_NONBLOCK |
			     KMBOX_CLOEXEC);
	ASSERT_GE(ns, 0);
	ASSERT_TRUE(fcntl(nr, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(fcntl(ns, F_GETFL) & O_NONBLOCK);

	ASSERT_EQ(-EAGAIN, kmbox_test_recv(nr, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(nr, buf, sizeof(buf),
					   KMBOX_PEEK, NULL));
	ASSERT_EQ(-EAGAIN, rd(nr, buf, sizeof(buf)));

	ASSERT_EQ(0, fill(self->snd));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(ns, "x", 1, 0, 0));
	ASSERT_EQ(-EAGAIN, wr(ns, "x", 1));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));

	ASSERT_EQ(1, rd(nr, buf, sizeof(buf)));
	ASSERT_EQ(1, wr(ns, "y", 1));
	close(nr);
	close(ns);
}

/* fcntl(F_SETFL) turns O_NONBLOCK on and off; other fds are unaffected. */
TEST_F(mb, fcntl_nonblock)
{
	struct kmbox_msg m = { 0 };
	char buf[MSG_SIZE];
	int fl;

	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_FALSE(fl & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EAGAIN, rd(self->rcv, buf, sizeof(buf)));

	/* The other descriptor still waits (shown by a short timeout). */
	m.buf = (__u64)(unsigned long)buf;
	m.len = sizeof(buf);
	m.flags = KMBOX_TIMEOUT;
	m.timeout_ns = 1000000;
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_ioctl(self->rw, KMBOX_IOC_RECV, &m));

	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl));
	m.flags = KMBOX_TIMEOUT;
	m.timeout_ns = 1000000;
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, &m));

	/* Send side. */
	ASSERT_EQ(0, fill(self->snd));
	fl = fcntl(self->snd, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_EQ(0, fcntl(self->snd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(-EAGAIN, wr(self->snd, "x", 1));
	ASSERT_EQ(0, fcntl(self->snd, F_SETFL, fl));
	m.buf = (__u64)(unsigned long)"x";
	m.len = 1;
	m.flags = KMBOX_TIMEOUT;
	m.timeout_ns = 1000000;
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_ioctl(self->snd, KMBOX_IOC_SEND, &m));
	ASSERT_EQ(MAX_MSGS, queued(self->rw));
}

/* O_NONBLOCK set while a receiver sleeps does not disturb it. */
TEST_F(mb, nonblock_set_during_sleep)
{
	int fl;
	pid_t pid;

	pid = spawn(self);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(recv_expect(self->rcv, "late", 4));
	ASSERT_EQ(0, sleeping(self->rw, pid, 1, 0));
	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(4, kmbox_test_send(self->snd, "late", 4, 0, 0));
	ASSERT_EQ(0, reap(self, pid, NULL));
}

/*
 * Three sleeping receivers: one message wakes exactly one; the others
 * are not even woken (their voluntary context switches do not grow).
 */
TEST_F(mb, one_message_wakes_one_receiver)
{
	struct kmbox_stat st;
	long csw[3];
	pid_t pid[3], who;
	int i, code, seen = 0;

	for (i = 0; i < 3; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char buf[MSG_SIZE];
			int n = kmbox_test_recv(self->rcv, buf, sizeof(buf), 0,
						NULL);

			_exit(n == 1 ? buf[0] : errcode(n) + 50);
		}
		ASSERT_EQ(0, sleeping(self->rw, pid[i], i + 1, 0));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
		csw[i] = nvcsw(pid[i]);
		ASSERT_GE(csw[i], 0);
	}

	ASSERT_EQ(1, kmbox_test_send(self->snd, "\1", 1, 0, 0));
	code = reap(self, -1, &who);
	ASSERT_EQ(1, code);
	seen |= 1 << code;

	for (i = 0; i < 3; i++) {
		if (pid[i] == who)
			continue;
		ASSERT_TRUE(alive(pid[i]));
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
		EXPECT_EQ(csw[i], nvcsw(pid[i])) {
			TH_LOG("receiver %d was woken by a message for another",
			       i);
		}
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(2, st.blocked_receivers);
	ASSERT_EQ(0, st.msgs);

	/* The two others still get one message each. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "\2", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "\3", 1, 0, 0));
	for (i = 0; i < 2; i++) {
		code = reap(self, -1, NULL);
		ASSERT_TRUE(code == 2 || code == 3) {
			TH_LOG("receiver exit code %d", code);
		}
		seen |= 1 << code;
	}
	ASSERT_EQ(0xe, seen);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.blocked_receivers);
	ASSERT_EQ(3, st.received);
}

/* Receivers are served in the order in which they went to sleep. */
TEST_F(mb, receivers_served_in_order)
{
	pid_t pid[3], who;
	int i;

	for (i = 0; i < 3; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char buf[MSG_SIZE];
			int n = kmbox_test_recv(self->rcv, buf, sizeof(buf), 0,
						NULL);

			_exit(n == 1 ? buf[0] : errcode(n) + 50);
		}
		ASSERT_EQ(0, sleeping(self->rw, pid[i], i + 1, 0));
	}
	for (i = 0; i < 3; i++) {
		char c = 10 + i;

		ASSERT_EQ(1, kmbox_test_send(self->snd, &c, 1, 0, 0));
		ASSERT_EQ(c, reap(self, -1, &who));
		EXPECT_EQ(pid[i], who) {
			TH_LOG("message %d went to a later sleeper", i);
		}
	}
}

/* Room for one message wakes one sleeping sender, the first in line. */
TEST_F(mb, room_wakes_one_sender_in_order)
{
	char buf[MSG_SIZE];
	pid_t pid[3], who;
	struct kmbox_stat st;
	long csw[3];
	int i;

	ASSERT_EQ(0, fill(self->snd));
	for (i = 0; i < 3; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char c = 'a' + i;
			int n = kmbox_test_send(self->snd, &c, 1, 0, 0);

			_exit(n == 1 ? 10 + i : errcode(n));
		}
		ASSERT_EQ(0, sleeping(self->rw, pid[i], 0, i + 1));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
		csw[i] = nvcsw(pid[i]);
		ASSERT_GE(csw[i], 0);
	}

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('0', buf[0]);
	ASSERT_EQ(10, reap(self, -1, &who));
	EXPECT_EQ(pid[0], who);
	for (i = 1; i < 3; i++) {
		ASSERT_TRUE(alive(pid[i]));
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
		EXPECT_EQ(csw[i], nvcsw(pid[i])) {
			TH_LOG("sender %d was woken by room for another", i);
		}
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(2, st.blocked_senders);
	ASSERT_EQ(MAX_MSGS, st.msgs);

	for (i = 1; i < 3; i++) {
		ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0,
					     NULL));
		ASSERT_EQ(10 + i, reap(self, -1, &who));
		EXPECT_EQ(pid[i], who);
	}
	/* Queue order: '1' then the senders' messages in their order. */
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('b', buf[0]);
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('c', buf[0]);
	ASSERT_EQ(0, queued(self->rw));
}

/*
 * A sleeping receiver that is woken but leaves the message queued (it
 * peeks, its buffer is too small, or it faults) must not keep the next
 * sleeper asleep while a message waits.  The second receiver has a
 * timeout, so that a lost wake-up ends in a few seconds, not as a hang.
 */
enum first { PEEKS, SMALL_BUFFER, BAD_BUFFER };

#define PASS_ON_NS	(5 * 1000000000ull)

static void first_leaves_message(struct __test_metadata *_metadata,
				 FIXTURE_DATA(mb) *self, enum first how)
{
	pid_t a, b;

	a = spawn(self);
	ASSERT_GE(a, 0);
	if (a == 0) {
		char buf[MSG_SIZE];

		switch (how) {
		case PEEKS:
			_exit(recv_peek_expect(self->rcv, buf));
		case SMALL_BUFFER:
			_exit(verdict(kmbox_test_recv(self->rcv, buf, 4, 0,
						      NULL), -EMSGSIZE));
		case BAD_BUFFER:
			_exit(verdict(kmbox_test_recv(self->rcv,
						      kmbox_test_unmapped(),
						      MSG_SIZE, 0, NULL),
				      -EFAULT));
		}
		_exit(BAD);
	}
	ASSERT_EQ(0, sleeping(self->rw, a, 1, 0));

	b = spawn(self);
	ASSERT_GE(b, 0);
	if (b == 0) {
		struct kmbox_msg m = { 0 };
		char buf[MSG_SIZE];
		__u64 start;
		int n;

		m.buf = (__u64)(unsigned long)buf;
		m.len = sizeof(buf);
		m.flags = KMBOX_TIMEOUT;
		m.timeout_ns = PASS_ON_NS;
		start = kmbox_test_now_ns();
		n = kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, &m);
		/* Got it only when its own timeout came: nobody woke it. */
		if (n >= 0 && kmbox_test_now_ns() - start >= PASS_ON_NS)
			_exit(BAD + 5);
		_exit(n == 10 && !memcmp(buf, "0123456789", 10) ?
		      0 : errcode(n));
	}
	ASSERT_EQ(0, sleeping(self->rw, b, 2, 0));

	ASSERT_EQ(10, kmbox_test_send(self->snd, "0123456789", 10, 0, 0));
	ASSERT_EQ(0, reap(self, a, NULL));
	EXPECT_EQ(0, reap(self, b, NULL)) {
		TH_LOG("the second receiver slept on with a message queued");
	}
	ASSERT_EQ(0, queued(self->rw));
}

TEST_F(mb, peeking_sleeper_passes_message_on)
{
	first_leaves_message(_metadata, self, PEEKS);
}

TEST_F(mb, small_buffer_sleeper_passes_message_on)
{
	first_leaves_message(_metadata, self, SMALL_BUFFER);
}

TEST_F(mb, faulting_sleeper_passes_message_on)
{
	first_leaves_message(_metadata, self, BAD_BUFFER);
}

/* Child: a send with a PASS_ON_NS timeout that must not need all of it. */
static int send_promptly(int fd, size_t len)
{
	struct kmbox_msg m = { 0 };
	char buf[MSG_SIZE] = { 0 };
	__u64 start;
	int n;

	m.buf = (__u64)(unsigned long)buf;
	m.len = len;
	m.flags = KMBOX_TIMEOUT;
	m.timeout_ns = PASS_ON_NS;
	start = kmbox_test_now_ns();
	n = kmbox_test_ioctl(fd, KMBOX_IOC_SEND, &m);
	if (n >= 0 && kmbox_test_now_ns() - start >= PASS_ON_NS)
		return BAD + 5;
	return verdict(n, len);
}

/*
 * One receive frees room for two small messages: both sleeping senders
 * must get through, not only the first one woken.
 */
TEST_F(mb, room_for_two_lets_two_senders_through)
{
	struct kmbox_attr attr = {
		.max_msgs = 16, .max_msg_size = MSG_SIZE, .max_bytes = MSG_SIZE,
	};
	char buf[MSG_SIZE] = { 0 };
	pid_t pid[2];
	int fd, i;

	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(MSG_SIZE, kmbox_test_send(fd, buf, MSG_SIZE, 0, 0));
	for (i = 0; i < 2; i++) {
		pid[i] = spawn(self);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			_exit(send_promptly(fd, MSG_SIZE / 4));
		ASSERT_EQ(0, sleeping(fd, pid[i], 0, i + 1));
	}
	ASSERT_EQ(MSG_SIZE, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, reap(self, pid[i], NULL)) {
			TH_LOG("sender %d slept on although its message fit", i);
		}
	}
	ASSERT_EQ(2, queued(fd));
	close(fd);
}

TEST_HARNESS_MAIN
