// SPDX-License-Identifier: GPL-2.0
/*
 * A receiver stalled in its copy-out holds up nobody.  The receive's
 * buffer is a page registered with userfaultfd that the test leaves
 * unresolved, so the kernel's copy to it sleeps for as long as the test
 * likes, as a hostile receiver's would (a FUSE-backed mapping does the
 * same).  While it sleeps, /proc/driver/kmbox, STAT, fdinfo, other
 * mailboxes' CREATE, OPEN and last close, and other receivers of the
 * same mailbox must each finish at once.  The message out for copying
 * still counts against the capacity; when its copy faults it goes back
 * in its place (same priority, same sequence number), and a PEEK copies
 * a message that another receiver may take meanwhile, whose room stays
 * taken until the peek is done.  A sender stalled in its copy-in holds
 * its room (and only that) and queues nothing until the copy is done.
 *
 * Each stalled call is read(), KMBOX_IOC_RECV or KMBOX_IOC_RECVV
 * (variants), or a send; each checked operation runs in a child that
 * must be done within BOUND_NS.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	64
#define BOUND_NS	1000000000ull	/* "at once", even on a debug kernel */

enum call { CALL_READ, CALL_RECV, CALL_RECVV, CALL_SEND };

/* A mailbox, and a page whose first touch sleeps until the test says. */
struct staller {
	char name[64];
	int rw;
	int uffd;
	size_t page;
	char *area;		/* registered, not populated until resolved */
	pthread_t thread;
	bool started;
	enum call call;
	__u32 flags;		/* of the stalled RECV: 0 or KMBOX_PEEK */
	int result;		/* of the stalled call */
	struct kmbox_msg m;	/* its metadata (RECV, RECVV) */
};

/* 0, 1 without userfaultfd, or -1. */
static int staller_init(struct staller *self, enum call call)
{
	struct kmbox_attr attr = { .max_msgs = 4, .max_msg_size = MSG_SIZE };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	self->call = call;
	self->page = sysconf(_SC_PAGESIZE);
	kmbox_test_name(self->name, sizeof(self->name), "stall");
	self->rw = kmbox_test_create(self->name, &attr, KMBOX_EXCL);
	if (self->rw < 0)
		return -1;
	self->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		return errno == ENOSYS ? 1 : -1;
	if (ioctl(self->uffd, UFFDIO_API, &api))
		return -1;
	self->area = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->area == MAP_FAILED)
		return -1;
	reg.range.start = (unsigned long)self->area;
	reg.range.len = self->page;
	return ioctl(self->uffd, UFFDIO_REGISTER, &reg) ? -1 : 0;
}

static void staller_fini(struct staller *self)
{
	struct uffdio_range range = {
		.start = (unsigned long)self->area, .len = self->page,
	};

	/* A stall left over by a failed check: let it end, then join. */
	if (self->started) {
		mprotect(self->area, self->page, PROT_NONE);
		ioctl(self->uffd, UFFDIO_WAKE, &range);
		pthread_join(self->thread, NULL);
	}
	close(self->uffd);
	munmap(self->area, self->page);
	close(self->rw);
	kmbox_test_unlink(self->name);
}

FIXTURE(stall) {
	struct staller s;
};

FIXTURE_VARIANT(stall) {
	enum call call;
};

FIXTURE_VARIANT_ADD(stall, read) {
	.call = CALL_READ,
};

FIXTURE_VARIANT_ADD(stall, recv) {
	.call = CALL_RECV,
};

FIXTURE_VARIANT_ADD(stall, recvv) {
	.call = CALL_RECVV,
};

