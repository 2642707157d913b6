// SPDX-License-Identifier: GPL-2.0
/*
 * Names live in IPC namespaces, as POSIX message queues do: a name is
 * seen, opened, unlinked and listed in /proc/driver/kmbox only from the
 * IPC namespace it was made in; unshare -i gives an empty name space;
 * a container (a user and an IPC namespace, unprivileged) cannot see or
 * squat the host's names.  Descriptors work wherever they are passed,
 * also after the namespace they were made in is gone, whose names are
 * then gone for everyone: within a few seconds they are removed as by
 * KMBOX_IOC_UNLINK.  A mailbox does not keep a dead namespace's POSIX
 * message queues (and their RLIMIT_MSGQUEUE charge) alive.
 *
 * Each case runs the namespace side in a child (unshare() applies to the
 * calling process); children report through their exit status.
 */
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define USER		65530
#define MQ_USER		65525	/* owns the POSIX queues, of no other test */
/* A POSIX queue of 80 KiB; RLIMIT_MSGQUEUE leaves room for one, not two. */
#define MQ_MSGS		10
#define MQ_SIZE		8192
#define MQ_RLIMIT	(MQ_MSGS * MQ_SIZE * 3 / 2)
/* How long a dead namespace's names and queues may take to go (10 s). */
#define REAP_TRIES	100
#define REAP_PAUSE_US	100000

FIXTURE(ns) {
	char name[64];
	char svc[80];		/* a name a host service will make */
	int fd;			/* the fixture's mailbox, in the first namespace */
	int sv[2];		/* a socket pair to pass descriptors */
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(ns)
{
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to make IPC namespaces");
	kmbox_test_name(self->name, sizeof(self->name), "ns");
	snprintf(self->svc, sizeof(self->svc), "%s-svc", self->name);
	self->fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sv));
}

FIXTURE_TEARDOWN(ns)
{
	kmbox_test_kill_kids(&self->kids);
	close(self->sv[0]);
	close(self->sv[1]);
	close(self->fd);
	kmbox_test_unlink(self->name);
}

