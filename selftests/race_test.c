// SPDX-License-Identifier: GPL-2.0
/*
 * Races: tight loops of threads and processes doing at the same moment
 * what the other tests do one after the other.  Each subtest checks the
 * invariants the userspace API promises whatever the interleaving; the
 * debug kernel's KASAN, lockdep and kmemleak catch what a result cannot
 * show (a use-after-free, a lock inversion, a leak).
 *
 * Closing a descriptor does not wake a thread asleep in a call on it: the
 * call holds the open file until it returns.  So every close race here
 * has a third party end the sleep (a message, a ring, a shutdown, a
 * timeout) and checks what the sleeper got.
 *
 * KMBOX_STRESS_SECS (default 2) is how long each subtest runs; the
 * harness timeout of each subtest follows it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define NSEC		1000000000ull
#define MSEC		1000000ull
#define USEC		1000ull
#define GUARD_NS	(10 * NSEC)	/* a wait that must never run out */
#define GUARD_MS	10000
#define MAX_ITER	1000000ul	/* every loop also stops at this count */
#define MSG_LEN		16

/* --- Time and randomness ------------------------------------------------ */

/* Has a check of the running subtest failed: stop its loop. */
static int failed(const struct __test_metadata *_metadata)
{
	return !_metadata->passed;
}

/* A loop bounded by KMBOX_STRESS_SECS and by MAX_ITER iterations. */
struct loop {
	__u64 end;
	unsigned long n;
};

static void loop_start(struct loop *l)
{
	l->n = 0;
	l->end = kmbox_test_now_ns() + kmbox_test_stress_secs() * NSEC;
}

static int loop_more(const struct loop *l)
{
	return l->n < MAX_ITER && kmbox_test_now_ns() < l->end;
}

static __u32 rnd_step(__u32 *s)
{
	__u32 x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static __thread __u32 rnd_state;

/* A new seed for the calling thread: after fork(), in the child. */
static void rnd_reseed(void)
{
	rnd_state = (__u32)kmbox_test_now_ns() ^
		    (__u32)syscall(SYS_gettid) * 2654435761u;
}

/* A random number for the calling thread. */
static __u32 rnd(void)
{
	if (!rnd_state)
		rnd_reseed();
	return rnd_step(&rnd_state);
}

static void spin_ns(__u64 ns)
{
	__u64 end = kmbox_test_now_ns() + ns;

	while (kmbox_test_now_ns() < end)
		;
}

/* --- Small wrappers --------------------------------------------------- */

static int shut(int fd)
{
	return kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL);
}

/*
 * A new named mailbox, its name removed at once: *@rx gets a file with
 * both roles, *@tx (if set) another file, send-only.  0 or -errno.
 */
static int new_mailbox(int *rx, int *tx, __u64 max_msgs, __u64 region,
		       __u32 attr_flags)
{
	struct kmbox_attr attr = {
		.max_msgs = max_msgs,
		.max_msg_size = 64,
		.flags = attr_flags,
		.region_size = region,
	};
	char name[64];

	kmbox_test_name(name, sizeof(name), "race");
	*rx = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	if (*rx < 0)
		return *rx;
	if (tx) {
		*tx = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
		if (*tx < 0)
			return *tx;
	}
	return kmbox_test_unlink(name);
}

/* Is mailbox @id still in /proc/driver/kmbox: 1, 0, or -1. */
static int listed(__u64 id)
{
	unsigned long long got;
	char line[512];
	int ret = 0;
	FILE *f = fopen("/proc/driver/kmbox", "re");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))	/* the header */
		ret = -1;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu", &got) == 1 && got == id)
			ret = 1;
	}
	fclose(f);
	return ret;
}

/* A message that names @tag, MSG_LEN bytes. */
static void tag_msg(char *buf, unsigned long tag)
{
	memset(buf, 0, MSG_LEN);
	snprintf(buf, MSG_LEN, "m%lu", tag);
}

/* --- A thread that sleeps in one call --------------------------------- */

enum op {
	OP_RECV, OP_READ, OP_SEND, OP_WRITE, OP_POLL, OP_EPOLL, OP_RING_WAIT,
};

struct sleeper {
	pthread_t thread;
	enum op op;
	int fd;			/* the descriptor it sleeps on */
	__u32 flags;		/* RECV, SEND, RING_WAIT */
	__u64 timeout_ns;	/* with KMBOX_TIMEOUT; poll, epoll: GUARD */
	const __u32 *uaddr;	/* RING_WAIT */
	__u32 value;
	char buf[MSG_LEN];	/* SEND: the message; RECV: what came */
	int tid;
	int ret;		/* the call's result, or -errno */
	short revents;		/* POLL */
	struct epoll_event ev[4];	/* EPOLL: ret of them */
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	unsigned long cmd;
	int n;

	__atomic_store_n(&s->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	switch (s->op) {
	case OP_RECV:
	case OP_SEND:
		cmd = s->op == OP_RECV ? KMBOX_IOC_RECV : KMBOX_IOC_SEND;
		s->ret = kmbox_test_timed(s->fd, cmd, s->buf, MSG_LEN,
					  s->flags, s->timeout_ns, NULL);
		break;
	case OP_READ:
		s->ret = kmbox_test_read(s->fd, s->buf, MSG_LEN);
		break;
	case OP_WRITE:
		s->ret = kmbox_test_write(s->fd, s->buf, MSG_LEN);
		break;
	case OP_POLL:
		n = poll(&p, 1, GUARD_MS);
		s->ret = n < 0 ? -errno : n;
		s->revents = p.revents;
		break;
	case OP_EPOLL:
		n = epoll_wait(s->fd, s->ev, ARRAY_SIZE(s->ev), GUARD_MS);
		s->ret = n < 0 ? -errno : n;
		break;
	case OP_RING_WAIT:
		s->ret = kmbox_test_ring_wait(s->fd, s->uaddr, s->value,
					      s->flags, s->timeout_ns);
		break;
	}
	return NULL;
}

static int sleeper_start(struct sleeper *s)
{
	s->tid = 0;
	s->ret = -1000;
	return pthread_create(&s->thread, NULL, sleeper_main, s);
}

static int sleeper_tid(struct sleeper *s)
{
	int tid;

	while (!(tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE)))
		sched_yield();
	return tid;
}

/*
 * Lets @s get somewhere at random: nowhere yet, a little way, or asleep
 * in its call (an ioctl @cmd, or any sleep if @cmd is 0).
 */
static void sleeper_pause(struct sleeper *s, unsigned long cmd)
{
	__u32 r = rnd();

	switch (r % 4) {
	case 0:
		break;
	case 1:
		sched_yield();
		break;
	case 2:
		spin_ns((r >> 8) % (50 * USEC));
		break;
	default:
		if (cmd)
			kmbox_test_wait_in_syscall(sleeper_tid(s), SYS_ioctl,
						   cmd);
		else
			kmbox_test_wait_sleeping(sleeper_tid(s));
		break;
	}
}

static int sleeper_join(struct sleeper *s)
{
	return pthread_join(s->thread, NULL);
}

/* The ioctl a sleeper's call is, for sleeper_pause(); 0 if none. */
static unsigned long sleeper_cmd(const struct sleeper *s)
{
	switch (s->op) {
	case OP_RECV:
		return KMBOX_IOC_RECV;
	case OP_SEND:
		return KMBOX_IOC_SEND;
	case OP_RING_WAIT:
		return KMBOX_IOC_RING_WAIT;
	default:
		return 0;
	}
}

