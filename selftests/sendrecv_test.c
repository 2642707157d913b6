// SPDX-License-Identifier: GPL-2.0
/*
 * Sending and receiving one message at a time: write()/read() and the
 * SEND/RECV ioctls keep message boundaries; FIFO within a priority and
 * higher priorities first; zero-length and maximum-size messages;
 * EMSGSIZE leaves the message queued; PEEK; the metadata RECV reports;
 * roles (EBADF), bad buffers (EFAULT, nothing queued or taken), bad flags
 * and priorities (EINVAL), and the byte capacity.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MSG_SIZE	256
#define MAX_MSGS	16

/* A named mailbox reached through three descriptors, one per role. */
FIXTURE(mb) {
	int rw;		/* send and receive (the creator's) */
	int snd;	/* send only */
	int rcv;	/* receive only */
};

FIXTURE_SETUP(mb)
{
	char name[64];

	kmbox_test_name(name, sizeof(name), "sendrecv");
	ASSERT_EQ(0, kmbox_test_open3(name, MAX_MSGS, MSG_SIZE, &self->rw,
				      &self->snd, &self->rcv));
	/* The name is only a rendezvous: the descriptors keep the mailbox. */
	ASSERT_EQ(0, kmbox_test_unlink(name));
}

FIXTURE_TEARDOWN(mb)
{
	kmbox_test_close3(NULL, self->rw, self->snd, self->rcv);
}

TEST_F(mb, write_read_keep_boundaries)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(3, kmbox_test_write(self->snd, "abc", 3));
	ASSERT_EQ(5, kmbox_test_write(self->snd, "defgh", 5));
	ASSERT_EQ(1, kmbox_test_write(self->rw, "i", 1));
	ASSERT_EQ(3, kmbox_test_queued(self->rw));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(3, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "abc", 3));
	ASSERT_EQ(5, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "defgh", 5));
	ASSERT_EQ(1, kmbox_test_read(self->rw, buf, sizeof(buf)));
	ASSERT_EQ('i', buf[0]);
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

TEST_F(mb, ioctls_return_lengths)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];

	ASSERT_EQ(7, kmbox_test_send(self->snd, "message", 7, 0, 0));
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(7, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, "message", 7));
	ASSERT_EQ(7, m.msg_len);
	ASSERT_EQ(0, m.priority);
	/* Input fields survive. */
	ASSERT_EQ((__u64)(unsigned long)buf, m.buf);
	ASSERT_EQ(sizeof(buf), m.len);
	ASSERT_EQ(0, m.flags);
}

/* A message sent with write() can be received with RECV, and back. */
/*
 * A mailbox is a stream of messages with no position: lseek(), pread()
 * and pwrite() fail with ESPIPE, as on a pipe, and nothing moves.
 */
TEST_F(mb, no_seek_espipe)
{
	char buf[MSG_SIZE];

	ASSERT_EQ(3, kmbox_test_write(self->snd, "abc", 3));
	errno = 0;
	EXPECT_EQ(-1, lseek(self->rw, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(self->rcv, 0, SEEK_CUR));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->snd, "x", 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(1, kmbox_test_queued(self->rw));
}

TEST_F(mb, write_then_recv_send_then_read)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];

	ASSERT_EQ(4, kmbox_test_write(self->snd, "ping", 4));
	ASSERT_EQ(4, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(0, m.priority);

	ASSERT_EQ(4, kmbox_test_send(self->snd, "pong", 4, 9, 0));
	ASSERT_EQ(4, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "pong", 4));
}

TEST_F(mb, fifo_within_priority)
{
	struct kmbox_stat st;
	unsigned int i, len = 0;
	char buf[MSG_SIZE], msg[32];

	for (i = 0; i < MAX_MSGS; i++) {
		int n = snprintf(msg, sizeof(msg), "message %u", i);

		ASSERT_EQ(n, kmbox_test_send(self->snd, msg, n, 3, 0));
		len += n;
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(MAX_MSGS, st.msgs);
	ASSERT_EQ(len, st.bytes);
	ASSERT_EQ(MAX_MSGS, st.sent);
	ASSERT_EQ(0, st.received);

	for (i = 0; i < MAX_MSGS; i++) {
		int n = snprintf(msg, sizeof(msg), "message %u", i);

		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(n, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					     KMBOX_DONTWAIT, NULL));
		ASSERT_STREQ(msg, buf);
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.bytes);
	ASSERT_EQ(MAX_MSGS, st.received);
}

