// SPDX-License-Identifier: GPL-2.0
/*
 * Ring doorbells, through the raw ioctls: KMBOX_IOC_RING_JOIN makes an
 * open file the producer or the consumer end of the mailbox's ring;
 * KMBOX_IOC_RING_WAIT sleeps, as FUTEX_WAIT does on a word of the caller,
 * until the other end rings with KMBOX_IOC_RING_WAKE, and fails with
 * EPIPE once the other end is gone or the mailbox is shut down; a joined
 * file reports EPOLLPRI when its doorbell has rung since its last WAIT
 * returned or when WAIT would fail with EPIPE.
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define NSEC		1000000000ull
#define MSEC		1000000ull
#define GUARD_NS	(20 * NSEC)	/* a timeout that must never run out */
#define WORD		16		/* index of the fixture's word */

FIXTURE(bell) {
	long page;
	char name[64];
	int rw;			/* the creator's descriptor, both roles */
	__u32 *map;		/* the region, read-write */
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(bell)
{
	self->page = sysconf(_SC_PAGESIZE);
	kmbox_test_name(self->name, sizeof(self->name), "doorbell");
	self->rw = kmbox_test_create_region(self->name, self->page,
					    KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->rw, 0);
	self->map = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->rw, 0);
	ASSERT_TRUE(self->map != MAP_FAILED);
}

FIXTURE_TEARDOWN(bell)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->map != MAP_FAILED && self->map)
		munmap(self->map, self->page);
	close(self->rw);
	kmbox_test_unlink(self->name);
}

/* Another descriptor of the fixture's mailbox, roles @flags. */
static int another(FIXTURE_DATA(bell) *self, __u32 flags)
{
	return kmbox_test_open(self->name, flags | KMBOX_CLOEXEC);
}

static int join_flags(int fd, __u32 side, __u32 flags)
{
	struct kmbox_ring_join j = { .side = side, .flags = flags };

	return kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &j);
}

static int join(int fd, __u32 side)
{
	return join_flags(fd, side, 0);
}

/*
 * Joins the fixture's descriptor as the consumer and another descriptor
 * as the producer: the producer's descriptor, or -1.
 */
static int joined_pair(FIXTURE_DATA(bell) *self)
{
	int p = another(self, 0);

	if (p < 0)
		return -1;
	if (join(self->rw, KMBOX_RING_CONSUMER) ||
	    join(p, KMBOX_RING_PRODUCER)) {
		close(p);
		return -1;
	}
	return p;
}

/* The fixture's word, 0 unless a test changes it. */
static __u32 *word(FIXTURE_DATA(bell) *self)
{
	return &self->map[WORD];
}

/* WAIT on @fd for the fixture's word to leave its value, no flags. */
static int wait_word(FIXTURE_DATA(bell) *self, int fd, __u32 flags,
		     __u64 timeout_ns)
{
	return kmbox_test_ring_wait(fd, word(self), *word(self), flags,
				    timeout_ns);
}

/* STAT's ring_producers and ring_consumers, as 10 * p + c, or -1. */
static int ring_ends(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return st.ring_producers * 10 + st.ring_consumers;
}

/*
 * Forks a waiter: it closes @close1 and @close2 (if >= 0), then WAITs on
 * @fd for the fixture's word with @flags and @timeout_ns, and exits 0 if
 * that returned @want (else its errno, or KMBOX_TEST_BAD + 1).
 */
static pid_t waiter(FIXTURE_DATA(bell) *self, int fd, int close1,
		    int close2, __u32 flags, __u64 timeout_ns, int want)
{
	pid_t pid = kmbox_test_spawn(&self->kids);

	if (pid == 0) {
		if (close1 >= 0)
			close(close1);
		if (close2 >= 0)
			close(close2);
		_exit(kmbox_test_verdict(wait_word(self, fd, flags,
						   timeout_ns), want));
	}
	return pid;
}

/* Waits until @pid sleeps in KMBOX_IOC_RING_WAIT: 0 or -1. */
static int asleep_in_wait(pid_t pid)
{
	return kmbox_test_wait_in_syscall(pid, SYS_ioctl,
					  KMBOX_IOC_RING_WAIT);
}

static int pri(int fd)
{
	int r = kmbox_test_revents(fd, POLLPRI);

	return r < 0 ? r : !!(r & POLLPRI);
}

/* --- KMBOX_IOC_RING_JOIN ---------------------------------------------- */

