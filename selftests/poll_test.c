// SPDX-License-Identifier: GPL-2.0
/*
 * poll, epoll and SIGIO: EPOLLIN|EPOLLRDNORM while a message is queued
 * (receive role only), EPOLLOUT|EPOLLWRNORM while a message of
 * max_msg_size fits (send role only); level- and edge-triggered epoll,
 * with an edge for every message queued; sleeping pollers are woken;
 * F_SETOWN and O_ASYNC give SIGIO, or the F_SETSIG signal with POLL_IN
 * and si_fd, when the mailbox turns from empty to readable.
 */
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	100
#define MAX_MSGS	2
#define BAD		KMBOX_TEST_BAD

#define IN		(POLLIN | POLLRDNORM)
#define OUT		(POLLOUT | POLLWRNORM)

/* epoll_wait() without waiting: the number of events, or -errno. */
static int ready(int epfd, __u32 *events)
{
	struct epoll_event ev[4];
	int n = epoll_wait(epfd, ev, 4, 0);

	if (n < 0)
		return -errno;
	if (n > 0 && events)
		*events = ev[0].events;
	return n;
}

static int watch(int epfd, int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int recv1(int fd)
{
	char buf[MSG_SIZE];

	return kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
}

FIXTURE(mb) {
	char name[64];
	int rw, snd, rcv;
	pid_t kid;
};

FIXTURE_SETUP(mb)
{
	kmbox_test_name(self->name, sizeof(self->name), "poll");
	ASSERT_EQ(0, kmbox_test_open3(self->name, MAX_MSGS, MSG_SIZE,
				      &self->rw, &self->snd, &self->rcv));
	ASSERT_EQ(0, kmbox_test_unlink(self->name));
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_kill(&self->kid);
	kmbox_test_close3(NULL, self->rw, self->snd, self->rcv);
}

TEST_F(mb, transitions)
{
	const short all = IN | OUT;

	/* Empty: writable, not readable. */
	ASSERT_EQ(OUT, kmbox_test_revents(self->rw, all));
	ASSERT_EQ(0, kmbox_test_revents(self->rcv, all));
	ASSERT_EQ(OUT, kmbox_test_revents(self->snd, all));

	/* One message: readable and still writable. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(all, kmbox_test_revents(self->rw, all));
	ASSERT_EQ(IN, kmbox_test_revents(self->rcv, all));
	ASSERT_EQ(OUT, kmbox_test_revents(self->snd, all));

	/* Full: not writable. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(IN, kmbox_test_revents(self->rw, all));
	ASSERT_EQ(IN, kmbox_test_revents(self->rcv, all));
	ASSERT_EQ(0, kmbox_test_revents(self->snd, all));

	/* Room again. */
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(all, kmbox_test_revents(self->rw, all));
	ASSERT_EQ(OUT, kmbox_test_revents(self->snd, all));

	/* Drained. */
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(OUT, kmbox_test_revents(self->rw, all));
	ASSERT_EQ(0, kmbox_test_revents(self->rcv, all));
}

/* PEEK leaves it readable; a zero-length message is readable too. */
TEST_F(mb, peek_and_empty_message_readable)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(0, kmbox_test_send(self->snd, buf, 0, 0, 0));
	ASSERT_EQ(IN, kmbox_test_revents(self->rcv, IN));
	ASSERT_EQ(0, kmbox_test_recv(self->rcv, buf, sizeof(buf),
				     KMBOX_PEEK, NULL));
	ASSERT_EQ(IN, kmbox_test_revents(self->rcv, IN));
	ASSERT_EQ(0, recv1(self->rcv));
	ASSERT_EQ(0, kmbox_test_revents(self->rcv, IN));
}