/* Higher priorities first, FIFO within each, whatever the sending order. */
TEST_F(mb, priority_order)
{
	static const __u32 prio[] = {
		0, 5, KMBOX_PRIO_MAX, 5, 0, KMBOX_PRIO_MAX, 17, 5, 0, 17, 1, 30,
	};
	const unsigned int n = ARRAY_SIZE(prio);
	unsigned int i, j, got = 0;
	struct kmbox_msg m;
	char buf[MSG_SIZE];
	int p;

	for (i = 0; i < n; i++) {
		buf[0] = i;
		ASSERT_EQ(1, kmbox_test_send(self->snd, buf, 1, prio[i], 0));
	}
	/* Expected order: priority 31 down to 0, sending order within. */
	for (p = KMBOX_PRIO_MAX; p >= 0; p--) {
		for (j = 0; j < n; j++) {
			if (prio[j] != (__u32)p)
				continue;
			buf[0] = -1;
			ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf),
						     KMBOX_DONTWAIT, &m));
			EXPECT_EQ(j, (unsigned char)buf[0]) {
				TH_LOG("message %u of priority %d", got, p);
			}
			EXPECT_EQ(p, m.priority);
			/* seq numbers follow the sending order. */
			EXPECT_EQ(j + 1, m.seq);
			got++;
		}
	}
	ASSERT_EQ(n, got);
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

/* A later high-priority message overtakes queued low-priority ones. */
TEST_F(mb, priority_overtakes_queued)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];

	ASSERT_EQ(3, kmbox_test_send(self->snd, "low", 3, 0, 0));
	ASSERT_EQ(3, kmbox_test_send(self->snd, "lo2", 3, 0, 0));
	ASSERT_EQ(3, kmbox_test_recv(self->rcv, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(0, memcmp(buf, "low", 3));
	ASSERT_EQ(4, kmbox_test_send(self->snd, "high", 4, 1, 0));
	ASSERT_EQ(4, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, "high", 4));
	ASSERT_EQ(1, m.priority);
	ASSERT_EQ(3, m.seq);
	ASSERT_EQ(3, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, "lo2", 3));
	ASSERT_EQ(2, m.seq);
}

TEST_F(mb, priority_above_max_einval)
{
	static const __u32 bad[] = { KMBOX_PRIO_MAX + 1, 64, 1000, UINT32_MAX };
	struct kmbox_stat st;
	struct kmbox_msg m;
	unsigned int i;
	char buf[8];

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, kmbox_test_send(self->snd, "x", 1, bad[i], 0)) {
			TH_LOG("priority %u", bad[i]);
		}
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.sent);

	ASSERT_EQ(1, kmbox_test_send(self->snd, "y", 1, KMBOX_PRIO_MAX, 0));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ('y', buf[0]);
	ASSERT_EQ(KMBOX_PRIO_MAX, m.priority);
	/* Failed sends took no sequence number. */
	ASSERT_EQ(1, m.seq);
}

