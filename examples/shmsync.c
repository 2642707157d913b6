// SPDX-License-Identifier: MIT
/*
 * shmsync: shared memory, why it needs synchronisation, and three ways to
 * get it right.
 *
 * A mailbox can own a shared region (attr.region_size bytes) that every
 * descriptor of it can mmap().  The classic pattern is mmap-then-fork:
 * map it once, then fork; the children inherit the mapping, and every
 * process sees the same memory.  Shared memory is the fastest IPC there
 * is, since no data is copied, and the hardest, since nothing orders the
 * processes' accesses.
 *
 * Part 1, no synchronisation: two processes each add 1 to a shared
 * counter COUNT times.  An update is three steps: load the value, work
 * out the new one, store it.  When both load the same value, both store
 * value + 1, and one of the two updates is lost.  And when a process is
 * interrupted (preempted by the scheduler, or its CPU taken away by a
 * hypervisor) between its load and its store, every update the other
 * one made meanwhile is lost, overwritten by a stale value + 1.
 *
 * "counter++" alone gives the other process a window of a few
 * nanoseconds: on some machines not one update in a million is lost,
 * and the bug hides.  A real update does more between its load and its
 * store (it looks something up, formats a record): here a short loop
 * stands for that work, WORK steps long, and the window is most of the
 * time each update takes.  The count then ends far short of 2 * COUNT,
 * by an amount that changes from run to run.
 *
 * It can still come out exact: the two processes must run at the same
 * time, or take turns on one CPU in the middle of their updates.  Where
 * one finishes before the other starts (a single CPU that runs each to
 * its end in one time slice, a busy host that runs one VM CPU at a
 * time), no update is lost.  So the race runs up to ROUNDS times, until
 * one loses updates.  A bug that shows only now and then is the worst
 * kind: it passes every test and strikes in production.
 *
 * Part 2, a lock: the same with a mutex around "counter++".  The mutex is
 * a futex word in the region.  Locking an unlocked mutex is one atomic
 * instruction; only a process that finds it locked asks the kernel to
 * sleep (FUTEX_WAIT), and only an unlock that saw a sleeper asks the
 * kernel to wake one (FUTEX_WAKE).  A futex in shared memory works across
 * processes when FUTEX_PRIVATE_FLAG is left out.  Then the same with an
 * atomic add, which needs no lock for a single counter.  Both count
 * exactly.
 *
 * Part 3, messages: the libkmbox ring, a queue laid out in the region of
 * another mailbox.  The producer copies messages in, the consumer copies
 * them out, and the library does the synchronisation (memory barriers
 * and the kernel's doorbell to sleep and wake).  Every message carries a
 * checksum of its bytes, which the consumer verifies.
 *
 * The processes start each part together, at a barrier.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmbox.h>

#define COUNT		300000	/* increments by each process */
#define PROCS		2
#define WORK		100	/* steps of work inside an unsynchronised update */
#define ROUNDS		3	/* tries of part 1 at most */
#define RING_DATA	16384	/* bytes of messages in flight at most */
#define MESSAGES	2000
#define MAX_PAYLOAD	1000

/* What parts 1 and 2 keep in the region: all processes see this struct. */
struct shared {
	uint32_t ready;		/* processes at the starting line */
	uint32_t lock;		/* futex mutex: 0 free, 1 taken, 2 contended */
	volatile uint32_t counter;
};

/* A message of part 3: a header, then len bytes of payload. */
struct ring_msg {
	uint32_t number;	/* 1, 2, ... */
	uint32_t len;		/* of the payload */
	uint32_t sum;		/* FNV-1a checksum of the payload */
	unsigned char payload[MAX_PAYLOAD];
};

/* Print what failed and why, then exit; @err is a negative errno. */
static void die(const char *who, const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror((int)-err));
	exit(1);
}

/* There is no glibc wrapper for futex(2). */
static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/*
 * A barrier: wait until all PROCS processes have arrived, so that they
 * start together.  It spins rather than sleeps, since waking a sleeper
 * takes long enough for the other process to be done before it starts,
 * but gives the CPU away (sched_yield()) while it waits.
 */
