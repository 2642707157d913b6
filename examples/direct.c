// SPDX-License-Identifier: MIT
/*
 * direct: direct naming, a mailbox for each process.
 *
 * Textbooks name two ways for processes to address their messages:
 *
 *  - indirect naming: messages go to a mailbox that is named for what it
 *    carries ("jobs"), and whoever reads it gets them; senders and
 *    receivers need not know each other (workers.c, pingpong.c);
 *  - direct naming: a message goes to a process, send(P, message), and
 *    receive(Q, message) takes one from process Q.
 *
 * kmbox mailboxes are indirect, but give each process one of its own,
 * named after its pid ("direct-<pid>"), that only it reads, and sending
 * to that name is sending to the process.  Here three clients ask a
 * server, each receiving the answer in its own inbox: an answer can
 * never reach the wrong client, as it could through a reply queue that
 * several clients share (they would have to read each other's replies
 * and put them back).
 *
 * The clients name the server (they know its pid: it is their parent),
 * but the server answers whoever asked: it learns the sender's pid from
 * the message, as the kernel stamped it (kmbox_recv_msg()), not from
 * anything the sender wrote.  That is "asymmetric" direct naming, the
 * receive(id, message) of the textbooks, where id is set to the sender.
 *
 * Names anyone can make call for care: another user could make
 * "direct-<pid>" before the client does, to read what is meant for it.
 * So each process makes its inbox with KMBOX_EXCL (it fails if the name
 * exists), and the server checks that the inbox it answers to belongs to
 * the user who asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define CLIENTS		3

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/* The inbox name of process @pid. */
static void inbox_name(pid_t pid, char *name, size_t size)
{
	snprintf(name, size, "direct-%d", (int)pid);
}

/*
 * This process's own inbox: made with KMBOX_EXCL, so that it is ours,
 * and receive-only here; others open it to send.
 */
static int make_inbox(const char *who)
{
	char name[64];
	int fd;

	inbox_name(getpid(), name, sizeof(name));
	fd = kmbox_create(name, NULL, KMBOX_RECV | KMBOX_EXCL | KMBOX_CLOEXEC);
	if (fd < 0)
		die(who, "kmbox_create of my inbox", fd);
	return fd;
}

/* Send @text to process @pid, into its inbox. */
static void send_to(pid_t pid, const char *text, const char *who)
{
	char name[64];
	ssize_t ret;
	int fd;

	inbox_name(pid, name, sizeof(name));
	fd = kmbox_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	if (fd < 0)
		die(who, "kmbox_open of the inbox", fd);
	ret = kmbox_send(fd, text, strlen(text), 0);
	if (ret < 0)
		die(who, "kmbox_send", ret);
	close(fd);
}

/* Receive one message into @buf as a C string, with its metadata. */
static void receive(int inbox, char *buf, size_t size, struct kmbox_msg *m,
		    const char *who)
{
	ssize_t n;

	memset(m, 0, sizeof(*m));
	m->buf = (__u64)(unsigned long)buf;
	m->len = size - 1;
	n = kmbox_recv_msg(inbox, m);
	if (n < 0)
		die(who, "kmbox_recv_msg", n);
	buf[n] = 0;
}

static int client(int number, pid_t server, int inbox)
{
	struct kmbox_msg m;
	char who[16], ask[32], answer[32];

	snprintf(who, sizeof(who), "client %d", number);
	snprintf(ask, sizeof(ask), "%d * 7", number);
	send_to(server, ask, who);
	receive(inbox, answer, sizeof(answer), &m, who);
	printf("client %d: \"%s\" -> \"%s\", in my own inbox, from %s\n",
	       number, ask, answer,
	       m.sender_pid == server ? "the server" : "A STRANGER");
	return m.sender_pid == server && atoi(answer) == number * 7 ? 0 : 1;
}

/* Answers @count requests, each to the inbox of its sender. */
static int serve(int inbox, int count)
{
	char buf[32], reply[32], name[64];
	struct kmbox_msg m;
	struct kmbox_stat st;
	int i, a, b, fd, ret;

	for (i = 0; i < count; i++) {
		receive(inbox, buf, sizeof(buf), &m, "server");
		inbox_name(m.sender_pid, name, sizeof(name));
		/* The inbox must belong to the user who asked. */
		fd = kmbox_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
		if (fd < 0)
			die("server", "kmbox_open of the sender's inbox", fd);
		ret = kmbox_stat(fd, &st);
		if (ret < 0)
			die("server", "kmbox_stat", ret);
		if (st.uid != m.sender_uid) {
			printf("server: inbox of %d is not its user's: no answer\n",
			       m.sender_pid);
			close(fd);
			continue;
		}
		if (sscanf(buf, "%d * %d", &a, &b) != 2)
			a = b = 0;
		snprintf(reply, sizeof(reply), "%d", a * b);
		ret = kmbox_send(fd, reply, strlen(reply), 0);
		if (ret < 0)
			die("server", "kmbox_send", ret);
		close(fd);
		printf("server: \"%s\" from pid %d: answered into its inbox\n",
		       buf, m.sender_pid);
	}
	printf("server: %d requests, each answered to the process that sent it\n",
	       count);
	return 0;
}

int main(void)
{
	pid_t server = getpid(), pids[CLIENTS];
	int inbox, i, status, ok = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The server's inbox first: a client may send as soon as it runs. */
	inbox = make_inbox("server");
	printf("server: my inbox is \"direct-<my pid>\"; starting %d clients\n",
	       CLIENTS);
	for (i = 0; i < CLIENTS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("server", "fork", -errno);
		if (pids[i] == 0) {
			close(inbox);
			/* Made before asking, so that the answer finds it. */
			exit(client(i + 1, server, make_inbox("client")));
		}
	}
	serve(inbox, CLIENTS);
	for (i = 0; i < CLIENTS; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			ok = 0;
	close(inbox);
	printf("direct: %s\n", ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