/* Is @name listed in /proc/driver/kmbox as this process sees it? */
static int proc_lists(const char *name)
{
	static char buf[1 << 16];
	char want[80];

	if (kmbox_test_read_file("/proc/driver/kmbox", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(want, sizeof(want), " %s\n", name);
	return strstr(buf, want) != NULL;
}

/* Run @fn(@self) in a child in a new IPC namespace: its exit status. */
static int in_new_ipc_ns(FIXTURE_DATA(ns) *self,
			 int (*fn)(FIXTURE_DATA(ns) *))
{
	pid_t pid = kmbox_test_spawn(&self->kids);

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(100);
		_exit(fn(self));
	}
	return kmbox_test_kids_reap(&self->kids, pid, NULL);
}

static int fresh_ns_sees_no_name(FIXTURE_DATA(ns) *self)
{
	int fd;

	if (kmbox_test_open(self->name, 0) != -ENOENT)
		return 1;
	if (proc_lists(self->name) != 0)
		return 2;
	if (kmbox_test_unlink(self->name) != -ENOENT)
		return 3;
	/* The name is free here: a mailbox of its own, which it lists. */
	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 4;
	if (proc_lists(self->name) != 1)
		return 5;
	if (kmbox_test_send(fd, "mine", 4, 0, 0) != 4)
		return 6;
	close(fd);
	return 0;
}

/* unshare -i: an empty name space; the first one's name stays its own. */
TEST_F(ns, new_ipc_ns_has_its_own_names)
{
	EXPECT_EQ(0, in_new_ipc_ns(self, fresh_ns_sees_no_name));
	/* The child's mailbox went with it; ours is untouched. */
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
	EXPECT_EQ(1, proc_lists(self->name));
	EXPECT_EQ(-EEXIST, kmbox_test_create(self->name, NULL, KMBOX_EXCL));
}

static int same_name_in_both(FIXTURE_DATA(ns) *self)
{
	int fd;
	char c;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 1;
	/* Tell the parent, which sends to its own, then look at ours. */
	if (write(self->sv[1], "c", 1) != 1 || read(self->sv[1], &c, 1) != 1)
		return 2;
	return kmbox_test_queued(fd) == 0 ? 0 : 3;
}

/* Two mailboxes of one name, one per namespace, never mix. */
TEST_F(ns, same_name_two_namespaces_independent)
{
	pid_t pid = kmbox_test_spawn(&self->kids);
	int ours;
	char c;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(100);
		_exit(same_name_in_both(self));
	}
	ASSERT_EQ(1, read(self->sv[0], &c, 1));
	ASSERT_EQ(6, kmbox_test_send(self->fd, "parent", 6, 0, 0));
	ours = kmbox_test_open(self->name, 0);
	ASSERT_GE(ours, 0);
	EXPECT_EQ(kmbox_test_id(self->fd), kmbox_test_id(ours));
	close(ours);
	ASSERT_EQ(1, write(self->sv[0], "p", 1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
}

static int pass_own_mailbox(FIXTURE_DATA(ns) *self)
{
	int fd;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 1;
	if (kmbox_test_send(fd, "from inside", 11, 0, 0) != 11)
		return 2;
	if (kmbox_test_send_fds(self->sv[1], &fd, 1, "f", 1) != 0)
		return 3;
	/* Inherited from the first namespace: works here as well. */
	if (kmbox_test_send(self->fd, "hello", 5, 0, 0) != 5)
		return 4;
	return 0;
}

/*
 * Descriptors cross namespaces both ways, and keep working after the
 * namespace they were made in is gone; its names are then gone too.
 */
TEST_F(ns, descriptors_outlive_their_namespace)
{
	struct kmbox_stat st;
	char buf[32], c;
	int fd, got;

	ASSERT_EQ(0, in_new_ipc_ns(self, pass_own_mailbox));
	ASSERT_EQ(1, kmbox_test_recv_fds(self->sv[0], &fd, 1, &c, 1));
	/* The child and its namespace are gone. */
	got = kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT, NULL);
	EXPECT_EQ(11, got);
	EXPECT_EQ(0, memcmp(buf, "from inside", 11));
	EXPECT_EQ(5, kmbox_test_recv(self->fd, buf, sizeof(buf),
				     KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_STREQ(self->name, st.name);
	EXPECT_EQ(4, kmbox_test_send(fd, "more", 4, 0, 0));
	/* Its name is ours to take: the two never shared a name space. */
	EXPECT_EQ(-EEXIST, kmbox_test_create(self->name, NULL, KMBOX_EXCL));
	EXPECT_NE(kmbox_test_id(fd), kmbox_test_id(self->fd));
	close(fd);
}

/*
 * Names of a namespace that died are seen by no one: not by a new
 * namespace (which gets a different key however the memory is reused),
 * not by the first one.  Each namespace makes a plain and a persistent
 * name and passes them out; some are kept open, the others close at
 * once.  The loop runs for several passes of the module's reaper (one
 * every two seconds), which releases each dead namespace's mqueue mount,
 * so that new namespaces get mounts at addresses that old ones had.  It
 * makes no more namespaces than the kernel frees meanwhile (one RCU
 * grace period each, some 20 ms under TCG): made faster, they would wait
 * to be freed, their mounts' memory not reused, after the loop ends.
 */
#define GONE_SECS	6
#define GONE_MAX	2000
#define GONE_KEEP	32
#define GONE_PACE_US	30000

static int make_and_leave(FIXTURE_DATA(ns) *self)
{
	struct kmbox_attr pa = { .flags = KMBOX_ATTR_PERSISTENT };
	char name[80], pname[80];
	int fds[2];

	snprintf(name, sizeof(name), "%s-gone", self->name);
	snprintf(pname, sizeof(pname), "%s-pgone", self->name);
	if (kmbox_test_open(name, 0) != -ENOENT ||
	    kmbox_test_open(pname, 0) != -ENOENT)
		return 1;
	if (proc_lists(name) != 0 || proc_lists(pname) != 0)
		return 2;
	fds[0] = kmbox_test_create(name, NULL, KMBOX_EXCL);
	fds[1] = kmbox_test_create(pname, &pa, KMBOX_EXCL);
	if (fds[0] < 0 || fds[1] < 0)
		return 3;
	/* Keep the mailboxes alive past this namespace: pass them out. */
	return kmbox_test_send_fds(self->sv[1], fds, 2, "f", 1) ? 4 : 0;
}

TEST_F(ns, dead_namespace_names_seen_by_no_one)
{
	int fds[GONE_KEEP][2], kept = 0, n, i, got;
	char name[80], pname[80], c;
	__u64 end;

	snprintf(name, sizeof(name), "%s-gone", self->name);
	snprintf(pname, sizeof(pname), "%s-pgone", self->name);
	end = kmbox_test_now_ns() + GONE_SECS * 1000000000ULL;
	for (n = 0; n < GONE_MAX && kmbox_test_now_ns() < end; n++) {
		int f[2];

		ASSERT_EQ(0, in_new_ipc_ns(self, make_and_leave)) {
			TH_LOG("namespace %d saw a name of an earlier one", n);
		}
		got = kmbox_test_recv_fds(self->sv[0], f, 2, &c, 1);
		ASSERT_EQ(2, got);
		EXPECT_EQ(-ENOENT, kmbox_test_open(name, 0));
		EXPECT_EQ(-ENOENT, kmbox_test_open(pname, 0));
		if (n % 4 == 0 && kept < GONE_KEEP) {
			fds[kept][0] = f[0];
			fds[kept++][1] = f[1];
		} else {
			close(f[0]);
			close(f[1]);
		}
		usleep(GONE_PACE_US);
	}
	TH_LOG("%d namespaces", n);
	for (i = 0; i < kept; i++) {
		EXPECT_EQ(1, kmbox_test_send(fds[i][0], "x", 1, 0, 0));
		EXPECT_EQ(1, kmbox_test_send(fds[i][1], "x", 1, 0, 0));
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

/* Has the mailbox of @fd lost its name (KMBOX_STATE_UNLINKED)? */
static int name_removed(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return !!(st.state & KMBOX_STATE_UNLINKED);
}

static int pass_named_pair(FIXTURE_DATA(ns) *self)
{
	struct kmbox_attr pa = { .flags = KMBOX_ATTR_PERSISTENT };
	char pname[80];
	int fds[2];

	snprintf(pname, sizeof(pname), "%s-p", self->name);
	fds[0] = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	fds[1] = kmbox_test_create(pname, &pa, KMBOX_EXCL);
	if (fds[0] < 0 || fds[1] < 0)
		return 1;
	if (kmbox_test_send(fds[0], "plain", 5, 0, 0) != 5 ||
	    kmbox_test_send(fds[1], "kept", 4, 0, 0) != 4)
		return 2;
	return kmbox_test_send_fds(self->sv[1], fds, 2, "f", 1) ? 3 : 0;
}

/*
 * The names of a namespace that died are removed within a few seconds,
 * a plain one and a persistent one alike, as by KMBOX_IOC_UNLINK: STAT
 * shows KMBOX_STATE_UNLINKED and the name they had.  Their descriptors
 * work on: messages queued before are there, new ones go through.
 */
TEST_F(ns, dead_namespace_named_mailboxes_work_by_fd)
{
	struct kmbox_stat st;
	char buf[16], c;
	int fds[2], i;

	ASSERT_EQ(0, in_new_ipc_ns(self, pass_named_pair));
	ASSERT_EQ(2, kmbox_test_recv_fds(self->sv[0], fds, 2, &c, 1));
	for (i = 0; i < REAP_TRIES; i++) {
		if (name_removed(fds[0]) == 1 && name_removed(fds[1]) == 1)
			break;
		usleep(REAP_PAUSE_US);
	}
	EXPECT_EQ(1, name_removed(fds[0])) {
		TH_LOG("the plain name of the dead namespace is still there");
	}
	EXPECT_EQ(1, name_removed(fds[1]));
	ASSERT_EQ(0, kmbox_test_stat(fds[0], &st));
	EXPECT_STREQ(self->name, st.name);
	EXPECT_EQ(5, kmbox_test_recv(fds[0], buf, sizeof(buf), KMBOX_DONTWAIT,
				     NULL));
	EXPECT_EQ(0, memcmp(buf, "plain", 5));
	EXPECT_EQ(4, kmbox_test_recv(fds[1], buf, sizeof(buf), KMBOX_DONTWAIT,
				     NULL));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(3, kmbox_test_send(fds[i], "new", 3, 0, 0));
		EXPECT_EQ(3, kmbox_test_recv(fds[i], buf, sizeof(buf),
					     KMBOX_DONTWAIT, NULL));
		close(fds[i]);
	}
	/* Ours, of the same name in the first namespace, is untouched. */
	EXPECT_EQ(0, name_removed(self->fd));
}

/*
 * As MQ_USER under MQ_RLIMIT: make the POSIX queue @name, of MQ_MSGS
 * messages of MQ_SIZE bytes, in the caller's IPC namespace.  0 or -errno
 * (EMFILE: RLIMIT_MSGQUEUE).
 */
static int mq_make(const char *name)
{
	struct mq_attr a = { .mq_maxmsg = MQ_MSGS, .mq_msgsize = MQ_SIZE };
	mqd_t q;

	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1)
		return -errno;
	mq_close(q);
	return 0;
}

static int become_mq_user(void)
{
	struct rlimit r = { MQ_RLIMIT, MQ_RLIMIT };

	return setrlimit(RLIMIT_MSGQUEUE, &r) || setgroups(0, NULL) ||
	       setresgid(MQ_USER, MQ_USER, MQ_USER) ||
	       setresuid(MQ_USER, MQ_USER, MQ_USER);
}

/* In a new namespace: a queue left in it. */
static int leave_mqueue(FIXTURE_DATA(ns) *self)
{
	if (become_mq_user())
		return 101;
	return mq_make("/kmbox-ns-pin") ? 1 : 0;
}

/* In a new namespace: a queue left in it, an anonymous mailbox passed out. */
static int pin_mqueue(FIXTURE_DATA(ns) *self)
{
	int fd, ret;

	ret = leave_mqueue(self);
	if (ret)
		return ret;
	fd = kmbox_test_create(NULL, NULL, 0);
	if (fd < 0)
		return 2;
	return kmbox_test_send_fds(self->sv[1], &fd, 1, "f", 1) ? 3 : 0;
}

/*
 * In a child, as MQ_USER in our namespace: make (and remove) a queue of
 * the size of the one pin_mqueue() made, trying every REAP_PAUSE_US up
 * to @tries times while RLIMIT_MSGQUEUE refuses it.  0 once made, 1 if
 * refused every time, or what else went wrong.
 */
static int mq_probe(const char *name, int tries)
{
	pid_t pid = fork();
	int i, ret;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (become_mq_user())
			_exit(101);
		for (i = 0; i < tries; i++) {
			ret = mq_make(name);
			if (!ret)
				_exit(mq_unlink(name) ? 102 : 0);
			if (ret != -EMFILE)
				_exit(103);
			usleep(REAP_PAUSE_US);
		}
		_exit(1);
	}
	return kmbox_test_reap(pid);
}

/* As MQ_USER: one queue of that size fits in the limit, a second not. */
static int mq_one_fits(const char *name)
{
	char second[96];
	pid_t pid = fork();
	int ret;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (become_mq_user())
			_exit(101);
		snprintf(second, sizeof(second), "%s-2", name);
		if (mq_make(name))
			_exit(1);
		ret = mq_make(second);
		mq_unlink(name);
		if (!ret)
			mq_unlink(second);
		_exit(ret == -EMFILE ? 0 : 2);
	}
	return kmbox_test_reap(pid);
}

/*
 * The kernel frees dead IPC namespaces (their queues and the queues'
 * RLIMIT_MSGQUEUE charge) in one worker, an RCU grace period each, the
 * newest first in each batch it takes (ipc/namespace.c).  A namespace
 * that dies behind a backlog (dead_namespace_names_seen_by_no_one leaves
 * some; unpaced, its 2000 took 30 s to free under TCG) waits its turn
 * whatever kmbox does.  So drain the backlog first: twice, a namespace
 * with a queue and no mailbox, until its charge is back.  The second
 * one's batch starts only once the first one's is done, so after it
 * nothing is left behind.
 */
#define DRAIN_TRIES	300	/* 30 s each */

static int drain_dead_namespaces(FIXTURE_DATA(ns) *self, const char *name)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = in_new_ipc_ns(self, leave_mqueue);
		if (ret)
			return ret;
		ret = mq_probe(name, DRAIN_TRIES);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A mailbox made in a namespace that died does not keep the namespace's
 * POSIX queues: a child in a new IPC namespace makes a queue as large as
 * its user's RLIMIT_MSGQUEUE allows and an anonymous mailbox, passes the
 * mailbox out and exits.  While we hold the mailbox, the same user must
 * be able to make a queue of that size again within a few seconds: the
 * dead namespace's queue, and its charge, are gone.
 */
TEST_F_TIMEOUT(ns, dead_namespace_releases_its_mqueues, 90)
{
	char name[80], buf[8], c;
	int fd;

	snprintf(name, sizeof(name), "/kmbox-ns-%d", (int)getpid());
	/* The user's whole limit is free, and one queue takes it. */
	ASSERT_EQ(0, mq_one_fits(name));
	ASSERT_EQ(0, drain_dead_namespaces(self, name)) {
		TH_LOG("the kernel did not free a dead namespace's queue");
	}
	ASSERT_EQ(0, in_new_ipc_ns(self, pin_mqueue));
	ASSERT_EQ(1, kmbox_test_recv_fds(self->sv[0], &fd, 1, &c, 1));
	EXPECT_EQ(0, mq_probe(name, REAP_TRIES)) {
		TH_LOG("the dead namespace's queue still holds RLIMIT_MSGQUEUE");
	}
	/* The mailbox works all the same. */
	EXPECT_EQ(2, kmbox_test_send(fd, "hi", 2, 0, 0));
	EXPECT_EQ(2, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				     NULL));
	close(fd);
	mq_unlink(name);
}