FIXTURE(race) {
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(race)
{
	/* A send after a shutdown must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(race)
{
	kmbox_test_kill_kids(&self->kids);
}

/*
 * The descriptor a sleeper uses: the only one of its file (*@base = -1),
 * or, when @use_dup, a dup() of @fd, which stays open as *@base.
 */
static int sleeper_fd(int fd, int use_dup, int *base)
{
	*base = -1;
	if (!use_dup)
		return fd;
	*base = fd;
	return dup(fd);
}

/*
 * Starts @s on @fd (or on a dup() of it, see sleeper_fd()), lets it get
 * somewhere at random, and closes the descriptor it uses: 0 or -1.
 */
static int sleep_then_close(struct sleeper *s, int fd, int use_dup,
			    int *base)
{
	s->fd = sleeper_fd(fd, use_dup, base);
	if (s->fd < 0 || sleeper_start(s))
		return -1;
	sleeper_pause(s, sleeper_cmd(s));
	return close(s->fd);
}

/* --- close() against a sleeping call ----------------------------------- */

/*
 * A receiver sleeps in RECV or read() on a descriptor that is closed under
 * it; then a message comes through another file.  The receiver got the
 * message (its call held the file) or EBADF (the close came first, and
 * the message stays queued).  When the receiver is done, the file it used
 * is gone unless a dup() of it is left: the role count says so.
 */
TEST_F(race, close_vs_recv)
{
	unsigned long got = 0, ebadf = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s = { .op = l.n & 1 ? OP_READ : OP_RECV };
		int rx, tx, base, use_dup = l.n & 2;
		struct kmbox_stat st;
		char msg[MSG_LEN];

		ASSERT_EQ(0, new_mailbox(&rx, &tx, 4, 0, 0));
		ASSERT_EQ(0, sleep_then_close(&s, rx, use_dup, &base));
		tag_msg(msg, l.n);
		ASSERT_EQ(MSG_LEN, kmbox_test_send(tx, msg, MSG_LEN, 0, 0));
		ASSERT_EQ(0, sleeper_join(&s));
		if (s.ret == -EBADF) {
			ebadf++;
		} else {
			EXPECT_EQ(MSG_LEN, s.ret);
			EXPECT_EQ(0, memcmp(msg, s.buf, MSG_LEN));
			got++;
		}
		ASSERT_EQ(0, kmbox_test_stat(tx, &st));
		EXPECT_EQ(s.ret == -EBADF, st.msgs);
		EXPECT_EQ(0, st.blocked_receivers);
		EXPECT_EQ(use_dup ? 1 : 0, st.receivers);
		close(tx);
		if (base >= 0)
			close(base);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("close_vs_recv: %lu iterations: %lu received, %lu EBADF\n",
		       l.n, got, ebadf);
}
KMBOX_TEST_STRESS_TIMEOUT(race, close_vs_recv)

/*
 * A sender sleeps on a full mailbox in SEND or write() on a descriptor
 * that is closed under it; then another file takes the message that
 * filled it.  The sender's message went in (and comes out next) or the
 * call failed with EBADF and nothing more is queued.
 */
TEST_F(race, close_vs_send)
{
	unsigned long sent = 0, ebadf = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s = { .op = l.n & 1 ? OP_WRITE : OP_SEND };
		int rx, tx, base, use_dup = l.n & 2;
		char old[MSG_LEN], buf[MSG_LEN];
		struct kmbox_stat st;

		ASSERT_EQ(0, new_mailbox(&rx, &tx, 1, 0, 0));
		tag_msg(old, ~l.n);
		ASSERT_EQ(MSG_LEN, kmbox_test_send(rx, old, MSG_LEN, 0, 0));
		tag_msg(s.buf, l.n);
		ASSERT_EQ(0, sleep_then_close(&s, tx, use_dup, &base));
		ASSERT_EQ(MSG_LEN, kmbox_test_recv(rx, buf, MSG_LEN, 0, NULL));
		EXPECT_EQ(0, memcmp(old, buf, MSG_LEN));
		ASSERT_EQ(0, sleeper_join(&s));
		if (s.ret == -EBADF) {
			ebadf++;
			EXPECT_EQ(-EAGAIN, kmbox_test_recv(rx, buf, MSG_LEN,
							   KMBOX_DONTWAIT,
							   NULL));
		} else {
			sent++;
			EXPECT_EQ(MSG_LEN, s.ret);
			EXPECT_EQ(MSG_LEN, kmbox_test_recv(rx, buf, MSG_LEN,
							   KMBOX_DONTWAIT,
							   NULL));
			EXPECT_EQ(0, memcmp(s.buf, buf, MSG_LEN));
		}
		ASSERT_EQ(0, kmbox_test_stat(rx, &st));
		EXPECT_EQ(0, st.msgs);
		EXPECT_EQ(0, st.blocked_senders);
		/* rx sends too. */
		EXPECT_EQ(use_dup ? 2 : 1, st.senders);
		close(rx);
		if (base >= 0)
			close(base);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("close_vs_send: %lu iterations: %lu sent, %lu EBADF\n",
		       l.n, sent, ebadf);
}
KMBOX_TEST_STRESS_TIMEOUT(race, close_vs_send)

/*
 * poll() on a descriptor closed under it: poll looks at its descriptors
 * again when it wakes, and a closed one is POLLNVAL.  The message that
 * wakes it comes after the close, so poll reports POLLNVAL, or POLLIN
 * when the pass that saw the message had taken the file before the close
 * (the file lives until that pass is done); never a timeout, never any
 * other event.
 */
TEST_F(race, close_vs_poll)
{
	unsigned long nval = 0, in = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s = { .op = OP_POLL };
		int rx, tx, base, use_dup = l.n & 1;
		char msg[MSG_LEN];

		ASSERT_EQ(0, new_mailbox(&rx, &tx, 4, 0, 0));
		ASSERT_EQ(0, sleep_then_close(&s, rx, use_dup, &base));
		tag_msg(msg, l.n);
		ASSERT_EQ(MSG_LEN, kmbox_test_send(tx, msg, MSG_LEN, 0, 0));
		ASSERT_EQ(0, sleeper_join(&s));
		EXPECT_EQ(1, s.ret);
		EXPECT_TRUE(s.revents == POLLNVAL || s.revents == POLLIN) {
			TH_LOG("revents %#x", s.revents);
		}
		nval += s.revents == POLLNVAL;
		in += s.revents == POLLIN;
		EXPECT_EQ(1, kmbox_test_queued(tx));
		close(tx);
		if (base >= 0)
			close(base);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("close_vs_poll: %lu iterations: %lu POLLNVAL, %lu POLLIN\n",
		       l.n, nval, in);
}
KMBOX_TEST_STRESS_TIMEOUT(race, close_vs_poll)

/*
 * epoll_wait() on a set holding a mailbox descriptor and an eventfd; the
 * mailbox descriptor is closed, a message comes through another file,
 * then the eventfd fires.  epoll registers the open file: if the closed
 * descriptor was its only one, the file is gone and so is its entry,
 * and the message must not be reported (only the eventfd); if a dup()
 * keeps the file, the entry stays and the message must be reported.
 */
TEST_F(race, close_vs_epoll_wait)
{
	unsigned long both = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s = { .op = OP_EPOLL };
		struct epoll_event ev = { .events = EPOLLIN };
		int rx, tx, base, efd, fd, i, use_dup = l.n & 1;
		int mbox_seen = 0, efd_seen = 0;
		__u64 one = 1;
		char msg[MSG_LEN];

		ASSERT_EQ(0, new_mailbox(&rx, &tx, 4, 0, 0));
		fd = sleeper_fd(rx, use_dup, &base);
		ASSERT_GE(fd, 0);
		efd = eventfd(0, EFD_CLOEXEC);
		ASSERT_GE(efd, 0);
		s.fd = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_GE(s.fd, 0);
		ev.data.u32 = 1;
		ASSERT_EQ(0, epoll_ctl(s.fd, EPOLL_CTL_ADD, fd, &ev));
		ev.data.u32 = 2;
		ASSERT_EQ(0, epoll_ctl(s.fd, EPOLL_CTL_ADD, efd, &ev));
		ASSERT_EQ(0, sleeper_start(&s));
		sleeper_pause(&s, 0);
		ASSERT_EQ(0, close(fd));
		tag_msg(msg, l.n);
		ASSERT_EQ(MSG_LEN, kmbox_test_send(tx, msg, MSG_LEN, 0, 0));
		ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
		ASSERT_EQ(0, sleeper_join(&s));
		ASSERT_GE(s.ret, 1);
		ASSERT_LE(s.ret, 2);
		for (i = 0; i < s.ret; i++) {
			if (s.ev[i].data.u32 == 1) {
				mbox_seen++;
				EXPECT_EQ(EPOLLIN, s.ev[i].events);
			} else {
				efd_seen++;
				EXPECT_EQ(2, s.ev[i].data.u32);
			}
		}
		if (use_dup) {
			EXPECT_EQ(1, mbox_seen);
		} else {
			EXPECT_EQ(0, mbox_seen);
			EXPECT_EQ(1, efd_seen);
		}
		both += mbox_seen && efd_seen;
		close(s.fd);
		close(efd);
		close(tx);
		if (base >= 0)
			close(base);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("close_vs_epoll_wait: %lu iterations, %lu woke for both\n",
		       l.n, both);
}
KMBOX_TEST_STRESS_TIMEOUT(race, close_vs_epoll_wait)

/*
 * The consumer end of a ring sleeps in RING_WAIT on a descriptor that is
 * closed under it; then the producer rings.  The wait returns 0 (it held
 * the file) or EBADF (the close came first), never a timeout.  Once it
 * is done and the consumer's last descriptor is closed, the consumer end
 * is gone: STAT counts none and the producer's wait is EPIPE.
 */
TEST_F(race, close_vs_ring_wait)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long woken = 0, ebadf = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s = { .op = OP_RING_WAIT };
		int con, pro, base, use_dup = l.n & 1;
		struct kmbox_stat st;
		char name[64];
		__u32 *map;

		kmbox_test_name(name, sizeof(name), "race-ring");
		con = kmbox_test_create_region(name, page,
					       KMBOX_EXCL | KMBOX_CLOEXEC);
		ASSERT_GE(con, 0);
		pro = kmbox_test_open(name, KMBOX_CLOEXEC);
		ASSERT_GE(pro, 0);
		ASSERT_EQ(0, kmbox_test_unlink(name));
		map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			   pro, 0);
		ASSERT_TRUE(map != MAP_FAILED);
		ASSERT_EQ(0, kmbox_test_ring_join(con, KMBOX_RING_CONSUMER));
		ASSERT_EQ(0, kmbox_test_ring_join(pro, KMBOX_RING_PRODUCER));
		s.uaddr = &map[16];
		s.value = map[16];
		s.flags = KMBOX_TIMEOUT;
		s.timeout_ns = GUARD_NS;
		ASSERT_EQ(0, sleep_then_close(&s, con, use_dup, &base));
		ASSERT_EQ(0, kmbox_test_ring_wake(pro));
		ASSERT_EQ(0, sleeper_join(&s));
		if (s.ret == -EBADF) {
			ebadf++;
		} else {
			EXPECT_EQ(0, s.ret);
			woken++;
		}
		if (base >= 0) {
			ASSERT_EQ(0, kmbox_test_stat(pro, &st));
			EXPECT_EQ(1, st.ring_consumers);
			close(base);
		}
		ASSERT_EQ(0, kmbox_test_stat(pro, &st));
		EXPECT_EQ(0, st.ring_consumers);
		EXPECT_EQ(1, st.ring_producers);
		EXPECT_EQ(1, st.mappings);
		EXPECT_EQ(-EPIPE, kmbox_test_ring_wait(pro, &map[32], map[32],
						       KMBOX_DONTWAIT, 0));
		munmap(map, page);
		close(pro);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("close_vs_ring_wait: %lu iterations: %lu woken, %lu EBADF\n",
		       l.n, woken, ebadf);
}
KMBOX_TEST_STRESS_TIMEOUT(race, close_vs_ring_wait)

