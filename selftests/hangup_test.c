// SPDX-License-Identifier: GPL-2.0
/*
 * End of stream in a mailbox made with KMBOX_ATTR_HANGUP: once the last
 * descriptor with the send role is closed, receivers drain what is
 * queued and then see end-of-stream (read() 0, RECV EPIPE, EPOLLHUP);
 * once the last one with the receive role is closed, sending fails with
 * EPIPE and SIGPIPE (EPOLLERR).  Sleepers wake; a new descriptor of the
 * missing role ends the state; without the flag nothing of this happens.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define BAD		KMBOX_TEST_BAD

FIXTURE(hup) {
	char name[64];
	struct kmbox_attr attr;
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(hup)
{
	kmbox_test_name(self->name, sizeof(self->name), "hangup");
	self->attr.max_msgs = 4;
	self->attr.max_msg_size = MSG_SIZE;
	self->attr.flags = KMBOX_ATTR_HANGUP;
}

FIXTURE_TEARDOWN(hup)
{
	kmbox_test_kill_kids(&self->kids);
	kmbox_test_unlink(self->name);
}

/* Makes the mailbox; the creator's descriptor has roles @flags. */
static int make(FIXTURE_DATA(hup) *self, __u32 flags)
{
	return kmbox_test_create(self->name, &self->attr,
				 flags | KMBOX_EXCL | KMBOX_CLOEXEC);
}

static int another(FIXTURE_DATA(hup) *self, __u32 flags)
{
	return kmbox_test_open(self->name, flags | KMBOX_CLOEXEC);
}

/*
 * Makes the mailbox and a descriptor of each role: the creator's gets
 * role @first (with the other flags in it), then the other is opened.
 */
static void make_two(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hup) *self, __u32 first, int *rcv, int *snd)
{
	int recv_first = first & KMBOX_RECV;
	int *mine = recv_first ? rcv : snd, *other = recv_first ? snd : rcv;

	*mine = make(self, first);
	ASSERT_GE(*mine, 0);
	*other = another(self, recv_first ? KMBOX_SEND : KMBOX_RECV);
	ASSERT_GE(*other, 0);
}

static int recv_dontwait(int fd)
{
	char buf[MSG_SIZE];

	return kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
}