static void barrier(struct shared *s)
{
	__atomic_add_fetch(&s->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) < PROCS)
		sched_yield();
}

/*
 * A futex mutex ("Futexes Are Tricky", U. Drepper, mutex 2).  The word is
 * 0 when free, 1 when taken, 2 when taken and somebody may sleep on it.
 */
static void mutex_lock(uint32_t *m)
{
	uint32_t c = 0;

	/* Fast path: free -> taken, no system call. */
	if (__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	/* Slow path: mark it contended, sleep until we take it free. */
	if (c != 2)
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		futex(m, FUTEX_WAIT, 2);
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	}
}

static void mutex_unlock(uint32_t *m)
{
	/* 1 -> 0: nobody waits.  2 -> 0: wake one sleeper. */
	if (__atomic_fetch_sub(m, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(m, 0, __ATOMIC_RELEASE);
		futex(m, FUTEX_WAKE, 1);
	}
}

enum method { UNSYNCHRONISED, MUTEX, ATOMIC };

/*
 * The work an update does between reading the old value and writing the
 * new one, @steps steps of it.  (volatile keeps the compiler from
 * dropping a loop whose result nobody uses.)
 */
static void work(int steps)
{
	volatile int i;

	for (i = 0; i < steps; i++)
		;
}

/* What each process of parts 1 and 2 does. */
static void add_up(struct shared *s, enum method how)
{
	uint32_t v;
	int i;

	barrier(s);
	for (i = 0; i < COUNT; i++) {
		switch (how) {
		case UNSYNCHRONISED:
			/*
			 * Load, work, store.  Another process may store
			 * between our load and our store: its updates are
			 * then overwritten.  (volatile makes the compiler
			 * load and store every time.)
			 */
			v = s->counter;
			work(WORK);
			s->counter = v + 1;
			break;
		case MUTEX:
			mutex_lock(&s->lock);
			s->counter++;
			mutex_unlock(&s->lock);
			break;
		case ATOMIC:
			/* One indivisible read-modify-write (lock xadd). */
			__atomic_fetch_add(&s->counter, 1, __ATOMIC_RELAXED);
			break;
		}
	}
}

/* Run PROCS processes that add to the counter @how; the final count. */
static uint32_t race(struct shared *s, enum method how)
{
	pid_t pids[PROCS];
	int i, status;

	s->ready = 0;
	s->lock = 0;
	s->counter = 0;
	for (i = 0; i < PROCS; i++) {
		/* The child inherits the mapping: same memory, same *s. */
		pids[i] = fork();
		if (pids[i] < 0)
			die("parent", "fork", -errno);
		if (pids[i] == 0) {
			add_up(s, how);
			exit(0);
		}
	}
	for (i = 0; i < PROCS; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "parent: a child failed\n");
			exit(1);
		}
	}
	return s->counter;
}

