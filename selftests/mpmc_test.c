// SPDX-License-Identifier: GPL-2.0
/*
 * Many producers and many consumers through one small mailbox, so that
 * both sides block often.  Each message carries its producer, that
 * producer's sequence number, its length and a checksum of its payload
 * (of varying length).  Checked: no message lost or delivered twice,
 * every checksum right, every consumer sees each producer's messages in
 * increasing order, sender_pid names the producer.  The run ends with
 * KMBOX_IOC_SHUTDOWN once the producers are done; consumers stop at
 * end-of-stream.  Producers also stop at a deadline (RUN_NS), so that a
 * slow debug kernel on a busy machine checks fewer messages instead of
 * running out of time; the count is logged.
 *
 * Once with processes, once with threads.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define PRODUCERS	4
#define CONSUMERS	4
#define TOTAL		100000
#define PER_PRODUCER	(TOTAL / PRODUCERS)
/* The threads variant moves fewer, to stay quick on a debug kernel. */
#define THREADS_TOTAL	20000
/* How long producers keep sending at most. */
#define RUN_NS		(20 * 1000000000ull)
#define CAPACITY	64
#define MSG_SIZE	256
#define MAX_PAYLOAD	(MSG_SIZE - sizeof(struct hdr))

struct hdr {
	__u32 producer;
	__u32 seq;
	__u32 len;	/* of the payload */
	__u32 csum;	/* of the payload */
	__s32 pid;	/* the producer's */
	__u32 pad;
};

/* What a consumer reports. */
struct tally {
	__u64 got;
	__u64 bad_size;		/* length not the one the header implies */
	__u64 bad_csum;
	__u64 bad_header;	/* producer or seq out of range */
	__u64 out_of_order;	/* a producer's seq not increasing */
	__u64 bad_pid;		/* sender_pid is not the producer */
	int error;		/* errno of a failed receive, EPIPE at the end */
};

/* Shared by everybody: in MAP_SHARED memory for the process variant. */
struct board {
	unsigned char seen[PRODUCERS][PER_PRODUCER];
	struct tally tally[CONSUMERS];
	int send_error[PRODUCERS];
	__u32 sent[PRODUCERS];
};

/* The payload length of a producer's message: 0 to MAX_PAYLOAD. */
static __u32 payload_len(__u32 producer, __u32 seq)
{
	return (seq * 37 + producer * 11) % (MAX_PAYLOAD + 1);
}

static size_t make_msg(unsigned char *buf, __u32 producer, __u32 seq,
		       pid_t pid)
{
	struct hdr *h = (struct hdr *)buf;
	unsigned char *pay = buf + sizeof(*h);

	h->producer = producer;
	h->seq = seq;
	h->len = payload_len(producer, seq);
	h->pid = pid;
	h->pad = 0;
	kmbox_test_payload(pay, h->len, producer, seq);
	h->csum = kmbox_test_fnv1a(pay, h->len);
	return sizeof(*h) + h->len;
}

/*
 * Sends @per messages of producer @producer, or fewer if the clock passes
 * @deadline first; the board says how many.
 */
static void produce(int fd, struct board *b, __u32 producer, __u32 per,
		    pid_t pid, __u64 deadline)
{
	unsigned char buf[MSG_SIZE];
	__u32 seq;
	int n;

	for (seq = 0; seq < per && kmbox_test_now_ns() < deadline; seq++) {
		size_t len = make_msg(buf, producer, seq, pid);

		n = kmbox_test_send(fd, buf, len, 0, 0);
		if (n != (int)len) {
			b->send_error[producer] = n < 0 ? -n : 999;
			break;
		}
	}
	b->sent[producer] = seq;
}

/* Receives until end-of-stream; each producer sent @per messages. */
static void consume(int fd, struct board *b, int consumer, __u32 per)
{
	struct tally *t = &b->tally[consumer];
	long last[PRODUCERS];
	unsigned char buf[MSG_SIZE];
	const struct hdr *h = (const struct hdr *)buf;
	struct kmbox_msg m;
	int i, n;

	for (i = 0; i < PRODUCERS; i++)
		last[i] = -1;
	for (;;) {
		n = kmbox_test_recv(fd, buf, sizeof(buf), 0, &m);
		if (n < 0) {
			t->error = -n;
			return;
		}
		t->got++;
		if (n < (int)sizeof(*h) || h->producer >= PRODUCERS ||
		    h->seq >= per) {
			t->bad_header++;
			continue;
		}
		if (h->len != payload_len(h->producer, h->seq) ||
		    n != (int)(sizeof(*h) + h->len) || m.msg_len != (__u64)n)
			t->bad_size++;
		else if (kmbox_test_fnv1a(buf + sizeof(*h), h->len) != h->csum)
			t->bad_csum++;
		if (m.sender_pid != h->pid)
			t->bad_pid++;
		if ((long)h->seq <= last[h->producer])
			t->out_of_order++;
		last[h->producer] = h->seq;
		__atomic_fetch_add(&b->seen[h->producer][h->seq], 1,
				   __ATOMIC_RELAXED);
	}
}

/*
 * Checks the board after the run: every message sent seen once, none
 * that was not sent, all good.  Returns how many were sent.
 */