TEST_F(bell, join_bad_side_einval)
{
	static const __u32 bad[] = { 0, 3, 4, 0x80000001u, ~0u };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, join(self->rw, bad[i])) {
			TH_LOG("side %#x", bad[i]);
		}
	}
	EXPECT_EQ(0, ring_ends(self->rw));
	/* Nothing was joined: the file can still join. */
	EXPECT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
}

TEST_F(bell, join_flags_einval)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, join_flags(self->rw, KMBOX_RING_CONSUMER,
					      1u << bit)) {
			TH_LOG("flag %#x", 1u << bit);
		}
	}
	EXPECT_EQ(0, ring_ends(self->rw));
	EXPECT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
}

TEST_F(bell, join_no_region_enodev)
{
	int fd = kmbox_test_create_region(NULL, 0, KMBOX_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENODEV, join(fd, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-ENODEV, join(fd, KMBOX_RING_CONSUMER));
	EXPECT_EQ(0, ring_ends(fd));
	close(fd);
}

/* The producer needs the send role; a receive-only file can consume. */
TEST_F(bell, join_producer_needs_send_role)
{
	int rfd = another(self, KMBOX_RECV);

	ASSERT_GE(rfd, 0);
	EXPECT_EQ(-EBADF, join(rfd, KMBOX_RING_PRODUCER));
	EXPECT_EQ(0, ring_ends(self->rw));
	EXPECT_EQ(0, join(rfd, KMBOX_RING_CONSUMER));
	EXPECT_EQ(1, ring_ends(self->rw));
	close(rfd);
}

/* The consumer needs the receive role; a send-only file can produce. */
TEST_F(bell, join_consumer_needs_recv_role)
{
	int sfd = another(self, KMBOX_SEND);

	ASSERT_GE(sfd, 0);
	EXPECT_EQ(-EBADF, join(sfd, KMBOX_RING_CONSUMER));
	EXPECT_EQ(0, ring_ends(self->rw));
	EXPECT_EQ(0, join(sfd, KMBOX_RING_PRODUCER));
	EXPECT_EQ(10, ring_ends(self->rw));
	close(sfd);
}

/* One producer and one consumer: another file is EBUSY. */
TEST_F(bell, join_second_file_ebusy)
{
	int a = another(self, 0), b = another(self, 0);

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, join(a, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EBUSY, join(b, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EBUSY, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(b, KMBOX_RING_CONSUMER));
	EXPECT_EQ(-EBUSY, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(11, ring_ends(self->rw));
	close(a);
	close(b);
}

/* A file that joined cannot join again, as either end or through a dup. */
TEST_F(bell, join_same_file_ealready)
{
	int d;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EALREADY, join(self->rw, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EALREADY, join(self->rw, KMBOX_RING_CONSUMER));
	d = dup(self->rw);
	ASSERT_GE(d, 0);
	EXPECT_EQ(-EALREADY, join(d, KMBOX_RING_PRODUCER));
	close(d);
	EXPECT_EQ(10, ring_ends(self->rw));
}

/* The end is free again once the file that held it is closed, not before. */
TEST_F(bell, join_again_after_close)
{
	int a = another(self, 0), b = another(self, 0), d;

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, join(a, KMBOX_RING_PRODUCER));
	d = dup(a);
	ASSERT_GE(d, 0);
	close(a);
	/* The dup keeps the file open. */
	EXPECT_EQ(-EBUSY, join(b, KMBOX_RING_PRODUCER));
	EXPECT_EQ(10, ring_ends(self->rw));
	close(d);
	EXPECT_EQ(0, ring_ends(self->rw));
	EXPECT_EQ(0, join(b, KMBOX_RING_PRODUCER));
	EXPECT_EQ(10, ring_ends(self->rw));
	close(b);
}

/*
 * A mapping holds the file it was made from, and so its end of the ring:
 * closed but mapped, the producer is still there; unmapped, it is gone.
 */
TEST_F(bell, mapping_holds_the_end)
{
	int p = another(self, 0), b = another(self, 0);
	void *m;

	ASSERT_GE(p, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	m = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, p, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	close(p);
	EXPECT_EQ(11, ring_ends(self->rw));
	EXPECT_EQ(-EBUSY, join(b, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, pri(self->rw));

	ASSERT_EQ(0, munmap(m, self->page));
	EXPECT_EQ(1, ring_ends(self->rw));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(0, join(b, KMBOX_RING_PRODUCER));
	close(b);
}

/* fdinfo's ring: the end this file joined, or "-". */
TEST_F(bell, fdinfo_ring)
{
	int p = another(self, KMBOX_SEND), c = another(self, KMBOX_RECV);
	char val[64];

	ASSERT_GE(p, 0);
	ASSERT_GE(c, 0);
	ASSERT_EQ(0, kmbox_test_fdinfo(p, "ring", val, sizeof(val)));
	EXPECT_STREQ("-", val);
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_fdinfo(p, "ring", val, sizeof(val)));
	EXPECT_STREQ("producer", val);
	ASSERT_EQ(0, kmbox_test_fdinfo(c, "ring", val, sizeof(val)));
	EXPECT_STREQ("consumer", val);
	ASSERT_EQ(0, kmbox_test_fdinfo(self->rw, "ring", val, sizeof(val)));
	EXPECT_STREQ("-", val);
	close(p);
	close(c);
}

/* STAT counts the files that joined, each end, as they come and go. */
TEST_F(bell, stat_ring_ends)
{
	struct kmbox_stat st;
	int p = another(self, KMBOX_SEND), c = another(self, KMBOX_RECV);

	ASSERT_GE(p, 0);
	ASSERT_GE(c, 0);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_stat(c, &st));
	EXPECT_EQ(1, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	close(p);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	close(c);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
}

/* --- KMBOX_IOC_RING_WAIT: errors -------------------------------------- */

TEST_F(bell, wait_not_joined_einval)
{
	int none = kmbox_test_create_region(NULL, 0, KMBOX_CLOEXEC);

	EXPECT_EQ(-EINVAL, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EINVAL, kmbox_test_ring_wait(self->rw, word(self), 1, 0, 0));
	ASSERT_GE(none, 0);
	EXPECT_EQ(-EINVAL, wait_word(self, none, KMBOX_DONTWAIT, 0));
	close(none);
}

TEST_F(bell, wait_misaligned_einval)
{
	char *w = (char *)word(self);
	int i;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(-EINVAL, kmbox_test_ring_wait(self->rw, w + i, 0,
							KMBOX_DONTWAIT, 0)) {
			TH_LOG("uaddr + %d", i);
		}
		/* Also when the word would differ. */
		EXPECT_EQ(-EINVAL, kmbox_test_ring_wait(self->rw, w + i,
							0x55555555,
							KMBOX_DONTWAIT, 0));
	}
}

TEST_F(bell, wait_unreadable_efault)
{
	void *guard = kmbox_test_guarded(0);

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	ASSERT_TRUE(guard != NULL);
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw, NULL, 0,
						KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw, kmbox_test_unmapped(),
						0,
						KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw,
						kmbox_test_kernel_ptr(), 0,
						KMBOX_DONTWAIT, 0));
	/* The first word of a PROT_NONE page. */
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw, guard, 0,
						KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw, guard, 0,
						KMBOX_TIMEOUT, GUARD_NS));
}

