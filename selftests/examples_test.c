// SPDX-License-Identifier: GPL-2.0
/*
 * The example programs of examples/: each runs to its end, exits 0 and
 * prints the lines that show its point (end-of-stream and SIGPIPE of a
 * pipe, every job done once by a pool of workers, a request that times
 * out, updates lost without a lock but exact counts under a futex lock
 * and checksums through the ring, SIGIO and epoll, a full mailbox that
 * holds a non-blocking producer back, answers that reach each client in
 * its own inbox), in the order one process prints them.
 *
 * The programs are the files next to this one (pipe, workers, reqreply,
 * shmsync, notify, backpressure, direct), built as the tests are.  Their stdout and stderr are
 * read together; no line the checks look for holds a pid.
 */
#include <limits.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define OUT_SIZE	32768
#define RUN_TIMEOUT_NS	(100 * 1000000000ull)
/* Subtest timeout: a run of the slowest example on the debug kernel. */
#define SLOW		120

FIXTURE(ex) {
	pid_t pid;		/* the example while it runs */
	__u64 ns;		/* how long it ran */
	char out[OUT_SIZE];	/* its stdout and stderr, NUL-terminated */
};

FIXTURE_SETUP(ex)
{
	self->pid = 0;
	ASSERT_EQ(0, access(KMBOX_DEV, F_OK)) {
		TH_LOG("%s is missing: is kmbox loaded?", KMBOX_DEV);
	}
}

FIXTURE_TEARDOWN(ex)
{
	kmbox_test_kill(&self->pid);
}

/* The path of example @name, in this program's folder: 0 or -errno. */
static int find_example(const char *name, char *path, size_t size)
{
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", path, size - 1);
	if (n < 0)
		return -errno;
	path[n] = 0;
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash + 1 - path) + strlen(name) >= size)
		return -ENAMETOOLONG;
	strcpy(slash + 1, name);
	return access(path, X_OK) ? -errno : 0;
}

/*
 * Runs example @name to its end (killed after RUN_TIMEOUT_NS): its exit
 * status, 128 + signal if a signal ended it, or -1.  self->out gets what
 * it printed, self->ns how long it ran.
 */
