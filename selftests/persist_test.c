// SPDX-License-Identifier: GPL-2.0
/*
 * Persistent mailboxes (KMBOX_ATTR_PERSISTENT): the name keeps the
 * mailbox and its messages until it is unlinked, as a POSIX message
 * queue lives until mq_unlink().  Messages survive their sender, a
 * consumer may come first or later, the mailbox shows in the listing
 * and counts against its owner's limits with no descriptor open.  Only
 * a name can keep a mailbox; the flag is fixed.  With KMBOX_ATTR_HANGUP
 * the name holds no role: a consumer that comes after the last producer
 * drains the queue and then sees end-of-stream.  A persistent mailbox
 * of an IPC namespace that dies goes with it.
 */
#include <grp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define USER		65527

FIXTURE(persist) {
	char name[64];
	long long count;	/* mailboxes_per_user, to restore */
	long long bytes;	/* bytes_per_user, to restore */
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(persist)
{
	kmbox_test_name(self->name, sizeof(self->name), "persist");
	self->count = kmbox_test_param_read("mailboxes_per_user");
	self->bytes = kmbox_test_param_read("bytes_per_user");
}

FIXTURE_TEARDOWN(persist)
{
	kmbox_test_kill_kids(&self->kids);
	kmbox_test_unlink(self->name);
	if (self->count > 0 &&
	    kmbox_test_param_read("mailboxes_per_user") != self->count)
		kmbox_test_param_write("mailboxes_per_user", self->count);
	if (self->bytes > 0 &&
	    kmbox_test_param_read("bytes_per_user") != self->bytes)
		kmbox_test_param_write("bytes_per_user", self->bytes);
}

/* CREATE of the fixture's name, persistent, with @flags: fd or -errno. */
static int make(FIXTURE_DATA(persist) *self, __u32 attr_flags, __u32 flags)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT | attr_flags };

	return kmbox_test_create(self->name, &a, flags | KMBOX_CLOEXEC);
}

/* A producer that sends @n messages "0", "1"... and exits. */
static int produce(FIXTURE_DATA(persist) *self, int n)
{
	pid_t pid = kmbox_test_spawn(&self->kids);
	int fd, i;

	if (pid == 0) {
		fd = make(self, 0, KMBOX_SEND);
		if (fd < 0)
			_exit(1);
		for (i = 0; i < n; i++) {
			char c = '0' + i;

			if (kmbox_test_send(fd, &c, 1, 0, 0) != 1)
				_exit(2);
		}
		_exit(0);
	}
	return kmbox_test_kids_reap(&self->kids, pid, NULL);
}

TEST_F(persist, messages_survive_their_sender)
{
	char buf[8];
	int fd, i;

	ASSERT_EQ(0, produce(self, 3));
	/* Nobody has it open; it is there all the same. */
	fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, kmbox_test_recv(fd, buf, sizeof(buf),
					     KMBOX_DONTWAIT, NULL));
		EXPECT_EQ('0' + i, buf[0]);
	}
	close(fd);
}

/* The consumer first, waiting; the producer later, by name. */
TEST_F(persist, consumer_may_come_first)
{
	pid_t pid;
	char buf[8];
	int fd;

	fd = make(self, 0, KMBOX_RECV);
	ASSERT_GE(fd, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int n = kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL);

		_exit(n == 1 && buf[0] == '0' ? 0 : 1);
	}
	ASSERT_EQ(0, kmbox_test_sleeping(fd, pid, 1, 0));
	close(fd);
	ASSERT_EQ(0, produce(self, 1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

/*
 * It stays, listed, until unlinked; then it goes at once if no one has
 * it open, or with the last descriptor.
 */
TEST_F(persist, lives_until_unlinked)
{
	struct kmbox_stat st;
	__u64 id;
	int fd;

	fd = make(self, 0, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_ATTR_PERSISTENT, st.attr_flags);
	id = st.id;
	close(fd);
	fd = kmbox_test_open(self->name, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(id, kmbox_test_id(fd));
	close(fd);
	ASSERT_EQ(0, kmbox_test_unlink(self->name));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
	EXPECT_EQ(-ENOENT, kmbox_test_unlink(self->name));

	/* Unlinked while open: lives on for its descriptor, then goes. */
	fd = make(self, 0, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, kmbox_test_send(fd, "x", 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_unlink(self->name));
	EXPECT_EQ(1, kmbox_test_queued(fd));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_TRUE(st.state & KMBOX_STATE_UNLINKED);
	close(fd);
}

/* Only a name can keep a mailbox; the flag cannot change. */
TEST_F(persist, flag_rules)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT };
	struct kmbox_version v;
	int fd;

	EXPECT_EQ(-EINVAL, kmbox_test_create(NULL, &a, 0));
	fd = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	close(fd);
	fd = make(self, 0, 0);
	ASSERT_GE(fd, 0);
	a.flags = KMBOX_ATTR_HANGUP;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	a.flags = KMBOX_ATTR_PERSISTENT;
	EXPECT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	close(fd);
	ASSERT_EQ(0, kmbox_test_dev_ioctl(KMBOX_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & KMBOX_FEATURE_PERSISTENT);
}

/*
 * A persistent mailbox counts against its owner's limits with no
 * descriptor open, until it is unlinked.
 */
static int count_as_user(const char *name)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT };
	int fd;

	if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
	    setresuid(USER, USER, USER))
		return 100;
	fd = kmbox_test_create(name, &a, 0);
	if (fd < 0)
		return 1;
	close(fd);
	/* Its limit of one is used up by the name alone. */
	if (kmbox_test_create(NULL, NULL, 0) != -ENOSPC)
		return 2;
	if (kmbox_test_unlink(name))
		return 3;
	fd = kmbox_test_create(NULL, NULL, 0);
	return fd >= 0 ? 0 : 4;
}

