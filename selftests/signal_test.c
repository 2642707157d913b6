// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and sleeping sends and receives: a handler without SA_RESTART
 * makes the call fail with EINTR; with SA_RESTART an untimed call or one
 * with an absolute deadline restarts, one with a relative timeout fails
 * with EINTR; a blocked signal interrupts nothing; a task killed while it
 * sleeps leaves the mailbox as it was, even when it is served as it dies.
 *
 * Each case runs in a child whose SIGUSR1 handler writes a byte to a
 * pipe, so that the test knows when the handler has run.
 */
#include <signal.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define NSEC		1000000000ull
#define BAD		KMBOX_TEST_BAD
#define ROUNDS		50	/* of a race between a kill and a hand-off */

static volatile sig_atomic_t handled;
static int note_fd = -1;

static void on_usr1(int sig)
{
	handled++;
	if (write(note_fd, "s", 1) != 1)
		handled += 100;
}

/* In a child: SIGUSR1 runs on_usr1, with SA_RESTART if @restart. */
static int catch_usr1(int restart)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	return sigaction(SIGUSR1, &sa, NULL);
}

/* A child's exit code: 0 if @ret is @want and the handler ran @n times. */
static int verdict(int ret, int want, int n)
{
	if (ret != want)
		return kmbox_test_verdict(ret, want);
	return handled == n ? 0 : BAD + 2;
}

FIXTURE(mb) {
	int fd;		/* send and receive; one message fills it */
	int note[2];	/* the child's handler writes to note[1] */
	pid_t kid[2];
};

FIXTURE_SETUP(mb)
{
	struct kmbox_attr attr = { .max_msgs = 1, .max_msg_size = MSG_SIZE };

	self->fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, pipe2(self->note, O_CLOEXEC));
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill(&self->kid[0]);
	kmbox_test_kill(&self->kid[1]);
	close(self->note[0]);
	if (self->note[1] >= 0)
		close(self->note[1]);
	close(self->fd);
}

/*
 * fork() child @i; in the child, SIGUSR1 is caught (with SA_RESTART if
 * @restart) and notes go to the pipe.  The parent keeps no write end, so
 * a note read gives 0 once the child is gone.
 */
static pid_t spawn(FIXTURE_DATA(mb) *self, int i, int restart)
{
	pid_t pid = fork();

	if (pid == 0) {
		note_fd = self->note[1];
		if (catch_usr1(restart))
			_exit(BAD + 3);
		return 0;
	}
	if (pid > 0) {
		self->kid[i] = pid;
		if (self->note[1] >= 0 && i == 0) {
			close(self->note[1]);
			self->note[1] = -1;
		}
	}
	return pid;
}

/* Waits for the child's handler to have run: 1, or 0 if it never will. */
static int note_read(FIXTURE_DATA(mb) *self)
{
	char c;

	return read(self->note[0], &c, 1);
}

static int blocked(int fd, unsigned int *recvs, unsigned int *sends)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	*recvs = st.blocked_receivers;
	*sends = st.blocked_senders;
	return 0;
}

/* Child 0 sleeps, STAT counting @recvs and @sends: send it @sig. */
static void signal_sleeper(struct __test_metadata *_metadata,
			   FIXTURE_DATA(mb) *self, int sig, unsigned int recvs,
			   unsigned int sends)
{
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], recvs, sends));
	ASSERT_EQ(0, kill(self->kid[0], sig));
}

/* SIGUSR1 to child 0: its handler runs, it sleeps again (restarted). */
static void interrupt_restarts(struct __test_metadata *_metadata,
			       FIXTURE_DATA(mb) *self, unsigned int recvs,
			       unsigned int sends)
{
	signal_sleeper(_metadata, self, SIGUSR1, recvs, sends);
	ASSERT_EQ(1, note_read(self));
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], recvs, sends));
}

TEST_F(mb, recv_eintr)
{
	unsigned int r, s;
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_recv(self->fd, buf, sizeof(buf), 0,
					      NULL), -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 1, 0);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
	ASSERT_EQ(0, blocked(self->fd, &r, &s));
	ASSERT_EQ(0, r);
	/* Nothing was taken or lost. */
	ASSERT_EQ(1, kmbox_test_send(self->fd, "x", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
}

TEST_F(mb, read_eintr)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_read(self->fd, buf, sizeof(buf)),
			      -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 1, 0);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

TEST_F(mb, send_eintr)
{
	unsigned int r, s;
	char buf[MSG_SIZE];

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_send(self->fd, "2", 1, 0, 0),
			      -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 0, 1);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
	ASSERT_EQ(0, blocked(self->fd, &r, &s));
	ASSERT_EQ(0, s);
	/* Only the first message is there. */
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('1', buf[0]);
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->fd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

TEST_F(mb, write_eintr)
{
	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_write(self->fd, "2", 1), -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 0, 1);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/* A timed wait is interrupted as well, before its time. */