/* RECV tells an empty message (0) from end-of-stream; read() gives 0. */
TEST_F(mb, zero_length_message)
{
	struct kmbox_msg m;
	char buf[MSG_SIZE];

	ASSERT_EQ(0, kmbox_test_send(self->snd, buf, 0, 0, 0));
	ASSERT_EQ(0, kmbox_test_send(self->snd, buf, 0, 2, 0));
	ASSERT_EQ(2, kmbox_test_queued(self->rw));

	memset(&m, 0xAA, sizeof(m));
	ASSERT_EQ(0, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, m.msg_len);
	ASSERT_EQ(2, m.priority);
	ASSERT_EQ(2, m.seq);
	ASSERT_EQ(1, kmbox_test_queued(self->rw));

	ASSERT_EQ(0, kmbox_test_read(self->rcv, buf, sizeof(buf)));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
	/* Nothing left: the 0 above was a message, not end-of-stream. */
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

/* A zero-length message fits a zero-length buffer. */
TEST_F(mb, zero_length_message_zero_buffer)
{
	char buf[1];

	ASSERT_EQ(0, kmbox_test_send(self->snd, buf, 0, 0, 0));
	ASSERT_EQ(0, kmbox_test_recv(self->rcv, buf, 0, 0, NULL));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

TEST_F(mb, max_size_ok_one_more_emsgsize)
{
	char out[MSG_SIZE + 1], in[MSG_SIZE + 16];
	struct kmbox_stat st;
	unsigned int i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = i * 7 + 1;
	ASSERT_EQ(-EMSGSIZE, kmbox_test_send(self->snd, out, MSG_SIZE + 1, 0, 0));
	ASSERT_EQ(-EMSGSIZE, kmbox_test_write(self->snd, out, MSG_SIZE + 1));
	ASSERT_EQ(-EMSGSIZE, kmbox_test_send(self->snd, out, 1 << 20, 0, 0));
	ASSERT_EQ(-EMSGSIZE, kmbox_test_send(self->snd, out, SIZE_MAX, 0, 0));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.sent);

	ASSERT_EQ(MSG_SIZE, kmbox_test_send(self->snd, out, MSG_SIZE, 0, 0));
	ASSERT_EQ(MSG_SIZE, kmbox_test_write(self->snd, out + 1, MSG_SIZE));
	ASSERT_EQ(MSG_SIZE, kmbox_test_recv(self->rcv, in, sizeof(in), 0, NULL));
	ASSERT_EQ(0, memcmp(in, out, MSG_SIZE));
	ASSERT_EQ(MSG_SIZE, kmbox_test_read(self->rcv, in, sizeof(in)));
	ASSERT_EQ(0, memcmp(in, out + 1, MSG_SIZE));
}

/* A large message, not a multiple of the page size, arrives intact. */
TEST(large_message_intact)
{
	const size_t size = 100003;
	struct kmbox_attr attr = { .max_msgs = 2, .max_msg_size = size };
	unsigned char *out, *in;
	size_t i;
	int fd;

	out = malloc(size + 1);
	in = malloc(size + 64);
	ASSERT_TRUE(out != NULL);
	ASSERT_TRUE(in != NULL);
	for (i = 0; i < size + 1; i++)
		out[i] = (i * 2654435761u) >> 13;
	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	/* From an odd address, to cross page boundaries unaligned. */
	ASSERT_EQ(size, kmbox_test_send(fd, out + 1, size, 0, 0));
	ASSERT_EQ(-EMSGSIZE, kmbox_test_send(fd, out, size + 1, 0, 0));
	memset(in, 0, size + 64);
	ASSERT_EQ(size, kmbox_test_recv(fd, in + 3, size + 61, 0, NULL));
	ASSERT_EQ(0, memcmp(in + 3, out + 1, size));
	close(fd);
	free(out);
	free(in);
}

/* A buffer too small: EMSGSIZE, msg_len set, the message stays queued. */
TEST_F(mb, small_buffer_emsgsize_keeps_message)
{
	char out[100], in[MSG_SIZE];
	struct kmbox_stat st;
	struct kmbox_msg m;
	unsigned int i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = 'a' + i % 26;
	ASSERT_EQ(100, kmbox_test_send(self->snd, out, 100, 4, 0));

	memset(in, 0x55, sizeof(in));
	ASSERT_EQ(-EMSGSIZE, kmbox_test_recv(self->rcv, in, 99, 0, &m));
	ASSERT_EQ(100, m.msg_len);
	ASSERT_EQ(-EMSGSIZE, kmbox_test_recv(self->rcv, in, 0, 0, &m));
	ASSERT_EQ(100, m.msg_len);
	ASSERT_EQ(-EMSGSIZE, kmbox_test_recv(self->rcv, in, 1,
					     KMBOX_PEEK, &m));
	ASSERT_EQ(100, m.msg_len);
	ASSERT_EQ(-EMSGSIZE, kmbox_test_read(self->rcv, in, 50));
	/* Nothing was truncated into the buffer. */
	for (i = 0; i < sizeof(in); i++) {
		ASSERT_EQ(0x55, (unsigned char)in[i]);
	}

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(1, st.msgs);
	ASSERT_EQ(100, st.bytes);
	ASSERT_EQ(0, st.received);

	ASSERT_EQ(100, kmbox_test_recv(self->rcv, in, 100, 0, &m));
	ASSERT_EQ(0, memcmp(in, out, 100));
	ASSERT_EQ(4, m.priority);
	ASSERT_EQ(1, m.seq);
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

TEST_F(mb, peek_leaves_message)
{
	struct kmbox_msg m, p;
	struct kmbox_stat st;
	char buf[MSG_SIZE];

	ASSERT_EQ(5, kmbox_test_send(self->snd, "first", 5, 0, 0));
	ASSERT_EQ(6, kmbox_test_send(self->snd, "second", 6, 0, 0));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kmbox_test_recv(self->rcv, buf, sizeof(buf), KMBOX_PEEK, &p));
	ASSERT_STREQ("first", buf);
	ASSERT_EQ(5, p.msg_len);
	ASSERT_EQ(1, p.seq);
	ASSERT_EQ(0, p.priority);
	ASSERT_EQ(getpid(), p.sender_pid);
	ASSERT_EQ(geteuid(), p.sender_uid);
	ASSERT_NE(0, p.time_ns);

	/* Twice: still the same message. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kmbox_test_recv(self->rcv, buf, sizeof(buf),
				     KMBOX_PEEK | KMBOX_DONTWAIT, &m));
	ASSERT_STREQ("first", buf);
	ASSERT_EQ(1, m.seq);

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(2, st.msgs);
	ASSERT_EQ(11, st.bytes);
	ASSERT_EQ(0, st.received);

	/* RECV takes the very message PEEK showed. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_STREQ("first", buf);
	ASSERT_EQ(p.seq, m.seq);
	ASSERT_EQ(p.time_ns, m.time_ns);
	ASSERT_EQ(p.sender_pid, m.sender_pid);
	ASSERT_EQ(p.sender_uid, m.sender_uid);
	ASSERT_EQ(p.priority, m.priority);

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(1, st.msgs);
	ASSERT_EQ(1, st.received);

	/* PEEK also serves the highest priority first. */
	ASSERT_EQ(6, kmbox_test_send(self->snd, "urgent", 6, 9, 0));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(6, kmbox_test_recv(self->rcv, buf, sizeof(buf), KMBOX_PEEK, &m));
	ASSERT_STREQ("urgent", buf);
	ASSERT_EQ(9, m.priority);
	ASSERT_EQ(3, m.seq);
}

TEST_F(mb, peek_empty_eagain)
{
	char buf[8];

	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_PEEK | KMBOX_DONTWAIT, NULL));
}

