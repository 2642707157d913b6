// SPDX-License-Identifier: GPL-2.0
/*
 * The program the make run tests run in the guest: linked against the
 * shared libkmbox, as a user's program is.
 *
 *   runprog status N [WORD]...   prints the module's ABI and each WORD,
 *                                exits N
 *   runprog hold                 makes a mailbox, forks a child that
 *                                holds it too, and both wait forever
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmbox.h>

int main(int argc, char **argv)
{
	int i, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "status")) {
		printf("runprog: module ABI %d\n", kmbox_version());
		for (i = 3; i < argc; i++)
			printf("runprog: word %d [%s]\n", i - 2, argv[i]);
		return atoi(argv[2]);
	}
	if (argc == 2 && !strcmp(argv[1], "hold")) {
		fd = kmbox_create("runprog-held", NULL, 0);
		if (fd < 0) {
			fprintf(stderr, "runprog: kmbox_create: %s\n",
				strerror(-fd));
			return 1;
		}
		if (fork() == 0)
			printf("runprog: child %d holds the mailbox\n", getpid());
		else
			printf("runprog: parent %d holds the mailbox\n", getpid());
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: runprog status N [WORD]... | runprog hold\n");
	return 2;
}
