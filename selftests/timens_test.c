// SPDX-License-Identifier: GPL-2.0
/*
 * Time namespaces: a KMBOX_ABSTIME deadline (send, receive, batches, the
 * ring's WAIT) and a message's time_ns are CLOCK_MONOTONIC as the caller
 * reads it in its own time namespace (unshare --time; CRIU restores a
 * container's clocks with an offset), not the host's.
 *
 * Each case runs in the first task of a new time namespace whose
 * monotonic clock is 1000 s ahead of the host's, or behind it by half
 * the host's uptime; it reports through its exit status.  Read as the
 * host's, an ABSTIME deadline would then come 1000 s late or at once,
 * and time_ns would be off by the offset.  A relative timeout is not
 * moved; a deadline from before the namespace's clock began has passed,
 * and INT64_MAX never comes.  Without time namespaces (CONFIG_TIME_NS)
 * the test is skipped.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define MSG_SIZE	64
#define NSEC		1000000000ll
#define WAIT_NS		(300 * 1000000ll)
/* How late a timed-out call may return, even on a slow emulated CPU. */
#define SLACK_NS	(5 * NSEC)
/* Far longer than any wait here: ends a deadline that never comes. */
#define GUARD_SECS	60

FIXTURE(tn) {
	char name[64];
	int fd;		/* the ring's consumer; one message fills it */
	int prod;	/* the ring's producer */
	__u32 *map;
	long page;
	long long off;	/* the namespace's clock, less ours */
	long long own;	/* our own time namespace's offset, usually 0 */
	__u64 host_now;	/* the host's clock just before the namespace */
	__u64 sent[2];	/* the host's clock around the parent's send */
};

FIXTURE_VARIANT(tn) {
	int ahead;	/* 1000 s ahead of the host's clock, or behind it */
};

FIXTURE_VARIANT_ADD(tn, ahead) { .ahead = 1 };
FIXTURE_VARIANT_ADD(tn, behind) { .ahead = 0 };

/* Can this kernel make a time namespace for us?  0 or an errno. */
static int time_ns_errno(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWTIME) ? errno : 0);
	return pid < 0 ? errno : kmbox_test_reap(pid);
}

/* Our own time namespace's monotonic offset (the host's clock + it). */
static long long own_offset(void)
{
	char name[16];
	long long sec;
	long nsec;
	FILE *f = fopen("/proc/self/timens_offsets", "re");
	long long off = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%15s %lld %ld", name, &sec, &nsec) == 3) {
		if (!strcmp(name, "monotonic"))
			off = sec * NSEC + nsec;
	}
	fclose(f);
	return off;
}

FIXTURE_SETUP(tn)
{
	struct kmbox_attr a = {
		.max_msgs = 1, .max_msg_size = MSG_SIZE,
	};
	long long up = kmbox_test_now_ns() / NSEC;
	int err;

	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to make a time namespace");
	err = time_ns_errno();
	if (err)
		SKIP(_exit(255), "no time namespace here: %s", strerror(err));
	self->own = own_offset();
	self->map = MAP_FAILED;
	self->prod = -1;
	self->page = sysconf(_SC_PAGESIZE);
	/* Behind: the namespace's clock must not start below zero. */
	ASSERT_GE(up, 2);
	self->off = variant->ahead ? 1000 * NSEC : -(up / 2) * NSEC;
	kmbox_test_name(self->name, sizeof(self->name), "timens");
	a.region_size = self->page;
	self->fd = kmbox_test_create(self->name, &a, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	self->map = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_TRUE(self->map != MAP_FAILED);
	self->prod = kmbox_test_open(self->name, KMBOX_CLOEXEC);
	ASSERT_GE(self->prod, 0);
	ASSERT_EQ(0, kmbox_test_ring_join(self->fd, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_ring_join(self->prod, KMBOX_RING_PRODUCER));
}

FIXTURE_TEARDOWN(tn)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->page);
	if (self->prod >= 0)
		close(self->prod);
	close(self->fd);
	kmbox_test_unlink(self->name);
}