/* Parts 1 and 2: a counter in the region of an anonymous mailbox. */
static int counter_parts(void)
{
	const uint32_t want = PROCS * COUNT;
	struct kmbox_attr attr = { .region_size = sysconf(_SC_PAGESIZE) };
	struct shared *s;
	uint32_t got;
	int fd, round, ok = 1;

	/* Both roles: a read-write mapping needs them. */
	fd = kmbox_create(NULL, &attr, KMBOX_CLOEXEC);
	if (fd < 0)
		die("parent", "kmbox_create", fd);
	s = mmap(NULL, attr.region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (s == MAP_FAILED)
		die("parent", "mmap", -errno);
	/* The mapping keeps the mailbox alive; the descriptor can go. */
	close(fd);

	printf("== part 1: %d processes add 1 to a shared counter %d times each\n",
	       PROCS, COUNT);
	for (round = 1; round <= ROUNDS; round++) {
		got = race(s, UNSYNCHRONISED);
		printf("unsynchronised: counter = %u, expected %u: %u updates lost\n",
		       got, want, want - got);
		if (got != want)
			break;
		printf("(the processes did not overlap this time: again)\n");
	}
	printf("(how many are lost varies from run to run)\n");

	printf("== part 2: the same, synchronised\n");
	got = race(s, MUTEX);
	printf("futex mutex: counter = %u, expected %u: %s\n", got, want,
	       got == want ? "exact" : "WRONG");
	ok &= got == want;
	got = race(s, ATOMIC);
	printf("atomic add: counter = %u, expected %u: %s\n", got, want,
	       got == want ? "exact" : "WRONG");
	ok &= got == want;
	munmap(s, attr.region_size);
	return ok;
}

/* FNV-1a: a simple checksum that notices changed, lost or moved bytes. */
static uint32_t fnv1a(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* Part 3's producer, in the child: MESSAGES messages, then exit. */
static int producer_main(int fd)
{
	struct kmbox_ring ring;
	struct ring_msg m;
	uint32_t i, j, seed = 1;
	ssize_t ret;

	ret = kmbox_ring_attach(&ring, fd, KMBOX_RING_PRODUCER);
	if (ret < 0)
		die("producer", "kmbox_ring_attach", ret);
	for (i = 1; i <= MESSAGES; i++) {
		/* Pseudo-random lengths and bytes (a linear congruence). */
		seed = seed * 1103515245 + 12345;
		m.number = i;
		m.len = seed % MAX_PAYLOAD + 1;
		for (j = 0; j < m.len; j++) {
			seed = seed * 1103515245 + 12345;
			m.payload[j] = seed >> 24;
		}
		m.sum = fnv1a(m.payload, m.len);
		/* Sleeps, through the kernel's doorbell, while the ring is full. */
		ret = kmbox_ring_send(&ring, &m,
				      offsetof(struct ring_msg, payload) + m.len,
				      0, 0);
		if (ret < 0)
			die("producer", "kmbox_ring_send", ret);
	}
	/*
	 * Exiting closes our end of the ring: the consumer takes what is
	 * left, then gets -EPIPE.
	 */
	return 0;
}

/* Part 3: messages through the ring, checked by their checksums. */
static int ring_part(void)
{
	struct kmbox_attr attr = {
		.region_size = kmbox_ring_region_size(RING_DATA),
	};
	int cfd, pfd, status, got = 0, bad = 0;
	struct kmbox_ring r;
	struct ring_msg m;
	char name[64];
	ssize_t len;
	pid_t pid;

	printf("== part 3: %d messages through the ring, with checksums\n",
	       MESSAGES);
	/*
	 * Each end of the ring is an open file of its own: open the mailbox
	 * a second time by its name, then remove the name.
	 */
	snprintf(name, sizeof(name), "shmsync-%d", (int)getpid());
	cfd = kmbox_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	if (cfd < 0)
		die("parent", "kmbox_create", cfd);
	pfd = kmbox_open(name, KMBOX_CLOEXEC);
	if (pfd < 0)
		die("parent", "kmbox_open", pfd);
	len = kmbox_unlink(name);
	if (len < 0)
		die("parent", "kmbox_unlink", len);

	pid = fork();
	if (pid < 0)
		die("parent", "fork", -errno);
	if (pid == 0) {
		close(cfd);
		exit(producer_main(pfd));
	}
	/* Only the child may hold the producer's file, or no end comes. */
	close(pfd);

	len = kmbox_ring_attach(&r, cfd, KMBOX_RING_CONSUMER);
	if (len < 0)
		die("consumer", "kmbox_ring_attach", len);
	while ((len = kmbox_ring_recv(&r, &m, sizeof(m), 0, 0)) >= 0) {
		got++;
		if ((size_t)len != offsetof(struct ring_msg, payload) + m.len ||
		    m.number != (uint32_t)got || m.len > MAX_PAYLOAD ||
		    fnv1a(m.payload, m.len) != m.sum)
			bad++;
	}
	if (len != -EPIPE)
		die("consumer", "kmbox_ring_recv", len);
	printf("ring: end of stream after %d messages, %d bad\n", got, bad);
	if (got == MESSAGES && !bad)
		printf("ring: all %d messages in order, every checksum matches\n",
		       got);
	kmbox_ring_detach(&r);
	close(cfd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 0;
	return got == MESSAGES && !bad;
}

int main(void)
{
	int ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ok = counter_parts();
	ok &= ring_part();
	printf("shmsync: %s\n", ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
