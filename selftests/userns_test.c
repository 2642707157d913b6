// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user limits hold across user namespaces.  A charge counts
 * against the user in its namespace and against the owner of each
 * namespace above it, up to the initial one, so a plain user who makes
 * a user namespace mapping many uids cannot hand out more than its own
 * limits, whatever uid its processes take in there, however deep the
 * namespaces nest.
 *
 * The owner is OWNER, a plain user; its namespace maps NS_UIDS uids to
 * the host's BASE.. (written by root, in the parent, as a container
 * runtime does).  In the namespace, each uid makes mailboxes until the
 * limits stop it; together they may make no more than OWNER alone could.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define OWNER		65529
#define OTHER		65528
#define BASE		300000
#define NS_UIDS		8
/* A mailbox of one slot and 1000 bytes, and a limit for three of them. */
#define ONE		kmbox_test_charge(1, 1000, 0)

struct tally {
	int made[NS_UIDS + 1];	/* mailboxes made by each uid (last: nested) */
	int err[NS_UIDS + 1];	/* the error that stopped it */
};

FIXTURE(userns) {
	long long bytes, count;		/* the limits to restore */
	struct tally *t;
	int go[2], ready[2];
	pid_t pid;
};

FIXTURE_SETUP(userns)
{
	self->pid = 0;
	self->t = MAP_FAILED;
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to change the limits and map uids");
	self->bytes = kmbox_test_param_read("bytes_per_user");
	self->count = kmbox_test_param_read("mailboxes_per_user");
	ASSERT_GT(self->bytes, 0);
	ASSERT_GT(self->count, 0);
	self->t = mmap(NULL, sizeof(*self->t), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->t != MAP_FAILED);
	memset(self->t, 0, sizeof(*self->t));
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->ready, O_CLOEXEC));
}

FIXTURE_TEARDOWN(userns)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	kmbox_test_param_write("bytes_per_user", self->bytes);
	kmbox_test_param_write("mailboxes_per_user", self->count);
	if (self->t != MAP_FAILED)
		munmap(self->t, sizeof(*self->t));
}

/* In a child: become @uid, with no capability left. */
static int become(uid_t uid)
{
	return setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	       setresuid(uid, uid, uid);
}

/* Make mailboxes of ONE until refused; the count, with *@err why. */
static int make_until_refused(int *err)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 1000,
				.max_bytes = 1000 };
	int n = 0, fd;

	for (;;) {
		fd = kmbox_test_create(NULL, &a, 0);
		if (fd < 0) {
			*err = -fd;
			return n;
		}
		n++;
	}
}

/*
 * In the namespace (as its uid 0): each uid in turn makes what it can
 * and keeps it (its process waits); then a nested namespace's root.
 */
static int in_namespace(struct tally *t)
{
	int i, status, p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return 10;
	for (i = 0; i < NS_UIDS; i++) {
		pid = fork();
		if (pid < 0)
			return 11;
		if (pid == 0) {
			if (i && become(i))
				_exit(12);
			t->made[i] = make_until_refused(&t->err[i]);
			/* Keep them: exit only when the parent goes. */
			close(p[1]);
			read(p[0], &c, 1);
			_exit(0);
		}
		/* One uid at a time, so that the counts are exact. */
		while (!t->err[i] && !waitpid(pid, &status, WNOHANG))
			usleep(1000);
	}
	/* A namespace inside it, its root mapped to uid 1 here. */
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER))
			_exit(13);
		t->made[NS_UIDS] = make_until_refused(&t->err[NS_UIDS]);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return 0;
}

/*
 * Fork the owner: it makes a user namespace, root maps NS_UIDS uids in
 * it, and its uid 0 runs in_namespace().  The parent waits until done.
 */