static int unlink_elsewhere(FIXTURE_DATA(ns) *self)
{
	return kmbox_test_unlink(self->name) == -ENOENT ? 0 : 1;
}

/* UNLINK in another namespace cannot reach the name. */
TEST_F(ns, unlink_only_in_own_namespace)
{
	int fd;

	EXPECT_EQ(0, in_new_ipc_ns(self, unlink_elsewhere));
	fd = kmbox_test_open(self->name, 0);
	EXPECT_GE(fd, 0);
	close(fd);
}

/* setns() back into a namespace finds its names again. */
TEST_F(ns, setns_into_namespace_finds_its_names)
{
	char path[64];
	pid_t holder, pid;
	int nsfd;
	char c;

	holder = kmbox_test_spawn(&self->kids);
	ASSERT_GE(holder, 0);
	if (holder == 0) {
		int fd;

		if (unshare(CLONE_NEWIPC))
			_exit(100);
		fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
		if (fd < 0 || kmbox_test_send(fd, "held", 4, 0, 0) != 4)
			_exit(1);
		if (write(self->sv[1], "r", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(self->sv[0], &c, 1));
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)holder);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(nsfd, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		if (setns(nsfd, CLONE_NEWIPC))
			_exit(100);
		fd = kmbox_test_open(self->name, 0);
		if (fd < 0)
			_exit(1);
		_exit(kmbox_test_queued(fd) == 1 && proc_lists(self->name) == 1 ?
		      0 : 2);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	close(nsfd);
	/* Ours is still ours. */
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
}

/*
 * An unprivileged container: a user namespace and an IPC namespace made
 * by a plain user.  It sees none of the host's names and cannot take
 * one from a host service that makes it later.
 */
static int container(FIXTURE_DATA(ns) *self)
{
	int fd;

	if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
	    setresuid(USER, USER, USER))
		return 101;
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return 102;
	if (kmbox_test_open(self->name, 0) != -ENOENT)
		return 1;
	if (proc_lists(self->name) != 0)
		return 2;
	/* Squat a name the host will use: it stays the container's. */
	fd = kmbox_test_create(self->svc, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 3;
	if (write(self->sv[1], "s", 1) != 1)
		return 4;
	pause();
	return 0;
}

TEST_F(ns, container_cannot_see_or_squat_host_names)
{
	pid_t pid = kmbox_test_spawn(&self->kids);
	int fd;
	char c;

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(container(self));
	ASSERT_EQ(1, read(self->sv[0], &c, 1)) {
		TH_LOG("the container could not start: %d",
		       kmbox_test_kids_reap(&self->kids, pid, NULL));
	}
	fd = kmbox_test_create(self->svc, NULL, KMBOX_EXCL);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(1, proc_lists(self->svc));
	close(fd);
}

TEST_HARNESS_MAIN
