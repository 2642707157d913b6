// SPDX-License-Identifier: MIT
/*
 * producer: sends three jobs to the mailbox "jobs" and exits.  With
 * consumer.c, the README's walkthrough: start them in either order.
 * The mailbox is persistent (its name keeps it and its messages until
 * the consumer unlinks it) and in hangup mode (the last sender closing
 * ends the stream), so neither program needs the other to be running.
 */
#include <stdio.h>
#include <string.h>

#include <kmbox.h>

int main(void)
{
	struct kmbox_attr attr = {
		.flags = KMBOX_ATTR_PERSISTENT | KMBOX_ATTR_HANGUP,
	};
	char job[32];
	int fd, i, n;

	/* Makes "jobs", or opens it if the consumer made it first. */
	fd = kmbox_create("jobs", &attr, KMBOX_SEND);
	if (fd < 0) {
		fprintf(stderr, "producer: jobs: %s\n", strerror(-fd));
		return 1;
	}
	for (i = 1; i <= 3; i++) {
		n = snprintf(job, sizeof(job), "job %d", i);
		if (kmbox_send(fd, job, n, 0) < 0)
			return 1;
		printf("producer: sent \"%s\"\n", job);
	}
	/* Exiting closes the last sender: that ends the stream. */
	return 0;
}
