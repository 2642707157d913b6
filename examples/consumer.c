// SPDX-License-Identifier: MIT
/*
 * consumer: takes the jobs of the mailbox "jobs" until the stream ends,
 * then removes the mailbox.  See producer.c: either may start first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kmbox.h>

int main(void)
{
	struct kmbox_attr attr = {
		.flags = KMBOX_ATTR_PERSISTENT | KMBOX_ATTR_HANGUP,
	};
	char buf[8192];
	ssize_t n;
	int fd;

	/* The same attributes: whichever comes first makes the mailbox. */
	fd = kmbox_create("jobs", &attr, KMBOX_RECV);
	if (fd < 0) {
		fprintf(stderr, "consumer: jobs: %s\n", strerror(-fd));
		return 1;
	}
	/* Sleeps while the mailbox is empty and a producer may still come. */
	while ((n = kmbox_recv(fd, buf, sizeof(buf), 0)) >= 0)
		printf("consumer: got \"%.*s\"\n", (int)n, buf);
	if (n != -EPIPE) {
		fprintf(stderr, "consumer: recv: %s\n", strerror(-n));
		return 1;
	}
	printf("consumer: end of stream\n");
	kmbox_unlink("jobs");	/* done: the mailbox goes with our close */
	return 0;
}