FIXTURE_SETUP(stall)
{
	int ret = staller_init(&self->s, variant->call);

	if (ret > 0)
		SKIP(_exit(255), "kernel without userfaultfd");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(stall)
{
	staller_fini(&self->s);
}

/* The same for PEEK, a flag of KMBOX_IOC_RECV only. */
FIXTURE(stall_peek) {
	struct staller s;
};

FIXTURE_SETUP(stall_peek)
{
	int ret = staller_init(&self->s, CALL_RECV);

	if (ret > 0)
		SKIP(_exit(255), "kernel without userfaultfd");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(stall_peek)
{
	staller_fini(&self->s);
}

static void *stalled_call(void *arg)
{
	struct staller *self = arg;
	struct kmbox_msgv v = { .msgs = (__u64)(unsigned long)&self->m,
				.count = 1 };

	memset(&self->m, 0, sizeof(self->m));
	self->m.buf = (__u64)(unsigned long)self->area;
	self->m.len = MSG_SIZE;
	self->m.flags = self->flags;
	switch (self->call) {
	case CALL_READ:
		self->result = kmbox_test_read(self->rw, self->area, MSG_SIZE);
		break;
	case CALL_RECV:
		self->result = kmbox_test_ioctl(self->rw, KMBOX_IOC_RECV,
						&self->m);
		break;
	case CALL_RECVV:
		self->result = kmbox_test_ioctl(self->rw, KMBOX_IOC_RECVV, &v);
		/* One message: report its length, as the others do. */
		if (self->result == 1)
			self->result = self->m.msg_len;
		break;
	case CALL_SEND:
		self->result = kmbox_test_send(self->rw, self->area, MSG_SIZE,
					       0, 0);
		break;
	}
	return NULL;
}

/* Start the receive and wait until its copy-out sleeps on the page. */
static int stall(struct staller *self, __u32 flags)
{
	struct pollfd p = { .fd = self->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (flags && self->call != CALL_RECV)
		return -EINVAL;
	self->flags = flags;
	if (pthread_create(&self->thread, NULL, stalled_call, self))
		return -1;
	self->started = true;
	if (poll(&p, 1, 10000) != 1)
		return -2;
	if (read(self->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address - (unsigned long)self->area >= self->page)
		return -3;
	return 0;
}

/* Give the page: the copy-out completes.  Returns the call's result. */
static int resolve(struct staller *self)
{
	struct uffdio_copy copy = {
		.dst = (unsigned long)self->area, .len = self->page,
	};
	void *zero = calloc(1, self->page);

	copy.src = (unsigned long)zero;
	if (ioctl(self->uffd, UFFDIO_COPY, &copy))
		return -1000;
	free(zero);
	pthread_join(self->thread, NULL);
	self->started = false;
	return self->result;
}

/* Take the page away and let the copy retry: it faults.  Returns the result. */
static int fail(struct staller *self)
{
	struct uffdio_range range = {
		.start = (unsigned long)self->area, .len = self->page,
	};

	if (mprotect(self->area, self->page, PROT_NONE) ||
	    ioctl(self->uffd, UFFDIO_WAKE, &range))
		return -1000;
	pthread_join(self->thread, NULL);
	self->started = false;
	return self->result;
}

/* Child @pid's exit code if it ends within @ns; else killed, -ETIMEDOUT. */
static int reap_within(pid_t pid, __u64 ns)
{
	__u64 start = kmbox_test_now_ns();
	int status;

	while (kmbox_test_now_ns() - start < ns) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

/*
 * Run @op(@self, @arg) in a child: 0 if it returned 0 within BOUND_NS,
 * else its exit code, or -ETIMEDOUT (the child is killed) if it did not
 * finish in time.
 */
static int within_bound(int (*op)(struct staller *, const char *),
			struct staller *self, const char *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(op(self, arg));
	return reap_within(pid, BOUND_NS);
}

/* The whole of /proc/driver/kmbox, which must list @name. */
static int read_proc(struct staller *self, const char *name)
{
	static char buf[1 << 16];

	if (kmbox_test_read_file("/proc/driver/kmbox", buf, sizeof(buf)) < 0)
		return 1;
	return strstr(buf, name) ? 0 : 2;
}

/* Another mailbox, made, opened by name and closed for the last time. */
static int create_open_close(struct staller *self, const char *name)
{
	int fd, other;

	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 1;
	other = kmbox_test_open(name, 0);
	if (other < 0)
		return 2;
	if (kmbox_test_send(fd, "x", 1, 0, 0) != 1)
		return 3;
	close(other);
	close(fd);
	return kmbox_test_open(name, 0) == -ENOENT ? 0 : 4;
}

/* STAT and fdinfo of the stalled mailbox. */
static int stat_fdinfo(struct staller *self, const char *unused)
{
	struct kmbox_stat st;
	char val[64];

	if (kmbox_test_stat(self->rw, &st))
		return 1;
	/* The message out for copying still counts. */
	if (st.msgs != 2 || st.blocked_receivers != 0)
		return 2;
	if (kmbox_test_fdinfo(self->rw, "msgs", val, sizeof(val)) ||
	    strcmp(val, "2"))
		return 3;
	return 0;
}

/*
 * A child that sends @c and blocks for room: its pid, once it sleeps in
 * the send (0 in the child, which exits 0 if the send went through).
 */
static pid_t blocked_sender(struct staller *self, char c)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(kmbox_test_send(self->rw, &c, 1, 0, 0) == 1 ? 0 : 1);
	if (pid > 0 && kmbox_test_sleeping(self->rw, pid, 0, 1)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* The next message, to another receiver: B, sequence number 2. */
static int recv_next(struct staller *self, const char *want)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];
	int n;

	n = kmbox_test_recv(self->rw, buf, sizeof(buf), KMBOX_DONTWAIT, &m);
	if (n != (int)strlen(want) || memcmp(buf, want, n))
		return 1;
	if (m.seq != 2)
		return 2;
	/* And then nothing: A is out, not queued. */
	n = kmbox_test_recv(self->rw, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
	return n == -EAGAIN ? 0 : 3;
}

TEST_F(stall, proc_reader_not_held_up)
{
	struct staller *s = &self->s;

	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	EXPECT_EQ(0, within_bound(read_proc, s, s->name));
	EXPECT_EQ(1, resolve(s));
	EXPECT_EQ('A', s->area[0]);
}

TEST_F(stall, other_mailboxes_not_held_up)
{
	struct staller *s = &self->s;
	char other[64];

	kmbox_test_name(other, sizeof(other), "stall-other");
	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	EXPECT_EQ(0, within_bound(create_open_close, s, other));
	/* And with a /proc reader in between. */
	EXPECT_EQ(0, within_bound(read_proc, s, s->name));
	EXPECT_EQ(0, within_bound(create_open_close, s, other));
	EXPECT_EQ(1, resolve(s));
}

TEST_F(stall, stat_and_fdinfo_not_held_up)
{
	struct staller *s = &self->s;

	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "B", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	EXPECT_EQ(0, within_bound(stat_fdinfo, s, NULL));
	EXPECT_EQ(1, resolve(s));
}

/*
 * While A is out for copying, another receiver of the same mailbox gets
 * the next message, B, and then finds the queue empty.
 */
TEST_F(stall, next_receiver_gets_next_message)
{
	struct staller *s = &self->s;
	struct kmbox_stat st;

	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "B", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	EXPECT_EQ(0, within_bound(recv_next, s, "B"));
	EXPECT_EQ(1, resolve(s));
	EXPECT_EQ('A', s->area[0]);
	if (s->call != CALL_READ)
		EXPECT_EQ(1, s->m.seq);
	ASSERT_EQ(0, kmbox_test_stat(s->rw, &st));
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(2, st.received);
}

/*
 * A's copy-out faults after B was taken and C (lower priority) and D
 * (A's priority) were sent: A goes back before D, with its sequence
 * number and priority, and the order is A, D, C.
 */
TEST_F(stall, fault_puts_message_back_in_place)
{
	struct staller *s = &self->s;
	static const struct { const char *data; __u32 prio; __u64 seq; } want[] = {
		{ "A", 1, 1 }, { "D", 1, 4 }, { "C", 0, 3 },
	};
	struct kmbox_msg m;
	char buf[MSG_SIZE];
	unsigned int i;

	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 1, 0));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "B", 1, 1, 0));
	ASSERT_EQ(0, stall(s, 0));
	ASSERT_EQ(0, within_bound(recv_next, s, "B"));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "C", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "D", 1, 1, 0));
	EXPECT_EQ(-EFAULT, fail(s));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(1, kmbox_test_recv(s->rw, buf, sizeof(buf),
					     KMBOX_DONTWAIT, &m));
		EXPECT_EQ(want[i].data[0], buf[0]);
		EXPECT_EQ(want[i].prio, m.priority);
		EXPECT_EQ(want[i].seq, m.seq);
	}
	EXPECT_EQ(0, kmbox_test_queued(s->rw));
}