TEST_F(bell, wait_bad_flags_einval)
{
	static const struct {
		__u32 flags;
		__u64 timeout_ns;
	} bad[] = {
		{ KMBOX_PEEK, 0 },
		{ KMBOX_NOSIGNAL, 0 },
		{ KMBOX_WAITFORONE, 0 },
		{ KMBOX_TIMEOUT | KMBOX_ABSTIME, NSEC },
		{ KMBOX_DONTWAIT | KMBOX_TIMEOUT, NSEC },
		{ KMBOX_DONTWAIT | KMBOX_ABSTIME, NSEC },
		{ KMBOX_DONTWAIT | KMBOX_TIMEOUT, 0 },
		{ 0, 1 },			/* a timeout without a flag */
		{ KMBOX_DONTWAIT, 1 },
		{ KMBOX_TIMEOUT, (__u64)INT64_MAX + 1 },
		{ KMBOX_ABSTIME, UINT64_MAX },
	};
	unsigned int i, bit;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, wait_word(self, self->rw, bad[i].flags,
					     bad[i].timeout_ns)) {
			TH_LOG("flags %#x timeout %llu", bad[i].flags,
			       (unsigned long long)bad[i].timeout_ns);
		}
	}
	for (bit = 6; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, wait_word(self, self->rw,
					     KMBOX_DONTWAIT | (1u << bit), 0)) {
			TH_LOG("flag %#x", 1u << bit);
		}
	}
	/* Refused also when the word differs: the call is checked first. */
	EXPECT_EQ(-EINVAL, kmbox_test_ring_wait(self->rw, word(self), 1,
						KMBOX_PEEK, 0));
}

/* --- KMBOX_IOC_RING_WAIT: returns -------------------------------------- */