/* --- Names ------------------------------------------------------------ */

#define OPENERS	3

struct namer {
	const char *name;
	int stop;
	pthread_t thread[OPENERS];
	unsigned long opens[OPENERS], enoent[OPENERS], moved[OPENERS];
	char err[OPENERS][128];	/* the first broken invariant */
};

#define NAMER_FAIL(nm, i, ...) do {					\
	if (!(nm)->err[i][0])						\
		snprintf((nm)->err[i], sizeof((nm)->err[i]), __VA_ARGS__); \
} while (0)

/*
 * One round trip on @fd, whose mailbox is @id: every message in it was
 * sent by someone who had checked that same id, and every thread sends
 * before it receives, so a message is there and carries @id.  0 or -1.
 */
static int round_trip(int fd, __u64 id)
{
	__u64 got = 0;

	if (kmbox_test_send(fd, &id, sizeof(id), 0, KMBOX_DONTWAIT) !=
	    sizeof(id))
		return -1;
	if (kmbox_test_recv(fd, &got, sizeof(got), KMBOX_DONTWAIT, NULL) !=
	    sizeof(got))
		return -1;
	return got == id ? 0 : -1;
}

struct opener_arg {
	struct namer *nm;
	int i;
};

/*
 * Opens the name again and again.  Each open is ENOENT or a live
 * mailbox; the ids never go backward (the creator's ids grow and the
 * name only moves forward); the previous descriptor still works after
 * the name has moved on, keeps its id, and its mailbox is then marked
 * unlinked (this thread's file kept it, so the name cannot have gone
 * with its last file).
 */
static void *opener(void *arg)
{
	struct opener_arg *a = arg;
	struct namer *nm = a->nm;
	int i = a->i, old = -1, fd;
	__u64 old_id = 0, id;
	struct kmbox_stat st;

	while (!__atomic_load_n(&nm->stop, __ATOMIC_ACQUIRE)) {
		fd = kmbox_test_open(nm->name, KMBOX_CLOEXEC);
		if (fd == -ENOENT) {
			nm->enoent[i]++;
			continue;
		}
		if (fd < 0) {
			NAMER_FAIL(nm, i, "open: %d", fd);
			break;
		}
		nm->opens[i]++;
		id = kmbox_test_id(fd);
		if (id == ~0ull || id < old_id) {
			NAMER_FAIL(nm, i, "id %llu after %llu",
				   (unsigned long long)id,
				   (unsigned long long)old_id);
			close(fd);
			break;
		}
		if (round_trip(fd, id))
			NAMER_FAIL(nm, i, "round trip on the new fd");
		if (old >= 0) {
			if (round_trip(old, old_id))
				NAMER_FAIL(nm, i, "round trip on the old fd");
			if (kmbox_test_stat(old, &st) || st.id != old_id)
				NAMER_FAIL(nm, i, "old fd changed mailbox");
			else if (id != old_id &&
				 !(st.state & KMBOX_STATE_UNLINKED))
				NAMER_FAIL(nm, i, "moved name, not unlinked");
			nm->moved[i] += id != old_id;
			close(old);
		}
		old = fd;
		old_id = id;
	}
	if (old >= 0)
		close(old);
	return NULL;
}

/*
 * One thread unlinks a name and creates it again, or closes its
 * descriptor and creates the name without KMBOX_EXCL (which opens the
 * old mailbox if an opener still holds it), while OPENERS threads open
 * the name.
 */
TEST_F(race, unlink_recreate_vs_open)
{
	struct kmbox_attr attr = { .max_msgs = 4 * OPENERS, .max_msg_size = 8 };
	struct opener_arg args[OPENERS];
	unsigned long opens = 0, enoent = 0, moved = 0, reopened = 0;
	struct namer nm = { 0 };
	char name[64];
	__u64 id, last;
	struct loop l;
	int fd, i;

	nm.name = kmbox_test_name(name, sizeof(name), "race-name");
	fd = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	last = kmbox_test_id(fd);
	for (i = 0; i < OPENERS; i++) {
		args[i] = (struct opener_arg){ &nm, i };
		ASSERT_EQ(0, pthread_create(&nm.thread[i], NULL, opener,
					    &args[i]));
	}
	for (loop_start(&l); loop_more(&l); l.n++) {
		__u32 flags = KMBOX_CLOEXEC;

		if (rnd() & 1) {
			ASSERT_EQ(0, kmbox_test_unlink(name));
			/* Nobody else creates it: it is gone. */
			EXPECT_EQ(-ENOENT, kmbox_test_open(name, 0));
			flags |= KMBOX_EXCL;
		}
		close(fd);
		if (rnd() & 1)
			sched_yield();
		fd = kmbox_test_create(name, &attr, flags);
		ASSERT_GE(fd, 0);
		id = kmbox_test_id(fd);
		ASSERT_NE(~0ull, id);
		/* An unlinked name is made anew; a held one is reopened. */
		if (flags & KMBOX_EXCL) {
			EXPECT_GT(id, last);
		} else {
			EXPECT_GE(id, last);
		}
		reopened += id == last;
		last = id;
	}
	__atomic_store_n(&nm.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < OPENERS; i++) {
		ASSERT_EQ(0, pthread_join(nm.thread[i], NULL));
		EXPECT_EQ(0, nm.err[i][0]) {
			TH_LOG("opener %d: %s", i, nm.err[i]);
		}
		opens += nm.opens[i];
		enoent += nm.enoent[i];
		moved += nm.moved[i];
	}
	EXPECT_EQ(0, kmbox_test_queued(fd));
	close(fd);
	kmbox_test_unlink(name);
	EXPECT_GT(opens, 0);
	ksft_print_msg("unlink_recreate_vs_open: %lu iterations, %lu reopened; openers: %lu opens, %lu ENOENT, %lu moved\n",
		       l.n, reopened, opens, enoent, moved);
}
KMBOX_TEST_STRESS_TIMEOUT(race, unlink_recreate_vs_open)