/* EPOLLOUT needs room for a message of max_msg_size, in bytes too. */
TEST(pollout_needs_room_for_largest)
{
	struct kmbox_attr attr = {
		.max_msgs = 16, .max_msg_size = 100, .max_bytes = 250,
	};
	char buf[100] = { 0 };
	int fd;

	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(100, kmbox_test_send(fd, buf, 100, 0, 0));
	ASSERT_EQ(OUT, kmbox_test_revents(fd, OUT));	/* 150 bytes free */
	ASSERT_EQ(60, kmbox_test_send(fd, buf, 60, 0, 0));
	ASSERT_EQ(0, kmbox_test_revents(fd, OUT));		/* 90 free */
	/* A smaller message would still fit: poll is about the largest. */
	ASSERT_EQ(1, kmbox_test_send(fd, buf, 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(0, kmbox_test_revents(fd, OUT));
	ASSERT_EQ(100, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(OUT, kmbox_test_revents(fd, OUT));	/* 189 free */
	close(fd);
}

/* The role decides which events a descriptor can report. */
TEST_F(mb, roles_limit_events)
{
	const short all = IN | OUT;

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	/* Readable and writable, but each role sees its own side. */
	ASSERT_EQ(OUT, kmbox_test_revents(self->snd, all));
	ASSERT_EQ(IN, kmbox_test_revents(self->rcv, all));
	ASSERT_EQ(0, kmbox_test_revents(self->snd, IN));
	ASSERT_EQ(0, kmbox_test_revents(self->rcv, OUT));
}

TEST_F(mb, select_works)
{
	struct timeval zero = { 0 };
	fd_set r, w;
	int max = self->rw + 1;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(self->rw, &r);
	FD_SET(self->rw, &w);
	ASSERT_EQ(1, select(max, &r, &w, NULL, &zero));
	ASSERT_FALSE(FD_ISSET(self->rw, &r));
	ASSERT_TRUE(FD_ISSET(self->rw, &w));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(self->rw, &r);
	FD_SET(self->rw, &w);
	ASSERT_EQ(1, select(max, &r, &w, NULL, &zero));
	ASSERT_TRUE(FD_ISSET(self->rw, &r));
	ASSERT_FALSE(FD_ISSET(self->rw, &w));
}

/* Level-triggered: reported again and again until drained. */
TEST_F(mb, epoll_level_triggered)
{
	__u32 ev = 0;
	int epfd, i;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->rcv, EPOLLIN));
	ASSERT_EQ(0, ready(epfd, NULL));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, ready(epfd, &ev));
		ASSERT_EQ(EPOLLIN, ev);
	}
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(0, ready(epfd, NULL));
	close(epfd);

	/* The send side likewise. */
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->snd, EPOLLOUT));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLOUT, ev);
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(0, ready(epfd, NULL));
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLOUT, ev);
	close(epfd);
}

/* Edge-triggered: one event per new message, none without one. */
TEST_F(mb, epoll_edge_triggered_drained_between)
{
	__u32 ev = 0;
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->rcv, EPOLLIN | EPOLLET));
	ASSERT_EQ(0, ready(epfd, NULL));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLIN, ev);
	ASSERT_EQ(0, ready(epfd, NULL));
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(0, ready(epfd, NULL));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLIN, ev);
	ASSERT_EQ(0, ready(epfd, NULL));
	close(epfd);
}

/* Edge-triggered: every message queued is an edge, even if not drained. */
TEST_F(mb, epoll_edge_triggered_every_message)
{
	__u32 ev = 0;
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->rcv, EPOLLIN | EPOLLET));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(0, ready(epfd, NULL));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLIN, ev);
	ASSERT_EQ(0, ready(epfd, NULL));
	/* A receive that leaves a message is no new message. */
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(0, ready(epfd, NULL));
	close(epfd);
}

/* Edge-triggered EPOLLOUT: room appearing is an edge. */
TEST_F(mb, epoll_edge_triggered_room)
{
	__u32 ev = 0;
	int epfd;

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->snd, EPOLLOUT | EPOLLET));
	ASSERT_EQ(0, ready(epfd, NULL));
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(1, ready(epfd, &ev));
	ASSERT_EQ(EPOLLOUT, ev);
	ASSERT_EQ(0, ready(epfd, NULL));
	close(epfd);
}