static int run(FIXTURE_DATA(ex) *self, const char *name)
{
	size_t len = 0;
	char path[PATH_MAX];
	struct pollfd p;
	int fds[2], ret;
	__u64 start;
	ssize_t n;

	self->out[0] = 0;
	ret = find_example(name, path, sizeof(path));
	if (ret) {
		ksft_print_msg("no example %s next to this test: %s\n", name,
			       strerror(-ret));
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	start = kmbox_test_now_ns();
	self->pid = fork();
	if (self->pid < 0) {
		self->pid = 0;
		return -1;
	}
	if (self->pid == 0) {
		if (dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(126);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	while (kmbox_test_now_ns() - start < RUN_TIMEOUT_NS) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fds[0], self->out + len, sizeof(self->out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* EOF: it closed its output */
		len += n;
		self->out[len] = 0;
		if (len == sizeof(self->out) - 1)
			break;
	}
	close(fds[0]);
	if (kmbox_test_now_ns() - start >= RUN_TIMEOUT_NS) {
		ksft_print_msg("%s still runs after %llu s: killed\n", name,
			       RUN_TIMEOUT_NS / 1000000000ull);
		kill(self->pid, SIGKILL);
	}
	ret = kmbox_test_reap(self->pid);
	self->pid = 0;
	self->ns = kmbox_test_now_ns() - start;
	ksft_print_msg("%s: exit %d after %llu ms\n", name, ret,
		       self->ns / 1000000ull);
	return ret;
}

/*
 * Checks that each of @lines (NULL-terminated) is in @out, each after
 * the one before: lines one process prints, in its order.
 */
static void expect_lines(struct __test_metadata *_metadata, const char *out,
			 const char *const *lines)
{
	const char *at = out, *hit;

	for (; *lines; lines++) {
		hit = strstr(at, *lines);
		EXPECT_TRUE(hit != NULL) {
			TH_LOG("no \"%s\" (after offset %d) in the output:\n%s",
			       *lines, (int)(at - out), out);
		}
		if (!hit)
			return;		/* one report, not one per line */
		at = hit + strlen(*lines);
	}
}

#define LINES(...)	((const char *const []){ __VA_ARGS__, NULL })
#define EXPECT_LINES(...) expect_lines(_metadata, self->out, LINES(__VA_ARGS__))

/* Checks that @str is nowhere in the output. */
#define EXPECT_NOT_PRINTED(str) do {					\
	EXPECT_TRUE(strstr(self->out, str) == NULL) {			\
		TH_LOG("\"%s\" in the output:\n%s", str, self->out);	\
	}								\
} while (0)

/* What every example must do: exit 0 and report nothing unexpected. */
#define RUN_OK(name) do {						\
	ASSERT_EQ(0, run(self, name)) {					\
		TH_LOG("%s printed:\n%s", name, self->out);		\
	}								\
	EXPECT_NOT_PRINTED("UNEXPECTED");				\
	EXPECT_NOT_PRINTED("FAILED");					\
} while (0)

/* End-of-stream when the writer closes; SIGPIPE and EPIPE without reader. */
TEST_F_TIMEOUT(ex, pipe, SLOW)
{
	RUN_OK("pipe");
	/* Part 1's reader: every message in order, then the end. */
	EXPECT_LINES("reader: got \"line 1\"\n", "reader: got \"line 2\"\n",
		     "reader: got \"line 3\"\n",
		     "reader: end of stream after 3 messages\n");
	/* Part 2's reader got its one message. */
	EXPECT_LINES("reader: got \"hello\", exiting\n");
	/* The parent. */
	EXPECT_LINES("writer: sent 3 messages, closing the write end\n",
		     "writer: reader exited with status 0\n",
		     "writer: the reader has exited, no read end is left\n",
		     "(a) default action: the writer child was killed by SIGPIPE\n",
		     "(b) with a handler: SIGPIPE caught, kmbox_send returned -EPIPE",
		     "(c) KMBOX_NOSIGNAL: no signal, kmbox_send returned -EPIPE",
		     "pipe: done\n");
	/* The writer child must have died before it could print. */
	EXPECT_NOT_PRINTED("still alive");
}

/* Three workers, 24 jobs, shutdown as the sentinel: each job done once. */
TEST_F_TIMEOUT(ex, workers, SLOW)
{
	RUN_OK("workers");
	EXPECT_LINES("parent: 3 workers started, queueing 24 jobs (at most 4 at a time)\n",
		     "parent: all jobs queued, shutting the job mailbox down\n",
		     "parent: worker 1 did ", "parent: worker 2 did ",
		     "parent: worker 3 did ",
		     "parent: the workers' counts add up to 24 of 24 jobs\n",
		     "parent: all 24 jobs done, each exactly once\n");
}

/* Request/reply: answers matched to requests, one timeout, who asked. */
TEST_F_TIMEOUT(ex, reqreply, SLOW)
{
	RUN_OK("reqreply");
	EXPECT_LINES("client: #1 \"add 2 3\" -> \"5\", answered by the server\n",
		     "client: #2 \"upper hello\" -> \"HELLO\", answered by the server\n",
		     "client: #3 \"slow\": no reply within 1000 ms (ETIMEDOUT), giving up\n",
		     "client: #4 \"add 40 2\" -> \"42\", answered by the server\n",
		     "client: server exited with status 0\n",
		     "client: 3 of 4 requests answered, 1 timed out\n");
	/* The server knew its client by the sender pid of each request. */
	EXPECT_LINES("server: request #1 \"add 2 3\" from pid ",
		     " (my parent)\n",
		     "server: request #3 \"slow\" from pid ",
		     " (my parent)\n",
		     "server: ignoring request #3 \"slow\"\n",
		     "server: request #4 \"add 40 2\" from pid ",
		     " (my parent)\n",
		     "server: no more requests, exiting\n");
	EXPECT_NOT_PRINTED("stranger");
	EXPECT_NOT_PRINTED("STRANGER");
	/* The timeout was waited out, not cut short. */
	EXPECT_LE(1000000000ull, self->ns);
}

/*
 * Shared counter: updates lost without synchronisation (in one of the
 * example's tries: on the VM's two CPUs the first one loses many), exact
 * under a futex lock and atomics; the ring's sums.
 */
TEST_F_TIMEOUT(ex, shmsync, SLOW)
{
	unsigned int got, want, lost = 0, tries = 0;
	const char *line;

	RUN_OK("shmsync");
	EXPECT_LINES("== part 1: 2 processes add 1 to a shared counter 300000 times each\n",
		     "unsynchronised: counter = ",
		     "== part 2: the same, synchronised\n",
		     "futex mutex: counter = 600000, expected 600000: exact\n",
		     "atomic add: counter = 600000, expected 600000: exact\n",
		     "== part 3: 2000 messages through the ring, with checksums\n",
		     "ring: end of stream after 2000 messages, 0 bad\n",
		     "ring: all 2000 messages in order, every checksum matches\n",
		     "shmsync: done\n");
	/* How many were lost varies; that some were is the lesson. */
	for (line = strstr(self->out, "unsynchronised: "); line;
	     line = strstr(line + 1, "unsynchronised: ")) {
		ASSERT_EQ(3, sscanf(line,
				    "unsynchronised: counter = %u, expected %u: %u updates lost",
				    &got, &want, &lost));
		EXPECT_EQ(want - got, lost);
		tries++;
		ksft_print_msg("%.*s\n", (int)strcspn(line, "\n"), line);
	}
	EXPECT_LE(1, tries);
	EXPECT_LE(tries, 3);
	EXPECT_LT(0, lost) {
		TH_LOG("no update lost in %u tries:\n%s", tries, self->out);
	}
}

/* Notification by SIGIO and by epoll. */
TEST_F_TIMEOUT(ex, notify, SLOW)
{
	RUN_OK("notify");
	EXPECT_LINES("== part 1: notification by signal (O_ASYNC, SIGIO)\n",
		     "SIGIO: received \"news 1\"\n",
		     "SIGIO: received \"news 2\"\n",
		     "SIGIO: received \"news 3\"\n",
		     "SIGIO: 3 messages, ",
		     "== part 2: notification by epoll\n",
		     "epoll: EPOLLIN: received \"event 1\"\n",
		     "epoll: EPOLLIN: received \"event 2\"\n",
		     "epoll: EPOLLIN: received \"event 3\"\n",
		     "epoll: EPOLLHUP: shut down and empty, after 3 messages\n",
		     "notify: done\n");
}

/*
 * Non-blocking send and receive: -EAGAIN at once when full (or empty);
 * poll() for room as backpressure, nothing lost; dropping when full.
 */
TEST_F_TIMEOUT(ex, backpressure, SLOW)
{
	int waits = -1;
	const char *line;

	RUN_OK("backpressure");
	EXPECT_LINES("== part 1: a full mailbox and a non-blocking send\n",
		     "send 1: queued\n", "send 4: queued\n",
		     "send 5: -EAGAIN at once: the mailbox holds 4, it is full\n",
		     "== part 2: backpressure, a fast producer and a slow consumer\n",
		     "producer: 20 messages sent; the mailbox was full ",
		     "producer: none lost: the full mailbox slowed the producer down\n",
		     "== part 3: load shedding, a producer that never waits\n",
		     "sensor: 20 readings, 4 queued, 16 dropped (mailbox full)\n",
		     "reader: got \"reading 1\"\n", "reader: got \"reading 4\"\n",
		     "reader: -EAGAIN after 4 readings: the mailbox is empty\n",
		     "4 kept + 16 dropped = 20 sent\n", "backpressure: done\n");
	EXPECT_LINES("consumer: 20 messages, all in order\n");
	EXPECT_NOT_PRINTED("send 5: queued");
	EXPECT_NOT_PRINTED("reading 5");
	/* The slow consumer held the producer back at least once. */
	line = strstr(self->out, "the mailbox was full ");
	ASSERT_TRUE(line != NULL);
	EXPECT_EQ(1, sscanf(line, "the mailbox was full %d times", &waits));
	EXPECT_LT(0, waits);
}

/*
 * Direct naming: each client's answer in its own inbox, from the server;
 * the server answers each request to the process that sent it.
 */
TEST_F_TIMEOUT(ex, direct, SLOW)
{
	RUN_OK("direct");
	EXPECT_LINES("server: my inbox is \"direct-<my pid>\"; starting 3 clients\n",
		     "server: 3 requests, each answered to the process that sent it\n",
		     "direct: done\n");
	EXPECT_LINES("client 1: \"1 * 7\" -> \"7\", in my own inbox, from the server\n");
	EXPECT_LINES("client 2: \"2 * 7\" -> \"14\", in my own inbox, from the server\n");
	EXPECT_LINES("client 3: \"3 * 7\" -> \"21\", in my own inbox, from the server\n");
	EXPECT_LINES("server: \"1 * 7\" from pid ");
	EXPECT_LINES("server: \"2 * 7\" from pid ");
	EXPECT_LINES("server: \"3 * 7\" from pid ");
	EXPECT_NOT_PRINTED("STRANGER");
	EXPECT_NOT_PRINTED("no answer");
}

/*
 * The README's walkthrough: producer and consumer, each started alone,
 * in either order, through the persistent hangup mailbox "jobs".
 */
TEST_F_TIMEOUT(ex, walkthrough_producer_first, SLOW)
{
	kmbox_test_unlink("jobs");
	RUN_OK("producer");
	EXPECT_LINES("producer: sent \"job 1\"\n",
		     "producer: sent \"job 2\"\n",
		     "producer: sent \"job 3\"\n");
	/* The producer is gone; its jobs are not. */
	RUN_OK("consumer");
	EXPECT_LINES("consumer: got \"job 1\"\n", "consumer: got \"job 2\"\n",
		     "consumer: got \"job 3\"\n", "consumer: end of stream\n");
	/* The consumer removed the mailbox. */
	EXPECT_EQ(-ENOENT, kmbox_test_open("jobs", KMBOX_CLOEXEC));
}

TEST_F_TIMEOUT(ex, walkthrough_consumer_first, SLOW)
{
	char path[PATH_MAX], out[4096];
	int fds[2], n, len = 0;
	pid_t consumer;

	kmbox_test_unlink("jobs");
	ASSERT_EQ(0, find_example("consumer", path, sizeof(path)));
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	consumer = fork();
	ASSERT_GE(consumer, 0);
	if (consumer == 0) {
		if (dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(126);
		execl(path, "consumer", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* It waits for the producer, which comes later. */
	ASSERT_EQ(0, kmbox_test_wait_sleeping(consumer));
	RUN_OK("producer");
	while (len < (int)sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(fds[0]);
	EXPECT_EQ(0, kmbox_test_reap(consumer));
	expect_lines(_metadata, out,
		     LINES("consumer: got \"job 1\"\n", "consumer: got \"job 2\"\n",
			   "consumer: got \"job 3\"\n",
			   "consumer: end of stream\n"));
	EXPECT_EQ(-ENOENT, kmbox_test_open("jobs", KMBOX_CLOEXEC));
}

TEST_HARNESS_MAIN
