// SPDX-License-Identifier: GPL-2.0
/*
 * KMBOX_IOC_SENDV and KMBOX_IOC_RECVV: batches of up to KMBOX_MSGV_MAX
 * messages under one deadline.  Partial completion as for sendmmsg() and
 * recvmmsg(): the call returns how many it moved, in array order, and
 * fails only if it moved none, with the error of the first; an error
 * after the first message is not reported, the element that failed and
 * those after it are untouched, and the next call meets the error again.
 * Also kmbox_sendv() and kmbox_recvv() of libkmbox.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox.h"
#include "kmbox_test.h"

#define BT_MAX_MSGS	8	/* capacity of the fixture's mailbox */
#define BT_MSG_SIZE	256	/* its max_msg_size */
#define BT_NSEC		1000000000ull
#define BT_GUARD_NS	(10 * BT_NSEC)	/* a wait that must never run out */

/* Values no kernel writes into a received element's output fields. */
#define BT_POISON_PRIO	0xA5A5A5A5u
#define BT_POISON_LEN	0xA5A5A5A5A5A5A5A5ull

/* A call expected to fail: errno is poisoned so it cannot be the report. */
#define BT_LIBERR(call)	(errno = EDOM, (call))

static __u64 bt_ptr(const void *p)
{
	return (__u64)(unsigned long)p;
}

static int bt_sendv(int fd, const struct kmbox_msg *msgs, __u32 count,
		    __u32 flags, __u64 timeout_ns)
{
	struct kmbox_msgv mv = {
		.msgs = bt_ptr(msgs),
		.count = count,
		.flags = flags,
		.timeout_ns = timeout_ns,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_SENDV, &mv);
}

static int bt_recvv(int fd, struct kmbox_msg *msgs, __u32 count,
		    __u32 flags, __u64 timeout_ns)
{
	struct kmbox_msgv mv = {
		.msgs = bt_ptr(msgs),
		.count = count,
		.flags = flags,
		.timeout_ns = timeout_ns,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_RECVV, &mv);
}

static int bt_unlink(const char *name)
{
	struct kmbox_unlink u = { .name = bt_ptr(name) };
	int dev, ret;

	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_UNLINK, &u);
	close(dev);
	return ret;
}

static void bt_elem(struct kmbox_msg *m, const void *buf, size_t len,
		    __u32 prio)
{
	memset(m, 0, sizeof(*m));
	m->buf = bt_ptr(buf);
	m->len = len;
	m->priority = prio;
}

/* A receive element whose output fields hold values no kernel writes. */
static void bt_relem(struct kmbox_msg *m, void *buf, size_t len)
{
	bt_elem(m, buf, len, BT_POISON_PRIO);
	m->msg_len = BT_POISON_LEN;
	m->seq = BT_POISON_LEN;
	m->time_ns = BT_POISON_LEN;
	m->sender_pid = -12345;
	m->sender_uid = BT_POISON_PRIO;
}

/* 1 if @m is as bt_relem() left it (for @buf, @len): untouched. */
static int bt_untouched(const struct kmbox_msg *m, const void *buf,
			size_t len)
{
	return m->buf == bt_ptr(buf) && m->len == len && !m->flags &&
	       !m->timeout_ns && m->priority == BT_POISON_PRIO &&
	       m->msg_len == BT_POISON_LEN && m->seq == BT_POISON_LEN &&
	       m->time_ns == BT_POISON_LEN && m->sender_pid == -12345 &&
	       m->sender_uid == BT_POISON_PRIO;
}

/* The bytes of message @tag: a pattern that differs for every tag. */
static void bt_fill(void *buf, size_t len, unsigned int tag)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(tag * 131 + i * 7 + (i >> 8) + 1);
}

static int bt_check(const void *buf, size_t len, unsigned int tag)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (unsigned char)(tag * 131 + i * 7 + (i >> 8) + 1))
			return 0;
	}
	return 1;
}

/* Receive one message (DONTWAIT) and check it is message @tag of @len. */
static int bt_recv_is(int fd, unsigned int tag, size_t len)
{
	unsigned char buf[BT_MSG_SIZE + 1];
	int ret;

	ret = kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
	if (ret < 0)
		return ret;
	return (size_t)ret == len && bt_check(buf, len, tag) ? 0 : -EBADMSG;
}

static long long bt_queued(int fd)
{
	struct kmbox_stat st;
	int ret = kmbox_test_stat(fd, &st);

	return ret < 0 ? ret : (long long)st.msgs;
}

