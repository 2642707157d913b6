// SPDX-License-Identifier: MIT
/*
 * pipe: a mailbox that behaves like a pipe between a parent and a child.
 *
 * A pipe has two ends: whoever holds the write end may write, whoever
 * holds the read end may read.  Two rules make pipelines such as
 * "ls | head" work:
 *
 *  - end of stream: once every write end is closed, the reader gets what
 *    is left and then end-of-file, so it knows the writer has finished;
 *  - broken pipe: once every read end is closed, writing fails with
 *    EPIPE and the writer gets SIGPIPE, whose default action kills it,
 *    so a writer stops when nobody listens any more.
 *
 * A mailbox created with KMBOX_ATTR_HANGUP follows the same two rules,
 * with descriptors of the receive role as read ends and descriptors of
 * the send role as write ends.  Unlike a pipe it keeps message
 * boundaries: one send is one receive.
 *
 * Part 1: the parent writes three messages and closes its write end; the
 * child reads them and then sees end-of-stream (kmbox_recv() returns
 * -EPIPE; read() would return 0, as for a pipe).
 *
 * Part 2: the reader exits; then a writer child with the default SIGPIPE
 * action is killed by the signal, the parent with a SIGPIPE handler sees
 * the handler run and -EPIPE, and with KMBOX_NOSIGNAL gets -EPIPE and no
 * signal at all (as send(2) with MSG_NOSIGNAL).
 *
 * Like every libkmbox call, kmbox_create() and friends return a negative
 * errno on failure, never -1 with errno set.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define LINES	3

/* Set by the SIGPIPE handler of part 2. */
static volatile sig_atomic_t sigpipes;

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/*
 * The kmbox version of pipe(2): @fds[0] gets the read end, @fds[1] the
 * write end.  A mailbox can only be opened a second time by its name, so
 * we give it a unique one, open the write end by that name and remove the
 * name at once: nobody else can find the mailbox any more, like a pipe.
 * Returns 0 or -errno.
 */
static int mailbox_pipe(int fds[2])
{
	struct kmbox_attr attr = { .flags = KMBOX_ATTR_HANGUP };
	static int count;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "pipe-%d-%d", (int)getpid(), ++count);
	fds[0] = kmbox_create(name, &attr,
			      KMBOX_RECV | KMBOX_EXCL | KMBOX_CLOEXEC);
	if (fds[0] < 0)
		return fds[0];
	fds[1] = kmbox_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	ret = kmbox_unlink(name);
	if (fds[1] < 0 || ret < 0) {
		close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return fds[1] < 0 ? fds[1] : ret;
	}
	return 0;
}

/* Receive one message as a C string: its length, or -errno. */
static ssize_t recv_text(int fd, char *buf, size_t size)
{
	ssize_t len = kmbox_recv(fd, buf, size - 1, 0);

	if (len >= 0)
		buf[len] = '\0';
	return len;
}

/* Send a C string as one message (without its NUL): its length or -errno. */
static ssize_t send_text(int fd, const char *text, unsigned int flags)
{
	return kmbox_send(fd, text, strlen(text), flags);
}

static pid_t fork_or_die(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("writer", "fork", -errno);
	return pid;
}

/* Wait for child @pid: its exit code, 128 + signal if a signal killed it. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Part 1's child: read until end-of-stream. */
static int reader_main(int fds[2])
{
	char buf[64];
	ssize_t len;
	int n = 0;

	/*
	 * Close the end we do not use, as with a pipe.  Were our copy of the
	 * write end still open, end-of-stream could never come: we would be
	 * waiting for ourselves.
	 */
	close(fds[1]);
	while ((len = recv_text(fds[0], buf, sizeof(buf))) >= 0) {
		printf("reader: got \"%s\"\n", buf);
		n++;
	}
	if (len != -EPIPE)
		die("reader", "kmbox_recv", len);
	printf("reader: end of stream after %d messages\n", n);
	return n == LINES ? 0 : 1;
}

