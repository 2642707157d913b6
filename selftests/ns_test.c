// SPDX-License-Identifier: GPL-2.0
/*
 * Names live in IPC namespaces, as POSIX message queues do: a name is
 * seen, opened, unlinked and listed in /proc/driver/kmbox only from the
 * IPC namespace it was made in; unshare -i gives an empty name space;
 * a container (a user and an IPC namespace, unprivileged) cannot see or
 * squat the host's names.  Descriptors work wherever they are passed,
 * also after the namespace they were made in is gone, whose names are
 * then gone for everyone.
 *
 * Each case runs the namespace side in a child (unshare() applies to the
 * calling process); children report through their exit status.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define USER		65530

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
 * not by the first one.  Made many times, under kmemleak and KASAN.
 */
static int make_and_leave(FIXTURE_DATA(ns) *self)
{
	char name[80];
	int fd;

	snprintf(name, sizeof(name), "%s-gone", self->name);
	if (kmbox_test_open(name, 0) != -ENOENT)
		return 1;
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	if (fd < 0)
		return 2;
	/* Keep the mailbox alive past this namespace: pass it out. */
	return kmbox_test_send_fds(self->sv[1], &fd, 1, "f", 1) ? 3 : 0;
}

TEST_F(ns, dead_namespace_names_seen_by_no_one)
{
	char name[80], c;
	int fds[20], i;

	snprintf(name, sizeof(name), "%s-gone", self->name);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, in_new_ipc_ns(self, make_and_leave));
		ASSERT_EQ(1, kmbox_test_recv_fds(self->sv[0], &fds[i], 1,
						 &c, 1));
		EXPECT_EQ(-ENOENT, kmbox_test_open(name, 0));
	}
	for (i = 0; i < 20; i++)
		close(fds[i]);
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