/* With one mailbox allowed a user: @fn(name) in a child, which must end 0. */
static void one_mailbox_each(struct __test_metadata *_metadata,
			     FIXTURE_DATA(persist) *self,
			     int (*fn)(const char *name))
{
	pid_t pid;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 1));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(fn(self->name));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

TEST_F(persist, counts_against_owner_limits)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	one_mailbox_each(_metadata, self, count_as_user);
}

/*
 * Hangup with persistence: the name holds no role.  The producer sends
 * and goes; a consumer that comes later drains the queue, then sees
 * end-of-stream; a new producer ends that state.
 */
TEST_F(persist, hangup_consumer_after_producer)
{
	char buf[8];
	int fd, snd;

	snd = make(self, KMBOX_ATTR_HANGUP, KMBOX_SEND);
	ASSERT_GE(snd, 0);
	ASSERT_EQ(1, kmbox_test_send(snd, "a", 1, 0, 0));
	ASSERT_EQ(1, kmbox_test_send(snd, "b", 1, 0, 0));
	close(snd);
	fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(1, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(1, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(-EPIPE, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, kmbox_test_read(fd, buf, sizeof(buf)));
	snd = kmbox_test_open(self->name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(snd, 0);
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(fd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	close(snd);
	close(fd);
}

/*
 * A persistent mailbox of an IPC namespace that dies goes too: its
 * owner's charge comes back within a few seconds (the reaper looks every
 * two), although no one could unlink it.
 */
static int make_in_dying_namespace(const char *name)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT };
	int fd, i, status, made[2], go[2], held;
	pid_t pid;
	char c;

	if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
	    setresuid(USER, USER, USER))
		return 100;
	if (pipe(made) || pipe(go))
		return 102;
	pid = fork();
	if (pid == 0) {
		close(made[0]);
		close(go[1]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
			_exit(101);
		fd = kmbox_test_create(name, &a, 0);
		/* The namespace lives until we are told to go. */
		if (write(made[1], fd >= 0 ? "y" : "n", 1) != 1 ||
		    read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(fd >= 0 ? 0 : 1);
	}
	close(made[1]);
	close(go[0]);
	i = read(made[0], &c, 1);
	close(made[0]);
	if (i != 1 || c != 'y')
		return 2;
	/* The limit of one is held by the namespace's mailbox... */
	held = kmbox_test_create(NULL, NULL, 0);
	close(go[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 2;
	if (held != -ENOSPC)
		return 3;
	/* ...until the namespace dies and the reaper finds it. */
	for (i = 0; i < 100; i++) {
		fd = kmbox_test_create(NULL, NULL, 0);
		if (fd >= 0)
			return 0;
		usleep(100000);
	}
	return 4;
}

TEST_F(persist, dies_with_its_ipc_namespace)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	one_mailbox_each(_metadata, self, make_in_dying_namespace);
}

/* Is a mailbox named @name in /proc/driver/kmbox? 1, 0, or -1. */
static int listed(const char *name)
{
	char buf[65536], *line, *end;
	size_t len = strlen(name);

	if (kmbox_test_read_file("/proc/driver/kmbox", buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; (end = strchr(line, '\n')); line = end + 1) {
		if ((size_t)(end - line) > len && end[-len - 1] == ' ' &&
		    !memcmp(end - len, name, len))
			return 1;
	}
	return 0;
}

/* What a mailbox of emfile_as_user() charges. */
#define EMFILE_MSG	4096
#define EMFILE_CHARGE	kmbox_test_charge(1, EMFILE_MSG, 0)

/*
 * As USER, limited to one mailbox of EMFILE_CHARGE: CREATE of @name
 * (@attr_flags) with no descriptor left (RLIMIT_NOFILE) fails with
 * EMFILE, and makes nothing: no name, no line in /proc/driver/kmbox, no
 * charge and no count (the one mailbox the user may own can be made
 * after, exclusively, under that name).  0 or the failed step.
 */
static int emfile_as_user(const char *name, __u32 attr_flags)
{
	struct kmbox_attr a = {
		.max_msgs = 1, .max_msg_size = EMFILE_MSG,
		.max_bytes = EMFILE_MSG, .flags = attr_flags,
	};
	struct kmbox_create c = {
		.name = (__u64)(unsigned long)name,
		.attr = a,
	};
	int dev, fd, fill[64], n = 0, ret;
	struct rlimit old, rl;

	if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
	    setresuid(USER, USER, USER))
		return 100;
	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0 || getrlimit(RLIMIT_NOFILE, &old))
		return 101;
	rl = old;
	rl.rlim_cur = dev + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 102;
	/* Take whatever descriptor is left below the limit. */
	while (n < (int)ARRAY_SIZE(fill) && (fd = dup(dev)) >= 0)
		fill[n++] = fd;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
	while (n)
		close(fill[--n]);
	if (setrlimit(RLIMIT_NOFILE, &old))
		return 103;
	if (ret != -EMFILE)
		return 1;
	if (kmbox_test_open(name, 0) != -ENOENT)
		return 2;
	if (listed(name) != 0)
		return 3;
	fd = kmbox_test_create(name, &a, KMBOX_EXCL);
	if (fd < 0)
		return 4;
	if (listed(name) != 1)
		return 5;
	close(fd);
	if (attr_flags & KMBOX_ATTR_PERSISTENT && kmbox_test_unlink(name))
		return 6;
	if (listed(name) != 0)
		return 7;
	close(dev);
	return 0;
}

static void emfile_test(struct __test_metadata *_metadata,
			FIXTURE_DATA(persist) *self, __u32 attr_flags)
{
	pid_t pid;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 1));
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", EMFILE_CHARGE));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(emfile_as_user(self->name, attr_flags));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
}

/* A persistent CREATE that fails for want of a descriptor makes nothing. */
TEST_F(persist, emfile_leaves_nothing)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limits and the user");
	emfile_test(_metadata, self, KMBOX_ATTR_PERSISTENT);
}