/* Queue @n messages tagged @tag0.. of @len bytes each. */
static int bt_fill_mailbox(int fd, int n, unsigned int tag0, size_t len)
{
	unsigned char buf[BT_MSG_SIZE];
	int i, ret;

	for (i = 0; i < n; i++) {
		bt_fill(buf, len, tag0 + i);
		ret = kmbox_test_send(fd, buf, len, 0, KMBOX_DONTWAIT);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int bt_block_signal(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* 1 if @sig was pending (and takes it), 0 if not, -1 on error. */
static int bt_take_signal(int sig)
{
	struct timespec zero = { 0 };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ret = sigtimedwait(&set, NULL, &zero);
	if (ret == sig)
		return 1;
	return ret < 0 && errno == EAGAIN ? 0 : -1;
}

/* Exit status of child @pid, or -1 if it did not exit normally. */
static int bt_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A named mailbox of BT_MAX_MSGS messages of up to BT_MSG_SIZE bytes,
 * unlinked at once: rw has both roles, snd and rcv one each.
 */
FIXTURE(bt) {
	int rw, snd, rcv;
	pid_t kid;
	unsigned char bufs[BT_MAX_MSGS + 2][BT_MSG_SIZE + 1];
	struct kmbox_msg m[BT_MAX_MSGS + 2];
};

FIXTURE_SETUP(bt)
{
	struct kmbox_attr attr = {
		.max_msgs = BT_MAX_MSGS,
		.max_msg_size = BT_MSG_SIZE,
	};
	char name[64];

	self->rw = self->snd = self->rcv = -1;
	self->kid = 0;
	kmbox_test_name(name, sizeof(name), "batch");
	self->rw = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->rw, 0);
	self->snd = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	self->rcv = kmbox_test_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_EQ(0, bt_unlink(name));
	ASSERT_GE(self->snd, 0);
	ASSERT_GE(self->rcv, 0);
}

FIXTURE_TEARDOWN(bt)
{
	if (self->kid > 0) {
		kill(self->kid, SIGKILL);
		waitpid(self->kid, NULL, 0);
	}
	if (self->rw >= 0)
		close(self->rw);
	if (self->snd >= 0)
		close(self->snd);
	if (self->rcv >= 0)
		close(self->rcv);
}

/* SENDV queues in array order; RECV then serves by priority, FIFO within. */
TEST_F(bt, sendv_order_mixed)
{
	static const size_t len[8] = { 0, 1, 7, 64, 200, BT_MSG_SIZE, 3, 100 };
	static const __u32 prio[8] = { 0, 5, 31, 5, 0, 31, 1, 5 };
	static const int order[8] = { 2, 5, 1, 3, 7, 6, 0, 4 };
	unsigned char buf[BT_MSG_SIZE + 1];
	struct kmbox_msg got;
	int i, ret;

	for (i = 0; i < 8; i++) {
		bt_fill(self->bufs[i], len[i], i);
		bt_elem(&self->m[i], self->bufs[i], len[i], prio[i]);
	}
	ASSERT_EQ(8, bt_sendv(self->snd, self->m, 8, 0, 0));
	ASSERT_EQ(8, bt_queued(self->rw));

	for (i = 0; i < 8; i++) {
		int k = order[i];

		memset(buf, 0, sizeof(buf));
		ret = kmbox_test_recv(self->rcv, buf, sizeof(buf),
				      KMBOX_DONTWAIT, &got);
		ASSERT_EQ((int)len[k], ret);
		EXPECT_EQ(prio[k], got.priority);
		EXPECT_EQ(len[k], got.msg_len);
		EXPECT_EQ(k + 1, (int)got.seq);
		EXPECT_TRUE(bt_check(buf, len[k], k));
	}
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

/* RECVV fills each element with its message's data and metadata. */
TEST_F(bt, recvv_metadata)
{
	static const size_t len[3] = { 10, 0, BT_MSG_SIZE };
	static const __u32 prio[3] = { 3, 9, 3 };
	unsigned char buf[BT_MSG_SIZE];
	__u64 t0, t1;
	pid_t pid;
	int i;

	t0 = kmbox_test_now_ns();
	bt_fill(buf, len[0], 0);
	ASSERT_EQ((int)len[0], kmbox_test_send(self->snd, buf, len[0],
					       prio[0], 0));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		bt_fill(buf, len[1], 1);
		_exit(kmbox_test_send(self->snd, buf, len[1], prio[1], 0) !=
		      (int)len[1]);
	}
	ASSERT_EQ(0, bt_reap(pid));
	bt_fill(buf, len[2], 2);
	ASSERT_EQ((int)len[2], kmbox_test_send(self->snd, buf, len[2],
					       prio[2], 0));
	t1 = kmbox_test_now_ns();

	for (i = 0; i < 5; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	ASSERT_EQ(3, bt_recvv(self->rcv, self->m, 5, KMBOX_DONTWAIT, 0));

	/* Priority 9 (the child's, seq 2) first, then 3 in FIFO order. */
	EXPECT_EQ(9, self->m[0].priority);
	EXPECT_EQ(2, self->m[0].seq);
	EXPECT_EQ(0, self->m[0].msg_len);
	EXPECT_EQ(pid, self->m[0].sender_pid);

	EXPECT_EQ(3, self->m[1].priority);
	EXPECT_EQ(1, self->m[1].seq);
	EXPECT_EQ(len[0], self->m[1].msg_len);
	EXPECT_EQ(getpid(), self->m[1].sender_pid);
	EXPECT_TRUE(bt_check(self->bufs[1], len[0], 0));

	EXPECT_EQ(3, self->m[2].priority);
	EXPECT_EQ(3, self->m[2].seq);
	EXPECT_EQ(len[2], self->m[2].msg_len);
	EXPECT_EQ(getpid(), self->m[2].sender_pid);
	EXPECT_TRUE(bt_check(self->bufs[2], len[2], 2));

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(geteuid(), self->m[i].sender_uid);
		EXPECT_LE(t0, self->m[i].time_ns);
		EXPECT_GE(t1, self->m[i].time_ns);
		EXPECT_EQ(BT_MSG_SIZE, self->m[i].len);
		EXPECT_EQ(bt_ptr(self->bufs[i]), self->m[i].buf);
	}
	/* Queued in seq order: 1, 2 (the child's), 3. */
	EXPECT_LE(self->m[1].time_ns, self->m[0].time_ns);
	EXPECT_LE(self->m[0].time_ns, self->m[2].time_ns);
	EXPECT_TRUE(bt_untouched(&self->m[3], self->bufs[3], BT_MSG_SIZE));
	EXPECT_TRUE(bt_untouched(&self->m[4], self->bufs[4], BT_MSG_SIZE));
	EXPECT_EQ(0, bt_queued(self->rw));
}

/* Room for k < N under DONTWAIT: k are sent, the rest are not queued. */
TEST_F(bt, sendv_partial_dontwait)
{
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 5, 100, 16));
	for (i = 0; i < 6; i++) {
		bt_fill(self->bufs[i], 20 + i, i);
		bt_elem(&self->m[i], self->bufs[i], 20 + i, 0);
	}
	ASSERT_EQ(3, bt_sendv(self->snd, self->m, 6, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(BT_MAX_MSGS, bt_queued(self->rw));
	/* The next call meets the full mailbox again. */
	ASSERT_EQ(-EAGAIN, bt_sendv(self->snd, &self->m[3], 3,
				    KMBOX_DONTWAIT, 0));

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, bt_recv_is(self->rcv, 100 + i, 16));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, bt_recv_is(self->rcv, i, 20 + i));
	ASSERT_EQ(0, bt_queued(self->rw));
}