TEST_F(hup, drain_then_eof)
{
	struct kmbox_stat st;
	char buf[MSG_SIZE];
	int rcv, snd;

	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	ASSERT_EQ(5, kmbox_test_send(snd, "first", 5, 0, 0));
	ASSERT_EQ(6, kmbox_test_send(snd, "second", 6, 0, 0));
	ASSERT_EQ(0, kmbox_test_send(snd, "", 0, 0, 0));
	close(snd);
	ASSERT_EQ(0, kmbox_test_stat(rcv, &st));
	ASSERT_EQ(0, st.senders);
	ASSERT_EQ(3, st.msgs);

	/* What was queued is delivered first. */
	ASSERT_EQ(5, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "first", 5));
	ASSERT_EQ(6, kmbox_test_recv(rcv, buf, sizeof(buf), KMBOX_PEEK, NULL));
	ASSERT_EQ(6, kmbox_test_read(rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "second", 6));
	ASSERT_EQ(0, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));

	/* Then end-of-stream, for every kind of receive. */
	ASSERT_EQ(-EPIPE, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(rcv, buf, sizeof(buf),
					  KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(rcv, buf, sizeof(buf),
					  KMBOX_PEEK, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_timed(rcv, KMBOX_IOC_RECV, buf,
					   sizeof(buf), KMBOX_TIMEOUT,
					   30 * 1000000000ull, NULL));
	ASSERT_EQ(0, kmbox_test_read(rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_read(rcv, buf, sizeof(buf)));
	close(rcv);
}

/* A receiver with O_NONBLOCK also sees end-of-stream, not EAGAIN. */
TEST_F(hup, eof_beats_nonblock)
{
	char buf[MSG_SIZE];
	int rcv, snd;

	make_two(_metadata, self, KMBOX_RECV | KMBOX_NONBLOCK, &rcv, &snd);
	ASSERT_EQ(-EAGAIN, kmbox_test_read(rcv, buf, sizeof(buf)));
	close(snd);
	ASSERT_EQ(0, kmbox_test_read(rcv, buf, sizeof(buf)));
	ASSERT_EQ(-EPIPE, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	close(rcv);
}

/* The last of several send descriptions, duplicates included. */
TEST_F(hup, eof_only_after_last_sender)
{
	int rcv, snd1, snd2, dup1;

	rcv = make(self, KMBOX_RECV);
	ASSERT_GE(rcv, 0);
	snd1 = another(self, KMBOX_SEND);
	ASSERT_GE(snd1, 0);
	snd2 = another(self, KMBOX_SEND);
	ASSERT_GE(snd2, 0);
	dup1 = dup(snd1);
	ASSERT_GE(dup1, 0);

	close(snd1);
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	close(snd2);
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	close(dup1);
	ASSERT_EQ(-EPIPE, recv_dontwait(rcv));
	close(rcv);
}

/* A descriptor with both roles is a sender too. */
TEST_F(hup, both_roles_fd_counts_as_sender)
{
	int rw, rcv;

	rw = make(self, 0);
	ASSERT_GE(rw, 0);
	rcv = another(self, KMBOX_RECV);
	ASSERT_GE(rcv, 0);
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	close(rw);
	ASSERT_EQ(-EPIPE, recv_dontwait(rcv));
	close(rcv);
}

/* Before any sender existed there is no end-of-stream. */
TEST_F(hup, no_eof_before_first_sender)
{
	struct kmbox_stat st;
	int rcv;

	rcv = make(self, KMBOX_RECV);
	ASSERT_GE(rcv, 0);
	ASSERT_EQ(0, kmbox_test_stat(rcv, &st));
	ASSERT_EQ(0, st.senders);
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	ASSERT_EQ(0, kmbox_test_revents(rcv, POLLIN));
	close(rcv);
}

/* Every sleeping receiver wakes when the last sender goes. */
TEST_F(hup, sleeping_receivers_wake_at_eof)
{
	int rcv, snd, i;
	pid_t pid[3];

	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	for (i = 0; i < 3; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			char buf[MSG_SIZE];
			int n;

			close(snd);
			if (i == 2)
				n = kmbox_test_read(rcv, buf, sizeof(buf));
			else
				n = kmbox_test_recv(rcv, buf, sizeof(buf), 0,
						    NULL);
			_exit(kmbox_test_verdict(n, i == 2 ? 0 : -EPIPE));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(rcv, pid[i], i + 1, 0));
	}
	close(snd);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[i], NULL));
	}
	close(rcv);
}

TEST_F(hup, send_epipe_and_sigpipe)
{
	struct kmbox_stat st;
	int rcv, snd;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	ASSERT_EQ(1, kmbox_test_send(snd, "a", 1, 0, 0));
	close(rcv);
	ASSERT_EQ(0, kmbox_test_stat(snd, &st));
	ASSERT_EQ(0, st.receivers);

	ASSERT_EQ(0, kmbox_test_block_signal(SIGPIPE));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "b", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "b", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "b", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(-EPIPE, kmbox_test_write(snd, "b", 1));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(0, kmbox_test_stat(snd, &st));
	ASSERT_EQ(1, st.sent);
	close(snd);
}

/* EPIPE, not EAGAIN or a sleep, when the mailbox is also full. */
TEST_F(hup, epipe_beats_full)
{
	int rcv, snd, i;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, kmbox_test_send(snd, "f", 1, 0, KMBOX_DONTWAIT));
	}
	close(rcv);
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "f", 1, 0,
					  KMBOX_NOSIGNAL | KMBOX_DONTWAIT));
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "f", 1, 0, KMBOX_NOSIGNAL));
	close(snd);
}

