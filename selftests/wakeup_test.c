// SPDX-License-Identifier: GPL-2.0
/*
 * No wake-up is lost, whatever the mix of sizes, timeouts, signals and
 * attribute changes.  A waiting sender whose message fits in the room a
 * receive makes gets in, even when a sender ahead of it does not fit;
 * SET_ATTR wakes the senders and pollers its change concerns; and a
 * stress mixes all of it and fails if any call waits until its own
 * timeout, which is how a lost wake-up shows.
 *
 * Each waiting child has a timeout of PROMPT_NS: a wake-up that came
 * finishes it well within that; one that was lost ends in its timeout.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define BAD		KMBOX_TEST_BAD
#define PROMPT_NS	(10 * 1000000000ull)

/* Child: send @len bytes, waiting at most PROMPT_NS, and need less. */
static int send_promptly(int fd, size_t len, int want)
{
	char buf[256] = { 0 };
	__u64 t;
	int n;

	memset(buf, (int)len, sizeof(buf));
	n = kmbox_test_timed(fd, KMBOX_IOC_SEND, buf, len, KMBOX_TIMEOUT,
			     PROMPT_NS, &t);
	if (t >= PROMPT_NS)
		return BAD + 5;
	return kmbox_test_verdict(n, want);
}

FIXTURE(mb) {
	char name[64];
	int rw;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(mb)
{
	/* Two messages, 100 bytes in all, 60 at most each. */
	struct kmbox_attr attr = {
		.max_msgs = 2, .max_msg_size = 60, .max_bytes = 100,
	};

	kmbox_test_name(self->name, sizeof(self->name), "wakeup");
	self->rw = kmbox_test_create(self->name, &attr, KMBOX_EXCL);
	ASSERT_GE(self->rw, 0);
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill_kids(&self->kids);
	close(self->rw);
	kmbox_test_unlink(self->name);
}

/* A child that sends @len bytes and must not wait until its timeout. */
static pid_t sender(FIXTURE_DATA(mb) *self, size_t len, int want)
{
	pid_t pid = kmbox_test_spawn(&self->kids);

	if (pid == 0)
		_exit(send_promptly(self->rw, len, want));
	return pid;
}

/* Receive one message; its length, or -errno. */
static int recv1(int fd, char *first)
{
	char buf[256];
	int n;

	n = kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
	if (n > 0 && first)
		*first = buf[0];
	return n;
}

/*
 * The case of the report: 40 + 55 bytes queued; A waits to send 50, then
 * B to send 30.  Receiving the 40 makes room for B, not for A: B gets in
 * at once, A waits on until the 55 goes too.
 */
TEST_F(mb, smaller_later_sender_gets_the_room)
{
	char buf[64] = { 0 };
	struct kmbox_stat st;
	pid_t a, b;
	char c;

	ASSERT_EQ(40, kmbox_test_send(self->rw, buf, 40, 0, 0));
	ASSERT_EQ(55, kmbox_test_send(self->rw, buf, 55, 0, 0));
	a = sender(self, 50, 50);
	ASSERT_GE(a, 0);
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, a, 0, 1));
	b = sender(self, 30, 30);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, b, 0, 2));

	ASSERT_EQ(40, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, b, NULL)) {
		TH_LOG("the sender that fitted slept on behind one that did not");
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(a));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(1, st.blocked_senders);
	EXPECT_EQ(85, st.bytes);

	ASSERT_EQ(55, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, a, NULL));
	/* In the order they got in. */
	EXPECT_EQ(30, recv1(self->rw, &c));
	EXPECT_EQ(30, c);
	EXPECT_EQ(50, recv1(self->rw, &c));
	EXPECT_EQ(50, c);
}

/*
 * Room for two of three waiting senders: the two that fit get in, and
 * the one that does not keeps waiting.  The two were given room by the
 * same receive and copy their messages in at once: either may be queued
 * first, as for any two senders at the same time.
 */