/* A full mailbox and a relative timeout: k sent once the timeout ends. */
TEST_F(bt, sendv_partial_timeout)
{
	const __u64 timeout = 100000000;	/* 100 ms */
	__u64 t0;
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, BT_MAX_MSGS - 2, 100, 8));
	for (i = 0; i < 4; i++) {
		bt_fill(self->bufs[i], 8, i);
		bt_elem(&self->m[i], self->bufs[i], 8, 0);
	}
	t0 = kmbox_test_now_ns();
	ASSERT_EQ(2, bt_sendv(self->snd, self->m, 4, KMBOX_TIMEOUT, timeout));
	EXPECT_LE(t0 + timeout, kmbox_test_now_ns());
	ASSERT_EQ(BT_MAX_MSGS, bt_queued(self->rw));
	/* None fits: the error of the first. */
	ASSERT_EQ(-ETIMEDOUT, bt_sendv(self->snd, &self->m[2], 2,
				       KMBOX_TIMEOUT, 1000));
}

/* Fewer queued than count under DONTWAIT: what was there. */
TEST_F(bt, recvv_partial_dontwait)
{
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 2, 10, 30));
	for (i = 0; i < 5; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	ASSERT_EQ(2, bt_recvv(self->rcv, self->m, 5, KMBOX_DONTWAIT, 0));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(30, self->m[i].msg_len);
		EXPECT_EQ(i + 1, (int)self->m[i].seq);
		EXPECT_TRUE(bt_check(self->bufs[i], 30, 10 + i));
	}
	for (i = 2; i < 5; i++)
		EXPECT_TRUE(bt_untouched(&self->m[i], self->bufs[i],
					 BT_MSG_SIZE));
	ASSERT_EQ(0, bt_queued(self->rw));
	ASSERT_EQ(-EAGAIN, bt_recvv(self->rcv, self->m, 5, KMBOX_DONTWAIT, 0));
}

/* WAITFORONE with messages queued: takes what is ready, at once. */
TEST_F(bt, recvv_waitforone_ready)
{
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 2, 20, 12));
	for (i = 0; i < 4; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	/* Without WAITFORONE this would sleep for the guard time. */
	ASSERT_EQ(2, bt_recvv(self->rcv, self->m, 4,
			      KMBOX_WAITFORONE | KMBOX_TIMEOUT, BT_GUARD_NS));
	EXPECT_TRUE(bt_check(self->bufs[0], 12, 20));
	EXPECT_TRUE(bt_check(self->bufs[1], 12, 21));
	EXPECT_TRUE(bt_untouched(&self->m[2], self->bufs[2], BT_MSG_SIZE));
	EXPECT_TRUE(bt_untouched(&self->m[3], self->bufs[3], BT_MSG_SIZE));
}

/* WAITFORONE on an empty mailbox: sleeps until the first message. */
TEST_F(bt, recvv_waitforone_sleeps)
{
	unsigned char buf[16];
	int i;

	for (i = 0; i < 4; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	self->kid = fork();
	ASSERT_GE(self->kid, 0);
	if (self->kid == 0) {
		struct kmbox_stat st;

		if (kmbox_test_wait_sleeping(getppid()))
			_exit(1);
		if (kmbox_test_stat(self->rw, &st) || st.blocked_receivers != 1)
			_exit(2);
		bt_fill(buf, sizeof(buf), 7);
		_exit(kmbox_test_send(self->snd, buf, sizeof(buf), 0, 0) !=
		      sizeof(buf) ? 3 : 0);
	}
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 4,
			      KMBOX_WAITFORONE | KMBOX_TIMEOUT, BT_GUARD_NS));
	EXPECT_EQ(sizeof(buf), self->m[0].msg_len);
	EXPECT_EQ(self->kid, self->m[0].sender_pid);
	EXPECT_TRUE(bt_check(self->bufs[0], sizeof(buf), 7));
	for (i = 1; i < 4; i++)
		EXPECT_TRUE(bt_untouched(&self->m[i], self->bufs[i],
					 BT_MSG_SIZE));
	EXPECT_EQ(0, bt_reap(self->kid));
	self->kid = 0;
}