static __u64 check(struct __test_metadata *_metadata, struct board *b,
		   __u32 per, __u64 ns)
{
	__u64 got = 0, sent = 0, missing = 0, dup = 0, ghost = 0;
	int i, j;

	for (i = 0; i < PRODUCERS; i++) {
		EXPECT_EQ(0, b->send_error[i]) {
			TH_LOG("producer %d: send failed with %d", i,
			       b->send_error[i]);
		}
	}
	for (i = 0; i < CONSUMERS; i++) {
		struct tally *t = &b->tally[i];

		EXPECT_EQ(EPIPE, t->error) {
			TH_LOG("consumer %d stopped with errno %d", i,
			       t->error);
		}
		EXPECT_EQ(0, t->bad_header);
		EXPECT_EQ(0, t->bad_size);
		EXPECT_EQ(0, t->bad_csum);
		EXPECT_EQ(0, t->out_of_order);
		EXPECT_EQ(0, t->bad_pid);
		got += t->got;
	}
	for (i = 0; i < PRODUCERS; i++) {
		sent += b->sent[i];
		for (j = 0; j < (int)per; j++) {
			if (j >= (int)b->sent[i])
				ghost += b->seen[i][j] != 0;
			else if (!b->seen[i][j])
				missing++;
			else if (b->seen[i][j] > 1)
				dup++;
		}
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, ghost);
	EXPECT_EQ(sent, got);
	EXPECT_LT(0, sent);
	TH_LOG("%llu of %u messages before the deadline, %d producers, %d consumers: %llu ms",
	       (unsigned long long)sent, per * PRODUCERS, PRODUCERS,
	       CONSUMERS, (unsigned long long)ns / 1000000);
	for (i = 0; i < CONSUMERS; i++)
		TH_LOG("consumer %d got %llu", i,
		       (unsigned long long)b->tally[i].got);
	return sent;
}

static int make_mailbox(void)
{
	struct kmbox_attr attr = {
		.max_msgs = CAPACITY,
		.max_msg_size = MSG_SIZE,
	};

	return kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
}

static void mailbox_figures(struct __test_metadata *_metadata, int fd,
			    __u64 total)
{
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(total, st.sent);
	EXPECT_EQ(total, st.received);
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(0, st.bytes);
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_LE(st.high_water, CAPACITY);
	TH_LOG("high water %llu of %d", (unsigned long long)st.high_water,
	       CAPACITY);
}

FIXTURE(run) {
	struct board *b;
	int fd;
	pid_t kids[PRODUCERS + CONSUMERS];
};

FIXTURE_SETUP(run)
{
	self->b = mmap(NULL, sizeof(*self->b), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->b != MAP_FAILED);
	self->fd = make_mailbox();
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(run)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->kids); i++)
		kmbox_test_kill(&self->kids[i]);
	close(self->fd);
	munmap(self->b, sizeof(*self->b));
}

TEST_F_TIMEOUT(run, processes, 100)
{
	struct board *b = self->b;
	__u64 start = kmbox_test_now_ns(), sent;
	int i;

	for (i = 0; i < CONSUMERS; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			consume(self->fd, b, i, PER_PRODUCER);
			_exit(0);
		}
		self->kids[PRODUCERS + i] = pid;
	}
	for (i = 0; i < PRODUCERS; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			produce(self->fd, b, i, PER_PRODUCER, getpid(),
				start + RUN_NS);
			_exit(0);
		}
		self->kids[i] = pid;
	}
	for (i = 0; i < PRODUCERS; i++) {
		ASSERT_EQ(0, kmbox_test_reap_kid(&self->kids[i]));
	}
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SHUTDOWN, NULL));
	for (i = 0; i < CONSUMERS; i++) {
		ASSERT_EQ(0, kmbox_test_reap_kid(&self->kids[PRODUCERS + i]));
	}
	sent = check(_metadata, b, PER_PRODUCER, kmbox_test_now_ns() - start);
	mailbox_figures(_metadata, self->fd, sent);
}

struct worker {
	struct board *b;
	int fd;
	int id;
	__u64 deadline;
};

static void *producer_thread(void *arg)
{
	struct worker *w = arg;

	produce(w->fd, w->b, w->id, THREADS_TOTAL / PRODUCERS, getpid(),
		w->deadline);
	return NULL;
}

static void *consumer_thread(void *arg)
{
	struct worker *w = arg;

	consume(w->fd, w->b, w->id, THREADS_TOTAL / PRODUCERS);
	return NULL;
}

TEST_F_TIMEOUT(run, threads, 60)
{
	struct worker prod[PRODUCERS], cons[CONSUMERS];
	pthread_t pt[PRODUCERS], ct[CONSUMERS];
	__u64 start = kmbox_test_now_ns(), sent;
	int i;

	for (i = 0; i < CONSUMERS; i++) {
		cons[i] = (struct worker){ self->b, self->fd, i, 0 };
		ASSERT_EQ(0, pthread_create(&ct[i], NULL, consumer_thread,
					    &cons[i]));
	}
	for (i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct worker){ self->b, self->fd, i,
					   start + RUN_NS };
		ASSERT_EQ(0, pthread_create(&pt[i], NULL, producer_thread,
					    &prod[i]));
	}
	for (i = 0; i < PRODUCERS; i++) {
		ASSERT_EQ(0, pthread_join(pt[i], NULL));
	}
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SHUTDOWN, NULL));
	for (i = 0; i < CONSUMERS; i++) {
		ASSERT_EQ(0, pthread_join(ct[i], NULL));
	}
	sent = check(_metadata, self->b, THREADS_TOTAL / PRODUCERS,
		     kmbox_test_now_ns() - start);
	mailbox_figures(_metadata, self->fd, sent);
}

TEST_HARNESS_MAIN