static void run_namespace(struct __test_metadata *_metadata,
			  FIXTURE_DATA(userns) *self)
{
	char path[64], map[64];
	int fd, status;
	char c;

	self->pid = fork();
	ASSERT_GE(self->pid, 0);
	if (self->pid == 0) {
		close(self->go[1]);
		close(self->ready[0]);
		if (become(OWNER) || unshare(CLONE_NEWUSER))
			_exit(1);
		if (write(self->ready[1], "u", 1) != 1 ||
		    read(self->go[0], &c, 1) != 1)
			_exit(2);
		if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
			_exit(3);
		_exit(in_namespace(self->t));
	}
	close(self->go[0]);
	close(self->ready[1]);
	ASSERT_EQ(1, read(self->ready[0], &c, 1));
	snprintf(map, sizeof(map), "0 %d %d\n", BASE, NS_UIDS);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)self->pid);
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)strlen(map), write(fd, map, strlen(map)));
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)self->pid);
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)strlen(map), write(fd, map, strlen(map)));
	close(fd);
	ASSERT_EQ(1, write(self->go[1], "g", 1));
	ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
	self->pid = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

static int sum(const struct tally *t)
{
	int i, n = 0;

	for (i = 0; i <= NS_UIDS; i++)
		n += t->made[i];
	return n;
}

/* bytes_per_user for three mailboxes: the namespace's uids make three. */
TEST_F(userns, bytes_limit_shared_by_the_namespace)
{
	int i;

	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 3 * ONE));
	run_namespace(_metadata, self);
	EXPECT_EQ(3, sum(self->t)) {
		for (i = 0; i <= NS_UIDS; i++)
			TH_LOG("uid %d: %d mailboxes, then errno %d", i,
			       self->t->made[i], self->t->err[i]);
	}
	for (i = 0; i <= NS_UIDS; i++)
		EXPECT_EQ(ENOMEM, self->t->err[i]);
}

/* mailboxes_per_user of four: four in all, however many uids. */
TEST_F(userns, count_limit_shared_by_the_namespace)
{
	int i;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 4));
	run_namespace(_metadata, self);
	EXPECT_EQ(4, sum(self->t));
	for (i = 0; i <= NS_UIDS; i++)
		EXPECT_EQ(ENOSPC, self->t->err[i]);
}

/* As OWNER, outside: make mailboxes until refused; exit 0 if @want were. */
static int owner_outside(int want)
{
	int err = 0, n;

	if (become(OWNER))
		return 100;
	n = make_until_refused(&err);
	return n == want && err == ENOMEM ? 0 : 1 + n;
}

/*
 * The owner's own mailboxes, made outside the namespace, count against
 * the same limit: with two of three held outside, the namespace makes
 * one.  Another plain user has a limit of its own.
 */
TEST_F(userns, owner_and_namespace_share_one_limit)
{
	int status, p[2], fds[2], i;
	pid_t holder, pid;
	char c;

	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 3 * ONE));
	ASSERT_EQ(0, pipe(p));
	holder = fork();
	ASSERT_GE(holder, 0);
	if (holder == 0) {
		struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 1000,
					.max_bytes = 1000 };

		close(p[0]);
		if (become(OWNER))
			_exit(100);
		for (i = 0; i < 2; i++) {
			fds[i] = kmbox_test_create(NULL, &a, 0);
			if (fds[i] < 0)
				_exit(1);
		}
		if (write(p[1], "h", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	run_namespace(_metadata, self);
	EXPECT_EQ(1, sum(self->t));
	kill(holder, SIGKILL);
	ASSERT_EQ(holder, waitpid(holder, &status, 0));

	/* All gone: the owner alone has its three. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(owner_outside(3));
	EXPECT_EQ(0, kmbox_test_reap(pid));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int err = 0, n;

		if (become(OTHER))
			_exit(100);
		n = make_until_refused(&err);
		_exit(n == 3 && err == ENOMEM ? 0 : 1);
	}
	EXPECT_EQ(0, kmbox_test_reap(pid));
}

TEST_HARNESS_MAIN