/* No WAITFORONE, count 3, 1 queued, relative timeout: 1 after it. */
TEST_F(bt, recvv_partial_timeout)
{
	const __u64 timeout = 200000000;	/* 200 ms */
	__u64 t0;
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 1, 30, 40));
	for (i = 0; i < 3; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	t0 = kmbox_test_now_ns();
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 3, KMBOX_TIMEOUT, timeout));
	EXPECT_LE(t0 + timeout, kmbox_test_now_ns());
	EXPECT_EQ(40, self->m[0].msg_len);
	EXPECT_TRUE(bt_check(self->bufs[0], 40, 30));
	EXPECT_TRUE(bt_untouched(&self->m[1], self->bufs[1], BT_MSG_SIZE));
	EXPECT_TRUE(bt_untouched(&self->m[2], self->bufs[2], BT_MSG_SIZE));
	/* None: the error of the first. */
	ASSERT_EQ(-ETIMEDOUT, bt_recvv(self->rcv, self->m, 3, KMBOX_TIMEOUT,
				       1000));
}

/* SENDV: element i's buf unmapped or past a guard page: i sent. */
TEST_F(bt, sendv_efault_middle)
{
	void *bad = kmbox_test_unmapped();
	char *guarded = kmbox_test_guarded(19);
	int i;

	ASSERT_TRUE(bad != NULL);
	ASSERT_TRUE(guarded != NULL);
	for (i = 0; i < 5; i++) {
		bt_fill(self->bufs[i], 20, i);
		bt_elem(&self->m[i], self->bufs[i], 20, 0);
	}
	self->m[2].buf = bt_ptr(bad);
	ASSERT_EQ(2, bt_sendv(self->snd, self->m, 5, 0, 0));
	ASSERT_EQ(2, bt_queued(self->rw));
	/* The next call meets the fault again: the error of the first. */
	ASSERT_EQ(-EFAULT, bt_sendv(self->snd, &self->m[2], 3, 0, 0));
	ASSERT_EQ(2, bt_queued(self->rw));

	/* 20 bytes with only 19 before the guard page. */
	bt_fill(guarded, 19, 9);
	self->m[2].buf = bt_ptr(self->bufs[2]);
	self->m[3].buf = bt_ptr(guarded);
	ASSERT_EQ(1, bt_sendv(self->snd, &self->m[2], 3, 0, 0));
	ASSERT_EQ(3, bt_queued(self->rw));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, bt_recv_is(self->rcv, i, 20));
	ASSERT_EQ(0, bt_queued(self->rw));
}

/* RECVV: element i's buf unmapped or too close to a guard page. */
TEST_F(bt, recvv_efault_middle)
{
	void *bad = kmbox_test_unmapped();
	char *guarded = kmbox_test_guarded(19);
	int i;

	ASSERT_TRUE(bad != NULL);
	ASSERT_TRUE(guarded != NULL);
	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 5, 40, 20));
	for (i = 0; i < 5; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	self->m[2].buf = bt_ptr(bad);
	ASSERT_EQ(2, bt_recvv(self->rcv, self->m, 5, KMBOX_DONTWAIT, 0));
	EXPECT_TRUE(bt_check(self->bufs[0], 20, 40));
	EXPECT_TRUE(bt_check(self->bufs[1], 20, 41));
	EXPECT_TRUE(bt_untouched(&self->m[2], bad, BT_MSG_SIZE));
	for (i = 3; i < 5; i++)
		EXPECT_TRUE(bt_untouched(&self->m[i], self->bufs[i],
					 BT_MSG_SIZE));
	ASSERT_EQ(3, bt_queued(self->rw));
	/* The next call meets the fault again, nothing lost. */
	ASSERT_EQ(-EFAULT, bt_recvv(self->rcv, &self->m[2], 3,
				    KMBOX_DONTWAIT, 0));
	ASSERT_EQ(3, bt_queued(self->rw));

	/* A 20-byte message into a 64-byte buffer 19 bytes before a guard. */
	bt_relem(&self->m[0], self->bufs[0], BT_MSG_SIZE);
	bt_relem(&self->m[1], guarded, 64);
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 3, KMBOX_DONTWAIT, 0));
	EXPECT_TRUE(bt_check(self->bufs[0], 20, 42));
	EXPECT_TRUE(bt_untouched(&self->m[1], guarded, 64));
	ASSERT_EQ(2, bt_queued(self->rw));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 43, 20));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 44, 20));
}

/* SENDV: the element array ends at a guard page after i elements. */
TEST_F(bt, sendv_array_fault)
{
	struct kmbox_msg *arr = kmbox_test_guarded(3 * sizeof(*arr));
	int i;

	ASSERT_TRUE(arr != NULL);
	for (i = 0; i < 3; i++) {
		bt_fill(self->bufs[i], 10, i);
		bt_elem(&arr[i], self->bufs[i], 10, 0);
	}
	ASSERT_EQ(3, bt_sendv(self->snd, arr, 6, 0, 0));
	ASSERT_EQ(3, bt_queued(self->rw));
	ASSERT_EQ(-EFAULT, bt_sendv(self->snd, arr + 3, 1, 0, 0));
	ASSERT_EQ(-EFAULT, bt_sendv(self->snd, kmbox_test_unmapped(), 2, 0,
				    0));
	ASSERT_EQ(3, bt_queued(self->rw));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, bt_recv_is(self->rcv, i, 10));
}