TEST_F(mb, timed_recv_eintr)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME,
					       kmbox_test_now_ns() + 30 * NSEC,
					       NULL), -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 1, 0);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/* SA_RESTART: an untimed receive restarts and gets the later message. */
TEST_F(mb, recv_restarts)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0]) {
		int n = kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL);

		if (n == 5 && memcmp(buf, "after", 5))
			n = BAD;
		_exit(verdict(n, 5, 1));
	}
	interrupt_restarts(_metadata, self, 1, 0);
	ASSERT_EQ(5, kmbox_test_send(self->fd, "after", 5, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

TEST_F(mb, read_restarts)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_read(self->fd, buf, sizeof(buf)),
			      5, 1));
	interrupt_restarts(_metadata, self, 1, 0);
	ASSERT_EQ(5, kmbox_test_send(self->fd, "after", 5, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

TEST_F(mb, send_restarts)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_send(self->fd, "2", 1, 0, 0), 1, 1));
	interrupt_restarts(_metadata, self, 0, 1);
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('1', buf[0]);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('2', buf[0]);
}

/* SA_RESTART: a call with an absolute deadline restarts too. */
TEST_F(mb, absolute_deadline_restarts)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_ABSTIME,
					       kmbox_test_now_ns() + 30 * NSEC,
					       NULL), 5, 1));
	interrupt_restarts(_metadata, self, 1, 0);
	ASSERT_EQ(5, kmbox_test_send(self->fd, "after", 5, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/*
 * SA_RESTART: an absolute deadline that passes after the restart.  The
 * signal must come before the deadline: 3 s leave room for a stalled
 * vCPU between the fork and the kill.
 */
TEST_F(mb, absolute_deadline_restarts_then_times_out)
{
	char buf[MSG_SIZE];
	__u64 deadline = kmbox_test_now_ns() + 3 * NSEC;

	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0]) {
		int n = kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					 sizeof(buf), KMBOX_ABSTIME, deadline,
					 NULL);

		if (n == -ETIMEDOUT && kmbox_test_now_ns() < deadline)
			n = BAD;
		_exit(verdict(n, -ETIMEDOUT, 1));
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid[0]));
	ASSERT_EQ(0, kill(self->kid[0], SIGUSR1));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/* SA_RESTART: a relative timeout is never restarted. */
TEST_F(mb, relative_timeout_not_restarted)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       30 * NSEC, NULL), -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 1, 0);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/*
 * A stop and continue runs no handler: even a call with a relative
 * timeout restarts, and gets the message sent afterwards.
 */
TEST_F(mb, relative_timeout_restarted_after_stop)
{
	char buf[MSG_SIZE];
	int status;

	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf,
					       sizeof(buf), KMBOX_TIMEOUT,
					       30 * NSEC, NULL), 1, 0));
	signal_sleeper(_metadata, self, SIGSTOP, 1, 0);
	ASSERT_EQ(self->kid[0], waitpid(self->kid[0], &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(self->kid[0], SIGCONT));
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], 1, 0));
	ASSERT_EQ(1, kmbox_test_send(self->fd, "x", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

TEST_F(mb, relative_timeout_send_not_restarted)
{
	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	ASSERT_GE(spawn(self, 0, 1), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_timed(self->fd, KMBOX_IOC_SEND, "2",
					       1, KMBOX_TIMEOUT, 30 * NSEC,
					       NULL), -EINTR, 1));
	signal_sleeper(_metadata, self, SIGUSR1, 0, 1);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/* A blocked signal stays pending and interrupts nothing. */
TEST_F(mb, blocked_signal_does_not_interrupt)
{
	char buf[MSG_SIZE];

	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0]) {
		sigset_t pend;
		int n;

		if (kmbox_test_block_signal(SIGUSR1))
			_exit(BAD + 4);
		n = kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL);
		if (sigpending(&pend) || !sigismember(&pend, SIGUSR1))
			_exit(BAD + 5);
		_exit(verdict(n, 1, 0));
	}
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], 1, 0));
	/* kill() returns once the signal is pending. */
	ASSERT_EQ(0, kill(self->kid[0], SIGUSR1));
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], 1, 0));
	ASSERT_EQ(1, kmbox_test_send(self->fd, "b", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[0]));
}

/* SIGKILL of a sleeping receiver: the mailbox goes on as before. */
TEST_F(mb, sigkill_blocked_receiver)
{
	struct kmbox_stat before, after;
	char buf[MSG_SIZE];

	ASSERT_EQ(0, kmbox_test_stat(self->fd, &before));
	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_recv(self->fd, buf, sizeof(buf), 0,
					      NULL), 1, 0));
	signal_sleeper(_metadata, self, SIGKILL, 1, 0);
	ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));

	ASSERT_EQ(0, kmbox_test_stat(self->fd, &after));
	ASSERT_EQ(0, after.blocked_receivers);
	ASSERT_EQ(0, after.blocked_senders);
	ASSERT_EQ(0, after.msgs);
	ASSERT_EQ(before.receivers, after.receivers);
	ASSERT_EQ(before.senders, after.senders);
	ASSERT_EQ(0, after.received);

	ASSERT_EQ(4, kmbox_test_send(self->fd, "next", 4, 3, 0));
	ASSERT_EQ(4, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "next", 4));
}