/* --- Shutdown, hangup and last close against timeouts ------------------ */

#define SLEEPERS	4

/*
 * Starts SLEEPERS threads on @fds[i]: a receiver (RECV with a relative
 * timeout of 1 to 3 ms, or read() when @may_read) or a sender (SEND, the
 * same timeouts, message tagged with its index) as @roles allows
 * (KMBOX_SEND, KMBOX_RECV or both, for each at random).  The first one's
 * timeout is GUARD_NS instead: the event under test must wake it.
 * 0 or -1.
 */
static int start_sleepers(struct sleeper *s, const int *fds, __u32 roles,
			  int may_read)
{
	int i;

	for (i = 0; i < SLEEPERS; i++) {
		__u32 r = rnd();
		int send = roles == KMBOX_SEND ||
			   (roles != KMBOX_RECV && r & 1);

		memset(&s[i], 0, sizeof(s[i]));
		s[i].fd = fds[i];
		s[i].flags = KMBOX_TIMEOUT;
		s[i].timeout_ns = i ? MSEC + (r >> 4) % (2 * MSEC) : GUARD_NS;
		if (send) {
			s[i].op = OP_SEND;
			s[i].flags |= KMBOX_NOSIGNAL;
			tag_msg(s[i].buf, i);
		} else {
			s[i].op = may_read && r & 2 ? OP_READ : OP_RECV;
		}
		if (sleeper_start(&s[i]))
			return -1;
	}
	return 0;
}

/* Sleeps about as long as the sleepers' timeouts. */
static void until_timeouts(void)
{
	usleep(500 + rnd() % 2500);
}

/*
 * Checks each sleeper's result (@eof: what a receiver may get besides a
 * message and ETIMEDOUT; never ETIMEDOUT for the first, which the event
 * must have woken) and tallies: *@sent messages the senders put in,
 * *@got those the receivers took, *@tags (bit per tag) of those.
 */
static void sleepers_results(struct __test_metadata *_metadata,
			     struct sleeper *s, int eof, int *sent, int *got,
			     __u32 *tags)
{
	int i, t;

	for (i = 0; i < SLEEPERS; i++) {
		ASSERT_EQ(0, sleeper_join(&s[i]));
		if (!i) {
			EXPECT_NE(-ETIMEDOUT, s[i].ret);
		}
		if (s[i].ret == MSG_LEN) {
			if (s[i].op == OP_SEND) {
				++*sent;
				continue;
			}
			++*got;
			t = atoi(s[i].buf + 1);
			EXPECT_EQ(0, *tags & 1u << t);
			*tags |= 1u << t;
			continue;
		}
		if (s[i].op == OP_SEND) {
			EXPECT_TRUE(s[i].ret == -EPIPE ||
				    s[i].ret == -ETIMEDOUT) {
				TH_LOG("sender %d: %d", i, s[i].ret);
			}
		} else if (s[i].op == OP_READ) {
			/* read() has no timeout: it sees the end. */
			EXPECT_EQ(eof == -EPIPE ? 0 : eof, s[i].ret);
		} else {
			EXPECT_TRUE(s[i].ret == eof ||
				    s[i].ret == -ETIMEDOUT) {
				TH_LOG("receiver %d: %d", i, s[i].ret);
			}
		}
	}
}

/*
 * Senders and receivers sleep with relative timeouts of 1 to 3 ms on a
 * mailbox that starts full or empty, and it is shut down at about the
 * moment they run out.  Each gets a message, EPIPE (end-of-stream) or
 * ETIMEDOUT, a read() gets 0; afterwards every message put in was
 * taken by a receiver or is drained before end-of-stream, once.
 */
TEST_F(race, shutdown_vs_timeouts)
{
	unsigned long moved = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct sleeper s[SLEEPERS];
		int fds[SLEEPERS], i, rx, fill = l.n & 1 ? 2 : 0;
		int sent = 0, got = 0, drained = 0, n;
		__u32 tags = 0, want = 0;
		char buf[MSG_LEN];
		struct kmbox_stat st;

		ASSERT_EQ(0, new_mailbox(&rx, NULL, 2, 0, 0));
		for (i = 0; i < fill; i++) {
			tag_msg(buf, SLEEPERS + i);
			want |= 1u << (SLEEPERS + i);
			ASSERT_EQ(MSG_LEN, kmbox_test_send(rx, buf, MSG_LEN,
							   0, 0));
		}
		for (i = 0; i < SLEEPERS; i++)
			fds[i] = rx;
		ASSERT_EQ(0, start_sleepers(s, fds, 0, 1));
		until_timeouts();
		ASSERT_EQ(0, shut(rx));
		sleepers_results(_metadata, s, -EPIPE, &sent, &got, &tags);
		for (i = 0; i < SLEEPERS; i++) {
			if (s[i].op == OP_SEND && s[i].ret == MSG_LEN)
				want |= 1u << i;
		}
		while ((n = kmbox_test_recv(rx, buf, MSG_LEN, 0, NULL)) ==
		       MSG_LEN) {
			i = atoi(buf + 1);
			EXPECT_EQ(0, tags & 1u << i);
			tags |= 1u << i;
			drained++;
		}
		EXPECT_EQ(-EPIPE, n);
		EXPECT_EQ(fill + sent, got + drained);
		EXPECT_EQ(want, tags);
		ASSERT_EQ(0, kmbox_test_stat(rx, &st));
		EXPECT_EQ(0, st.blocked_senders);
		EXPECT_EQ(0, st.blocked_receivers);
		EXPECT_EQ(fill + sent, st.sent);
		moved += got;
		close(rx);
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("shutdown_vs_timeouts: %lu iterations, %lu messages to sleepers\n",
		       l.n, moved);
}
KMBOX_TEST_STRESS_TIMEOUT(race, shutdown_vs_timeouts)

/*
 * Last close against sleepers that time out at about the same moment:
 * in a hangup mailbox, the last sender's file closed under sleeping
 * receivers (each on its own file: a message, EPIPE or ETIMEDOUT; the
 * messages not taken stay queued), or the last receiver's file closed
 * under sleeping senders on a full mailbox (EPIPE or ETIMEDOUT); or, in
 * an ordinary mailbox, every descriptor closed under sleepers of both
 * kinds (nothing wakes them: ETIMEDOUT, or EBADF if the close came
 * first).  When all are done and closed, the mailbox is gone from
 * /proc/driver/kmbox.
 */