/* RECVV: the element array ends at a guard page after i elements. */
TEST_F(bt, recvv_array_fault)
{
	struct kmbox_msg *arr = kmbox_test_guarded(2 * sizeof(*arr));
	int i;

	ASSERT_TRUE(arr != NULL);
	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 4, 50, 33));
	for (i = 0; i < 2; i++)
		bt_relem(&arr[i], self->bufs[i], BT_MSG_SIZE);
	ASSERT_EQ(2, bt_recvv(self->rcv, arr, 4, KMBOX_DONTWAIT, 0));
	EXPECT_TRUE(bt_check(self->bufs[0], 33, 50));
	EXPECT_TRUE(bt_check(self->bufs[1], 33, 51));
	EXPECT_EQ(33, arr[1].msg_len);
	ASSERT_EQ(2, bt_queued(self->rw));
	ASSERT_EQ(-EFAULT, bt_recvv(self->rcv, arr + 2, 1, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(-EFAULT, bt_recvv(self->rcv, kmbox_test_unmapped(), 1,
				    KMBOX_DONTWAIT, 0));
	ASSERT_EQ(2, bt_queued(self->rw));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 52, 33));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 53, 33));
}

/* None moved: the error of the first message. */
TEST_F(bt, sendv_first_errors)
{
	void *bad = kmbox_test_unmapped();
	int i;

	ASSERT_TRUE(bad != NULL);
	for (i = 0; i < 3; i++) {
		bt_fill(self->bufs[i], 10, i);
		bt_elem(&self->m[i], self->bufs[i], 10, 0);
	}
	/* EFAULT: the first buffer. */
	self->m[0].buf = bt_ptr(bad);
	ASSERT_EQ(-EFAULT, bt_sendv(self->snd, self->m, 3, 0, 0));
	ASSERT_EQ(0, bt_queued(self->rw));
	/* EMSGSIZE: the first message too large. */
	self->m[0].buf = bt_ptr(self->bufs[0]);
	self->m[0].len = BT_MSG_SIZE + 1;
	ASSERT_EQ(-EMSGSIZE, bt_sendv(self->snd, self->m, 3, 0, 0));
	ASSERT_EQ(0, bt_queued(self->rw));
	/* A later one too large: partial. */
	self->m[0].len = 10;
	self->m[1].len = BT_MSG_SIZE + 1;
	ASSERT_EQ(1, bt_sendv(self->snd, self->m, 3, 0, 0));
	ASSERT_EQ(1, bt_queued(self->rw));
	ASSERT_EQ(-EMSGSIZE, bt_sendv(self->snd, &self->m[1], 2, 0, 0));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 0, 10));
	/* EAGAIN: full. */
	ASSERT_EQ(0, bt_fill_mailbox(self->snd, BT_MAX_MSGS, 100, 1));
	self->m[1].len = 10;
	ASSERT_EQ(-EAGAIN, bt_sendv(self->snd, self->m, 3, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(BT_MAX_MSGS, bt_queued(self->rw));
}

TEST_F(bt, recvv_first_errors)
{
	void *bad = kmbox_test_unmapped();

	ASSERT_TRUE(bad != NULL);
	/* EAGAIN: empty. */
	bt_relem(&self->m[0], self->bufs[0], BT_MSG_SIZE);
	bt_relem(&self->m[1], self->bufs[1], BT_MSG_SIZE);
	ASSERT_EQ(-EAGAIN, bt_recvv(self->rcv, self->m, 2, KMBOX_DONTWAIT, 0));
	EXPECT_TRUE(bt_untouched(&self->m[0], self->bufs[0], BT_MSG_SIZE));

	/* EFAULT: the first buffer; nothing taken. */
	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 2, 60, 50));
	bt_relem(&self->m[0], bad, BT_MSG_SIZE);
	ASSERT_EQ(-EFAULT, bt_recvv(self->rcv, self->m, 2, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(2, bt_queued(self->rw));

	/* EMSGSIZE: the first buffer too small, msg_len tells the size. */
	bt_relem(&self->m[0], self->bufs[0], 49);
	ASSERT_EQ(-EMSGSIZE, bt_recvv(self->rcv, self->m, 2, KMBOX_DONTWAIT,
				      0));
	EXPECT_EQ(50, self->m[0].msg_len);
	EXPECT_TRUE(bt_untouched(&self->m[1], self->bufs[1], BT_MSG_SIZE));
	ASSERT_EQ(2, bt_queued(self->rw));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 60, 50));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 61, 50));
}

/* A later receive buffer too small: partial, that element untouched. */
TEST_F(bt, recvv_emsgsize_middle)
{
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 3, 70, 50));
	for (i = 0; i < 3; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	self->m[1].len = 49;
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 3, KMBOX_DONTWAIT, 0));
	EXPECT_TRUE(bt_check(self->bufs[0], 50, 70));
	EXPECT_TRUE(bt_untouched(&self->m[1], self->bufs[1], 49)) {
		TH_LOG("element 1: msg_len %llu seq %llu priority %u pid %d",
		       (unsigned long long)self->m[1].msg_len,
		       (unsigned long long)self->m[1].seq,
		       self->m[1].priority, self->m[1].sender_pid);
	}
	EXPECT_TRUE(bt_untouched(&self->m[2], self->bufs[2], BT_MSG_SIZE));
	ASSERT_EQ(2, bt_queued(self->rw));
	/* The next call meets it again, and reports it. */
	ASSERT_EQ(-EMSGSIZE, bt_recvv(self->rcv, &self->m[1], 2,
				      KMBOX_DONTWAIT, 0));
	EXPECT_EQ(50, self->m[1].msg_len);
	ASSERT_EQ(0, bt_recv_is(self->rcv, 71, 50));
	ASSERT_EQ(0, bt_recv_is(self->rcv, 72, 50));
}