/* A word that differs: 0 at once, whatever the flags. */
TEST_F(bell, wait_word_differs_returns_0)
{
	__u64 past = kmbox_test_now_ns() - NSEC;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	*word(self) = 5;
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 4,
					  KMBOX_TIMEOUT,
					  GUARD_NS));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 0, 0, 0));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 6,
					  KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 4,
					  KMBOX_ABSTIME, past));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 4,
					  KMBOX_ABSTIME, 0));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 4,
					  KMBOX_TIMEOUT, 0));
}

/* The word may be anywhere readable, not only in the region. */
TEST_F(bell, wait_word_outside_region)
{
	__u32 local = 9;
	const __u32 *ro;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, &local, 8, 0, 0));
	EXPECT_EQ(-EAGAIN, kmbox_test_ring_wait(self->rw, &local, 9,
						KMBOX_DONTWAIT, 0));
	/* A read-only page is readable. */
	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, ro, 1, 0, 0));
	EXPECT_EQ(-EAGAIN, kmbox_test_ring_wait(self->rw, ro, 0, KMBOX_DONTWAIT,
						0));
	munmap((void *)ro, self->page);
}

TEST_F(bell, wait_dontwait_eagain)
{
	int p = another(self, 0);

	ASSERT_GE(p, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EAGAIN, wait_word(self, p, KMBOX_DONTWAIT, 0));
	close(p);
}

/* O_NONBLOCK, from KMBOX_NONBLOCK or fcntl(): EAGAIN as well. */
TEST_F(bell, wait_nonblock_eagain)
{
	int nb = another(self, KMBOX_NONBLOCK), fl;

	ASSERT_GE(nb, 0);
	ASSERT_EQ(0, join(nb, KMBOX_RING_CONSUMER));
	EXPECT_EQ(-EAGAIN, wait_word(self, nb, 0, 0));
	EXPECT_EQ(-EAGAIN, wait_word(self, nb, KMBOX_TIMEOUT, GUARD_NS));

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	fl = fcntl(self->rw, F_GETFL);
	ASSERT_GE(fl, 0);
	ASSERT_EQ(0, fcntl(self->rw, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, 0, 0));
	ASSERT_EQ(0, fcntl(self->rw, F_SETFL, fl));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT,
					10 * MSEC));
	close(nb);
}

/* A relative timeout: ETIMEDOUT, never early. */
TEST_F(bell, wait_timeout_etimedout)
{
	__u64 start, took;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT,
					50 * MSEC));
	took = kmbox_test_now_ns() - start;
	EXPECT_GE(took, 50 * MSEC);
}

/* An absolute deadline: past (also 0) is ETIMEDOUT at once, else on time. */
TEST_F(bell, wait_abstime_etimedout)
{
	__u64 deadline;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_ABSTIME,
					kmbox_test_now_ns() - NSEC));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_ABSTIME, 0));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT, 0));
	deadline = kmbox_test_now_ns() + 30 * MSEC;
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_ABSTIME,
					deadline));
	EXPECT_GE(kmbox_test_now_ns(), deadline);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A handler without SA_RESTART interrupts the wait: EINTR. */
TEST_F(bell, wait_signal_eintr)
{
	pid_t pid;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		sigemptyset(&sa.sa_mask);
		CHILD_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
		_exit(kmbox_test_verdict(wait_word(self, self->rw, 0, 0),
					 -EINTR));
	}
	ASSERT_EQ(0, asleep_in_wait(pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

/* --- KMBOX_IOC_RING_WAKE ---------------------------------------------- */

TEST_F(bell, wake_not_joined_einval)
{
	int none = kmbox_test_create_region(NULL, 0, KMBOX_CLOEXEC);

	EXPECT_EQ(-EINVAL, kmbox_test_ring_wake(self->rw));
	ASSERT_GE(none, 0);
	EXPECT_EQ(-EINVAL, kmbox_test_ring_wake(none));
	close(none);
}

/* Ringing needs no other end, nor anyone asleep. */
TEST_F(bell, wake_alone_returns_0)
{
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	EXPECT_EQ(0, kmbox_test_ring_wake(self->rw));
	EXPECT_EQ(0, kmbox_test_ring_wake(self->rw));
}

/* --- Wake-ups ---------------------------------------------------------- */

/* A sleeping consumer is woken by the producer's ring: 0, word unchanged. */
TEST_F(bell, producer_wakes_consumer)
{
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = waiter(self, self->rw, -1, -1, KMBOX_TIMEOUT, GUARD_NS, 0);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	EXPECT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* One ring, one wake-up: the next wait sleeps again. */
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT,
					20 * MSEC));
	close(p);
}