TEST_F(race, last_close_vs_sleepers)
{
	struct kmbox_attr hup = { .max_msgs = 2, .max_msg_size = 64,
				  .flags = KMBOX_ATTR_HANGUP };
	unsigned long woke[3] = { 0 };
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		int mode = l.n % 3, fds[SLEEPERS], main_fd, other = -1, i;
		int sent = 0, got = 0, queued, k = 0;
		struct sleeper s[SLEEPERS];
		char name[64], buf[MSG_LEN];
		__u32 tags = 0;
		__u64 id;

		kmbox_test_name(name, sizeof(name), "race-close");
		if (mode == 2) {
			/* Receivers on one, senders on another (full). */
			ASSERT_EQ(0, new_mailbox(&main_fd, NULL, 2, 0, 0));
			ASSERT_EQ(0, new_mailbox(&other, NULL, 1, 0, 0));
			ASSERT_EQ(0, kmbox_test_fill(other, 1));
			for (i = 0; i < SLEEPERS; i++)
				fds[i] = i & 1 ? other : main_fd;
			for (i = 0; i < SLEEPERS; i++) {
				memset(&s[i], 0, sizeof(s[i]));
				s[i].op = i & 1 ? OP_SEND : OP_RECV;
				s[i].fd = fds[i];
				s[i].flags = KMBOX_TIMEOUT;
				s[i].timeout_ns = MSEC + rnd() % (2 * MSEC);
				ASSERT_EQ(0, sleeper_start(&s[i]));
			}
			id = kmbox_test_id(main_fd);
			until_timeouts();
			ASSERT_EQ(0, close(main_fd));
			ASSERT_EQ(0, close(other));
			for (i = 0; i < SLEEPERS; i++) {
				ASSERT_EQ(0, sleeper_join(&s[i]));
				EXPECT_TRUE(s[i].ret == -ETIMEDOUT ||
					    s[i].ret == -EBADF) {
					TH_LOG("sleeper %d: %d", i, s[i].ret);
				}
			}
			EXPECT_EQ(0, listed(id));
			woke[mode]++;
			continue;
		}
		/* Mode 0: the last sender goes; mode 1: the last receiver. */
		main_fd = kmbox_test_create(name, &hup, KMBOX_EXCL |
					    KMBOX_CLOEXEC |
					    (mode ? KMBOX_RECV : KMBOX_SEND));
		ASSERT_GE(main_fd, 0);
		id = kmbox_test_id(main_fd);
		for (i = 0; i < SLEEPERS; i++) {
			fds[i] = kmbox_test_open(name, KMBOX_CLOEXEC |
						 (mode ? KMBOX_SEND :
							 KMBOX_RECV));
			ASSERT_GE(fds[i], 0);
		}
		ASSERT_EQ(0, kmbox_test_unlink(name));
		if (mode) {
			ASSERT_EQ(0, kmbox_test_fill(fds[0], 2));
		} else {
			k = rnd() % 3;
			for (i = 0; i < k; i++) {
				tag_msg(buf, SLEEPERS + i);
				ASSERT_EQ(MSG_LEN,
					  kmbox_test_send(main_fd, buf,
							  MSG_LEN, 0, 0));
			}
		}
		ASSERT_EQ(0, start_sleepers(s, fds, mode ? KMBOX_SEND :
						    KMBOX_RECV, 1));
		until_timeouts();
		ASSERT_EQ(0, close(main_fd));
		sleepers_results(_metadata, s, -EPIPE, &sent, &got, &tags);
		queued = kmbox_test_queued(fds[0]);
		/* Nobody received in mode 1: nothing could go in. */
		EXPECT_EQ(0, sent);
		EXPECT_EQ(mode ? 2 : k - got, queued);
		woke[mode] += got;
		for (i = 0; i < SLEEPERS; i++)
			close(fds[i]);
		EXPECT_EQ(0, listed(id));
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("last_close_vs_sleepers: %lu iterations: %lu messages to receivers, %lu closes under both kinds\n",
		       l.n, woke[0], woke[2]);
}
KMBOX_TEST_STRESS_TIMEOUT(race, last_close_vs_sleepers)

/* --- epoll ------------------------------------------------------------ */

struct epoll_waiter {
	pthread_t thread;
	int ep;			/* the set it waits on */
	int mbox;		/* the mailbox descriptor it receives on */
	int *stop;
	unsigned long waits, events, got;
	int bad;		/* an event or result that cannot be */
};

/*
 * Waits on its set until told to stop or the set is closed (EBADF),
 * taking a message whenever one is reported.  A message is EAGAIN if
 * another waiter took it first, EPIPE after a shutdown, EBADF after the
 * descriptor was closed.
 */
static void *epoll_waiter_main(void *arg)
{
	struct epoll_waiter *w = arg;
	struct epoll_event ev;
	char buf[MSG_LEN];
	int n;

	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
		w->waits++;
		n = epoll_wait(w->ep, &ev, 1, 2);
		if (n < 0) {
			if (errno != EBADF && errno != EINVAL)
				w->bad = errno;
			break;
		}
		if (!n)
			continue;
		w->events++;
		if (ev.data.u32 != 1 ||
		    ev.events & ~(EPOLLIN | EPOLLHUP | EPOLLERR))
			w->bad = 1000 + ev.events;
		if (!(ev.events & EPOLLIN))
			continue;
		n = kmbox_test_recv(w->mbox, buf, MSG_LEN, KMBOX_DONTWAIT,
				    NULL);
		if (n == MSG_LEN)
			w->got++;
		else if (n != -EAGAIN && n != -EPIPE && n != -EBADF)
			w->bad = 2000 - n;
	}
	return NULL;
}

/*
 * The mailbox descriptor is in two epoll sets with EPOLLEXCLUSIVE, two
 * threads asleep in epoll_wait() on each, messages flowing; then it is
 * shut down, closed, or both, the entries deleted (EBADF once closed)
 * and the sets closed under the waiters.  Every message is taken once or
 * still queued; nothing else is reported; KASAN watches the wait queue
 * entries (the CVE-2019-2215 class of bug).
 */
TEST_F(race, epoll_exclusive_vs_close)
{
	unsigned long events = 0, got = 0;
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLEXCLUSIVE,
			.data.u32 = 1,
		};
		struct epoll_waiter w[4] = { { 0 } };
		int rx, tx, ep[2], i, n, stop = 0, sent = 0, taken = 0;
		int mode = rnd() % 3, closed = mode != 0;
		char buf[MSG_LEN];
		__u64 id;

		ASSERT_EQ(0, new_mailbox(&rx, &tx, 16, 0, 0));
		id = kmbox_test_id(rx);
		for (i = 0; i < 2; i++) {
			ep[i] = epoll_create1(EPOLL_CLOEXEC);
			ASSERT_GE(ep[i], 0);
			ASSERT_EQ(0, epoll_ctl(ep[i], EPOLL_CTL_ADD, rx, &ev));
		}
		for (i = 0; i < 4; i++) {
			w[i].ep = ep[i / 2];
			w[i].mbox = rx;
			w[i].stop = &stop;
			ASSERT_EQ(0, pthread_create(&w[i].thread, NULL,
						    epoll_waiter_main, &w[i]));
		}
		n = rnd() % 8;
		for (i = 0; i < n; i++) {
			tag_msg(buf, i);
			ASSERT_EQ(MSG_LEN, kmbox_test_send(tx, buf, MSG_LEN,
							   0, 0));
			sent++;
			if (rnd() & 1)
				sched_yield();
		}
		if (mode != 1)
			ASSERT_EQ(0, shut(rx));
		if (closed)
			ASSERT_EQ(0, close(rx));
		for (i = 0; i < 2; i++) {
			EXPECT_EQ(closed ? -EBADF : 0,
				  epoll_ctl(ep[i], EPOLL_CTL_DEL, rx, NULL) ?
				  -errno : 0);
		}
		if (rnd() & 1)
			sched_yield();
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, close(ep[i]));
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
			EXPECT_EQ(0, w[i].bad);
			taken += w[i].got;
			events += w[i].events;
		}
		EXPECT_EQ(sent, taken + kmbox_test_queued(tx));
		got += taken;
		close(tx);
		if (!closed)
			close(rx);
		EXPECT_EQ(0, listed(id));
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("epoll_exclusive_vs_close: %lu iterations, %lu events, %lu messages taken\n",
		       l.n, events, got);
}
KMBOX_TEST_STRESS_TIMEOUT(race, epoll_exclusive_vs_close)

struct traffic {
	pthread_t thread;
	int tx, rr;
	int *stop;
	unsigned long n;
};

/* Sends and receives on a mailbox until told to stop: wakes its pollers. */
static void *traffic_main(void *arg)
{
	struct traffic *t = arg;
	char buf[MSG_LEN] = "traffic";

	while (!__atomic_load_n(t->stop, __ATOMIC_ACQUIRE)) {
		if (kmbox_test_send(t->tx, buf, MSG_LEN, 0,
				    KMBOX_DONTWAIT) != MSG_LEN)
			kmbox_test_recv(t->rr, buf, MSG_LEN, KMBOX_DONTWAIT,
					NULL);
		if (!(++t->n % 8))
			kmbox_test_recv(t->rr, buf, MSG_LEN, KMBOX_DONTWAIT,
					NULL);
	}
	return NULL;
}