/* count 0 and KMBOX_MSGV_MAX + 1: EINVAL; KMBOX_MSGV_MAX: accepted. */
TEST(count_limits)
{
	struct kmbox_attr attr = {
		.max_msgs = KMBOX_MSGV_MAX,
		.max_msg_size = 16,
	};
	struct kmbox_msg *m;
	__u32 *data;
	int fd, i;

	m = calloc(KMBOX_MSGV_MAX + 1, sizeof(*m));
	data = calloc(KMBOX_MSGV_MAX + 1, sizeof(*data));
	ASSERT_TRUE(m != NULL);
	ASSERT_TRUE(data != NULL);
	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	for (i = 0; i <= KMBOX_MSGV_MAX; i++) {
		data[i] = 0x10000 + i;
		bt_elem(&m[i], &data[i], sizeof(data[i]), 0);
	}

	ASSERT_EQ(-EINVAL, bt_sendv(fd, m, 0, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(-EINVAL, bt_sendv(fd, m, KMBOX_MSGV_MAX + 1,
				    KMBOX_DONTWAIT, 0));
	ASSERT_EQ(0, bt_queued(fd));
	ASSERT_EQ(KMBOX_MSGV_MAX, bt_sendv(fd, m, KMBOX_MSGV_MAX,
					   KMBOX_DONTWAIT, 0));
	ASSERT_EQ(KMBOX_MSGV_MAX, bt_queued(fd));

	memset(data, 0, (KMBOX_MSGV_MAX + 1) * sizeof(*data));
	for (i = 0; i <= KMBOX_MSGV_MAX; i++)
		bt_elem(&m[i], &data[i], sizeof(data[i]), 0);
	ASSERT_EQ(-EINVAL, bt_recvv(fd, m, 0, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(-EINVAL, bt_recvv(fd, m, KMBOX_MSGV_MAX + 1,
				    KMBOX_DONTWAIT, 0));
	ASSERT_EQ(KMBOX_MSGV_MAX, bt_queued(fd));
	ASSERT_EQ(KMBOX_MSGV_MAX, bt_recvv(fd, m, KMBOX_MSGV_MAX,
					   KMBOX_DONTWAIT, 0));
	for (i = 0; i < KMBOX_MSGV_MAX; i++) {
		ASSERT_EQ(0x10000 + i, data[i]);
		ASSERT_EQ(i + 1, (int)m[i].seq);
	}
	ASSERT_EQ(0, data[KMBOX_MSGV_MAX]);
	ASSERT_EQ(0, bt_queued(fd));
	close(fd);
	free(m);
	free(data);
}

/* Element flags, timeout_ns or (send) priority: EINVAL first, or partial. */
TEST_F(bt, sendv_bad_element)
{
	int i, k;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < 3; i++) {
			bt_fill(self->bufs[i], 5, i);
			bt_elem(&self->m[i], self->bufs[i], 5, 0);
		}
		if (k == 0)
			self->m[1].flags = KMBOX_DONTWAIT;
		else if (k == 1)
			self->m[1].timeout_ns = 1;
		else
			self->m[1].priority = KMBOX_PRIO_MAX + 1;
		ASSERT_EQ(-EINVAL, bt_sendv(self->snd, &self->m[1], 2, 0, 0));
		ASSERT_EQ(0, bt_queued(self->rw));
		ASSERT_EQ(1, bt_sendv(self->snd, self->m, 3, 0, 0));
		ASSERT_EQ(1, bt_queued(self->rw));
		ASSERT_EQ(0, bt_recv_is(self->rcv, 0, 5));
	}
}

TEST_F(bt, recvv_bad_element)
{
	int i, k;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 3, 80, 9));
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 3; i++)
			bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
		if (k == 0)
			self->m[1].flags = KMBOX_DONTWAIT;
		else
			self->m[1].timeout_ns = 1;
		ASSERT_EQ(-EINVAL, bt_recvv(self->rcv, &self->m[1], 2,
					    KMBOX_DONTWAIT, 0));
		ASSERT_EQ(3 - k, bt_queued(self->rw));
		ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 3, KMBOX_DONTWAIT,
				      0));
		EXPECT_TRUE(bt_check(self->bufs[0], 9, 80 + k));
		EXPECT_EQ(9, self->m[0].msg_len);
		EXPECT_EQ(KMBOX_DONTWAIT * (k == 0), self->m[1].flags);
		EXPECT_EQ(k == 1, self->m[1].timeout_ns);
		EXPECT_EQ(BT_POISON_LEN, self->m[1].msg_len);
		EXPECT_TRUE(bt_untouched(&self->m[2], self->bufs[2],
					 BT_MSG_SIZE));
		ASSERT_EQ(2 - k, bt_queued(self->rw));
	}
}

