// SPDX-License-Identifier: GPL-2.0
/*
 * Memory cgroups: queued messages are charged to the sender's memory
 * cgroup and a region to its creator's.  A process in a cgroup v2 with a
 * small memory.max that fills mailboxes, or makes a region larger than
 * what is left, must meet a clean ENOMEM: no OOM kill, inside the cgroup
 * or outside; memory.current rises by about what is charged while it is
 * held and falls back once the mailboxes are closed.
 *
 * The per-user limits would stop the fill first: bytes_per_user is raised
 * for the test and restored after.  The filling process is an
 * unprivileged user, in a cgroup of its own.
 *
 * Needs root (to make the cgroup and change the module parameters); skips
 * only where cgroup2 or its memory controller is missing.
 */
#include <grp.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"
#include "kmbox_cgroup.h"

#define MIB		(1024ll * 1024)
#define LIMIT		(32 * MIB)	/* memory.max of the cgroup */
#define USER		65529		/* unprivileged, of no other test */
#define MAX_MAILBOXES	64
#define SLACK		(2 * MIB)	/* per-CPU batches, the child itself */

/* Messages the child receives after ENOMEM, to make room for one. */
#define DRAIN		100

/*
 * What the child reports, in a page shared with the parent and faulted
 * in before the child enters the cgroup: at memory.max even a pipe
 * buffer cannot be charged.
 */
struct result {
	int done;		/* set last */
	int err;		/* the error that stopped it */
	int made;		/* mailboxes it made */
	long long queued;	/* bytes it queued */
	int recv_after;		/* messages received after the error */
	int send_after;		/* and a send after that */
};

FIXTURE(memcg) {
	char cg[PATH_MAX];		/* the test's cgroup, or "" */
	char mnt[64];			/* our cgroup2 mount, or "" */
	long long bytes_per_user;	/* to restore, or -1 */
	struct kmbox_test_kids kids;
	int go[2];			/* parent -> child */
	struct result *res;		/* child -> parent */
	pid_t pid;
};

FIXTURE_SETUP(memcg)
{
	const char *root, *why = NULL;
	char val[32];

	self->pid = 0;
	self->bytes_per_user = -1;
	self->go[0] = self->go[1] = -1;
	self->res = MAP_FAILED;
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to make a cgroup");
	if (kmbox_cg_memory_root(self->mnt, sizeof(self->mnt), &root,
				 &why))
		SKIP(_exit(255), "%s", why);
	snprintf(self->cg, sizeof(self->cg), "%s/kmbox-memcg-%d", root,
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	snprintf(val, sizeof(val), "%lld", LIMIT);
	ASSERT_EQ(0, kmbox_cg_write(self->cg, "memory.max", val));
	/* No swap to escape to, where the kernel has swap at all. */
	kmbox_cg_write(self->cg, "memory.swap.max", "0");
	ASSERT_EQ(0, kmbox_cg_read(self->cg, "memory.events", "oom_kill"));

	self->bytes_per_user = kmbox_test_param_read("bytes_per_user");
	ASSERT_GT(self->bytes_per_user, 0);
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 1024 * MIB));
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->res != MAP_FAILED);
	memset(self->res, 0, sizeof(*self->res));
}

FIXTURE_TEARDOWN(memcg)
{
	int i;

	kmbox_test_kill_kids(&self->kids);
	for (i = 0; i < 2; i++) {
		if (self->go[i] >= 0)
			close(self->go[i]);
	}
	if (self->res != MAP_FAILED)
		munmap(self->res, sizeof(*self->res));
	if (self->bytes_per_user > 0)
		kmbox_test_param_write("bytes_per_user", self->bytes_per_user);
	/* Empty once its last task is reaped; give that a moment. */
	for (i = 0; self->cg[0] && i < 100 && rmdir(self->cg); i++)
		usleep(10000);
	if (self->mnt[0]) {
		umount(self->mnt);
		rmdir(self->mnt);
	}
}

/*
 * Fork a child, move it into the cgroup, and let it go on as USER: 0 in
 * the child, its pid in the parent, -1 on failure.
 */
static pid_t spawn_in_cgroup(FIXTURE_DATA(memcg) *self)
{
	char c, pid_str[32];
	pid_t pid;

	fflush(NULL);
	pid = kmbox_test_spawn(&self->kids);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(self->go[1]);
		CHILD_CHECK(read(self->go[0], &c, 1) == 1);
		CHILD_CHECK(!setgroups(0, NULL));
		CHILD_CHECK(!setresgid(USER, USER, USER));
		CHILD_CHECK(!setresuid(USER, USER, USER));
		return 0;
	}
	close(self->go[0]);
	self->go[0] = -1;
	snprintf(pid_str, sizeof(pid_str), "%d", (int)pid);
	if (kmbox_cg_write(self->cg, "cgroup.procs", pid_str) ||
	    write(self->go[1], "g", 1) != 1)
		return -1;
	self->pid = pid;
	return pid;
}

