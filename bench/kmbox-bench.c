// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: kmbox against pipes, sockets, POSIX and System V message
 * queues and shared-memory rings, side by side in one boot.
 *
 *   kmbox-bench [options] GROUP...
 *
 * Groups: env floors rtt wake stream fanin scale mqperf objects memory,
 * all (every one, in that order), profile rtt|stream MECH SECONDS (one
 * long 64-byte round trip on one vCPU, or stream, to run under perf).
 *
 * Options:
 *   -q          quick: short slices (BENCH_QUICK=1 does the same)
 *   -r N        repetitions of every configuration (11)
 *   -s X        multiply every slice length by X
 *   -o LIST     only these mechanisms (comma-separated labels)
 *   -p PATH     rt-tests' pmqtest, run beside kmbox in the wake group
 *
 * Results go to stdout, one "KB,..." line per figure (see bench.h);
 * progress goes to stderr.  Must run as root for the queue limits it
 * raises (RLIMIT_MSGQUEUE, RLIMIT_NOFILE).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(void)
{
	fputs("usage: kmbox-bench [-q] [-r REPS] [-s SCALE] [-o MECHS] [-p PMQTEST] GROUP...\n"
	      "groups: env floors rtt wake stream fanin scale mqperf objects memory all\n"
	      "        profile rtt|stream MECH SECONDS\n", stderr);
	exit(2);
}

static void run_group(const char *g)
{
	if (!strcmp(g, "env"))
		work_env();
	else if (!strcmp(g, "floors"))
		work_floors();
	else if (!strcmp(g, "rtt"))
		work_rtt();
	else if (!strcmp(g, "wake"))
		work_wake();
	else if (!strcmp(g, "stream"))
		work_stream();
	else if (!strcmp(g, "fanin"))
		work_fanin();
	else if (!strcmp(g, "scale"))
		work_scale();
	else if (!strcmp(g, "mqperf"))
		work_mqperf();
	else if (!strcmp(g, "objects"))
		work_objects();
	else if (!strcmp(g, "memory"))
		work_memory();
	else
		usage();
}

int main(int argc, char **argv)
{
	static const char *all[] = { "env", "floors", "rtt", "wake", "stream",
				     "fanin", "scale", "mqperf", "objects",
				     "memory" };
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	const char *q = getenv("BENCH_QUICK");
	int c, i;
	size_t k;

	opt.quick = q && *q && strcmp(q, "0");
	while ((c = getopt(argc, argv, "qr:s:o:p:h")) != -1) {
		switch (c) {
		case 'q':
			opt.quick = 1;
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 's':
			opt.scale = atof(optarg);
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 'p':
			opt.pmqtest = access(optarg, X_OK) == 0 ? optarg : NULL;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || opt.reps < 1 || opt.scale <= 0)
		usage();
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_MSGQUEUE, &unlimited);
	tick_init();

	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "profile")) {
			if (i + 3 >= argc)
				usage();
			work_profile(argv[i + 1], argv[i + 2], atof(argv[i + 3]));
			i += 3;
		} else if (!strcmp(argv[i], "all")) {
			for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
				run_group(all[k]);
		} else {
			run_group(argv[i]);
		}
	}
	progress("done");
	return 0;
}