/* Call flags: unknown, of the other direction, or a malformed timeout. */
TEST_F(bt, call_flags)
{
	static const __u32 bad_send[] = {
		1u << 31, KMBOX_PEEK, KMBOX_WAITFORONE,
		KMBOX_DONTWAIT | KMBOX_TIMEOUT,
		KMBOX_TIMEOUT | KMBOX_ABSTIME,
	};
	static const __u32 bad_recv[] = {
		1u << 31, KMBOX_PEEK, KMBOX_NOSIGNAL,
		KMBOX_DONTWAIT | KMBOX_TIMEOUT,
		KMBOX_TIMEOUT | KMBOX_ABSTIME,
	};
	unsigned int i;

	bt_fill(self->bufs[0], 4, 0);
	bt_elem(&self->m[0], self->bufs[0], 4, 0);
	for (i = 0; i < ARRAY_SIZE(bad_send); i++) {
		ASSERT_EQ(-EINVAL, bt_sendv(self->snd, self->m, 1,
					    bad_send[i], 0));
	}
	ASSERT_EQ(-EINVAL, bt_sendv(self->snd, self->m, 1, 0, 1));
	ASSERT_EQ(-EINVAL, bt_sendv(self->snd, self->m, 1, KMBOX_TIMEOUT,
				    (__u64)INT64_MAX + 1));
	ASSERT_EQ(0, bt_queued(self->rw));
	ASSERT_EQ(1, bt_sendv(self->snd, self->m, 1, KMBOX_NOSIGNAL, 0));

	bt_relem(&self->m[0], self->bufs[0], BT_MSG_SIZE);
	for (i = 0; i < ARRAY_SIZE(bad_recv); i++) {
		ASSERT_EQ(-EINVAL, bt_recvv(self->rcv, self->m, 1,
					    bad_recv[i], 0));
	}
	ASSERT_EQ(-EINVAL, bt_recvv(self->rcv, self->m, 1, 0, 1));
	ASSERT_EQ(1, bt_queued(self->rw));
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 1, KMBOX_WAITFORONE, 0));
	ASSERT_EQ(0, bt_queued(self->rw));
}