/* Part 1: end-of-stream when the writer closes its end. */
static int end_of_stream(void)
{
	char buf[64];
	int fds[2], i, ret;
	pid_t pid;

	printf("== part 1: the writer closes, the reader sees end of stream\n");
	ret = mailbox_pipe(fds);
	if (ret < 0)
		die("writer", "mailbox_pipe", ret);
	pid = fork_or_die();
	if (pid == 0)
		exit(reader_main(fds));

	close(fds[0]);		/* the writer does not read */
	for (i = 1; i <= LINES; i++) {
		snprintf(buf, sizeof(buf), "line %d", i);
		ret = send_text(fds[1], buf, 0);
		if (ret < 0)
			die("writer", "kmbox_send", ret);
	}
	printf("writer: sent %d messages, closing the write end\n", LINES);
	close(fds[1]);
	ret = wait_child(pid);
	printf("writer: reader exited with status %d\n", ret);
	return ret == 0;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* Part 2: EPIPE and SIGPIPE when the reader is gone. */
static int broken_pipe(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	int fds[2], ret, ok = 1;
	char buf[64];
	pid_t pid;

	printf("== part 2: the reader is gone, the writer gets EPIPE and SIGPIPE\n");
	ret = mailbox_pipe(fds);
	if (ret < 0)
		die("writer", "mailbox_pipe", ret);

	/* A reader that reads one message, then exits. */
	pid = fork_or_die();
	if (pid == 0) {
		close(fds[1]);
		ret = recv_text(fds[0], buf, sizeof(buf));
		if (ret < 0)
			die("reader", "kmbox_recv", ret);
		printf("reader: got \"%s\", exiting\n", buf);
		exit(0);
	}
	close(fds[0]);
	ret = send_text(fds[1], "hello", 0);
	if (ret < 0)
		die("writer", "kmbox_send", ret);
	/*
	 * When waitpid() returns, the reader has exited and the kernel has
	 * closed its descriptors: no read end is left anywhere.
	 */
	wait_child(pid);
	printf("writer: the reader has exited, no read end is left\n");

	/*
	 * (a) The default action of SIGPIPE is to terminate.  Try it in a
	 * child, so that the parent lives to report it.
	 */
	pid = fork_or_die();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		ret = send_text(fds[1], "anyone there?", 0);
		/* Not reached: the signal has killed us. */
		printf("writer child: still alive, kmbox_send returned %d\n",
		       ret);
		exit(1);
	}
	ret = wait_child(pid);
	if (ret == 128 + SIGPIPE) {
		printf("(a) default action: the writer child was killed by SIGPIPE\n");
	} else {
		printf("(a) UNEXPECTED: the writer child ended with status %d\n",
		       ret);
		ok = 0;
	}

	/*
	 * (b) With a handler, the process survives: the handler runs, then
	 * the call fails with EPIPE.
	 */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL))
		die("writer", "sigaction", -errno);
	ret = send_text(fds[1], "anyone there?", 0);
	if (ret == -EPIPE && sigpipes == 1) {
		printf("(b) with a handler: SIGPIPE caught, kmbox_send returned -EPIPE (%s)\n",
		       strerror(EPIPE));
	} else {
		printf("(b) UNEXPECTED: kmbox_send returned %d, %d signals\n",
		       ret, (int)sigpipes);
		ok = 0;
	}

	/* (c) KMBOX_NOSIGNAL: just the error, no signal. */
	ret = send_text(fds[1], "anyone there?", KMBOX_NOSIGNAL);
	if (ret == -EPIPE && sigpipes == 1) {
		printf("(c) KMBOX_NOSIGNAL: no signal, kmbox_send returned -EPIPE (%s)\n",
		       strerror(EPIPE));
	} else {
		printf("(c) UNEXPECTED: kmbox_send returned %d, %d signals\n",
		       ret, (int)sigpipes);
		ok = 0;
	}
	close(fds[1]);
	return ok;
}

int main(void)
{
	int ok;

	/* One line at a time, even into a pipe, so the outputs interleave. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	ok = end_of_stream();
	ok &= broken_pipe();
	printf("pipe: %s\n", ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