/* In the child: report @r, then hold everything until told to exit. */
static void __attribute__((noreturn))
report_and_hold(FIXTURE_DATA(memcg) *self, const struct result *r)
{
	char c;

	*self->res = *r;
	__atomic_store_n(&self->res->done, 1, __ATOMIC_RELEASE);
	/* EOF: the parent has measured; exit, which closes everything. */
	CHILD_CHECK(read(self->go[0], &c, 1) == 0);
	_exit(0);
}

/*
 * In the child: fill mailboxes (each of up to 64 MiB) with messages of
 * @len bytes until a send or a creation fails with something else than
 * a full mailbox, or 4 * LIMIT are queued.
 */
static void __attribute__((noreturn))
fill_messages(FIXTURE_DATA(memcg) *self, size_t len)
{
	struct kmbox_attr a = {
		.max_msgs = 65536,
		.max_msg_size = len,
		.max_bytes = 64 * MIB,
	};
	struct result r = { 0 };
	int fd = -1, ret = -EAGAIN, n;
	char *buf = malloc(len);

	CHILD_CHECK(buf != NULL);
	memset(buf, 'm', len);
	while (ret == -EAGAIN && r.made < MAX_MAILBOXES &&
	       r.queued < 4 * LIMIT) {
		ret = fd = kmbox_test_create(NULL, &a, KMBOX_CLOEXEC);
		if (fd < 0)
			break;
		r.made++;
		while ((ret = kmbox_test_send(fd, buf, len, 0,
					      KMBOX_DONTWAIT)) == (int)len)
			r.queued += len;
	}
	r.err = ret;
	if (fd >= 0) {
		/*
		 * Room made by receiving takes a message again.  Freed
		 * charges may wait in another CPU's stock: free a few.
		 */
		while (r.recv_after < DRAIN &&
		       (n = kmbox_test_recv(fd, buf, len, KMBOX_DONTWAIT,
					    NULL)) == (int)len)
			r.recv_after++;
		r.send_after = kmbox_test_send(fd, buf, len, 0,
					       KMBOX_DONTWAIT);
	}
	report_and_hold(self, &r);
}

/* In the child: make one mailbox with a region of @size. */
static void __attribute__((noreturn))
make_region(FIXTURE_DATA(memcg) *self, long long size)
{
	struct result r = { 0 };

	r.err = kmbox_test_create_region(NULL, size, KMBOX_CLOEXEC);
	if (r.err >= 0) {
		r.made = 1;
		r.queued = size;
		r.err = 0;
	}
	report_and_hold(self, &r);
}

/* The parent's figures around one child. */
struct usage {
	long long before;	/* memory.current with the child in place */
	long long held;		/* while it holds what it made */
	long long after;	/* once it has exited */
	int status;		/* exit status, 1000 + signal if killed */
	long long oom_kills;	/* memory.events oom_kill */
	long long peak;		/* memory.peak */
};

/*
 * Parent: take memory.current before the child starts (it waits on a
 * pipe), after it reports (*@r), and after it exited and was reaped.
 * Returns 0, or -1 if the child died without a report.
 */
static int measure(FIXTURE_DATA(memcg) *self, struct result *r,
		   struct usage *u)
{
	__u64 end = kmbox_test_now_ns() + 60000000000ull;
	siginfo_t info;
	int i;

	u->before = kmbox_cg_read(self->cg, "memory.current", NULL);
	if (write(self->go[1], "m", 1) != 1)
		return -1;
	/* Until it reports or dies (left to be reaped below). */
	for (;;) {
		if (__atomic_load_n(&self->res->done, __ATOMIC_ACQUIRE))
			break;
		info.si_pid = 0;
		if (waitid(P_PID, self->pid, &info,
			   WEXITED | WNOHANG | WNOWAIT) || info.si_pid ||
		    kmbox_test_now_ns() > end)
			break;
		usleep(1000);
	}
	*r = *self->res;
	u->held = kmbox_cg_read(self->cg, "memory.current", NULL);
	close(self->go[1]);
	self->go[1] = -1;
	u->status = kmbox_test_kids_reap(&self->kids, self->pid, NULL);
	self->pid = 0;
	/* The charges go with the last fput(): maybe deferred. */
	for (i = 0; i < 200; i++) {
		u->after = kmbox_cg_read(self->cg, "memory.current", NULL);
		if (u->after <= u->before + SLACK)
			break;
		usleep(10000);
	}
	u->oom_kills = kmbox_cg_read(self->cg, "memory.events", "oom_kill");
	u->peak = kmbox_cg_read(self->cg, "memory.peak", NULL);
	ksft_print_msg("memory.current %lld before, %lld held, %lld after, %lld peak; exit %d, oom_kill %lld\n",
		       u->before, u->held, u->after, u->peak, u->status,
		       u->oom_kills);
	return r->done ? 0 : -1;
}