/*
 * The message out for copying holds its room: a full mailbox stays full
 * until the copy is done, so a stalled receiver never lets the queue
 * grow past its capacity, not even when its copy faults.
 */
TEST_F(stall, message_out_keeps_its_room)
{
	struct staller *s = &self->s;
	struct kmbox_attr attr = { .max_msgs = 2 };
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_ioctl(s->rw, KMBOX_IOC_SET_ATTR, &attr));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "B", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	EXPECT_EQ(-EAGAIN, kmbox_test_send(s->rw, "X", 1, 0,
					   KMBOX_DONTWAIT));
	/* B's receive makes room for one: C. */
	ASSERT_EQ(0, within_bound(recv_next, s, "B"));
	EXPECT_EQ(1, kmbox_test_send(s->rw, "C", 1, 0, KMBOX_DONTWAIT));
	EXPECT_EQ(-EAGAIN, kmbox_test_send(s->rw, "X", 1, 0,
					   KMBOX_DONTWAIT));
	EXPECT_EQ(-EFAULT, fail(s));
	ASSERT_EQ(0, kmbox_test_stat(s->rw, &st));
	EXPECT_EQ(2, st.msgs);
	EXPECT_EQ(2, st.high_water);
	EXPECT_EQ(2, kmbox_test_queued(s->rw));
}

