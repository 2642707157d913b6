// SPDX-License-Identifier: MIT
/*
 * notify: be told that a message has arrived, instead of sleeping in
 * kmbox_recv().
 *
 * A process that waits in a blocking receive can do nothing else.  Two
 * classic ways out, both of which work on a mailbox descriptor as on a
 * pipe or a socket:
 *
 * Part 1, a signal.  fcntl(F_SETOWN) names the process to tell,
 * fcntl(F_SETFL, O_ASYNC) turns it on: the kernel sends SIGIO whenever
 * the mailbox turns from empty to non-empty.  With fcntl(F_SETSIG) the
 * signal's siginfo also says which descriptor (si_fd) and what happened
 * (si_code POLL_IN).  The program keeps SIGIO blocked except while it
 * waits in sigsuspend(), so that a signal cannot slip in between its
 * last look at the mailbox and its sleep, and it receives with
 * KMBOX_DONTWAIT until the mailbox is empty (-EAGAIN): one signal may
 * stand for several messages, since a signal that is already pending is
 * not sent twice.
 *
 * Part 2, epoll.  epoll_wait() sleeps until any of the descriptors it
 * watches is ready: EPOLLIN when a message is queued, EPOLLHUP when the
 * mailbox has been shut down and is empty.  One thread can watch
 * thousands of mailboxes, pipes and sockets at once this way.
 *
 * In both parts a child process sends three messages, a little apart.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* F_SETSIG */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define MESSAGES	3
#define EPOLL_WAIT_MS	10000	/* a stuck child must not hang us */

/* What the SIGIO handler saw. */
static volatile sig_atomic_t sigios, sig_fd, sig_code;

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/*
 * The child of both parts: send "<tag> 1" ... "<tag> MESSAGES", 20 ms
 * apart, then, if @shut, shut the mailbox down.
 */
static pid_t start_sender(int fd, const char *tag, int shut)
{
	char buf[32];
	ssize_t ret;
	pid_t pid;
	int i;

	pid = fork();
	if (pid < 0)
		die("parent", "fork", -errno);
	if (pid > 0)
		return pid;
	for (i = 1; i <= MESSAGES; i++) {
		usleep(20000);
		snprintf(buf, sizeof(buf), "%s %d", tag, i);
		ret = kmbox_send(fd, buf, strlen(buf), 0);
		if (ret < 0)
			die("child", "kmbox_send", ret);
	}
	ret = shut ? kmbox_shutdown(fd) : 0;
	if (ret < 0)
		die("child", "kmbox_shutdown", ret);
	exit(0);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("UNEXPECTED: the sending child failed\n");
		return 0;
	}
	return 1;
}

/* Take every message queued, without waiting: how many. */
static int drain(int fd, const char *how)
{
	char buf[64];
	ssize_t len;
	int n = 0;

	while ((len = kmbox_recv(fd, buf, sizeof(buf) - 1,
				 KMBOX_DONTWAIT)) >= 0) {
		buf[len] = '\0';
		printf("%s: received \"%s\"\n", how, buf);
		n++;
	}
	/* -EPIPE: shut down meanwhile (part 2); EPOLLHUP will say so. */
	if (len != -EAGAIN && len != -EPIPE)
		die("parent", "kmbox_recv", len);
	return n;
}

static void on_sigio(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	sigios++;
	sig_fd = si->si_fd;
	sig_code = si->si_code;
}

/* Part 1: SIGIO. */
static int by_signal(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigio,
		.sa_flags = SA_SIGINFO,
	};
	sigset_t block, during_wait;
	int fd, flags, got = 0, ok = 1;
	pid_t pid;

	printf("== part 1: notification by signal (O_ASYNC, SIGIO)\n");
	fd = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	if (fd < 0)
		die("parent", "kmbox_create", fd);

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL))
		die("parent", "sigaction", -errno);
	/* Blocked: a SIGIO stays pending until sigsuspend() lets it in. */
	sigemptyset(&block);
	sigaddset(&block, SIGIO);
	if (sigprocmask(SIG_BLOCK, &block, &during_wait))
		die("parent", "sigprocmask", -errno);
	sigdelset(&during_wait, SIGIO);

	/* Tell us (F_SETOWN), with siginfo (F_SETSIG), from now on (O_ASYNC). */
	flags = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETOWN, getpid()) || fcntl(fd, F_SETSIG, SIGIO) ||
	    flags < 0 || fcntl(fd, F_SETFL, flags | O_ASYNC))
		die("parent", "fcntl", -errno);

	pid = start_sender(fd, "news", 0);
	while (got < MESSAGES) {
		/* Sleep until a signal has been handled. */
		sigsuspend(&during_wait);
		if (sig_fd != fd || sig_code != POLL_IN) {
			printf("UNEXPECTED: SIGIO for fd %d, code %d\n",
			       (int)sig_fd, (int)sig_code);
			ok = 0;
		}
		got += drain(fd, "SIGIO");
	}
	printf("SIGIO: %d messages, %d signals (one signal may cover several messages)\n",
	       got, (int)sigios);
	ok &= wait_child(pid);

	fcntl(fd, F_SETFL, flags);	/* O_ASYNC off again */
	signal(SIGIO, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	close(fd);
	return ok;
}

/* Part 2: epoll. */
static int by_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, ep, n, got = 0, ok = 0;
	pid_t pid;

	printf("== part 2: notification by epoll\n");
	fd = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	if (fd < 0)
		die("parent", "kmbox_create", fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("parent", "epoll_create1", -errno);
	/* EPOLLHUP and EPOLLERR are always reported, asked for or not. */
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("parent", "epoll_ctl", -errno);

	pid = start_sender(fd, "event", 1);
	for (;;) {
		n = epoll_wait(ep, &ev, 1, EPOLL_WAIT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("parent", "epoll_wait", -errno);
		if (n == 0) {
			printf("UNEXPECTED: nothing for %d ms\n",
			       EPOLL_WAIT_MS);
			break;
		}
		if (ev.events & EPOLLIN) {
			got += drain(ev.data.fd, "epoll: EPOLLIN");
		} else if (ev.events & EPOLLHUP) {
			/* Empty and shut down: nothing will ever come. */
			printf("epoll: EPOLLHUP: shut down and empty, after %d messages\n",
			       got);
			ok = got == MESSAGES;
			break;
		}
	}
	ok &= wait_child(pid);
	close(ep);
	close(fd);
	return ok;
}

int main(void)
{
	int ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ok = by_signal();
	ok &= by_epoll();
	printf("notify: %s\n", ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