/*
 * Runs @fn(@self) as the first task of a new time namespace of offset
 * self->off: its exit status (100 and up: the namespace could not be
 * made or is not in effect; 128 + N: killed by signal N).
 */
static int in_time_ns(FIXTURE_DATA(tn) *self, int (*fn)(FIXTURE_DATA(tn) *))
{
	pid_t pid;

	self->host_now = kmbox_test_now_ns();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Offsets are from the host's clock, not ours. */
		long long total = self->own + self->off;
		long long sec = total / NSEC - (total % NSEC < 0);
		char line[64];
		long long d;
		int fd, n;

		/* The caller stays outside; its next child is inside. */
		if (unshare(CLONE_NEWTIME))
			_exit(100);
		n = snprintf(line, sizeof(line), "monotonic %lld %lld\n", sec,
			     total - sec * NSEC);
		fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, line, n) != n)
			_exit(101);
		close(fd);
		pid = fork();
		if (pid == 0) {
			alarm(GUARD_SECS);
			/* The offset is in effect (a minute for slowness). */
			d = (long long)(kmbox_test_now_ns() - self->host_now) -
			    self->off;
			if (d < 0 || d > 60 * NSEC)
				_exit(102);
			_exit(fn(self));
		}
		_exit(pid < 0 ? 103 : kmbox_test_reap(pid));
	}
	return kmbox_test_reap(pid);
}

/*
 * The verdict on a call that had a deadline of @start + WAIT_NS on the
 * caller's clock and returned @ret: 0 if it timed out then; 1 if it
 * returned something else, 2 if early, 3 if late.
 */
static int timed_out_on_time(int ret, __u64 start)
{
	__u64 end = kmbox_test_now_ns();

	if (ret != -ETIMEDOUT)
		return 1;
	if (end < start + WAIT_NS)
		return 2;
	if (end > start + WAIT_NS + SLACK_NS)
		return 3;
	return 0;
}

/* A receive with @timing (KMBOX_ABSTIME or KMBOX_TIMEOUT) of WAIT_NS. */
static int recv_times_out(FIXTURE_DATA(tn) *self, __u32 timing)
{
	__u64 start = kmbox_test_now_ns();
	char buf[MSG_SIZE];

	return timed_out_on_time(kmbox_test_timed(self->fd, KMBOX_IOC_RECV,
						  buf, sizeof(buf), timing,
						  timing == KMBOX_ABSTIME ?
						  start + WAIT_NS : WAIT_NS,
						  NULL),
				 start);
}

static int recv_deadline(FIXTURE_DATA(tn) *self)
{
	return recv_times_out(self, KMBOX_ABSTIME);
}

TEST_F(tn, recv_deadline_on_the_namespaces_clock)
{
	EXPECT_EQ(0, in_time_ns(self, recv_deadline));
}

static int send_deadline(FIXTURE_DATA(tn) *self)
{
	__u64 start;

	if (kmbox_test_send(self->fd, "1", 1, 0, 0) != 1)
		return 4;
	start = kmbox_test_now_ns();
	return timed_out_on_time(kmbox_test_timed(self->fd, KMBOX_IOC_SEND,
						  "2", 1, KMBOX_ABSTIME,
						  start + WAIT_NS, NULL),
				 start);
}

TEST_F(tn, send_deadline_on_the_namespaces_clock)
{
	EXPECT_EQ(0, in_time_ns(self, send_deadline));
}

static int recvv_deadline(FIXTURE_DATA(tn) *self)
{
	char buf[2][MSG_SIZE];
	struct kmbox_msg m[2] = {
		{ .buf = (__u64)(unsigned long)buf[0], .len = MSG_SIZE },
		{ .buf = (__u64)(unsigned long)buf[1], .len = MSG_SIZE },
	};
	struct kmbox_msgv v = {
		.msgs = (__u64)(unsigned long)m,
		.count = 2,
		.flags = KMBOX_ABSTIME,
	};

	v.timeout_ns = kmbox_test_now_ns() + WAIT_NS;
	return timed_out_on_time(kmbox_test_ioctl(self->fd, KMBOX_IOC_RECVV,
						  &v),
				 v.timeout_ns - WAIT_NS);
}