/* With SIGPIPE's default action the sender dies of it. */
TEST_F(hup, sigpipe_default_kills)
{
	int rcv, snd, n;
	pid_t pid;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	close(rcv);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		kmbox_test_send(snd, "x", 1, 0, 0);
		_exit(BAD);
	}
	ASSERT_EQ(1000 + SIGPIPE, kmbox_test_kids_reap(&self->kids, pid, NULL));

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		n = kmbox_test_send(snd, "x", 1, 0, KMBOX_NOSIGNAL);
		_exit(kmbox_test_verdict(n, -EPIPE));
	}
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(snd);
}

static void *thread_send(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(long)kmbox_test_send(fd, "t", 1, 0, 0);
}

/* SIGPIPE goes to the thread that sent, not to the whole process. */
TEST_F(hup, sigpipe_to_calling_thread)
{
	pthread_t thr;
	int rcv, snd;
	void *ret;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	close(rcv);
	ASSERT_EQ(0, kmbox_test_block_signal(SIGPIPE));
	ASSERT_EQ(0, pthread_create(&thr, NULL, thread_send, &snd));
	ASSERT_EQ(0, pthread_join(thr, &ret));
	ASSERT_EQ(-EPIPE, (long)ret);
	/* Pending on the thread, which is gone: not on the process. */
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	close(snd);
}

/* Sleeping senders wake with EPIPE when the last receiver goes. */
TEST_F(hup, sleeping_senders_wake_epipe)
{
	int rcv, snd, i;
	pid_t pid[2];

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, kmbox_test_send(snd, "f", 1, 0, 0));
	}
	for (i = 0; i < 2; i++) {
		pid[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			int n;

			close(rcv);
			if (i == 0) {
				n = kmbox_test_send(snd, "x", 1, 0,
						    KMBOX_NOSIGNAL);
				_exit(kmbox_test_verdict(n, -EPIPE));
			}
			/* write(): EPIPE and SIGPIPE. */
			if (kmbox_test_block_signal(SIGPIPE))
				_exit(BAD + 2);
			n = kmbox_test_write(snd, "x", 1);
			if (n == -EPIPE &&
			    kmbox_test_take_signal(SIGPIPE, NULL) != 1)
				_exit(BAD + 3);
			_exit(kmbox_test_verdict(n, -EPIPE));
		}
		ASSERT_EQ(0, kmbox_test_sleeping(snd, pid[i], 0, i + 1));
	}
	close(rcv);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid[i], NULL));
	}
	close(snd);
}