TEST_F(mb, seq_from_one_increasing)
{
	struct kmbox_msg m;
	unsigned int i;
	char buf[8];

	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, kmbox_test_send(i % 2 ? self->snd : self->rw,
					     "s", 1, 0, 0));
	}
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
		ASSERT_EQ(i + 1, m.seq);
	}
	/* Numbers are never reused after the queue empties. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "s", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(11, m.seq);
}

/* Each mailbox numbers its own messages. */
TEST_F(mb, seq_per_mailbox)
{
	struct kmbox_msg m;
	char buf[8];
	int other;

	ASSERT_EQ(1, kmbox_test_send(self->snd, "a", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "b", 1, 0, 0));
	other = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	ASSERT_GE(other, 0);
	ASSERT_EQ(1, kmbox_test_send(other, "c", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_recv(other, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(1, m.seq);
	close(other);
}

TEST_F(mb, time_ns_between_send_bounds)
{
	struct kmbox_msg m;
	__u64 before, after;
	char buf[8];

	before = kmbox_test_now_ns();
	ASSERT_EQ(1, kmbox_test_send(self->snd, "t", 1, 0, 0));
	after = kmbox_test_now_ns();
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_LE(before, m.time_ns);
	ASSERT_GE(after, m.time_ns);
}

/* The time is the time of queueing, not of receiving. */
TEST_F(mb, time_ns_is_queueing_time)
{
	struct kmbox_msg m1, m2;
	__u64 mid;
	char buf[8];

	ASSERT_EQ(1, kmbox_test_send(self->snd, "1", 1, 0, 0));
	mid = kmbox_test_now_ns();
	while (kmbox_test_now_ns() == mid)
		;
	ASSERT_EQ(1, kmbox_test_send(self->snd, "2", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m1));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m2));
	ASSERT_GE(mid, m1.time_ns);
	ASSERT_LT(mid, m2.time_ns);
}

TEST_F(mb, sender_pid_and_uid)
{
	struct kmbox_msg m;
	char buf[8];

	ASSERT_EQ(1, kmbox_test_write(self->snd, "p", 1));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(getpid(), m.sender_pid);
	ASSERT_EQ(geteuid(), m.sender_uid);
}

TEST_F(mb, sender_pid_of_child)
{
	struct kmbox_msg m;
	int status;
	char buf[8];
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(kmbox_test_send(self->snd, "c", 1, 0, 0) == 1 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The sender has exited: its pid is still what it was. */
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(pid, m.sender_pid);
	ASSERT_EQ(geteuid(), m.sender_uid);
}

static void *thread_send(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(long)kmbox_test_send(fd, "thread", 6, 0, 0);
}

/* sender_pid is the thread group, not the thread. */
TEST_F(mb, sender_pid_of_thread_is_tgid)
{
	struct kmbox_msg m;
	pthread_t thr;
	void *ret;
	char buf[8];

	ASSERT_EQ(0, pthread_create(&thr, NULL, thread_send, &self->snd));
	ASSERT_EQ(0, pthread_join(thr, &ret));
	ASSERT_EQ(6, (long)ret);
	ASSERT_EQ(6, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(getpid(), m.sender_pid);
}

/* sender_uid is the effective uid, not the real one. */
TEST_F(mb, sender_uid_is_euid)
{
	struct kmbox_msg m;
	int status;
	char buf[8];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to change the effective uid");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (seteuid(4242))
			_exit(2);
		_exit(kmbox_test_send(self->snd, "u", 1, 0, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(4242, m.sender_uid);
	ASSERT_EQ(pid, m.sender_pid);
}

/* Garbage in the output fields of SEND and RECV is ignored on input. */
TEST_F(mb, output_fields_ignored_on_input)
{
	struct kmbox_msg m;
	char buf[8];

	memset(&m, 0xAA, sizeof(m));
	m.buf = (__u64)(unsigned long)"in";
	m.len = 2;
	m.timeout_ns = 0;
	m.flags = 0;
	m.priority = 0;
	ASSERT_EQ(2, kmbox_test_ioctl(self->snd, KMBOX_IOC_SEND, &m));

	memset(&m, 0xAA, sizeof(m));
	m.buf = (__u64)(unsigned long)buf;
	m.len = sizeof(buf);
	m.timeout_ns = 0;
	m.flags = 0;
	ASSERT_EQ(2, kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, &m));
	ASSERT_EQ(0, memcmp(buf, "in", 2));
	ASSERT_EQ(2, m.msg_len);
	ASSERT_EQ(1, m.seq);
	ASSERT_EQ(0, m.priority);
	ASSERT_EQ(getpid(), m.sender_pid);
	ASSERT_EQ(geteuid(), m.sender_uid);
}

TEST_F(mb, send_without_role_ebadf)
{
	ASSERT_EQ(-EBADF, kmbox_test_send(self->rcv, "x", 1, 0, 0));
	ASSERT_EQ(-EBADF, kmbox_test_send(self->rcv, "x", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EBADF, kmbox_test_write(self->rcv, "x", 1));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

TEST_F(mb, recv_without_role_ebadf)
{
	char buf[8];

	/* A message is there, so EBADF is not EAGAIN in disguise. */
	ASSERT_EQ(1, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(-EBADF, kmbox_test_recv(self->snd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(-EBADF, kmbox_test_recv(self->snd, buf, sizeof(buf),
					  KMBOX_PEEK, NULL));
	ASSERT_EQ(-EBADF, kmbox_test_read(self->snd, buf, sizeof(buf)));
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, NULL));
}

/* Nothing queued when the message cannot be read. */
TEST_F(mb, send_bad_buffer_efault)
{
	struct kmbox_stat st;
	struct kmbox_msg m;
	char *guarded = kmbox_test_guarded(99);
	void *unmapped = kmbox_test_unmapped();
	char buf[MSG_SIZE];

	ASSERT_TRUE(guarded != NULL);
	ASSERT_TRUE(unmapped != NULL);
	memset(guarded, 'g', 99);

	/* 99 readable bytes then a PROT_NONE page. */
	ASSERT_EQ(-EFAULT, kmbox_test_send(self->snd, guarded, 100, 0, 0));
	ASSERT_EQ(-EFAULT, kmbox_test_write(self->snd, guarded, 100));
	ASSERT_EQ(-EFAULT, kmbox_test_send(self->snd, unmapped, 10, 0, 0));
	ASSERT_EQ(-EFAULT, kmbox_test_write(self->snd, unmapped, 10));
	ASSERT_EQ(-EFAULT, kmbox_test_send(self->snd, NULL, 10, 0, 0));
	/* The top page of the address space: the kernel's. */
	ASSERT_EQ(-EFAULT, kmbox_test_send(self->snd, (void *)-4096L, 10, 0, 0));

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.bytes);
	ASSERT_EQ(0, st.sent);

	/* The readable part alone is fine, and is the first message. */
	ASSERT_EQ(99, kmbox_test_send(self->snd, guarded, 99, 0, 0));
	ASSERT_EQ(99, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(0, memcmp(buf, guarded, 99));
	ASSERT_EQ(1, m.seq);
}

/* The message stays queued when it cannot be written out. */
TEST_F(mb, recv_bad_buffer_efault_keeps_message)
{
	char *guarded = kmbox_test_guarded(99);
	void *unmapped = kmbox_test_unmapped();
	char out[100], in[100];
	struct kmbox_stat st;
	struct kmbox_msg m;
	unsigned int i;

	ASSERT_TRUE(guarded != NULL);
	ASSERT_TRUE(unmapped != NULL);
	for (i = 0; i < sizeof(out); i++)
		out[i] = i;
	ASSERT_EQ(100, kmbox_test_send(self->snd, out, 100, 0, 0));

	ASSERT_EQ(-EFAULT, kmbox_test_recv(self->rcv, guarded, 100, 0, NULL));
	ASSERT_EQ(-EFAULT, kmbox_test_recv(self->rcv, guarded, 100,
					   KMBOX_PEEK, NULL));
	ASSERT_EQ(-EFAULT, kmbox_test_read(self->rcv, guarded, 100));
	ASSERT_EQ(-EFAULT, kmbox_test_recv(self->rcv, unmapped, 100, 0, NULL));
	ASSERT_EQ(-EFAULT, kmbox_test_read(self->rcv, unmapped, 100));
	ASSERT_EQ(-EFAULT, kmbox_test_recv(self->rcv, NULL, 100, 0, NULL));

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(1, st.msgs);
	ASSERT_EQ(100, st.bytes);
	ASSERT_EQ(0, st.received);

	ASSERT_EQ(100, kmbox_test_recv(self->rcv, in, sizeof(in), 0, &m));
	ASSERT_EQ(0, memcmp(in, out, sizeof(out)));
	ASSERT_EQ(1, m.seq);
}

/* The kernel writes the message's length, not the buffer's. */
TEST_F(mb, recv_writes_only_message_length)
{
	char *guarded = kmbox_test_guarded(50);
	char out[50];
	unsigned int i;

	ASSERT_TRUE(guarded != NULL);
	for (i = 0; i < sizeof(out); i++)
		out[i] = 'A' + i;
	ASSERT_EQ(50, kmbox_test_send(self->snd, out, 50, 0, 0));
	ASSERT_EQ(50, kmbox_test_recv(self->rcv, guarded, 4096, 0, NULL));
	ASSERT_EQ(0, memcmp(guarded, out, 50));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

/* The kmbox_msg struct itself unreadable. */
TEST_F(mb, bad_msg_struct_efault)
{
	void *unmapped = kmbox_test_unmapped();
	void *guarded = kmbox_test_guarded(sizeof(struct kmbox_msg) - 1);

	ASSERT_TRUE(unmapped != NULL);
	ASSERT_TRUE(guarded != NULL);
	memset(guarded, 0, sizeof(struct kmbox_msg) - 1);
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->snd, KMBOX_IOC_SEND, NULL));
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->snd, KMBOX_IOC_SEND, unmapped));
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->snd, KMBOX_IOC_SEND, guarded));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));

	ASSERT_EQ(1, kmbox_test_send(self->snd, "k", 1, 0, 0));
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, NULL));
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, unmapped));
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->rcv, KMBOX_IOC_RECV, guarded));
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
}