/*
 * A shutdown while a message is out for copying loses nothing, and is
 * not yet the end: the message may come back, so end-of-stream (EPIPE,
 * EPOLLHUP) waits until no message is out, and, once seen, stays.
 */
TEST_F(stall, shutdown_while_out_loses_nothing)
{
	struct pollfd p = { .events = POLLIN };
	struct staller *s = &self->s;
	char buf[MSG_SIZE];

	p.fd = kmbox_test_open(s->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(p.fd, 0);
	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	ASSERT_EQ(0, kmbox_test_ioctl(s->rw, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(p.fd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(-EFAULT, fail(s));
	EXPECT_EQ(1, kmbox_test_recv(p.fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ('A', buf[0]);
	EXPECT_EQ(-EPIPE, kmbox_test_recv(p.fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLHUP, p.revents);
	close(p.fd);
}

/*
 * A child that waits for end-of-stream on a receive-only descriptor of
 * the mailbox: in a receive (@how 0), poll() (1) or epoll_wait() (2),
 * each for at most WAITER_MS.  Exits 0 if it saw end-of-stream.
 */
#define WAITER_MS	20000

static pid_t eos_waiter(struct staller *self, int how)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd p = { .events = POLLIN };
	char buf[MSG_SIZE];
	pid_t pid = fork();
	int ep;

	if (pid)
		return pid;
	p.fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	if (p.fd < 0)
		_exit(10);
	switch (how) {
	case 0:
		_exit(kmbox_test_timed(p.fd, KMBOX_IOC_RECV, buf, sizeof(buf),
				       KMBOX_TIMEOUT, WAITER_MS * 1000000ull,
				       NULL) == -EPIPE ? 0 : 1);
	case 1:
		_exit(poll(&p, 1, WAITER_MS) == 1 && p.revents == POLLHUP ?
		      0 : 2);
	default:
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev))
			_exit(11);
		_exit(epoll_wait(ep, &ev, 1, WAITER_MS) == 1 &&
		      ev.events == EPOLLHUP ? 0 : 3);
	}
}

/*
 * A receiver, a poller and an epoll waiter asleep when the stream ends
 * with a message out for copying see end-of-stream when that copy
 * completes, not before: the receive that ends it wakes them.
 */
TEST_F(stall, end_of_stream_once_the_message_out_is_delivered)
{
	struct staller *s = &self->s;
	int status, i;
	pid_t pid[3];

	ASSERT_EQ(1, kmbox_test_send(s->rw, "A", 1, 0, 0));
	ASSERT_EQ(0, stall(s, 0));
	ASSERT_EQ(0, kmbox_test_ioctl(s->rw, KMBOX_IOC_SHUTDOWN, NULL));
	for (i = 0; i < 3; i++) {
		pid[i] = eos_waiter(s, i);
		ASSERT_GE(pid[i], 0);
		ASSERT_EQ(0, kmbox_test_wait_sleeping(pid[i]));
	}
	/* The receiver waits in the mailbox, not elsewhere. */
	ASSERT_EQ(0, kmbox_test_sleeping(s->rw, pid[0], 1, 0));
	usleep(100000);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, waitpid(pid[i], &status, WNOHANG));
	}
	EXPECT_EQ(1, resolve(s));
	EXPECT_EQ('A', s->area[0]);
	/* Woken at once: well before their own timeouts. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, reap_within(pid[i], 5 * BOUND_NS)) {
			TH_LOG("waiter %d (0 receive, 1 poll, 2 epoll)", i);
		}
	}
}

/*
 * A PEEK copies a stable message: while its copy sleeps, another
 * receiver takes the message and the sender sends others; the peek still
 * gets the bytes it peeked.
 */
TEST_F(stall_peek, peek_copies_stable_message)
{
	struct staller *s = &self->s;
	char want[MSG_SIZE], buf[MSG_SIZE];
	int i;

	memset(want, 'P', sizeof(want));
	ASSERT_EQ(MSG_SIZE, kmbox_test_send(s->rw, want, MSG_SIZE, 0, 0));
	ASSERT_EQ(0, stall(s, KMBOX_PEEK));
	ASSERT_EQ(MSG_SIZE, kmbox_test_recv(s->rw, buf, sizeof(buf),
					    KMBOX_DONTWAIT, NULL));
	memset(buf, 'Q', sizeof(buf));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(MSG_SIZE, kmbox_test_send(s->rw, buf, MSG_SIZE,
						    0, 0));
	}
	EXPECT_EQ(MSG_SIZE, resolve(s));
	EXPECT_EQ(0, memcmp(s->area, want, MSG_SIZE));
	EXPECT_EQ(1, s->m.seq);
	EXPECT_EQ(3, kmbox_test_queued(s->rw));
}

/*
 * The room of a message received while a PEEK copies it out stays taken
 * until the peek is done (the message's memory is still pinned), and
 * then goes to the sender waiting for it.
 */
TEST_F(stall_peek, peek_keeps_room_of_received_message)
{
	struct kmbox_attr attr = { .max_msgs = 1 };
	struct staller *s = &self->s;
	char buf[MSG_SIZE];
	struct kmbox_stat st;
	pid_t kid;

	ASSERT_EQ(0, kmbox_test_ioctl(s->rw, KMBOX_IOC_SET_ATTR, &attr));
	ASSERT_EQ(1, kmbox_test_send(s->rw, "P", 1, 0, 0));
	ASSERT_EQ(0, stall(s, KMBOX_PEEK));
	ASSERT_EQ(1, kmbox_test_recv(s->rw, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(0, kmbox_test_stat(s->rw, &st));
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(-EAGAIN, kmbox_test_send(s->rw, "X", 1, 0, KMBOX_DONTWAIT));
	kid = blocked_sender(s, 'Y');
	ASSERT_GT(kid, 0);
	EXPECT_EQ(1, resolve(s));
	EXPECT_EQ('P', s->area[0]);
	EXPECT_EQ(0, kmbox_test_wait(kid, NULL));
	EXPECT_EQ(1, kmbox_test_recv(s->rw, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('Y', buf[0]);
}

/* A sender whose copy-in sleeps on the page. */
FIXTURE(stall_send) {
	struct staller s;
};

FIXTURE_SETUP(stall_send)
{
	struct kmbox_attr attr = { .max_msgs = 1 };
	int ret = staller_init(&self->s, CALL_SEND);

	if (ret > 0)
		SKIP(_exit(255), "kernel without userfaultfd");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kmbox_test_ioctl(self->s.rw, KMBOX_IOC_SET_ATTR, &attr));
}

FIXTURE_TEARDOWN(stall_send)
{
	staller_fini(&self->s);
}

/*
 * The stalled sender has taken the only room: another send finds none,
 * a receiver finds nothing queued, and nobody else is held up.  Its
 * message arrives once the copy is done.
 */
TEST_F(stall_send, holds_its_room_and_nothing_else)
{
	struct staller *s = &self->s;
	char buf[MSG_SIZE], other[64];
	struct kmbox_stat st;

	kmbox_test_name(other, sizeof(other), "stall-other");
	ASSERT_EQ(0, stall(s, 0));
	ASSERT_EQ(0, kmbox_test_stat(s->rw, &st));
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(0, st.sent);
	EXPECT_EQ(-EAGAIN, kmbox_test_send(s->rw, "X", 1, 0, KMBOX_DONTWAIT));
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(s->rw, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	EXPECT_EQ(0, within_bound(read_proc, s, s->name));
	EXPECT_EQ(0, within_bound(create_open_close, s, other));
	EXPECT_EQ(MSG_SIZE, resolve(s));
	EXPECT_EQ(MSG_SIZE, kmbox_test_recv(s->rw, buf, sizeof(buf),
					    KMBOX_DONTWAIT, NULL));
}

/*
 * The copy-in faults: EFAULT, nothing queued, and the room goes to the
 * sender waiting behind.
 */
TEST_F(stall_send, fault_gives_room_back)
{
	struct staller *s = &self->s;
	char buf[MSG_SIZE];
	pid_t kid;

	ASSERT_EQ(0, stall(s, 0));
	kid = blocked_sender(s, 'Y');
	ASSERT_GT(kid, 0);
	EXPECT_EQ(-EFAULT, fail(s));
	EXPECT_EQ(0, kmbox_test_wait(kid, NULL));
	EXPECT_EQ(1, kmbox_test_recv(s->rw, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('Y', buf[0]);
	EXPECT_EQ(0, kmbox_test_queued(s->rw));
}

TEST_HARNESS_MAIN