TEST_F(mb, every_sender_that_fits_gets_in)
{
	struct kmbox_attr attr = { .max_msgs = 4 };
	size_t len[3] = { 50, 20, 15 };
	char buf[64] = { 0 };
	pid_t pid[3];
	int i, got = 0;
	char c;

	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &attr));
	ASSERT_EQ(40, kmbox_test_send(self->rw, buf, 40, 0, 0));
	ASSERT_EQ(60, kmbox_test_send(self->rw, buf, 60, 0, 0));
	for (i = 0; i < 3; i++) {
		pid[i] = sender(self, len[i], len[i]);
		ASSERT_GE(pid[i], 0);
		ASSERT_EQ(0, kmbox_test_sleeping(self->rw, pid[i], 0, i + 1));
	}
	/* 40 bytes free: 20 and 15 fit, 50 does not. */
	ASSERT_EQ(40, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[1], NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[2], NULL));
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[0]));
	ASSERT_EQ(60, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[0], NULL));
	for (i = 0; i < 2; i++) {
		int n = recv1(self->rw, &c);

		EXPECT_TRUE(n == (int)len[1] || n == (int)len[2]) {
			TH_LOG("message %d: %d bytes", i, n);
		}
		EXPECT_EQ(n, c);
		got |= n == (int)len[1] ? 1 : 2;
	}
	EXPECT_EQ(3, got);
	EXPECT_EQ((int)len[0], recv1(self->rw, &c));
	EXPECT_EQ((int)len[0], c);
}

/*
 * SET_ATTR lowers max_msg_size below a waiting sender's message: the
 * sender fails with EMSGSIZE at once, not at its timeout, and one whose
 * message still fits waits on.
 */
TEST_F(mb, shrink_fails_waiting_sender_with_emsgsize)
{
	struct kmbox_attr attr = { .max_msg_size = 45 };
	char buf[64] = { 0 };
	pid_t big, small;

	ASSERT_EQ(60, kmbox_test_send(self->rw, buf, 60, 0, 0));
	ASSERT_EQ(40, kmbox_test_send(self->rw, buf, 40, 0, 0));
	big = sender(self, 50, -EMSGSIZE);
	ASSERT_GE(big, 0);
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, big, 0, 1));
	small = sender(self, 30, 30);
	ASSERT_GE(small, 0);
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, small, 0, 2));

	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &attr));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, big, NULL)) {
		TH_LOG("the sender of a message now too long was not woken");
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(small));
	ASSERT_EQ(60, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, small, NULL));
}

/*
 * SET_ATTR changes what EPOLLOUT means: with 60 bytes of 100 queued, a
 * message of max_msg_size (60) does not fit, but one of the new
 * max_msg_size (40) does.  A poller waiting for EPOLLOUT, level or edge
 * triggered, must be woken by the change.
 */
static void shrink_wakes_poller(struct __test_metadata *_metadata,
				FIXTURE_DATA(mb) *self, __u32 trigger)
{
	struct kmbox_attr attr = { .max_msg_size = 40 };
	struct epoll_event ev = { .events = EPOLLOUT | trigger };
	char buf[64] = { 0 };
	int epfd, n;
	pid_t pid;

	ASSERT_EQ(60, kmbox_test_send(self->rw, buf, 60, 0, 0));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, self->rw, &ev));
	ASSERT_EQ(0, epoll_wait(epfd, &ev, 1, 0));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		__u64 t = kmbox_test_now_ns();

		n = epoll_wait(epfd, &ev, 1, PROMPT_NS / 1000000);
		t = kmbox_test_now_ns() - t;
		if (t >= PROMPT_NS)
			_exit(BAD + 5);
		_exit(n == 1 && ev.events & EPOLLOUT ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &attr));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL)) {
		TH_LOG("the EPOLLOUT poller was not woken by the change");
	}
	close(epfd);
}

TEST_F(mb, shrink_wakes_epollout_poller)
{
	shrink_wakes_poller(_metadata, self, 0);
}

TEST_F(mb, shrink_wakes_epollout_edge_poller)
{
	shrink_wakes_poller(_metadata, self, EPOLLET);
}

/*
 * A waiting sender that leaves at its timeout leaves the line: the
 * sender behind it gets the next room at once.  The first one's timeout
 * (1 s) must not pass before the second is seen waiting behind it.
 */
