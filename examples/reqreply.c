// SPDX-License-Identifier: MIT
/*
 * reqreply: a client asks, a server answers, and the client does not
 * wait forever.
 *
 * Request/reply (remote procedure call) over message passing needs two
 * queues, one each way:
 *
 *	client --- "requests" ---> server
 *	client <--- "replies" ---- server
 *
 * Each request carries a number, and the reply repeats it, so the client
 * can match a reply to its request: a reply that comes too late to a
 * request the client gave up on must not be taken for the answer to the
 * next one.
 *
 * A server may be slow, stuck or dead.  The client therefore waits for
 * each reply with a deadline: KMBOX_ABSTIME with a CLOCK_MONOTONIC time
 * (KMBOX_TIMEOUT would take a relative one).  The receive fails with
 * -ETIMEDOUT when the deadline passes.  Our server never answers a
 * request named "slow", to show it.
 *
 * The kernel stamps every message with its sender's pid (and uid) as
 * metadata that the sender cannot forge: kmbox_recv_msg() returns it.
 * The server uses it to show who asked; the client checks that the reply
 * came from the server.
 *
 * The mailboxes here are anonymous and reach the server by fork(); an
 * unrelated client would find a server's mailboxes by name, as in
 * pingpong.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmbox.h>

#define TIMEOUT_MS	1000

static const char *const requests[] = {
	"add 2 3", "upper hello", "slow", "add 40 2",
};

#define NREQUESTS	((int)(sizeof(requests) / sizeof(requests[0])))

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/*
 * Receive one message into @buf as a C string.  @deadline_ns: a
 * CLOCK_MONOTONIC deadline, or 0 to wait as long as it takes.  Returns
 * its length or -errno; @sender gets the sender's pid.
 */
static ssize_t recv_text(int fd, char *buf, size_t size, __u64 deadline_ns,
			 pid_t *sender)
{
	struct kmbox_msg msg = {
		.buf = (__u64)(uintptr_t)buf,
		.len = size - 1,	/* room for the NUL we add */
		.flags = deadline_ns ? KMBOX_ABSTIME : 0,
		.timeout_ns = deadline_ns,
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

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The server: answer "<id> <request>" with "<id> <answer>", until the end. */
static int server_main(int req, int rep)
{
	char buf[128], reply[160];
	int id, a, b, off;
	const char *what;
	pid_t from;
	ssize_t len;
	char *p;

	while ((len = recv_text(req, buf, sizeof(buf), 0, &from)) >= 0) {
		if (sscanf(buf, "%d %n", &id, &off) != 1) {
			fprintf(stderr, "server: bad request \"%s\"\n", buf);
			continue;
		}
		what = buf + off;
		printf("server: request #%d \"%s\" from pid %d (%s)\n", id,
		       what, (int)from,
		       from == getppid() ? "my parent" : "a stranger");
		if (!strcmp(what, "slow")) {
			printf("server: ignoring request #%d \"slow\"\n", id);
			continue;
		}
		if (sscanf(what, "add %d %d", &a, &b) == 2) {
			snprintf(reply, sizeof(reply), "%d %d", id, a + b);
		} else if (!strncmp(what, "upper ", 6)) {
			snprintf(reply, sizeof(reply), "%d %s", id, what + 6);
			for (p = reply; *p; p++)
				*p = toupper((unsigned char)*p);
		} else {
			snprintf(reply, sizeof(reply), "%d error: unknown", id);
		}
		send_text("server", rep, reply);
	}
	/* The client shut the request mailbox down: no more requests. */
	if (len != -EPIPE)
		die("server", "kmbox_recv_msg", len);
	printf("server: no more requests, exiting\n");
	return 0;
}

/*
 * Ask request number @id and wait for its answer until the deadline.
 * Returns 1 if answered, 0 on timeout.
 */
static int ask(int req, int rep, int id, pid_t server)
{
	char buf[160], *answer;
	__u64 deadline;
	pid_t from;
	ssize_t len;
	int got;

	snprintf(buf, sizeof(buf), "%d %s", id, requests[id - 1]);
	send_text("client", req, buf);

	/*
	 * One deadline for the whole wait: a stale reply that we throw away
	 * does not give the server more time.
	 */
	deadline = now_ns() + TIMEOUT_MS * 1000000ull;
	for (;;) {
		len = recv_text(rep, buf, sizeof(buf), deadline, &from);
		if (len == -ETIMEDOUT) {
			printf("client: #%d \"%s\": no reply within %d ms (ETIMEDOUT), giving up\n",
			       id, requests[id - 1], TIMEOUT_MS);
			return 0;
		}
		if (len < 0)
			die("client", "kmbox_recv_msg", len);
		answer = strchr(buf, ' ');
		if (sscanf(buf, "%d", &got) == 1 && got == id && answer)
			break;
		printf("client: dropping a stale reply \"%s\"\n", buf);
	}
	printf("client: #%d \"%s\" -> \"%s\", answered %s\n", id,
	       requests[id - 1], answer + 1,
	       from == server ? "by the server" : "by a STRANGER");
	return from == server;
}

int main(void)
{
	int req, rep, i, status, answered = 0;
	pid_t server;

	/* One line at a time, even into a pipe, so the outputs interleave. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	req = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	if (req < 0)
		die("client", "kmbox_create requests", req);
	rep = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	if (rep < 0)
		die("client", "kmbox_create replies", rep);

	server = fork();
	if (server < 0)
		die("client", "fork", -errno);
	if (server == 0)
		exit(server_main(req, rep));

	for (i = 1; i <= NREQUESTS; i++)
		answered += ask(req, rep, i, server);

	/* Tell the server to stop: it drains its requests, then sees EPIPE. */
	i = kmbox_shutdown(req);
	if (i < 0)
		die("client", "kmbox_shutdown", i);
	if (waitpid(server, &status, 0) != server) {
		perror("waitpid");
		return 1;
	}
	printf("client: server exited with status %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("client: %d of %d requests answered, %d timed out\n",
	       answered, NREQUESTS, NREQUESTS - answered);
	close(req);
	close(rep);
	return answered == NREQUESTS - 1 && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : 1;
}