/* Before any receiver existed sends are queued. */
TEST_F(hup, no_epipe_before_first_receiver)
{
	struct kmbox_stat st;
	int snd;

	snd = make(self, KMBOX_SEND);
	ASSERT_GE(snd, 0);
	ASSERT_EQ(1, kmbox_test_send(snd, "q", 1, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(0, kmbox_test_stat(snd, &st));
	ASSERT_EQ(1, st.msgs);
	ASSERT_FALSE(kmbox_test_revents(snd, POLLOUT) & POLLERR);
	close(snd);
}

/* A new sender ends end-of-stream. */
TEST_F(hup, new_sender_ends_eof)
{
	char buf[MSG_SIZE];
	int rcv, snd;

	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	close(snd);
	ASSERT_EQ(-EPIPE, recv_dontwait(rcv));
	snd = another(self, KMBOX_SEND);
	ASSERT_GE(snd, 0);
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	ASSERT_FALSE(kmbox_test_revents(rcv, POLLIN) & POLLHUP);
	ASSERT_EQ(3, kmbox_test_send(snd, "new", 3, 0, 0));
	ASSERT_EQ(3, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "new", 3));
	close(snd);
	ASSERT_EQ(-EPIPE, recv_dontwait(rcv));
	close(rcv);
}

/* A new receiver ends the EPIPE state. */
TEST_F(hup, new_receiver_ends_epipe)
{
	char buf[MSG_SIZE];
	int rcv, snd;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	close(rcv);
	ASSERT_EQ(-EPIPE, kmbox_test_send(snd, "x", 1, 0, KMBOX_NOSIGNAL));
	rcv = another(self, KMBOX_RECV);
	ASSERT_GE(rcv, 0);
	ASSERT_FALSE(kmbox_test_revents(snd, POLLOUT) & POLLERR);
	ASSERT_EQ(3, kmbox_test_send(snd, "new", 3, 0, KMBOX_NOSIGNAL));
	ASSERT_EQ(3, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(0, memcmp(buf, "new", 3));
	close(rcv);
	close(snd);
}

/* Without KMBOX_ATTR_HANGUP a mailbox never ends by itself. */
TEST_F(hup, without_flag_nothing_ends)
{
	char buf[MSG_SIZE];
	int rcv, snd;

	self->attr.flags = 0;
	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	ASSERT_EQ(1, kmbox_test_send(snd, "a", 1, 0, 0));
	close(snd);
	ASSERT_EQ(1, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EAGAIN, recv_dontwait(rcv));
	ASSERT_EQ(0, kmbox_test_revents(rcv, POLLIN));

	snd = another(self, KMBOX_SEND);
	ASSERT_GE(snd, 0);
	close(rcv);
	ASSERT_EQ(0, kmbox_test_block_signal(SIGPIPE));
	ASSERT_EQ(1, kmbox_test_send(snd, "b", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_write(snd, "c", 1));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGPIPE, NULL));
	ASSERT_EQ(POLLOUT | POLLWRNORM,
		  kmbox_test_revents(snd, POLLOUT | POLLWRNORM));
	close(snd);
}

/* EPOLLHUP on the receive side once end-of-stream is reached. */
TEST_F(hup, poll_hup_when_drained)
{
	char buf[MSG_SIZE];
	int rcv, snd;

	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	ASSERT_EQ(0, kmbox_test_revents(rcv, POLLIN));
	ASSERT_EQ(1, kmbox_test_send(snd, "m", 1, 0, 0));
	close(snd);
	/* A message is still there: readable, not hung up yet. */
	ASSERT_EQ(POLLIN | POLLRDNORM,
		  kmbox_test_revents(rcv, POLLIN | POLLRDNORM));
	ASSERT_EQ(1, kmbox_test_recv(rcv, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(POLLHUP, kmbox_test_revents(rcv, POLLIN | POLLRDNORM));
	close(rcv);
}

/* EPOLLERR on the send side with no receiver left. */
TEST_F(hup, poll_err_without_receivers)
{
	int rcv, snd;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	ASSERT_EQ(POLLOUT, kmbox_test_revents(snd, POLLOUT));
	close(rcv);
	ASSERT_TRUE(kmbox_test_revents(snd, POLLOUT) & POLLERR);
	ASSERT_FALSE(kmbox_test_revents(snd, POLLOUT) & POLLHUP);
	close(snd);
}

/* A sleeping poll() wakes when the last sender goes. */
TEST_F(hup, sleeping_poll_wakes_on_hangup)
{
	int rcv, snd;
	pid_t pid;

	make_two(_metadata, self, KMBOX_RECV, &rcv, &snd);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n;

		close(snd);
		n = kmbox_test_poll(rcv, POLLIN, 30000);
		_exit(n <= 0 ? BAD + 1 : n == POLLHUP ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	close(snd);
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(rcv);
}

/* A poll() sleeping for room wakes when the last receiver goes. */
TEST_F(hup, sleeping_poll_wakes_on_receiver_loss)
{
	int rcv, snd, i;
	pid_t pid;

	make_two(_metadata, self, KMBOX_SEND, &rcv, &snd);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, kmbox_test_send(snd, "f", 1, 0, 0));
	}
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n;

		close(rcv);
		n = kmbox_test_poll(snd, POLLOUT, 30000);
		_exit(n <= 0 ? BAD + 1 : n & POLLERR ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	close(rcv);
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(snd);
}

TEST_HARNESS_MAIN