TEST_F(mb, sender_leaving_at_timeout_leaves_the_line)
{
	char buf[64] = { 0 };
	pid_t a, b;
	int n;

	ASSERT_EQ(60, kmbox_test_send(self->rw, buf, 60, 0, 0));
	ASSERT_EQ(40, kmbox_test_send(self->rw, buf, 40, 0, 0));
	a = kmbox_test_spawn(&self->kids);
	ASSERT_GE(a, 0);
	if (a == 0) {
		n = kmbox_test_timed(self->rw, KMBOX_IOC_SEND, buf, 40,
				     KMBOX_TIMEOUT, 1000000000ull, NULL);
		_exit(kmbox_test_verdict(n, -ETIMEDOUT));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, a, 0, 1));
	b = sender(self, 40, 40);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, kmbox_test_sleeping(self->rw, b, 0, 2));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, a, NULL));
	ASSERT_EQ(60, recv1(self->rw, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, b, NULL));
}

/*
 * The stress: senders of random sizes, receivers with buffers sometimes
 * too small, peeks and batches, SET_ATTR changing max_bytes and
 * max_msg_size, and signals, all for KMBOX_STRESS_SECS.  Every call has
 * a PROMPT_NS timeout: since receivers keep draining, none may reach
 * it.  At the end every message sent was received exactly once, whole,
 * in each sender's order.
 */
#define STRESS_SENDERS		4
#define STRESS_RECEIVERS	2
#define STRESS_MAX		120

