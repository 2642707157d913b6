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

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define MAX_MSGS	2
#define BAD		KMBOX_TEST_BAD

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
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(mb)
{
	kmbox_test_name(self->name, sizeof(self->name), "block");
	ASSERT_EQ(0, kmbox_test_open3(self->name, MAX_MSGS, MSG_SIZE,
				      &self->rw, &self->snd, &self->rcv));
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill_kids(&self->kids);
	kmbox_test_close3(self->name, self->rw, self->snd, self->rcv);
}

/* The child has neither exited nor been reaped. */
static int alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
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

/*
 * Forks @n receivers that go to sleep one after the other; each exits
 * with the byte it got, or errno + 50.
 */
static void sleeping_receivers(struct __test_metadata *_metadata,
			       FIXTURE_DATA(mb) *self, pid_t *pid, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char buf[MSG_SIZE];
			int ret = kmbox_test_recv(self->rcv, buf, sizeof(buf),
						  0, NULL);

			_exit(ret == 1 ? buf[0] : errcode(ret) + 50);
		}
		ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid[i], i + 1, 0));
	}
}

/*
 * Once the @n children @pid sleep, their voluntary context switches.  A
 * task shows state S from set_current_state() on, a little before it
 * switches away (which counts the switch): read until two reads 20 ms
 * apart agree.
 */
static void sleepers_nvcsw(struct __test_metadata *_metadata,
			   const pid_t *pid, long *csw, int n)
{
	long again;
	int i, tries;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
		again = nvcsw(pid[i]);
		for (tries = 0; tries < 100; tries++) {
			csw[i] = again;
			usleep(20000);
			ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
			again = nvcsw(pid[i]);
			if (again == csw[i])
				break;
		}
		ASSERT_GE(csw[i], 0);
		ASSERT_EQ(again, csw[i]);
	}
}

TEST_F(mb, recv_blocks_until_send)
{
	struct kmbox_stat st;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(recv_expect(self->rcv, "hello", 5));
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 1, 0));
	ASSERT_TRUE(alive(pid));

	ASSERT_EQ(5, kmbox_test_send(self->snd, "hello", 5, 0, 0));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
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

	pid = kmbox_test_spawn(&self->kids);
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
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_F(mb, read_blocks_until_write)
{
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char buf[MSG_SIZE];
		int n = kmbox_test_read(self->rcv, buf, sizeof(buf));

		_exit(n == 3 && !memcmp(buf, "abc", 3) ? 0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 1, 0));
	ASSERT_EQ(3, kmbox_test_write(self->snd, "abc", 3));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_F(mb, send_blocks_until_recv)
{
	char buf[MSG_SIZE];
	pid_t pid;

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_send(self->snd, "late", 4, 0, 0);

		_exit(n == 4 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 0, 1));
	ASSERT_TRUE(alive(pid));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('0', buf[0]);
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));

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

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_write(self->snd, "w", 1);

		_exit(n == 1 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 0, 1));
	ASSERT_EQ(1, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));
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
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_send(fd, buf, 100, 0, 0);

		_exit(n == 100 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(fd, pid, 0, 1));
	ASSERT_EQ(2, kmbox_test_queued(fd));
	ASSERT_EQ(100, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(2, kmbox_test_queued(fd));
	close(fd);
}

/* A sleeping receiver whose buffer is too small: EMSGSIZE, nothing lost. */
TEST_F(mb, woken_receiver_small_buffer_emsgsize)
{
	char buf[MSG_SIZE];
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kmbox_msg m;
		int n = kmbox_test_recv(self->rcv, buf, 4, 0, &m);

		_exit(n == -EMSGSIZE && m.msg_len == 10 ? 0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 1, 0));
	ASSERT_EQ(10, kmbox_test_send(self->snd, "0123456789", 10, 0, 0));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
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
	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->rw, "x", 1, 7, KMBOX_DONTWAIT));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));
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
	ASSERT_EQ(-EAGAIN, kmbox_test_read(nr, buf, sizeof(buf)));

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(ns, "x", 1, 0, 0));
	ASSERT_EQ(-EAGAIN, kmbox_test_write(ns, "x", 1));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));

	ASSERT_EQ(1, kmbox_test_read(nr, buf, sizeof(buf)));
	ASSERT_EQ(1, kmbox_test_write(ns, "y", 1));
	close(nr);
	close(ns);
}

/* fcntl(F_SETFL) turns O_NONBLOCK on and off; other fds are unaffected. */
TEST_F(mb, fcntl_nonblock)
{
	char buf[MSG_SIZE];
	int fl;

	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_FALSE(fl & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EAGAIN, kmbox_test_read(self->rcv, buf, sizeof(buf)));

	/* The other descriptor still waits (shown by a short timeout). */
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->rw, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       1000000, NULL));

	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl));
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->rcv, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       1000000, NULL));

	/* Send side. */
	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	fl = fcntl(self->snd, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_EQ(0, fcntl(self->snd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(-EAGAIN, kmbox_test_write(self->snd, "x", 1));
	ASSERT_EQ(0, fcntl(self->snd, F_SETFL, fl));
	ASSERT_EQ(-ETIMEDOUT, kmbox_test_timed(self->snd, KMBOX_IOC_SEND, "x",
					       1, KMBOX_TIMEOUT, 1000000,
					       NULL));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));
}