/* A poll() sleeping in a child is woken by a send. */
TEST_F(mb, sleeping_poll_woken_by_send)
{
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		int n;

		n = kmbox_test_poll(self->rcv, POLLIN, 30000);
		_exit(n <= 0 ? BAD + 1 : n == POLLIN ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "w", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
}

/* A poll() sleeping for room is woken by a receive. */
TEST_F(mb, sleeping_poll_woken_by_recv)
{
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		int n;

		n = kmbox_test_poll(self->snd, POLLOUT, 30000);
		_exit(n <= 0 ? BAD + 1 : n == POLLOUT ? 0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
}

/* An epoll_wait() sleeping in a child is woken by a send. */
TEST_F(mb, sleeping_epoll_woken_by_send)
{
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(epfd, 0);
	ASSERT_EQ(0, watch(epfd, self->rcv, EPOLLIN | EPOLLET));
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		struct epoll_event ev;

		if (epoll_wait(epfd, &ev, 1, 30000) != 1)
			_exit(BAD + 1);
		_exit(ev.events == EPOLLIN && ev.data.fd == self->rcv ?
		      0 : BAD + 2);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "w", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
	close(epfd);
}

/* O_ASYNC: SIGIO when the mailbox turns from empty to readable. */
TEST_F(mb, sigio_on_empty_to_readable)
{
	int fl;

	ASSERT_EQ(0, kmbox_test_block_signal(SIGIO));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETOWN, getpid()));
	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_ASYNC));
	ASSERT_TRUE(fcntl(self->rcv, F_GETFL) & O_ASYNC);
	ASSERT_EQ(0, kmbox_test_take_signal(SIGIO, NULL));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGIO, NULL));
	/* Not a transition from empty. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGIO, NULL));

	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(1, kmbox_test_send(self->rw, "3", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_take_signal(SIGIO, NULL));

	/* O_ASYNC off: no more signals. */
	ASSERT_EQ(1, recv1(self->rcv));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "4", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGIO, NULL));
}

TEST_F(mb, no_sigio_without_async)
{
	ASSERT_EQ(0, kmbox_test_block_signal(SIGIO));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETOWN, getpid()));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_take_signal(SIGIO, NULL));
}

/* F_SETSIG: the chosen signal, with POLL_IN and the descriptor. */
TEST_F(mb, setsig_poll_in_and_fd)
{
	const int sig = SIGRTMIN + 1;
	siginfo_t info;
	int fl;

	ASSERT_EQ(0, kmbox_test_block_signal(sig));
	ASSERT_EQ(0, kmbox_test_block_signal(SIGIO));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETSIG, sig));
	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_ASYNC));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(1, kmbox_test_take_signal(sig, &info));
	ASSERT_EQ(sig, info.si_signo);
	ASSERT_EQ(POLL_IN, info.si_code);
	ASSERT_EQ(self->rcv, info.si_fd);
	ASSERT_TRUE(info.si_band & POLLIN);
	ASSERT_EQ(0, kmbox_test_take_signal(SIGIO, NULL));
}

/* F_SETOWN names another process: it gets the signal. */
TEST_F(mb, sigio_to_owner_process)
{
	int fl;

	/* Blocked before the fork, so the child cannot miss it. */
	ASSERT_EQ(0, kmbox_test_block_signal(SIGIO));
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		struct timespec ts = { .tv_sec = 30 };
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGIO);
		_exit(sigtimedwait(&set, NULL, &ts) == SIGIO ? 0 : BAD + 1);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->kid));
	ASSERT_EQ(0, fcntl(self->rcv, F_SETOWN, self->kid));
	fl = fcntl(self->rcv, F_GETFL);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, fl | O_ASYNC));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap_kid(&self->kid));
}

TEST_HARNESS_MAIN