/* SIGKILL of a sleeping sender: its message never arrives. */
TEST_F(mb, sigkill_blocked_sender)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	ASSERT_EQ(5, kmbox_test_send(self->fd, "first", 5, 2, 0));
	ASSERT_GE(spawn(self, 0, 0), 0);
	if (!self->kid[0])
		_exit(verdict(kmbox_test_send(self->fd, "never", 5, 0, 0),
			      5, 0));
	signal_sleeper(_metadata, self, SIGKILL, 0, 1);
	ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));

	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	ASSERT_EQ(0, st.blocked_senders);
	ASSERT_EQ(1, st.msgs);
	ASSERT_EQ(5, st.bytes);
	ASSERT_EQ(1, st.sent);

	ASSERT_EQ(5, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "first", 5));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->fd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(5, kmbox_test_send(self->fd, "again", 5, 0, KMBOX_DONTWAIT));
}

/*
 * The first of two sleeping receivers is killed: the next message goes
 * to the second, not to the dead one's stale place in line.
 */
TEST_F(mb, sigkill_first_receiver_next_served)
{
	char buf[MSG_SIZE];
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_GE(spawn(self, i, 0), 0);
		if (!self->kid[i])
			_exit(verdict(kmbox_test_recv(self->fd, buf,
						      sizeof(buf), 0, NULL),
				      1, 0));
		ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[i],
						 i + 1, 0));
	}
	ASSERT_EQ(0, kill(self->kid[0], SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[1], 1, 0));
	ASSERT_EQ(1, kmbox_test_send(self->fd, "n", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[1]));
}

/* Likewise for two sleeping senders. */
TEST_F(mb, sigkill_first_sender_next_served)
{
	char buf[MSG_SIZE];
	int i;

	ASSERT_EQ(1, kmbox_test_send(self->fd, "0", 1, 0, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_GE(spawn(self, i, 0), 0);
		if (!self->kid[i]) {
			char c = '1' + i;

			_exit(verdict(kmbox_test_send(self->fd, &c, 1, 0, 0),
				      1, 0));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[i],
						 0, i + 1));
	}
	ASSERT_EQ(0, kill(self->kid[0], SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));
	ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[1], 0, 1));
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('0', buf[0]);
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid[1]));
	ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ('2', buf[0]);
}

/*
 * kill() returns with SIGKILL pending on a sleeping receiver, and the
 * send that follows may still find it in line and hand it the message
 * before it leaves: the dying task must give the message back.  Tried
 * many times, since which of the two comes first is a race.
 */
TEST_F(mb, sigkill_then_send_loses_nothing)
{
	char buf[MSG_SIZE];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		ASSERT_GE(spawn(self, 0, 0), 0);
		if (!self->kid[0])
			_exit(verdict(kmbox_test_recv(self->fd, buf,
						      sizeof(buf), 0, NULL),
				      1, 0));
		ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], 1, 0));
		ASSERT_EQ(0, kill(self->kid[0], SIGKILL));
		ASSERT_EQ(1, kmbox_test_send(self->fd, "m", 1, 0, 0));
		ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));
		ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf),
					     KMBOX_DONTWAIT, NULL)) {
			TH_LOG("round %d: the killed receiver took the message", i);
		}
	}
}

/*
 * Likewise for a sleeping sender given room just after SIGKILL: its
 * message never arrives.
 */
TEST_F(mb, sigkill_then_room_sends_nothing)
{
	char buf[MSG_SIZE];
	int i;

	ASSERT_EQ(1, kmbox_test_send(self->fd, "0", 1, 0, 0));
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_GE(spawn(self, 0, 0), 0);
		if (!self->kid[0])
			_exit(verdict(kmbox_test_send(self->fd, "x", 1, 0, 0),
				      1, 0));
		ASSERT_EQ(0, kmbox_test_sleeping(self->fd, self->kid[0], 0, 1));
		ASSERT_EQ(0, kill(self->kid[0], SIGKILL));
		ASSERT_EQ(1, kmbox_test_recv(self->fd, buf, sizeof(buf), 0,
					     NULL));
		ASSERT_EQ('0', buf[0]);
		ASSERT_EQ(1000 + SIGKILL, kmbox_test_reap_kid(&self->kid[0]));
		ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->fd, buf, sizeof(buf),
						   KMBOX_DONTWAIT, NULL)) {
			TH_LOG("round %d: the killed sender's message arrived", i);
		}
		ASSERT_EQ(1, kmbox_test_send(self->fd, "0", 1, 0,
					     KMBOX_DONTWAIT));
	}
}

TEST_HARNESS_MAIN