TEST_F(mb, peek_on_send_einval)
{
	ASSERT_EQ(-EINVAL, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_PEEK));
	ASSERT_EQ(-EINVAL, kmbox_test_send(self->rw, "x", 1, 0, KMBOX_PEEK));
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

TEST_F(mb, nosignal_on_recv_einval)
{
	char buf[8];

	ASSERT_EQ(1, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(-EINVAL, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_NOSIGNAL, NULL));
	ASSERT_EQ(-EINVAL, kmbox_test_recv(self->rw, buf, sizeof(buf),
					   KMBOX_NOSIGNAL | KMBOX_PEEK, NULL));
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
}

TEST_F(mb, unknown_flag_einval)
{
	__u32 flag;
	char buf[8];

	for (flag = KMBOX_NOSIGNAL << 1; flag; flag <<= 1) {
		EXPECT_EQ(-EINVAL, kmbox_test_send(self->snd, "x", 1, 0, flag)) {
			TH_LOG("send flag %#x", flag);
		}
	}
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
	ASSERT_EQ(1, kmbox_test_send(self->snd, "x", 1, 0, 0));
	for (flag = KMBOX_NOSIGNAL << 1; flag; flag <<= 1) {
		EXPECT_EQ(-EINVAL, kmbox_test_recv(self->rcv, buf, sizeof(buf),
						   flag, NULL)) {
			TH_LOG("recv flag %#x", flag);
		}
	}
	ASSERT_EQ(1, kmbox_test_queued(self->rw));
}