/* And the other way round. */
TEST_F(bell, consumer_wakes_producer)
{
	int c = another(self, 0);
	pid_t pid;

	ASSERT_GE(c, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	pid = waiter(self, self->rw, -1, -1, 0, 0, 0);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	EXPECT_EQ(0, kmbox_test_ring_wake(c));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(c);
}

/* An end's own ring is for the other end: it does not wake itself. */
TEST_F(bell, own_ring_does_not_wake)
{
	int c = another(self, 0);
	pid_t pid;

	ASSERT_GE(c, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	pid = waiter(self, self->rw, -1, -1, KMBOX_TIMEOUT, 3 * NSEC,
		     -ETIMEDOUT);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	EXPECT_EQ(0, kmbox_test_ring_wake(self->rw));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(c);
}

/*
 * A ring that came after this end's last wait returned, but before the
 * next wait, is not lost: that wait returns 0 at once (the waker cleared
 * the waiting flag for it and will not ring again).  It is used up by
 * that return: the wait after it sleeps.
 */
TEST_F(bell, earlier_ring_remembered_once)
{
	int p = joined_pair(self);
	__u64 start;

	ASSERT_GE(p, 0);
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, wait_word(self, self->rw, KMBOX_TIMEOUT, 100 * MSEC));
	start = kmbox_test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT,
					100 * MSEC));
	EXPECT_GE(kmbox_test_now_ns() - start, 100 * MSEC);
	close(p);
}

/* A waiter killed in its sleep leaves the ring as it was. */
TEST_F(bell, killed_waiter_leaves_ring_intact)
{
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = waiter(self, self->rw, -1, -1, 0, 0, 0);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, kmbox_test_kids_reap(&self->kids, pid,
						       NULL));
	/* Both ends are still there and work. */
	EXPECT_EQ(11, ring_ends(self->rw));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	pid = waiter(self, self->rw, -1, -1, KMBOX_TIMEOUT, GUARD_NS, 0);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	EXPECT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(p);
}

#define RACE_ROUNDS	2000

/*
 * The producer publishes (the word moves) and then rings, as fast as it
 * can, while the consumer looks at the word and WAITs for it to move:
 * whatever the interleaving, no ring is lost (a lost one would leave the
 * consumer asleep until its guard timeout).
 */
TEST_F(bell, ring_never_lost)
{
	int p = joined_pair(self);
	pid_t pid;
	__u32 k;

	ASSERT_GE(p, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		volatile __u32 *w = word(self);
		__u32 seen;
		int ret;

		close(p);
		while ((seen = __atomic_load_n(w, __ATOMIC_ACQUIRE)) <
		       RACE_ROUNDS) {
			ret = kmbox_test_ring_wait(self->rw, (const void *)w,
						   seen,
						   KMBOX_TIMEOUT, GUARD_NS);
			if (ret) {
				fprintf(stderr, "# word %u: %d\n", seen, ret);
				_exit(1);
			}
		}
		_exit(0);
	}
	for (k = 1; k <= RACE_ROUNDS; k++) {
		__atomic_store_n(word(self), k, __ATOMIC_RELEASE);
		ASSERT_EQ(0, kmbox_test_ring_wake(p));
		if (k % 3 == 0)
			sched_yield();
		if (k % 7 == 0)
			usleep(k % 50);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(p);
}

/* Likewise the producer's file closing, in any order with the WAIT. */
TEST_F(bell, hangup_never_lost)
{
	pid_t pid;
	int i, p;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	for (i = 0; i < 50; i++) {
		p = another(self, 0);
		ASSERT_GE(p, 0);
		ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
		pid = waiter(self, self->rw, p, -1, KMBOX_TIMEOUT, GUARD_NS,
			     -EPIPE);
		ASSERT_GE(pid, 0);
		if (i % 2)
			usleep(i * 20);
		close(p);
		ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL)) {
			TH_LOG("round %d", i);
		}
	}
}

/* --- EPIPE ------------------------------------------------------------ */

/* A consumer asleep wakes with EPIPE when the producer's file closes. */
TEST_F(bell, producer_close_wakes_consumer_epipe)
{
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = waiter(self, self->rw, p, -1, KMBOX_TIMEOUT, GUARD_NS,
		     -EPIPE);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	close(p);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* And from then on, at once, whatever the flags. */
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, 0, 0));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_TIMEOUT, GUARD_NS));
}