TEST_F(tn, recvv_deadline_on_the_namespaces_clock)
{
	EXPECT_EQ(0, in_time_ns(self, recvv_deadline));
}

static int ring_deadline(FIXTURE_DATA(tn) *self)
{
	__u64 start = kmbox_test_now_ns();

	return timed_out_on_time(kmbox_test_ring_wait(self->fd, self->map,
						      *self->map,
						      KMBOX_ABSTIME,
						      start + WAIT_NS),
				 start);
}

TEST_F(tn, ring_wait_deadline_on_the_namespaces_clock)
{
	EXPECT_EQ(0, in_time_ns(self, ring_deadline));
}

/* A relative timeout is not moved: it runs from now on any clock. */
static int relative_timeout(FIXTURE_DATA(tn) *self)
{
	return recv_times_out(self, KMBOX_TIMEOUT);
}

TEST_F(tn, relative_timeout_unmoved)
{
	EXPECT_EQ(0, in_time_ns(self, relative_timeout));
}

/*
 * A deadline long past (1 ns: before the namespace's clock began when it
 * is ahead) fails at once; the latest one (INT64_MAX) never comes, even
 * on a clock behind the host's: the call waits for the message a child
 * sends WAIT_NS later.
 */
static int extreme_deadlines(FIXTURE_DATA(tn) *self)
{
	__u64 start = kmbox_test_now_ns();
	char buf[MSG_SIZE];
	pid_t pid;
	int ret;

	if (kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf, sizeof(buf),
			     KMBOX_ABSTIME, 1, NULL) != -ETIMEDOUT)
		return 1;
	if (kmbox_test_now_ns() > start + SLACK_NS)
		return 2;
	pid = fork();
	if (pid == 0) {
		usleep(WAIT_NS / 1000);
		_exit(kmbox_test_send(self->fd, "x", 1, 0, 0) == 1 ? 0 : 1);
	}
	if (pid < 0)
		return 3;
	ret = kmbox_test_timed(self->fd, KMBOX_IOC_RECV, buf, sizeof(buf),
			       KMBOX_ABSTIME, INT64_MAX, NULL);
	if (kmbox_test_reap(pid))
		return 4;
	return ret == 1 && buf[0] == 'x' ? 0 : 5;
}

TEST_F(tn, extreme_deadlines)
{
	EXPECT_EQ(0, in_time_ns(self, extreme_deadlines));
}

/*
 * time_ns on the receiver's clock: of a message the parent queued on
 * the host's clock, and of one queued inside.
 */
static int times_on_the_namespaces_clock(FIXTURE_DATA(tn) *self)
{
	char buf[MSG_SIZE];
	struct kmbox_msg m;
	__u64 t0, t1;

	if (kmbox_test_recv(self->fd, buf, sizeof(buf), KMBOX_DONTWAIT,
			    &m) != 1)
		return 1;
	if (m.time_ns < self->sent[0] + self->off ||
	    m.time_ns > self->sent[1] + self->off)
		return 2;
	t0 = kmbox_test_now_ns();
	if (kmbox_test_send(self->fd, "2", 1, 0, 0) != 1)
		return 3;
	t1 = kmbox_test_now_ns();
	if (kmbox_test_recv(self->fd, buf, sizeof(buf), KMBOX_DONTWAIT,
			    &m) != 1)
		return 4;
	if (m.time_ns < t0 || m.time_ns > t1)
		return 5;
	return 0;
}

TEST_F(tn, message_times_on_the_namespaces_clock)
{
	self->sent[0] = kmbox_test_now_ns();
	ASSERT_EQ(1, kmbox_test_send(self->fd, "1", 1, 0, 0));
	self->sent[1] = kmbox_test_now_ns();
	EXPECT_EQ(0, in_time_ns(self, times_on_the_namespaces_clock));
}

TEST_HARNESS_MAIN