/*
 * The child is told to start only after measure() has taken "before":
 * this waits for that second byte.
 */
static void wait_start(FIXTURE_DATA(memcg) *self)
{
	char c;

	CHILD_CHECK(read(self->go[0], &c, 1) == 1);
}

/*
 * Fork a child into the cgroup, as USER, that fills mailboxes with
 * messages of @len bytes or, if @len is 0, makes a region of @size; and
 * measure around it: 0, or -1 if it did not start or reported nothing.
 */
static int run_child(FIXTURE_DATA(memcg) *self, size_t len, long long size,
		     struct result *r, struct usage *u)
{
	memset(u, 0, sizeof(*u));
	if (spawn_in_cgroup(self) < 0)
		return -1;
	if (self->pid == 0) {
		wait_start(self);
		if (len)
			fill_messages(self, len);
		make_region(self, size);
	}
	return measure(self, r, u);
}

/*
 * Filling mailboxes with messages of @len bytes under memory.max ends in
 * ENOMEM, after about memory.max has been queued, with no OOM kill; the
 * mailbox still works.
 */
static void fill_enomem(struct __test_metadata *_metadata,
			FIXTURE_DATA(memcg) *self, size_t len)
{
	long long queued;
	struct result r;
	struct usage u;

	ASSERT_EQ(0, run_child(self, len, 0, &r, &u)) {
		TH_LOG("the child reported nothing: exit %d", u.status);
	}
	TH_LOG("%d mailboxes, %lld bytes queued, stopped by %d", r.made,
	       r.queued, r.err);
	EXPECT_EQ(-ENOMEM, r.err);
	EXPECT_EQ(0, u.status);
	EXPECT_EQ(0, u.oom_kills);
	/* memory.max stopped it, not a per-user limit. */
	EXPECT_GE(u.peak, LIMIT - SLACK);
	EXPECT_GE(r.queued, LIMIT / 4);
	EXPECT_LE(r.queued, LIMIT);
	/* After receiving there is room again. */
	EXPECT_EQ(DRAIN, r.recv_after);
	EXPECT_EQ((int)len, r.send_after);
	/*
	 * memory.current rose by what is queued and its headers; a debug
	 * kernel's slab redzones can double a 4 KiB kmalloc object, as
	 * power-of-two caches stay naturally aligned.
	 */
	queued = r.queued - (r.recv_after - 1) * (long long)len;
	EXPECT_GE(u.held - u.before, queued - queued / 16);
	EXPECT_LE(u.held - u.before, 2 * queued + SLACK);
	/* And fell when the mailboxes died with the child. */
	EXPECT_LE(u.after, u.before + SLACK);
}

/* kmalloc: with its 56-byte header a message fills a 4 KiB object. */
TEST_F_TIMEOUT(memcg, small_messages_enomem, 120)
{
	fill_enomem(_metadata, self, 4000);
}

/* kvmalloc() falls back to vmalloc for these. */
TEST_F_TIMEOUT(memcg, large_messages_enomem, 120)
{
	fill_enomem(_metadata, self, 60000);
}

/* A region just below memory.max is made and charged; freed at exit. */
TEST_F_TIMEOUT(memcg, region_below_limit, 120)
{
	const long long size = LIMIT - 8 * MIB;
	struct result r;
	struct usage u;

	ASSERT_EQ(0, run_child(self, 0, size, &r, &u));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, u.status);
	EXPECT_EQ(0, u.oom_kills);
	EXPECT_GE(u.held - u.before, size - size / 16);
	EXPECT_LE(u.held - u.before, size + SLACK);
	EXPECT_LE(u.after, u.before + SLACK);
}

/*
 * A region above what memory.max leaves is refused with ENOMEM, no OOM
 * kill, and what was populated before the failure is freed.
 */
TEST_F_TIMEOUT(memcg, region_above_limit_enomem, 120)
{
	const long long size = LIMIT + 8 * MIB;
	struct result r;
	struct usage u;

	ASSERT_EQ(0, run_child(self, 0, size, &r, &u)) {
		TH_LOG("the child reported nothing: exit %d", u.status);
	}
	EXPECT_EQ(-ENOMEM, r.err);
	EXPECT_EQ(0, u.status);
	EXPECT_EQ(0, u.oom_kills);
	/* Nothing of the failed region stays charged while it waits. */
	EXPECT_LE(u.held, u.before + SLACK);
}

TEST_HARNESS_MAIN