/* A producer asleep wakes with EPIPE when the consumer's file closes. */
TEST_F(bell, consumer_close_wakes_producer_epipe)
{
	int c = another(self, KMBOX_RECV);
	pid_t pid;

	ASSERT_GE(c, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	pid = waiter(self, self->rw, c, -1, 0, 0, -EPIPE);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	close(c);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
}

/* No producer ever joined: nothing to hang up, the consumer sleeps on. */
TEST_F(bell, no_producer_yet_no_epipe)
{
	int p = another(self, 0);

	ASSERT_GE(p, 0);
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, self->rw, KMBOX_TIMEOUT,
					30 * MSEC));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	/* A file that never joined going away is no hang-up either. */
	close(p);
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, pri(self->rw));
}

/* A new producer ends the hang-up. */
TEST_F(bell, new_producer_ends_epipe)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	close(p);
	ASSERT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	p = another(self, KMBOX_SEND);
	ASSERT_GE(p, 0);
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	close(p);
}

/* Shutdown: both ends asleep wake with EPIPE, and stay so. */
TEST_F(bell, shutdown_wakes_both_epipe)
{
	int p = joined_pair(self);
	pid_t wc, wp;

	ASSERT_GE(p, 0);
	wc = waiter(self, self->rw, -1, -1, 0, 0, -EPIPE);
	ASSERT_GE(wc, 0);
	wp = waiter(self, p, -1, -1, KMBOX_TIMEOUT, GUARD_NS, -EPIPE);
	ASSERT_GE(wp, 0);
	ASSERT_EQ(0, asleep_in_wait(wc));
	ASSERT_EQ(0, asleep_in_wait(wp));
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, wc, NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, wp, NULL));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EPIPE, wait_word(self, p, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EPIPE, wait_word(self, p, 0, 0));
	close(p);
}

/* Shutdown is EPIPE also for an end that has never had a partner. */
TEST_F(bell, shutdown_epipe_without_other_end)
{
	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
}

/* The producer's process exits: its file closes, the consumer sees EPIPE. */
TEST_F(bell, producer_exit_epipe)
{
	pid_t pid;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int p = another(self, KMBOX_SEND);

		CHILD_CHECK(p >= 0);
		CHILD_CHECK(join(p, KMBOX_RING_PRODUCER) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
}

/* The producer is killed while the consumer sleeps: EPIPE. */
TEST_F(bell, producer_killed_epipe)
{
	int ready[2];
	pid_t prod, cons;
	char c;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, pipe(ready));
	prod = kmbox_test_spawn(&self->kids);
	ASSERT_GE(prod, 0);
	if (prod == 0) {
		int p = another(self, 0);

		CHILD_CHECK(p >= 0);
		CHILD_CHECK(join(p, KMBOX_RING_PRODUCER) == 0);
		CHILD_CHECK(write(ready[1], "j", 1) == 1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ(11, ring_ends(self->rw));
	cons = waiter(self, self->rw, -1, -1, KMBOX_TIMEOUT, GUARD_NS,
		      -EPIPE);
	ASSERT_GE(cons, 0);
	ASSERT_EQ(0, asleep_in_wait(cons));
	ASSERT_EQ(0, kill(prod, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, kmbox_test_kids_reap(&self->kids, prod,
						       NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, cons, NULL));
	close(ready[0]);
	close(ready[1]);
}

/* The consumer's process is killed while the producer sleeps: EPIPE. */
TEST_F(bell, consumer_killed_epipe)
{
	int ready[2];
	pid_t prod, cons;
	char c;

	ASSERT_EQ(0, join(self->rw, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, pipe(ready));
	cons = kmbox_test_spawn(&self->kids);
	ASSERT_GE(cons, 0);
	if (cons == 0) {
		int fd = another(self, KMBOX_RECV);

		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(join(fd, KMBOX_RING_CONSUMER) == 0);
		CHILD_CHECK(write(ready[1], "j", 1) == 1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	prod = waiter(self, self->rw, -1, -1, 0, 0, -EPIPE);
	ASSERT_GE(prod, 0);
	ASSERT_EQ(0, asleep_in_wait(prod));
	ASSERT_EQ(0, kill(cons, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, kmbox_test_kids_reap(&self->kids, cons,
						       NULL));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, prod, NULL));
	close(ready[0]);
	close(ready[1]);
}

/* The other end gone or a shutdown, but the word moved: 0, not EPIPE. */
TEST_F(bell, word_differs_beats_epipe)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	close(p);
	*word(self) = 3;
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 2,
					  KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 2, 0, 0));
	EXPECT_EQ(-EPIPE, kmbox_test_ring_wait(self->rw, word(self), 3, 0, 0));
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 2, 0, 0));
	EXPECT_EQ(-EPIPE, kmbox_test_ring_wait(self->rw, word(self), 3, 0, 0));
}