/* Nor does a plain named one. */
TEST_F(persist, emfile_leaves_nothing_not_persistent)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limits and the user");
	emfile_test(_metadata, self, 0);
}

#define RACERS	8

/* As USER: the one mailbox more that the limit of two leaves. */
static int one_more_as_user(void)
{
	int fd;

	if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
	    setresuid(USER, USER, USER))
		return 100;
	fd = kmbox_test_create(NULL, NULL, 0);
	if (fd < 0)
		return 1;
	if (kmbox_test_create(NULL, NULL, 0) != -ENOSPC)
		return 2;
	close(fd);
	return 0;
}

/*
 * RACERS children of USER CREATE the same persistent name at once,
 * without KMBOX_EXCL.  All get the one mailbox (one that lost the race to
 * the name had made a mailbox of its own first, and dropped it); once
 * they are gone it is listed once and counts once: with a limit of two,
 * one more mailbox fits and a second does not.
 */
TEST_F(persist, racing_create_one_mailbox)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT };
	int gate[2], res[2], i, fd;
	pid_t pids[RACERS], pid;
	__u64 ids[RACERS], id;
	char c;

	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	/* Room for every racer's own mailbox while the race lasts. */
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", RACERS + 1));
	ASSERT_EQ(0, pipe(gate));
	ASSERT_EQ(0, pipe(res));
	for (i = 0; i < RACERS; i++) {
		pids[i] = kmbox_test_spawn(&self->kids);
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			close(gate[1]);
			CHILD_CHECK(setgroups(0, NULL) == 0);
			CHILD_CHECK(setresgid(USER, USER, USER) == 0);
			CHILD_CHECK(setresuid(USER, USER, USER) == 0);
			CHILD_CHECK(read(gate[0], &c, 1) == 0);
			fd = kmbox_test_create(self->name, &a, KMBOX_CLOEXEC);
			id = fd >= 0 ? kmbox_test_id(fd) : 0;
			CHILD_CHECK(write(res[1], &id, sizeof(id)) ==
				    sizeof(id));
			_exit(0);
		}
	}
	close(gate[0]);
	close(res[1]);
	close(gate[1]);
	for (i = 0; i < RACERS; i++) {
		ASSERT_EQ(sizeof(ids[i]), read(res[0], &ids[i], sizeof(ids[i])));
		EXPECT_NE(0, ids[i]);
		EXPECT_EQ(ids[0], ids[i]);
	}
	close(res[0]);
	for (i = 0; i < RACERS; i++)
		EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pids[i], NULL));
	EXPECT_EQ(1, listed(self->name));
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 2));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(one_more_as_user());
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(0, kmbox_test_unlink(self->name));
	EXPECT_EQ(0, listed(self->name));
}

TEST_HARNESS_MAIN