struct stress {
	int rw;
	__u64 deadline;
	__u32 sent[STRESS_SENDERS];		/* by each sender */
	__u32 received[STRESS_SENDERS];		/* of each sender's */
	__u32 timeouts;				/* calls that hit theirs */
	__u32 corrupt;				/* bad payloads, bad order */
	__u32 ops;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static int stress_sender(struct stress *sh, int id)
{
	unsigned char buf[8 + STRESS_MAX];
	unsigned int seed = id + 1;
	__u32 seq = 0;
	__u64 t;
	int n;

	while (kmbox_test_now_ns() < sh->deadline) {
		__u32 len = 8 + rand_r(&seed) % (STRESS_MAX - 8 + 1);

		memcpy(buf, &id, 4);
		memcpy(buf + 4, &seq, 4);
		kmbox_test_payload(buf + 8, len - 8, id, seq);
		do {
			n = kmbox_test_timed(sh->rw, KMBOX_IOC_SEND, buf, len,
					     KMBOX_TIMEOUT, PROMPT_NS, &t);
		} while (n == -EINTR);
		if (n == -ETIMEDOUT)
			__atomic_add_fetch(&sh->timeouts, 1, __ATOMIC_RELAXED);
		if (n == -EMSGSIZE)	/* max_msg_size was lowered */
			continue;
		if (n != (int)len)
			return n < 0 ? -n : BAD + 1;
		sh->sent[id] = ++seq;
		__atomic_add_fetch(&sh->ops, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * Check one received message: whole, and after the last one this
 * receiver had from its sender (@next: what each sender's next may be at
 * the least; receivers share the stream, so each sees a subsequence).
 */
static void stress_check(struct stress *sh, __u32 *next,
			 const unsigned char *buf, int n)
{
	unsigned char want[STRESS_MAX];
	__u32 id, seq;

	memcpy(&id, buf, 4);
	memcpy(&seq, buf + 4, 4);
	if (n >= 8 && id < STRESS_SENDERS)
		kmbox_test_payload(want, n - 8, id, seq);
	if (n < 8 || id >= STRESS_SENDERS || memcmp(buf + 8, want, n - 8) ||
	    seq < next[id]) {
		__atomic_add_fetch(&sh->corrupt, 1, __ATOMIC_RELAXED);
		return;
	}
	next[id] = seq + 1;
	__atomic_add_fetch(&sh->received[id], 1, __ATOMIC_RELAXED);
}

static int stress_receiver(struct stress *sh, int id)
{
	unsigned char bufs[4][STRESS_MAX];
	struct kmbox_msg m[4];
	struct kmbox_msgv v = { .msgs = (__u64)(unsigned long)m, .count = 4,
				.flags = KMBOX_WAITFORONE | KMBOX_TIMEOUT,
				.timeout_ns = PROMPT_NS };
	__u32 next[STRESS_SENDERS] = { 0 };
	unsigned int seed = 100 + id;
	int n, i;

	for (;;) {
		switch (rand_r(&seed) % 4) {
		case 0:		/* too small a buffer, then the right one */
			n = kmbox_test_timed(sh->rw, KMBOX_IOC_RECV, bufs[0], 8,
					     KMBOX_TIMEOUT, PROMPT_NS, NULL);
			if (n != -EMSGSIZE)
				break;
			/* fall through */
		case 1:
			n = kmbox_test_timed(sh->rw, KMBOX_IOC_RECV, bufs[0],
					     STRESS_MAX, KMBOX_TIMEOUT,
					     PROMPT_NS, NULL);
			break;
		case 2:		/* a peek, which takes nothing */
			n = kmbox_test_timed(sh->rw, KMBOX_IOC_RECV, bufs[0],
					     STRESS_MAX,
					     KMBOX_TIMEOUT | KMBOX_PEEK,
					     PROMPT_NS, NULL);
			if (n >= 0)
				continue;
			break;
		default:
			memset(m, 0, sizeof(m));
			for (i = 0; i < 4; i++) {
				m[i].buf = (__u64)(unsigned long)bufs[i];
				m[i].len = STRESS_MAX;
			}
			n = kmbox_test_ioctl(sh->rw, KMBOX_IOC_RECVV, &v);
			for (i = 0; i < n; i++)
				stress_check(sh, next, bufs[i], m[i].msg_len);
			if (n > 0)
				continue;
			break;
		}
		if (n == -EPIPE)	/* the shutdown at the end */
			return 0;
		if (n == -ETIMEDOUT)
			__atomic_add_fetch(&sh->timeouts, 1, __ATOMIC_RELAXED);
		else if (n >= 0)
			stress_check(sh, next, bufs[0], n);
		else if (n != -EINTR && n != -EMSGSIZE)
			return -n;
	}
}

TEST_F(mb, stress_no_lost_wakeup)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pid_t pid[STRESS_SENDERS + STRESS_RECEIVERS];
	struct kmbox_attr attr = { .max_msgs = 8, .max_msg_size = STRESS_MAX,
				   .max_bytes = 300 };
	unsigned int seed = 7, i;
	__u32 sent = 0, received = 0;
	struct stress *sh;
	int status;

	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &attr));
	/* No SA_RESTART: a signal makes the call fail with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	sh->rw = self->rw;
	sh->deadline = kmbox_test_now_ns() +
		       kmbox_test_stress_secs() * 1000000000ull;
	for (i = 0; i < STRESS_SENDERS + STRESS_RECEIVERS; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0)
			_exit(i < STRESS_SENDERS ?
			      stress_sender(sh, i) :
			      stress_receiver(sh, i - STRESS_SENDERS));
	}
	while (kmbox_test_now_ns() < sh->deadline) {
		struct kmbox_attr a = { 0 };

		/* Room grows and shrinks; so does the largest message. */
		if (rand_r(&seed) % 2)
			a.max_bytes = rand_r(&seed) % 2 ? 300 : 180;
		else
			a.max_msg_size = rand_r(&seed) % 2 ? STRESS_MAX : 60;
		/* EBUSY when less room than what is held: fine. */
		kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &a);
		kill(pid[rand_r(&seed) % (STRESS_SENDERS + STRESS_RECEIVERS)],
		     SIGUSR1);
		usleep(2000 + rand_r(&seed) % 3000);
	}
	for (i = 0; i < STRESS_SENDERS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* Senders done: the receivers drain, then see end-of-stream. */
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	for (; i < STRESS_SENDERS + STRESS_RECEIVERS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < STRESS_SENDERS; i++) {
		sent += sh->sent[i];
		received += sh->received[i];
		EXPECT_EQ(sh->sent[i], sh->received[i]);
	}
	TH_LOG("%u messages sent, %u received, %u operations", sent,
	       received, sh->ops);
	EXPECT_EQ(0, sh->timeouts) {
		TH_LOG("a call waited until its timeout: a lost wake-up");
	}
	EXPECT_EQ(0, sh->corrupt);
	EXPECT_EQ(0, kmbox_test_queued(self->rw));
	munmap(sh, sizeof(*sh));
}
KMBOX_TEST_STRESS_TIMEOUT(mb, stress_no_lost_wakeup)

TEST_HARNESS_MAIN
