// SPDX-License-Identifier: MIT
/*
 * pingpong: two processes talk through two named mailboxes.
 *
 * The parent makes two mailboxes, one for each direction:
 *
 *	pingpong-<pid>-ping	parent -> child
 *	pingpong-<pid>-pong	child -> parent
 *
 * and forks.  The child finds them by name with kmbox_open(), as any
 * other program could, and answers every "ping" with a "pong".  Both
 * sides receive with a blocking kmbox_recv_msg(): a process sleeps until
 * a message arrives, and learns from the message's metadata which
 * process sent it.  At the end the parent shuts its mailbox down; the
 * child drains it, sees end-of-stream (-EPIPE) and exits.
 *
 * Like every libkmbox call, kmbox_open() and friends return a negative
 * errno on failure, never -1 with errno set.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define ROUNDS	3

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/*
 * Receive one message into @buf as a C string, sleeping until one comes.
 * Returns its length, or -errno (-EPIPE: the mailbox was shut down and
 * everything in it has been received).  @sender gets the sender's pid.
 */
static ssize_t recv_text(int fd, char *buf, size_t size, pid_t *sender)
{
	struct kmbox_msg msg = {
		.buf = (__u64)(uintptr_t)buf,
		.len = size - 1,	/* room for the NUL we add */
	};
	ssize_t len = kmbox_recv_msg(fd, &msg);

	if (len < 0)
		return len;
	buf[len] = '\0';
	*sender = msg.sender_pid;
	return len;
}

/* Send a C string as one message (without its NUL). */
static void send_text(const char *who, int fd, const char *text)
{
	ssize_t ret = kmbox_send(fd, text, strlen(text), 0);

	if (ret < 0)
		die(who, "kmbox_send", ret);
}

/* The child: open both mailboxes by name and answer pings until the end. */
static int child_main(const char *ping_name, const char *pong_name)
{
	char buf[64], reply[64];
	const char *rest;
	int ping, pong;
	ssize_t len;
	pid_t from;

	/* Receive on "ping", send on "pong": each descriptor gets one role. */
	ping = kmbox_open(ping_name, KMBOX_RECV | KMBOX_CLOEXEC);
	if (ping < 0)
		die("child", "kmbox_open ping", ping);
	pong = kmbox_open(pong_name, KMBOX_SEND | KMBOX_CLOEXEC);
	if (pong < 0)
		die("child", "kmbox_open pong", pong);
	printf("child  %d: opened \"%s\" and \"%s\" by name\n",
	       (int)getpid(), ping_name, pong_name);
	send_text("child", pong, "ready");

	while ((len = recv_text(ping, buf, sizeof(buf), &from)) >= 0) {
		printf("child  %d: received \"%s\" from pid %d\n",
		       (int)getpid(), buf, (int)from);
		/* "ping 2" is answered with "pong 2". */
		rest = strncmp(buf, "ping", 4) ? "" : buf + 4;
		snprintf(reply, sizeof(reply), "pong%s", rest);
		send_text("child", pong, reply);
	}
	if (len != -EPIPE)
		die("child", "kmbox_recv_msg", len);
	printf("child  %d: end of stream, exiting\n", (int)getpid());
	return 0;
}

int main(void)
{
	char ping_name[64], pong_name[64], buf[64];
	int ping, pong, i, status;
	pid_t pid, from;
	ssize_t len;

	/* One line at a time, even into a pipe, so the two outputs interleave. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Names are global: make them unique with our pid. */
	snprintf(ping_name, sizeof(ping_name), "pingpong-%d-ping", (int)getpid());
	snprintf(pong_name, sizeof(pong_name), "pingpong-%d-pong", (int)getpid());

	/*
	 * KMBOX_EXCL: fail rather than share a mailbox somebody else made.
	 * NULL attributes: the module's defaults (128 messages of 8 KiB).
	 */
	ping = kmbox_create(ping_name, NULL,
			    KMBOX_SEND | KMBOX_EXCL | KMBOX_CLOEXEC);
	if (ping < 0)
		die("parent", "kmbox_create ping", ping);
	pong = kmbox_create(pong_name, NULL,
			    KMBOX_RECV | KMBOX_EXCL | KMBOX_CLOEXEC);
	if (pong < 0)
		die("parent", "kmbox_create pong", pong);
	printf("parent %d: created \"%s\" and \"%s\", forking\n",
	       (int)getpid(), ping_name, pong_name);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		/*
		 * fork() gave the child the parent's descriptors; drop them
		 * and meet the mailboxes by name, as an unrelated program
		 * would.
		 */
		close(ping);
		close(pong);
		return child_main(ping_name, pong_name);
	}

	/* Sleep in kmbox_recv_msg() until the child has opened both. */
	len = recv_text(pong, buf, sizeof(buf), &from);
	if (len < 0)
		die("parent", "kmbox_recv_msg", len);
	printf("parent %d: received \"%s\" from pid %d\n",
	       (int)getpid(), buf, (int)from);

	/*
	 * A name is only a rendezvous point: both sides hold descriptors
	 * now, so remove the names.  The mailboxes work on, and disappear
	 * when the last descriptor is closed.
	 */
	if (kmbox_unlink(ping_name) < 0 || kmbox_unlink(pong_name) < 0)
		fprintf(stderr, "parent: kmbox_unlink failed\n");

	for (i = 1; i <= ROUNDS; i++) {
		snprintf(buf, sizeof(buf), "ping %d", i);
		printf("parent %d: sending \"%s\"\n", (int)getpid(), buf);
		send_text("parent", ping, buf);

		len = recv_text(pong, buf, sizeof(buf), &from);
		if (len < 0)
			die("parent", "kmbox_recv_msg", len);
		printf("parent %d: received \"%s\" from pid %d%s\n",
		       (int)getpid(), buf, (int)from,
		       from == pid ? " (the child)" : " (unexpected!)");
	}

	/* No more pings: the child drains its mailbox, then sees the end. */
	printf("parent %d: shutting \"%s\" down\n", (int)getpid(), ping_name);
	status = kmbox_shutdown(ping);
	if (status < 0)
		die("parent", "kmbox_shutdown", status);
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	close(ping);
	close(pong);
	printf("parent %d: child exited with status %d\n", (int)getpid(),
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