/*
 * A mailbox descriptor registered in several epoll sets (level- and
 * edge-triggered, exclusive, and a set nested in another) while another
 * thread keeps its wait queue busy and a third waits on the sets: the
 * descriptor is closed while still registered, then the sets; or the
 * sets first; or every file of the mailbox, so that the mailbox and its
 * wait queue are freed, with the sets still open (they report nothing),
 * then the sets.
 */
TEST_F(race, epoll_close_registered)
{
	static const __u32 kinds[] = {
		EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLEXCLUSIVE,
	};
	unsigned long modes[3] = { 0 };
	struct loop l;

	for (loop_start(&l); loop_more(&l); l.n++) {
		struct epoll_event ev = { .data.u32 = 1 };
		struct epoll_waiter w = { 0 };
		struct traffic t = { 0 };
		int rx, ep[4], i, stop = 0, mode = rnd() % 3;
		char name[64];
		__u64 id;

		kmbox_test_name(name, sizeof(name), "race-epoll");
		ASSERT_EQ(0, kmbox_test_open3(name, 16, 64, &rx, &t.tx,
					      &t.rr));
		ASSERT_EQ(0, kmbox_test_unlink(name));
		id = kmbox_test_id(rx);
		for (i = 0; i < 4; i++) {
			ep[i] = epoll_create1(EPOLL_CLOEXEC);
			ASSERT_GE(ep[i], 0);
		}
		for (i = 0; i < 3; i++) {
			ev.events = kinds[i];
			ASSERT_EQ(0, epoll_ctl(ep[i], EPOLL_CTL_ADD, rx, &ev));
		}
		ev.events = EPOLLIN;
		ASSERT_EQ(0, epoll_ctl(ep[3], EPOLL_CTL_ADD, ep[0], &ev));
		t.stop = &stop;
		ASSERT_EQ(0, pthread_create(&t.thread, NULL, traffic_main,
					    &t));
		w.ep = ep[3];
		w.mbox = -1;	/* only counts events */
		w.stop = &stop;
		ASSERT_EQ(0, pthread_create(&w.thread, NULL,
					    epoll_waiter_main, &w));
		if (rnd() & 1)
			spin_ns(rnd() % (100 * USEC));
		if (mode == 0) {
			ASSERT_EQ(0, close(rx));
			if (rnd() & 1)
				sched_yield();
			for (i = 3; i >= 0; i--)
				ASSERT_EQ(0, close(ep[i]));
		} else if (mode == 1) {
			for (i = 0; i < 4; i++)
				ASSERT_EQ(0, close(ep[i]));
			if (rnd() & 1)
				sched_yield();
			ASSERT_EQ(0, close(rx));
		}
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		ASSERT_EQ(0, pthread_join(t.thread, NULL));
		ASSERT_EQ(0, pthread_join(w.thread, NULL));
		close(t.tx);
		close(t.rr);
		if (mode == 2) {
			struct epoll_event got[4];

			ASSERT_EQ(0, close(rx));
			EXPECT_EQ(0, listed(id));
			for (i = 0; i < 4; i++) {
				EXPECT_EQ(0, epoll_wait(ep[i], got, 4, 0));
				ASSERT_EQ(0, close(ep[i]));
			}
		}
		/* The waiter took no message; its events named the box. */
		EXPECT_EQ(0, w.bad);
		EXPECT_EQ(0, listed(id));
		modes[mode]++;
		if (failed(_metadata))
			break;
	}
	ksft_print_msg("epoll_close_registered: %lu iterations (%lu, %lu, %lu of each order)\n",
		       l.n, modes[0], modes[1], modes[2]);
}
KMBOX_TEST_STRESS_TIMEOUT(race, epoll_close_registered)

/* --- The region and the ring ------------------------------------------ */

#define REGION_PAGES	4
#define STORM_KIDS	4

/* What the threads and processes of region_vs_ring_ioctls share. */
struct region_race {
	char name[64];
	size_t size;		/* of the region */
	int fd;			/* the test's file, both roles, mapped */
	int con;		/* the consumer end, the waiter's */
	void *vmap;		/* a mapping the mapper replaces */
	int stop;
	unsigned long waits, wakes, joins, maps;
	unsigned long kids, kids_killed, kids_bad;
	int bad_wait, bad_wake;	/* an impossible result */
};

/* A word somewhere in @map, at random. */
static const __u32 *some_word(const struct region_race *rr, const void *map)
{
	return (const __u32 *)map + rnd() % (rr->size / sizeof(__u32));
}

/*
 * RING_WAIT on @fd for a word of @map, which another thread may unmap at
 * any moment, so the word is never read here: any value, a short
 * timeout or none.  0 if the result is one the API allows.
 */
static int wait_somewhere(const struct region_race *rr, int fd,
			  const void *map)
{
	__u32 r = rnd();
	int ret = kmbox_test_ring_wait(fd, some_word(rr, map), r & 1,
				       r & 2 ? KMBOX_DONTWAIT : KMBOX_TIMEOUT,
				       r & 2 ? 0 : 200 * USEC);

	return ret == 0 || ret == -EFAULT || ret == -ETIMEDOUT ||
	       ret == -EAGAIN || ret == -EPIPE ? 0 : ret;
}

/* The consumer waits on words of the mapping the mapper swaps. */
static void *region_waiter(void *arg)
{
	struct region_race *rr = arg;
	int ret;

	while (!__atomic_load_n(&rr->stop, __ATOMIC_ACQUIRE)) {
		ret = wait_somewhere(rr, rr->con,
				     __atomic_load_n(&rr->vmap,
						     __ATOMIC_ACQUIRE));
		if (ret)
			rr->bad_wait = ret;
		rr->waits++;
	}
	return NULL;
}

/*
 * Rings the producer's doorbell, checks STAT, and joins a new file as
 * the producer when no process holds that end (EBUSY otherwise).
 */
static void *region_waker(void *arg)
{
	struct region_race *rr = arg;
	struct kmbox_stat st;
	int fd, ret;

	while (!__atomic_load_n(&rr->stop, __ATOMIC_ACQUIRE)) {
		if (kmbox_test_ring_wake(rr->con))
			rr->bad_wake = 1;
		if (kmbox_test_stat(rr->fd, &st) || st.ring_consumers != 1 ||
		    st.ring_producers > 1 || !st.mappings ||
		    st.region_size != rr->size)
			rr->bad_wake = 2;
		fd = kmbox_test_open(rr->name, KMBOX_CLOEXEC);
		if (fd < 0) {
			rr->bad_wake = 3;
			continue;
		}
		ret = kmbox_test_ring_join(fd, KMBOX_RING_PRODUCER);
		if (ret && ret != -EBUSY)
			rr->bad_wake = 4;
		rr->joins += !ret;
		rr->wakes++;
		close(fd);
	}
	return NULL;
}

/*
 * Maps the region again and again, through the test's descriptor or
 * through a file of its own closed at once (the mapping then holds the
 * last reference to that file), unmapping the mapping before: at once,
 * a page out of the middle first, or after shrinking it with mremap().
 */