/* The ring's hang-up is the same in a mailbox made with KMBOX_ATTR_HANGUP. */
TEST_F(bell, epipe_also_in_hangup_mailbox)
{
	struct kmbox_attr a = { .region_size = self->page,
				.flags = KMBOX_ATTR_HANGUP };
	char name[64];
	int c, p;

	kmbox_test_name(name, sizeof(name), "doorbell-hup");
	c = kmbox_test_create(name, &a, KMBOX_EXCL | KMBOX_CLOEXEC |
			      KMBOX_RECV);
	ASSERT_GE(c, 0);
	p = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	kmbox_test_unlink(name);
	ASSERT_GE(p, 0);
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	EXPECT_EQ(-EAGAIN, kmbox_test_ring_wait(c, word(self), 0,
						KMBOX_DONTWAIT, 0));
	close(p);
	EXPECT_EQ(-EPIPE, kmbox_test_ring_wait(c, word(self), 0, KMBOX_DONTWAIT,
					       0));
	EXPECT_EQ(0, kmbox_test_ring_wait(c, word(self), 1, KMBOX_DONTWAIT, 0));
	close(c);
}

/* --- poll and epoll --------------------------------------------------- */

/* EPOLLPRI: absent at first, set by the other end's ring, cleared by WAIT. */
TEST_F(bell, poll_pri_after_ring)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	EXPECT_EQ(0, pri(self->rw));
	EXPECT_EQ(0, pri(p));

	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(0, pri(p));
	/* A WAIT after the ring returns 0 at once and clears it... */
	EXPECT_EQ(0, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, pri(self->rw));
	/* ...the ring is used up: the next one would sleep. */
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, pri(self->rw));

	/* ...as does one that returns 0 for a word that moved. */
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(0, kmbox_test_ring_wait(self->rw, word(self), 1, 0, 0));
	EXPECT_EQ(0, pri(self->rw));

	/* The consumer rings the producer. */
	ASSERT_EQ(0, kmbox_test_ring_wake(self->rw));
	EXPECT_EQ(1, pri(p));
	EXPECT_EQ(0, pri(self->rw));
	EXPECT_EQ(0, wait_word(self, p, KMBOX_TIMEOUT, MSEC));
	EXPECT_EQ(0, pri(p));
	EXPECT_EQ(-ETIMEDOUT, wait_word(self, p, KMBOX_TIMEOUT, MSEC));
	close(p);
}

/* A wake-up in WAIT clears it too. */
TEST_F(bell, poll_pri_cleared_by_woken_wait)
{
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = waiter(self, self->rw, -1, -1, 0, 0, 0);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, asleep_in_wait(pid));
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(0, pri(self->rw));
	close(p);
}

/* A poll() asleep for EPOLLPRI wakes at the ring. */
TEST_F(bell, poll_sleeper_woken_by_ring)
{
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct pollfd pf = { .fd = self->rw, .events = POLLPRI };
		int n = poll(&pf, 1, 20000);

		_exit(n == 1 && (pf.revents & POLLPRI) ? 0 : 1);
	}
	ASSERT_EQ(0, kmbox_test_wait_in_syscall(pid, SYS_poll, 1));
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(p);
}

/* EPOLLPRI when WAIT would fail with EPIPE: the other end gone. */
TEST_F(bell, poll_pri_on_hangup)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	EXPECT_EQ(0, pri(self->rw));
	close(p);
	EXPECT_EQ(1, pri(self->rw));
	/* It stays while WAIT would fail so. */
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(1, pri(self->rw));
}