/* O_NONBLOCK set while a receiver sleeps does not disturb it. */
TEST_F(mb, nonblock_set_during_sleep)
{
	int fl;
	pid_t pid;

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(recv_expect(self->rcv, "late", 4));
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid, 1, 0));
	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(4, kmbox_test_send(self->snd, "late", 4, 0, 0));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
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

	sleeping_receivers(_metadata, self, pid, 3);
	sleepers_nvcsw(_metadata, pid, csw, 3);

	ASSERT_EQ(1, kmbox_test_send(self->snd, "\1", 1, 0, 0));
	code = kmbox_test_kids_reap(&self->kids, -1, &who);
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
		code = kmbox_test_kids_reap(&self->kids, -1, NULL);
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

	sleeping_receivers(_metadata, self, pid, 3);
	for (i = 0; i < 3; i++) {
		char c = 10 + i;

		ASSERT_EQ(1, kmbox_test_send(self->snd, &c, 1, 0, 0));
		ASSERT_EQ(c, kmbox_test_kids_reap(&self->kids, -1, &who));
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

	ASSERT_EQ(0, kmbox_test_fill(self->snd, MAX_MSGS));
	for (i = 0; i < 3; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char c = 'a' + i;
			int n = kmbox_test_send(self->snd, &c, 1, 0, 0);

			_exit(n == 1 ? 10 + i : errcode(n));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid[i], 0, i + 1));
	}
	sleepers_nvcsw(_metadata, pid, csw, 3);

	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('0', buf[0]);
	ASSERT_EQ(10, kmbox_test_kids_reap(&self->kids, -1, &who));
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
		ASSERT_EQ(10 + i, kmbox_test_kids_reap(&self->kids, -1, &who));
		EXPECT_EQ(pid[i], who);
	}
	/* Queue order: '1' then the senders' messages in their order. */
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('b', buf[0]);
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('c', buf[0]);
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
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
	int n;

	a = kmbox_test_spawn(&self->kids);
	ASSERT_GE(a, 0);
	if (a == 0) {
		char buf[MSG_SIZE];

		switch (how) {
		case PEEKS:
			_exit(recv_peek_expect(self->rcv, buf));
		case SMALL_BUFFER:
			n = kmbox_test_recv(self->rcv, buf, 4, 0, NULL);
			_exit(kmbox_test_verdict(n, -EMSGSIZE));
		case BAD_BUFFER:
			n = kmbox_test_recv(self->rcv, kmbox_test_unmapped(),
					    MSG_SIZE, 0, NULL);
			_exit(kmbox_test_verdict(n, -EFAULT));
		}
		_exit(BAD);
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, a, 1, 0));

	b = kmbox_test_spawn(&self->kids);
	ASSERT_GE(b, 0);
	if (b == 0) {
		char buf[MSG_SIZE];
		__u64 t;

		n = kmbox_test_timed(self->rcv, KMBOX_IOC_RECV, buf,
				     sizeof(buf), KMBOX_TIMEOUT, PASS_ON_NS,
				     &t);
		/* Got it only when its own timeout came: nobody woke it. */
		if (n >= 0 && t >= PASS_ON_NS)
			_exit(BAD + 5);
		_exit(n == 10 && !memcmp(buf, "0123456789", 10) ?
		      0 : errcode(n));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, b, 2, 0));

	ASSERT_EQ(10, kmbox_test_send(self->snd, "0123456789", 10, 0, 0));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, a, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, b, NULL)) {
		TH_LOG("the second receiver slept on with a message queued");
	}
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
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
	char buf[MSG_SIZE] = { 0 };
	__u64 t;
	int n;

	n = kmbox_test_timed(fd, KMBOX_IOC_SEND, buf, len, KMBOX_TIMEOUT,
			     PASS_ON_NS, &t);
	if (n >= 0 && t >= PASS_ON_NS)
		return BAD + 5;
	return kmbox_test_verdict(n, len);
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
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			_exit(send_promptly(fd, MSG_SIZE / 4));
		ASSERT_EQ(0, kmbox_test_sleeping(fd, pid[i], 0, i + 1));
	}
	ASSERT_EQ(MSG_SIZE, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[i], NULL)) {
			TH_LOG("sender %d slept on although its message fit", i);
		}
	}
	ASSERT_EQ(2, kmbox_test_queued(fd));
	close(fd);
}

TEST_HARNESS_MAIN