/* SENDV needs the send role, RECVV the receive role. */
TEST_F(bt, roles)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_GE(null, 0);
	bt_elem(&self->m[0], self->bufs[0], 4, 0);
	ASSERT_EQ(-EBADF, bt_sendv(self->rcv, self->m, 1, 0, 0));
	ASSERT_EQ(0, bt_queued(self->rw));
	ASSERT_EQ(1, bt_sendv(self->snd, self->m, 1, 0, 0));
	bt_elem(&self->m[0], self->bufs[0], BT_MSG_SIZE, 0);
	ASSERT_EQ(-EBADF, bt_recvv(self->snd, self->m, 1, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(1, bt_queued(self->rw));
	ASSERT_EQ(1, bt_recvv(self->rcv, self->m, 1, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(-EBADF, bt_sendv(-1, self->m, 1, 0, 0));
	ASSERT_EQ(-ENOTTY, bt_recvv(null, self->m, 1, 0, 0));
	close(null);
}

/* After SHUTDOWN: SENDV fails with EPIPE, and SIGPIPE unless NOSIGNAL. */
TEST_F(bt, sendv_shutdown)
{
	ASSERT_EQ(0, bt_block_signal(SIGPIPE));
	ASSERT_EQ(0, bt_take_signal(SIGPIPE));
	bt_elem(&self->m[0], self->bufs[0], 4, 0);
	bt_elem(&self->m[1], self->bufs[1], 4, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));

	ASSERT_EQ(-EPIPE, bt_sendv(self->snd, self->m, 2, 0, 0));
	ASSERT_EQ(1, bt_take_signal(SIGPIPE));
	ASSERT_EQ(-EPIPE, bt_sendv(self->snd, self->m, 2, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(1, bt_take_signal(SIGPIPE));
	ASSERT_EQ(-EPIPE, bt_sendv(self->snd, self->m, 2, KMBOX_NOSIGNAL, 0));
	ASSERT_EQ(0, bt_take_signal(SIGPIPE));
	ASSERT_EQ(0, bt_queued(self->rw));
}

/* After SHUTDOWN, RECVV drains what is queued, then EPIPE. */
TEST_F(bt, recvv_end_of_stream)
{
	int i;

	ASSERT_EQ(0, bt_fill_mailbox(self->snd, 2, 90, 6));
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SHUTDOWN, NULL));
	for (i = 0; i < 4; i++)
		bt_relem(&self->m[i], self->bufs[i], BT_MSG_SIZE);
	/* Blocking: end-of-stream stops the call, not reported. */
	ASSERT_EQ(2, bt_recvv(self->rcv, self->m, 4, 0, 0));
	EXPECT_TRUE(bt_check(self->bufs[0], 6, 90));
	EXPECT_TRUE(bt_check(self->bufs[1], 6, 91));
	EXPECT_TRUE(bt_untouched(&self->m[2], self->bufs[2], BT_MSG_SIZE));
	ASSERT_EQ(-EPIPE, bt_recvv(self->rcv, self->m, 4, 0, 0));
	ASSERT_EQ(-EPIPE, bt_recvv(self->rcv, self->m, 1,
				   KMBOX_WAITFORONE | KMBOX_DONTWAIT, 0));
}

/* The checksum a round-trip message carries after its header. */
static __u32 bt_sum(const unsigned char *p, size_t len)
{
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#define RT_TOTAL	10000
#define RT_BATCH	32
#define RT_HDR		8	/* __u32 index, __u32 checksum of the rest */
#define RT_MAXLEN	300

static size_t rt_len(unsigned int k)
{
	return RT_HDR + (k * 37) % (RT_MAXLEN - RT_HDR + 1);
}

static void rt_make(unsigned char *p, unsigned int k)
{
	size_t len = rt_len(k);
	__u32 sum;

	bt_fill(p + RT_HDR, len - RT_HDR, k);
	sum = bt_sum(p + RT_HDR, len - RT_HDR);
	memcpy(p, &k, 4);
	memcpy(p + 4, &sum, 4);
}

/* 0 if @p (@len bytes) is round-trip message @k, intact. */
static int rt_verify(const unsigned char *p, size_t len, unsigned int k)
{
	__u32 idx, sum;

	if (len != rt_len(k))
		return 1;
	memcpy(&idx, p, 4);
	memcpy(&sum, p + 4, 4);
	if (idx != k || sum != bt_sum(p + RT_HDR, len - RT_HDR))
		return 2;
	return bt_check(p + RT_HDR, len - RT_HDR, k) ? 0 : 3;
}

static int rt_sender(int fd)
{
	static unsigned char bufs[RT_BATCH][RT_MAXLEN];
	struct kmbox_msg m[RT_BATCH];
	unsigned int sent = 0, i, n;
	int ret;

	while (sent < RT_TOTAL) {
		n = RT_TOTAL - sent < RT_BATCH ? RT_TOTAL - sent : RT_BATCH;
		for (i = 0; i < n; i++) {
			rt_make(bufs[i], sent + i);
			bt_elem(&m[i], bufs[i], rt_len(sent + i), 0);
		}
		ret = bt_sendv(fd, m, n, KMBOX_TIMEOUT, BT_GUARD_NS);
		if (ret <= 0 || (unsigned int)ret > n)
			return 1;
		sent += ret;
	}
	return 0;
}

/* 10k messages through SENDV and RECVV batches of 32, all intact, fast. */
TEST(round_trip)
{
	static unsigned char bufs[RT_BATCH][RT_MAXLEN];
	struct kmbox_attr attr = {
		.max_msgs = 64,
		.max_msg_size = RT_MAXLEN,
	};
	struct kmbox_msg m[RT_BATCH];
	unsigned int got = 0, bad = 0, i;
	__u64 t0;
	pid_t pid;
	int fd, n;

	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	t0 = kmbox_test_now_ns();
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(rt_sender(fd));

	while (got < RT_TOTAL) {
		for (i = 0; i < RT_BATCH; i++)
			bt_elem(&m[i], bufs[i], RT_MAXLEN, 0);
		n = bt_recvv(fd, m, RT_BATCH, KMBOX_WAITFORONE | KMBOX_TIMEOUT,
			     BT_GUARD_NS);
		if (n <= 0 || n > RT_BATCH) {
			kill(pid, SIGKILL);
			break;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			if (rt_verify(bufs[i], m[i].msg_len, got + i) ||
			    m[i].seq != got + i + 1)
				bad++;
		}
		got += n;
	}
	EXPECT_EQ(0, bt_reap(pid));
	EXPECT_EQ(RT_TOTAL, got);
	EXPECT_EQ(0, bad);
	EXPECT_GT(10 * BT_NSEC, kmbox_test_now_ns() - t0);
	EXPECT_EQ(0, bt_queued(fd));
	close(fd);
}

/* libkmbox: the batch calls, and their failures as -errno only. */
TEST_F(bt, libkmbox)
{
	int i;

	for (i = 0; i < 3; i++) {
		bt_fill(self->bufs[i], 11 + i, i);
		bt_elem(&self->m[i], self->bufs[i], 11 + i, i);
	}
	ASSERT_EQ(3, kmbox_sendv(self->snd, self->m, 3, KMBOX_DONTWAIT, 0));
	ASSERT_EQ(3, bt_queued(self->rw));
	ASSERT_EQ(-EINVAL, BT_LIBERR(kmbox_sendv(self->snd, self->m, 0, 0, 0)));
	ASSERT_EQ(-EBADF, BT_LIBERR(kmbox_sendv(self->rcv, self->m, 1, 0, 0)));
	ASSERT_EQ(-EINVAL, BT_LIBERR(kmbox_sendv(self->snd, self->m, 1,
						 KMBOX_WAITFORONE, 0)));

	for (i = 0; i < 4; i++)
		bt_relem(&self->m[i], self->bufs[i + 3], BT_MSG_SIZE);
	ASSERT_EQ(3, kmbox_recvv(self->rcv, self->m, 4,
				 KMBOX_WAITFORONE | KMBOX_TIMEOUT,
				 BT_GUARD_NS));
	for (i = 0; i < 3; i++) {
		/* Priorities 2, 1, 0: the last sent comes first. */
		EXPECT_EQ(2 - i, (int)self->m[i].priority);
		EXPECT_EQ(13 - i, (int)self->m[i].msg_len);
		EXPECT_EQ(3 - i, (int)self->m[i].seq);
		EXPECT_TRUE(bt_check(self->bufs[i + 3], 13 - i, 2 - i));
	}
	EXPECT_TRUE(bt_untouched(&self->m[3], self->bufs[6], BT_MSG_SIZE));
	ASSERT_EQ(-EAGAIN, BT_LIBERR(kmbox_recvv(self->rcv, self->m, 1,
						 KMBOX_DONTWAIT, 0)));
	ASSERT_EQ(-ETIMEDOUT, BT_LIBERR(kmbox_recvv(self->rcv, self->m, 1,
						    KMBOX_TIMEOUT, 1000)));
	ASSERT_EQ(-EBADF, BT_LIBERR(kmbox_recvv(self->snd, self->m, 1,
						KMBOX_DONTWAIT, 0)));
	ASSERT_EQ(-EINVAL, BT_LIBERR(kmbox_recvv(self->rcv, self->m,
						 KMBOX_MSGV_MAX + 1, 0, 0)));
}

TEST_HARNESS_MAIN