/* And after a shutdown, on both ends. */
TEST_F(bell, poll_pri_on_shutdown)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	EXPECT_EQ(0, pri(self->rw));
	EXPECT_EQ(0, pri(p));
	ASSERT_EQ(0, kmbox_test_ioctl(p, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(1, pri(p));
	close(p);
}

/* A file that did not join never reports EPOLLPRI. */
TEST_F(bell, poll_no_pri_unjoined)
{
	int p = another(self, 0), c = another(self, 0);

	ASSERT_GE(p, 0);
	ASSERT_GE(c, 0);
	ASSERT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	ASSERT_EQ(0, join(c, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	ASSERT_EQ(0, kmbox_test_ring_wake(c));
	EXPECT_EQ(0, pri(self->rw));
	close(p);
	EXPECT_EQ(0, pri(self->rw));
	ASSERT_EQ(0, kmbox_test_ioctl(c, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(0, pri(self->rw));
	close(c);
}

/* Edge-triggered epoll: one EPOLLPRI event per ring. */
TEST_F(bell, epoll_edge_once_per_ring)
{
	struct epoll_event ev = { .events = EPOLLPRI | EPOLLET }, out[4];
	int p = joined_pair(self), ep, i;

	ASSERT_GE(p, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(ep, 0);
	ev.data.fd = self->rw;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->rw, &ev));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kmbox_test_ring_wake(p));
		ASSERT_EQ(1, epoll_wait(ep, out, 4, 0)) {
			TH_LOG("ring %d", i);
		}
		EXPECT_TRUE(out[0].events & EPOLLPRI);
		EXPECT_EQ(self->rw, out[0].data.fd);
		EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	}
	/*
	 * The sleep-in-epoll recipe: WAIT with DONTWAIT (the first returns 0
	 * for the rings above, not yet used up by a wait), then the next ring.
	 */
	EXPECT_EQ(0, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EAGAIN, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(1, epoll_wait(ep, out, 4, 1000));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	close(ep);
	close(p);
}

/* Only a wait that returns 0 uses up a ring: failed ones leave it. */
TEST_F(bell, failed_wait_keeps_ring)
{
	int p = joined_pair(self);

	ASSERT_GE(p, 0);
	ASSERT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(-EFAULT, kmbox_test_ring_wait(self->rw, NULL, 0,
						KMBOX_DONTWAIT, 0));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(-EINVAL, kmbox_test_ring_wait(self->rw,
						(char *)word(self) + 1, 0,
						KMBOX_DONTWAIT, 0));
	EXPECT_EQ(1, pri(self->rw));
	EXPECT_EQ(0, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(0, pri(self->rw));
	close(p);
}

/*
 * The sleep-in-epoll recipe against a producer that rings while the
 * consumer's DONTWAIT wait runs: after EAGAIN, poll() must still report
 * every ring.  The producer rings again only when the consumer has taken
 * the previous ring (word + 1 counts them), so a lost ring stops both.
 */
TEST_F(bell, dontwait_never_loses_ring)
{
	const unsigned int rounds = 20000;
	__u32 *acked = &self->map[WORD + 1], *stop = &self->map[WORD + 2];
	__u64 deadline = kmbox_test_now_ns() + 10 * NSEC;
	unsigned int got = 0, eagain = 0;
	int p = joined_pair(self);
	pid_t pid;

	ASSERT_GE(p, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned int i;

		for (i = 0; i < rounds; i++) {
			while (__atomic_load_n(acked, __ATOMIC_ACQUIRE) < i) {
				if (__atomic_load_n(stop, __ATOMIC_RELAXED))
					_exit(0);
				sched_yield();
			}
			if (kmbox_test_ring_wake(p))
				_exit(KMBOX_TEST_BAD);
		}
		_exit(0);
	}
	close(p);
	while (got < rounds && kmbox_test_now_ns() < deadline) {
		int r = wait_word(self, self->rw, KMBOX_DONTWAIT, 0);

		if (r == 0) {
			__atomic_store_n(acked, ++got, __ATOMIC_RELEASE);
			continue;
		}
		ASSERT_EQ(-EAGAIN, r);
		eagain++;
		/* The ring is on its way or pending: never lost. */
		ASSERT_TRUE(kmbox_test_poll(self->rw, POLLPRI, 5000) > 0) {
			TH_LOG("ring %u lost after EAGAIN", got + 1);
		}
	}
	/* The debug kernel may not finish in time: stop the producer. */
	__atomic_store_n(stop, 1, __ATOMIC_RELAXED);
	ksft_print_msg("dontwait_never_loses_ring: %u rings, %u EAGAIN\n",
		       got, eagain);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_LT(0, got);
}

/*
 * A shut-down mailbox still lets files join, ring and map the region;
 * only waiting tells of the shutdown, after the pending ring.
 */
TEST_F(bell, join_wake_mmap_after_shutdown)
{
	int p = another(self, 0);
	void *m;

	ASSERT_GE(p, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(0, join(self->rw, KMBOX_RING_CONSUMER));
	EXPECT_EQ(0, join(p, KMBOX_RING_PRODUCER));
	EXPECT_EQ(0, kmbox_test_ring_wake(p));
	EXPECT_EQ(0, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	EXPECT_EQ(-EPIPE, wait_word(self, self->rw, KMBOX_DONTWAIT, 0));
	m = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, p, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	EXPECT_EQ(0, munmap(m, self->page));
	close(p);
}

TEST_HARNESS_MAIN