static void *region_mapper(void *arg)
{
	struct region_race *rr = arg;
	long page = sysconf(_SC_PAGESIZE);
	int fd, own = 0;
	char *old, *map;

	while (!__atomic_load_n(&rr->stop, __ATOMIC_ACQUIRE)) {
		fd = rr->fd;
		own = rnd() & 1;
		if (own)
			fd = kmbox_test_open(rr->name, KMBOX_CLOEXEC);
		map = mmap(NULL, rr->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (own)
			close(fd);
		if (map == MAP_FAILED) {
			rr->bad_wake = 5;
			break;
		}
		old = __atomic_exchange_n(&rr->vmap, map, __ATOMIC_ACQ_REL);
		switch (rnd() % 3) {
		case 0:
			munmap(old, rr->size);
			break;
		case 1:
			munmap(old + page, page);
			munmap(old, page);
			munmap(old + 2 * page, rr->size - 2 * page);
			break;
		default:
			if (mremap(old, rr->size, page, 0) == MAP_FAILED)
				rr->bad_wake = 6;
			munmap(old, page);
			break;
		}
		rr->maps++;
	}
	return NULL;
}

/*
 * In a child of the storm: its own file, joined as the producer when it
 * can, then a thread waiting and ringing on it, the main thread mapping
 * and unmapping, until it exits at a random moment (killing its thread
 * in the middle of a call) or the storm kills it.
 */
struct storm_kid {
	const struct region_race *rr;
	int fd;
};

static void *storm_kid_thread(void *arg)
{
	const struct storm_kid *k = arg;
	void *map = mmap(NULL, k->rr->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, k->fd, 0);

	if (map == MAP_FAILED)
		_exit(10);
	for (;;) {
		if (wait_somewhere(k->rr, k->fd, map))
			_exit(11);
		if (kmbox_test_ring_wake(k->fd))
			_exit(12);
	}
	return NULL;
}

static void storm_kid(const struct region_race *rr)
{
	struct storm_kid k = { .rr = rr };
	int i, n, ret, threaded;
	struct kmbox_stat st;
	pthread_t thread;
	void *map;

	rnd_reseed();
	n = rnd() % 64;
	k.fd = kmbox_test_open(rr->name, KMBOX_CLOEXEC);
	if (k.fd < 0)
		_exit(20);
	ret = kmbox_test_ring_join(k.fd, KMBOX_RING_PRODUCER);
	if (ret && ret != -EBUSY)
		_exit(21);
	threaded = !ret && rnd() & 1;
	if (threaded && pthread_create(&thread, NULL, storm_kid_thread, &k))
		_exit(22);
	for (i = 0; i < n; i++) {
		map = mmap(NULL, rr->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   k.fd, 0);
		if (map == MAP_FAILED)
			_exit(23);
		if (kmbox_test_stat(k.fd, &st) || !st.mappings)
			_exit(24);
		if (rnd() & 1)
			munmap(map, rr->size);
	}
	/* Without a thread on it, exit with only mappings holding it. */
	if (!threaded && rnd() & 1)
		close(k.fd);
	_exit(0);
}

/*
 * A single-threaded process (so that its children may start threads)
 * that keeps STORM_KIDS children running storm_kid() and kills one now
 * and then, until the end.
 */
static void storm(struct region_race *rr, __u64 end)
{
	pid_t kids[STORM_KIDS] = { 0 }, pid;
	int i, status;

	while (kmbox_test_now_ns() < end) {
		for (i = 0; i < STORM_KIDS; i++) {
			if (kids[i])
				continue;
			pid = fork();
			if (pid < 0)
				_exit(1);
			if (pid == 0)
				storm_kid(rr);
			kids[i] = pid;
			rr->kids++;
		}
		usleep(rnd() % 2000);
		i = rnd() % STORM_KIDS;
		if (rnd() & 1 && kids[i] > 0)
			kill(kids[i], SIGKILL);
		pid = wait(&status);
		for (i = 0; i < STORM_KIDS; i++) {
			if (kids[i] == pid)
				kids[i] = 0;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			rr->kids_killed++;
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			rr->kids_bad++;
	}
	for (i = 0; i < STORM_KIDS; i++)
		kmbox_test_kill(&kids[i]);
	_exit(0);
}

/*
 * munmap(), mremap() and process exit against the ioctls that touch the
 * region: a consumer waits on words of mappings another thread keeps
 * replacing (a word unmapped under the call is EFAULT), a thread rings,
 * checks STAT and joins as the producer, while processes map the region,
 * join as the producer, wait and ring, and exit or are killed in the
 * middle.  Afterwards only the test's own mapping is counted, and the
 * producer end is free again.
 */
TEST_F(race, region_vs_ring_ioctls)
{
	pthread_t waiter, waker, mapper;
	struct region_race *rr;
	struct kmbox_stat st;
	void *perm;
	pid_t pid;

	rr = mmap(NULL, sizeof(*rr), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(rr != MAP_FAILED);
	rr->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	kmbox_test_name(rr->name, sizeof(rr->name), "race-region");
	rr->fd = kmbox_test_create_region(rr->name, rr->size,
					  KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(rr->fd, 0);
	rr->con = kmbox_test_open(rr->name, KMBOX_CLOEXEC);
	ASSERT_GE(rr->con, 0);
	ASSERT_EQ(0, kmbox_test_ring_join(rr->con, KMBOX_RING_CONSUMER));
	perm = mmap(NULL, rr->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    rr->fd, 0);
	ASSERT_TRUE(perm != MAP_FAILED);
	rr->vmap = mmap(NULL, rr->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			rr->fd, 0);
	ASSERT_TRUE(rr->vmap != MAP_FAILED);

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		storm(rr, kmbox_test_now_ns() +
			  kmbox_test_stress_secs() * NSEC);
	ASSERT_EQ(0, pthread_create(&waiter, NULL, region_waiter, rr));
	ASSERT_EQ(0, pthread_create(&waker, NULL, region_waker, rr));
	ASSERT_EQ(0, pthread_create(&mapper, NULL, region_mapper, rr));
	ASSERT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	__atomic_store_n(&rr->stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(waiter, NULL));
	ASSERT_EQ(0, pthread_join(waker, NULL));
	ASSERT_EQ(0, pthread_join(mapper, NULL));

	EXPECT_EQ(0, rr->bad_wait);
	EXPECT_EQ(0, rr->bad_wake);
	EXPECT_EQ(0, rr->kids_bad);
	EXPECT_GT(rr->kids, 0);
	munmap(rr->vmap, rr->size);
	ASSERT_EQ(0, kmbox_test_stat(rr->fd, &st));
	EXPECT_EQ(1, st.mappings);
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(1, st.ring_consumers);
	close(rr->con);
	ASSERT_EQ(0, kmbox_test_stat(rr->fd, &st));
	EXPECT_EQ(0, st.ring_consumers);
	munmap(perm, rr->size);
	ASSERT_EQ(0, kmbox_test_stat(rr->fd, &st));
	EXPECT_EQ(0, st.mappings);
	ksft_print_msg("region_vs_ring_ioctls: %lu waits, %lu wakes, %lu joins, %lu maps; %lu processes (%lu killed)\n",
		       rr->waits, rr->wakes, rr->joins, rr->maps, rr->kids,
		       rr->kids_killed);
	close(rr->fd);
	kmbox_test_unlink(rr->name);
	munmap(rr, sizeof(*rr));
}
KMBOX_TEST_STRESS_TIMEOUT(race, region_vs_ring_ioctls)

/* --- fork() and exit while messages flow ------------------------------ */

#define FORK_SLOTS	4096	/* children that may send on the side */
#define FORK_KIDS	6	/* alive at once */

/* A message of the parent's stream: its number and a checksum of it. */
struct seq_msg {
	__u64 seq;
	__u64 sum;
};

static __u64 seq_sum(__u64 seq)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ull ^ 0x5bd1e995;
}

/* What the children of fork_exit_storm write, in MAP_SHARED memory. */
struct fork_board {
	__u32 attempted[FORK_SLOTS];	/* side messages tried, per child */
	__u32 done[FORK_SLOTS];		/* of which sent for certain */
	__u32 next[FORK_SLOTS];		/* of which received by the parent */
	__u32 slots;			/* slots handed out */
};

struct stream {
	pthread_t thread;
	int fd;
	int *stop;
	__u64 n;		/* messages sent, or received */
	int err;		/* a failed call or a broken message */
};

/* Sends the stream until told to stop: blocking, with a guard timeout. */
static void *stream_producer(void *arg)
{
	struct stream *s = arg;
	struct seq_msg m;
	int ret;

	while (!__atomic_load_n(s->stop, __ATOMIC_ACQUIRE)) {
		m.seq = s->n;
		m.sum = seq_sum(m.seq);
		ret = kmbox_test_timed(s->fd, KMBOX_IOC_SEND, &m, sizeof(m),
				       KMBOX_TIMEOUT, GUARD_NS, NULL);
		if (ret != sizeof(m)) {
			s->err = ret;
			break;
		}
		s->n++;
	}
	return NULL;
}

/*
 * Receives the stream until end-of-stream: every message, in order,
 * intact (a child that took one or put one in would show).
 */
static void *stream_consumer(void *arg)
{
	struct stream *s = arg;
	struct seq_msg m;
	int ret;

	for (;;) {
		ret = kmbox_test_timed(s->fd, KMBOX_IOC_RECV, &m, sizeof(m),
				       KMBOX_TIMEOUT, GUARD_NS, NULL);
		if (ret == -EPIPE)
			break;
		if (ret != sizeof(m) || m.seq != s->n ||
		    m.sum != seq_sum(m.seq)) {
			s->err = ret == sizeof(m) ? 1000 : ret;
			break;
		}
		s->n++;
	}
	return NULL;
}

/*
 * A child of the storm: looks at the stream's mailbox without changing
 * it (STAT, poll, PEEK, opening it by name), maps and writes the region
 * it inherited, sends numbered messages on the side mailbox, and exits
 * after a random number of steps (or is killed).  Only system calls: the
 * parent has threads.
 */
static void fork_kid(struct fork_board *b, const char *name, int stream,
		     int side, int region, size_t size, __u32 *inherited)
{
	__u32 slot = __atomic_fetch_add(&b->slots, 1, __ATOMIC_RELAXED);
	struct kmbox_stat st;
	struct seq_msg m;
	int i, n, fd, ret;
	__u32 seq = 0;
	__u32 *map;

	rnd_reseed();
	n = rnd() % 100;
	for (i = 0; i < n; i++) {
		switch (rnd() % 6) {
		case 0:
			if (kmbox_test_stat(stream, &st))
				_exit(30);
			break;
		case 1:
			kmbox_test_poll(stream, POLLIN | POLLOUT, 0);
			break;
		case 2:
			ret = kmbox_test_recv(stream, &m, sizeof(m),
					      KMBOX_PEEK | KMBOX_DONTWAIT,
					      NULL);
			if (ret == sizeof(m) ? m.sum != seq_sum(m.seq) :
			    ret != -EAGAIN)
				_exit(31);
			break;
		case 3:
			fd = kmbox_test_open(name, KMBOX_RECV);
			if (fd < 0)
				_exit(32);
			close(fd);
			break;
		case 4:
			__atomic_fetch_add(inherited, 1, __ATOMIC_RELAXED);
			map = mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, region, 0);
			if (map == MAP_FAILED)
				_exit(33);
			__atomic_fetch_add(&map[1], 1, __ATOMIC_RELAXED);
			if (rnd() & 1)
				munmap(map, size);
			break;
		default:
			if (slot >= FORK_SLOTS)
				break;
			m.seq = (__u64)slot << 32 | seq;
			m.sum = seq_sum(m.seq);
			__atomic_store_n(&b->attempted[slot], seq + 1,
					 __ATOMIC_RELEASE);
			ret = kmbox_test_send(side, &m, sizeof(m), 0,
					      KMBOX_DONTWAIT);
			if (ret == sizeof(m))
				seq++;
			else if (ret != -EAGAIN)
				_exit(34);
			__atomic_store_n(&b->attempted[slot], seq,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&b->done[slot], seq,
					 __ATOMIC_RELEASE);
			break;
		}
	}
	_exit(0);
}

/*
 * Takes what the children put in the side mailbox: each child's
 * messages in its order, intact.  The number of broken ones.
 */
static int drain_side(struct fork_board *b, int side)
{
	struct seq_msg m;
	__u32 slot;
	int bad = 0;

	while (kmbox_test_recv(side, &m, sizeof(m), KMBOX_DONTWAIT, NULL) ==
	       sizeof(m)) {
		slot = m.seq >> 32;
		if (slot >= FORK_SLOTS || m.sum != seq_sum(m.seq) ||
		    (__u32)m.seq != b->next[slot])
			bad++;
		else
			b->next[slot]++;
	}
	return bad;
}

/*
 * fork() and exit storms while the parent's threads stream messages
 * through a mailbox: children inherit its descriptors and a mapping of
 * a region, look at the stream, map the region, send on a side mailbox,
 * and exit at random moments or are killed.  The stream arrives whole
 * and in order; each child's side messages arrive in order, all of those
 * it knew were sent and at most the one it was sending when killed; the
 * region's mappings and the role counts come back to the parent's.
 */
TEST_F(race, fork_exit_storm)
{
	struct stream prod = { 0 }, cons = { 0 };
	pid_t kids[FORK_KIDS] = { 0 }, pid;
	unsigned long forks = 0, killed = 0;
	long page = sysconf(_SC_PAGESIZE);
	int rw, rx, tx, side, region, stop = 0, bad = 0, i, status;
	struct fork_board *b;
	struct kmbox_stat st;
	char name[64];
	__u32 *map, s;
	struct loop l;

	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(b != MAP_FAILED);
	kmbox_test_name(name, sizeof(name), "race-fork");
	ASSERT_EQ(0, kmbox_test_open3(name, 8, 64, &rw, &tx, &rx));
	close(rw);
	ASSERT_EQ(0, new_mailbox(&side, NULL, 1024, 0, 0));
	region = kmbox_test_create_region(NULL, page, KMBOX_CLOEXEC);
	ASSERT_GE(region, 0);
	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, region, 0);
	ASSERT_TRUE(map != MAP_FAILED);

	prod.fd = tx;
	prod.stop = &stop;
	cons.fd = rx;
	ASSERT_EQ(0, pthread_create(&prod.thread, NULL, stream_producer,
				    &prod));
	ASSERT_EQ(0, pthread_create(&cons.thread, NULL, stream_consumer,
				    &cons));
	for (loop_start(&l); loop_more(&l); l.n++) {
		for (i = 0; i < FORK_KIDS; i++) {
			if (kids[i])
				continue;
			pid = fork();
			ASSERT_GE(pid, 0);
			if (pid == 0)
				fork_kid(b, name, rx, side, region, page,
					 &map[0]);
			kids[i] = pid;
			forks++;
		}
		/* Let them run, kill one at random, reap the dead. */
		usleep(rnd() % 2000);
		if (rnd() & 1)
			kill(kids[rnd() % FORK_KIDS], SIGKILL);
		pid = waitpid(-1, &status, 0);
		while (pid > 0) {
			for (i = 0; i < FORK_KIDS; i++) {
				if (kids[i] == pid)
					kids[i] = 0;
			}
			if (WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL) {
				killed++;
			} else {
				EXPECT_EQ(0, WIFEXITED(status) ?
					     WEXITSTATUS(status) :
					     1000 + WTERMSIG(status));
			}
			pid = waitpid(-1, &status, WNOHANG);
		}
		bad += drain_side(b, side);
	}
	for (i = 0; i < FORK_KIDS; i++)
		kmbox_test_kill(&kids[i]);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(prod.thread, NULL));
	ASSERT_EQ(0, shut(tx));
	ASSERT_EQ(0, pthread_join(cons.thread, NULL));
	EXPECT_EQ(0, prod.err);
	EXPECT_EQ(0, cons.err);
	EXPECT_EQ(prod.n, cons.n);
	ASSERT_EQ(0, kmbox_test_stat(rx, &st));
	EXPECT_EQ(prod.n, st.sent);
	EXPECT_EQ(prod.n, st.received);
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);

	bad += drain_side(b, side);
	EXPECT_EQ(0, bad);
	s = b->slots < FORK_SLOTS ? b->slots : FORK_SLOTS;
	for (i = 0; i < (int)s; i++) {
		EXPECT_LE(b->done[i], b->next[i]);
		EXPECT_GE(b->attempted[i], b->next[i]);
		if (failed(_metadata))
			break;
	}
	ASSERT_EQ(0, kmbox_test_stat(region, &st));
	EXPECT_EQ(1, st.mappings);
	ksft_print_msg("fork_exit_storm: %lu rounds, %lu children (%lu killed), %llu messages streamed, %u region maps\n",
		       l.n, forks, killed, (unsigned long long)cons.n, map[0]);
	munmap(map, page);
	close(region);
	close(side);
	close(tx);
	close(rx);
	kmbox_test_unlink(name);
	munmap(b, sizeof(*b));
}
KMBOX_TEST_STRESS_TIMEOUT(race, fork_exit_storm)

TEST_HARNESS_MAIN
