// SPDX-License-Identifier: MIT
/*
 * workers: one producer, several consumers, and a clean stop.
 *
 * The classic bounded buffer: a producer puts jobs into a queue of
 * limited size, consumers take them out.  The producer sleeps while the
 * queue is full, a consumer sleeps while it is empty, and each job goes
 * to exactly one consumer.  A mailbox is such a queue, with the sleeping
 * done by the kernel: here it holds at most QUEUE_LEN jobs, and
 * kmbox_send() blocks when it is full.
 *
 * How do the consumers learn that there will be no more jobs?  With
 * ordinary queues one sends a "poison pill" to each consumer, and must
 * know how many there are.  kmbox_shutdown() does it in one call: from
 * then on sending fails, the consumers still receive every job that is
 * queued, and only then does each of them see end-of-stream (-EPIPE),
 * however many there are.
 *
 * The parent forks WORKERS worker processes, which inherit the two
 * mailboxes (a mailbox descriptor survives fork() as any other file):
 * "jobs" (parent -> workers) and "results" (workers -> parent).  Each
 * worker answers each job with a result naming itself, and exits at
 * end-of-stream with the number of jobs it did as its exit code.  The
 * parent checks that every job was done exactly once and that the
 * workers' counts add up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define WORKERS		3
#define JOBS		24
#define QUEUE_LEN	4	/* jobs queued at most: the producer waits */

/*
 * A job and its result travel as these structs, not as text.  Messages
 * keep their boundaries: one send is one receive, never half a struct.
 */
struct job {
	int number;		/* 1 to JOBS */
};

struct result {
	int number;		/* the job's */
	int worker;		/* who did it: 1 to WORKERS */
	long square;		/* the "work": number * number */
};

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/* A worker: take jobs until end-of-stream; exit with how many it did. */
static int worker_main(int id, int jobs, int results)
{
	struct result r = { .worker = id };
	struct job j;
	ssize_t len;
	int done = 0;

	/*
	 * Several workers sleep in kmbox_recv() on the same mailbox; each
	 * job wakes one of them, and only one gets it.
	 */
	while ((len = kmbox_recv(jobs, &j, sizeof(j), 0)) >= 0) {
		if (len != sizeof(j)) {
			fprintf(stderr, "worker %d: a message of %zd bytes\n",
				id, len);
			continue;
		}
		r.number = j.number;
		r.square = (long)j.number * j.number;
		len = kmbox_send(results, &r, sizeof(r), 0);
		if (len < 0)
			die("worker", "kmbox_send", len);
		done++;
		usleep(1000);	/* pretend the job takes a while */
	}
	/* -EPIPE: the mailbox was shut down and is empty.  Time to go. */
	if (len != -EPIPE)
		die("worker", "kmbox_recv", len);
	return done;
}

int main(void)
{
	struct kmbox_attr attr = { .max_msgs = QUEUE_LEN };
	int jobs, results, i, n, status, sum = 0, ok = 1;
	int done[JOBS + 1] = { 0 }, per_worker[WORKERS + 1] = { 0 };
	pid_t pids[WORKERS + 1];
	struct result r;
	struct job j;
	ssize_t len;

	/* One line at a time, even into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * Anonymous mailboxes (no name): only this process and its
	 * children, which inherit the descriptors, can use them.  "results"
	 * has the default capacity (128 messages), room for every result:
	 * the parent collects them only after it has queued every job.
	 */
	jobs = kmbox_create(NULL, &attr, KMBOX_CLOEXEC);
	if (jobs < 0)
		die("parent", "kmbox_create jobs", jobs);
	results = kmbox_create(NULL, NULL, KMBOX_CLOEXEC);
	if (results < 0)
		die("parent", "kmbox_create results", results);

	for (i = 1; i <= WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("parent", "fork", -errno);
		if (pids[i] == 0)
			exit(worker_main(i, jobs, results));
	}
	printf("parent: %d workers started, queueing %d jobs (at most %d at a time)\n",
	       WORKERS, JOBS, QUEUE_LEN);

	for (i = 1; i <= JOBS; i++) {
		j.number = i;
		/* Sleeps while QUEUE_LEN jobs wait: the workers set the pace. */
		len = kmbox_send(jobs, &j, sizeof(j), 0);
		if (len < 0)
			die("parent", "kmbox_send", len);
	}

	/* The sentinel: no more jobs.  Queued ones are still delivered. */
	printf("parent: all jobs queued, shutting the job mailbox down\n");
	n = kmbox_shutdown(jobs);
	if (n < 0)
		die("parent", "kmbox_shutdown", n);

	for (i = 0; i < JOBS; i++) {
		len = kmbox_recv(results, &r, sizeof(r), 0);
		if (len < 0)
			die("parent", "kmbox_recv", len);
		if (len != sizeof(r) || r.number < 1 || r.number > JOBS ||
		    r.worker < 1 || r.worker > WORKERS ||
		    r.square != (long)r.number * r.number) {
			printf("parent: UNEXPECTED result\n");
			ok = 0;
			continue;
		}
		done[r.number]++;
		per_worker[r.worker]++;
	}

	/* Each worker exits at end-of-stream; its exit code is its count. */
	for (i = 1; i <= WORKERS; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status)) {
			printf("parent: UNEXPECTED end of worker %d\n", i);
			ok = 0;
			continue;
		}
		n = WEXITSTATUS(status);
		printf("parent: worker %d did %d jobs\n", i, n);
		if (n != per_worker[i]) {
			printf("parent: UNEXPECTED: %d results came from it\n",
			       per_worker[i]);
			ok = 0;
		}
		sum += n;
	}

	for (i = 1; i <= JOBS; i++) {
		if (done[i] != 1) {
			printf("parent: UNEXPECTED: job %d was done %d times\n",
			       i, done[i]);
			ok = 0;
		}
	}
	printf("parent: the workers' counts add up to %d of %d jobs\n",
	       sum, JOBS);
	if (sum != JOBS)
		ok = 0;
	if (ok)
		printf("parent: all %d jobs done, each exactly once\n", JOBS);
	close(jobs);
	close(results);
	return ok ? 0 : 1;
}