/* Full by count: EAGAIN with DONTWAIT. */
TEST_F(mb, full_by_messages_eagain)
{
	unsigned int i;

	for (i = 0; i < MAX_MSGS; i++) {
		ASSERT_EQ(1, kmbox_test_send(self->snd, "f", 1, 0, KMBOX_DONTWAIT));
	}
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "f", 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(self->snd, "f", 1, KMBOX_PRIO_MAX,
					   KMBOX_DONTWAIT));
	ASSERT_EQ(MAX_MSGS, kmbox_test_queued(self->rw));
}

/* Full by bytes: EAGAIN although max_msgs is far. */
TEST(full_by_bytes_eagain)
{
	struct kmbox_attr attr = {
		.max_msgs = 16, .max_msg_size = 100, .max_bytes = 250,
	};
	char buf[100] = { 0 };
	struct kmbox_stat st;
	int fd;

	fd = kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(100, kmbox_test_send(fd, buf, 100, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(100, kmbox_test_send(fd, buf, 100, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(fd, buf, 100, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(fd, buf, 51, 0, KMBOX_DONTWAIT));
	/* Exactly max_bytes fits. */
	ASSERT_EQ(50, kmbox_test_send(fd, buf, 50, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EAGAIN, kmbox_test_send(fd, buf, 1, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	ASSERT_EQ(3, st.msgs);
	ASSERT_EQ(250, st.bytes);
	ASSERT_LT(st.msgs, st.max_msgs);

	/* Room again once a message is taken. */
	ASSERT_EQ(100, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(100, kmbox_test_send(fd, buf, 100, 0, KMBOX_DONTWAIT));
	close(fd);
}

TEST_F(mb, recv_empty_dontwait_eagain)
{
	char buf[8];

	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rcv, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(-EAGAIN, kmbox_test_recv(self->rw, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
}

/* Failed sends of every kind take no sequence number and count nothing. */
TEST_F(mb, failed_sends_leave_no_trace)
{
	struct kmbox_stat st;
	struct kmbox_msg m;
	char big[MSG_SIZE + 1] = { 0 };
	char buf[8];

	ASSERT_EQ(-EMSGSIZE, kmbox_test_send(self->snd, big, sizeof(big), 0, 0));
	ASSERT_EQ(-EINVAL, kmbox_test_send(self->snd, "x", 1, 32, 0));
	ASSERT_EQ(-EINVAL, kmbox_test_send(self->snd, "x", 1, 0, KMBOX_PEEK));
	ASSERT_EQ(-EFAULT, kmbox_test_send(self->snd, kmbox_test_unmapped(),
					   1, 0, 0));
	ASSERT_EQ(-EBADF, kmbox_test_send(self->rcv, "x", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	ASSERT_EQ(0, st.msgs);
	ASSERT_EQ(0, st.sent);
	ASSERT_EQ(0, st.high_water);

	ASSERT_EQ(1, kmbox_test_send(self->snd, "x", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_recv(self->rcv, buf, sizeof(buf), 0, &m));
	ASSERT_EQ(1, m.seq);
}

TEST_HARNESS_MAIN
