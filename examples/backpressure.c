// SPDX-License-Identifier: MIT
/*
 * backpressure: non-blocking send and receive, and what to do when the
 * mailbox is full.
 *
 * A blocking send sleeps while the mailbox is full; a non-blocking one
 * returns -EAGAIN at once and leaves the choice to the sender.  There
 * are two ways to ask for it: per call, with the flag KMBOX_DONTWAIT, or
 * for every call on a descriptor, by opening it with KMBOX_NONBLOCK (the
 * descriptor's O_NONBLOCK, as for a pipe or a socket).  Receiving works
 * the same way: -EAGAIN from an empty mailbox instead of sleeping.
 *
 * Part 1: a mailbox of CAPACITY messages takes CAPACITY non-blocking
 * sends; the next one fails with -EAGAIN instead of sleeping.
 *
 * Part 2, backpressure: a fast producer, a slow consumer.  The producer
 * sends on a non-blocking descriptor; when the mailbox is full it does
 * not spin on -EAGAIN (which would burn a CPU) but waits with poll() for
 * POLLOUT, "there is room", then sends again.  The full mailbox pushes
 * back on the producer, which goes at the consumer's pace, and nothing is
 * lost.  A blocking send would do the same with less code; the
 * non-blocking form lets one thread wait on many descriptors at once (an
 * event loop), or do other work while the consumer catches up.
 *
 * Part 3, load shedding: a producer that must never wait, like a sensor
 * sampling at a fixed rate, drops a reading when the mailbox is full.
 * The consumer comes later and drains the mailbox with non-blocking
 * receives until -EAGAIN says it is empty.  What was kept plus what was
 * dropped is everything sent.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmbox.h>

#define CAPACITY	4	/* messages a mailbox holds */
#define MESSAGES	20
#define SLOW_MS		10	/* the slow consumer's time per message */

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/* A mailbox of CAPACITY messages: @name (NULL: anonymous), @flags. */
static int small_mailbox(const char *name, unsigned int flags)
{
	struct kmbox_attr attr = { .max_msgs = CAPACITY, .max_msg_size = 64 };
	int fd = kmbox_create(name, &attr, flags | KMBOX_CLOEXEC);

	if (fd < 0)
		die("parent", "kmbox_create", fd);
	return fd;
}

static void part1(void)
{
	char msg[16];
	ssize_t ret;
	int fd, i;

	printf("== part 1: a full mailbox and a non-blocking send\n");
	fd = small_mailbox(NULL, 0);
	for (i = 1; i <= CAPACITY + 1; i++) {
		snprintf(msg, sizeof(msg), "msg %d", i);
		ret = kmbox_send(fd, msg, strlen(msg), KMBOX_DONTWAIT);
		if (ret == -EAGAIN) {
			printf("send %d: -EAGAIN at once: the mailbox holds %d, it is full\n",
			       i, CAPACITY);
			break;
		}
		if (ret < 0)
			die("parent", "kmbox_send", ret);
		printf("send %d: queued\n", i);
	}
	close(fd);
}

/* Part 2's consumer, in the child: every message, slowly, in order. */
static int slow_consumer(int fd)
{
	struct timespec pause = { 0, SLOW_MS * 1000000L };
	char buf[64];
	ssize_t n;
	int got = 0, in_order = 1;

	while ((n = kmbox_recv(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[n] = 0;
		got++;
		in_order &= atoi(buf) == got;
		nanosleep(&pause, NULL);	/* the work a message takes */
	}
	if (n != -EPIPE)
		die("consumer", "kmbox_recv", n);
	printf("consumer: %d messages, %s\n", got,
	       in_order ? "all in order" : "NOT IN ORDER");
	return got == MESSAGES && in_order ? 0 : 1;
}

static int part2(void)
{
	int fd, rx, i, status, waits = 0;
	char name[64], msg[16];
	struct pollfd p;
	ssize_t ret;
	pid_t pid;

	printf("== part 2: backpressure, a fast producer and a slow consumer\n");
	/*
	 * Every call on the producer's descriptor is non-blocking.  The flag
	 * belongs to the open file, which fork() and dup() share: the
	 * consumer, whose receives should sleep, opens a file of its own, by
	 * the mailbox's name (then the name can go).
	 */
	snprintf(name, sizeof(name), "backpressure-%d", (int)getpid());
	fd = small_mailbox(name, KMBOX_SEND | KMBOX_EXCL | KMBOX_NONBLOCK);
	rx = kmbox_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	if (rx < 0)
		die("parent", "kmbox_open", rx);
	kmbox_unlink(name);
	pid = fork();
	if (pid < 0)
		die("parent", "fork", -errno);
	if (pid == 0) {
		close(fd);
		exit(slow_consumer(rx));
	}
	close(rx);
	for (i = 1; i <= MESSAGES; i++) {
		snprintf(msg, sizeof(msg), "%d", i);
		while ((ret = kmbox_send(fd, msg, strlen(msg), 0)) == -EAGAIN) {
			/* Full: sleep until there is room, then try again. */
			waits++;
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, -1) < 0)
				die("producer", "poll", -errno);
		}
		if (ret < 0)
			die("producer", "kmbox_send", ret);
	}
	printf("producer: %d messages sent; the mailbox was full %d times, each time poll() waited for room\n",
	       MESSAGES, waits);
	kmbox_shutdown(fd);
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 0;
	printf("producer: none lost: the full mailbox slowed the producer down\n");
	return waits > 0;
}

static int part3(void)
{
	int fd, i, kept = 0, dropped = 0, drained = 0;
	char msg[16], buf[64];
	ssize_t ret;

	printf("== part 3: load shedding, a producer that never waits\n");
	fd = small_mailbox(NULL, 0);
	for (i = 1; i <= MESSAGES; i++) {
		snprintf(msg, sizeof(msg), "reading %d", i);
		ret = kmbox_send(fd, msg, strlen(msg), KMBOX_DONTWAIT);
		if (ret == -EAGAIN) {
			dropped++;	/* full: this reading is dropped */
			continue;
		}
		if (ret < 0)
			die("sensor", "kmbox_send", ret);
		kept++;
	}
	printf("sensor: %d readings, %d queued, %d dropped (mailbox full)\n",
	       MESSAGES, kept, dropped);
	/* A non-blocking receive: -EAGAIN says empty, instead of sleeping. */
	while ((ret = kmbox_recv(fd, buf, sizeof(buf) - 1,
				 KMBOX_DONTWAIT)) >= 0) {
		buf[ret] = 0;
		drained++;
		printf("reader: got \"%s\"\n", buf);
	}
	if (ret != -EAGAIN)
		die("reader", "kmbox_recv", ret);
	printf("reader: -EAGAIN after %d readings: the mailbox is empty\n",
	       drained);
	close(fd);
	printf("%d kept + %d dropped = %d sent\n", drained, dropped,
	       drained + dropped);
	return drained + dropped == MESSAGES && drained == CAPACITY;
}

int main(void)
{
	int ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	part1();
	ok = part2();
	ok &= part3();
	printf("backpressure: %s\n", ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
