// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptors with no role (KMBOX_NOROLE): access mode 3, as for
 * ioctl-only device files.  They neither send nor receive (EBADF), cannot
 * map the region (EACCES), count as neither sender nor receiver (so a
 * hangup stream's end stays as it is), and do STAT, GET_ATTR, SET_ATTR
 * and SHUTDOWN.  Opening one needs read or write permission; with a role
 * it is EINVAL.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define USER		65526

FIXTURE(norole) {
	char name[64];
	int fd;			/* the creator's, both roles */
	struct kmbox_test_kids kids;
};

FIXTURE_SETUP(norole)
{
	struct kmbox_attr a = { .mode = 0600, .region_size = 4096 };

	kmbox_test_name(self->name, sizeof(self->name), "norole");
	a.region_size = sysconf(_SC_PAGESIZE);
	self->fd = kmbox_test_create(self->name, &a, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(norole)
{
	kmbox_test_kill_kids(&self->kids);
	close(self->fd);
	kmbox_test_unlink(self->name);
}

static int no_role(FIXTURE_DATA(norole) *self)
{
	return kmbox_test_open(self->name, KMBOX_NOROLE | KMBOX_CLOEXEC);
}

TEST_F(norole, neither_sends_nor_receives)
{
	char buf[16];
	int fd = no_role(self);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(O_ACCMODE, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(1, kmbox_test_send(self->fd, "x", 1, 0, 0));
	EXPECT_EQ(-EBADF, kmbox_test_send(fd, "y", 1, 0, 0));
	EXPECT_EQ(-EBADF, kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(-EBADF, kmbox_test_write(fd, "y", 1));
	EXPECT_EQ(-EBADF, kmbox_test_read(fd, buf, sizeof(buf)));
	EXPECT_TRUE(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EBADF, kmbox_test_ring_join(fd, KMBOX_RING_CONSUMER));
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
	close(fd);
}

TEST_F(norole, looks_and_changes)
{
	struct kmbox_attr a = { .max_msgs = 3 };
	struct kmbox_stat st;
	char val[32];
	int fd = no_role(self);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	ASSERT_EQ(0, kmbox_test_fdinfo(fd, "kmbox-role", val, sizeof(val)));
	EXPECT_STREQ("none", val);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	memset(&a, 0, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(3, a.max_msgs);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL));
	EXPECT_EQ(-EPIPE, kmbox_test_send(self->fd, "x", 1, 0, KMBOX_NOSIGNAL));
	close(fd);
}

/* A hangup stream that ended stays ended: a look is no new sender. */
TEST_F(norole, hangup_end_unchanged)
{
	struct kmbox_attr a = { .flags = KMBOX_ATTR_HANGUP };
	char name[80], buf[8];
	int rx, tx, look;

	snprintf(name, sizeof(name), "%s-hup", self->name);
	rx = kmbox_test_create(name, &a, KMBOX_RECV | KMBOX_EXCL |
			       KMBOX_CLOEXEC);
	ASSERT_GE(rx, 0);
	tx = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(tx, 0);
	close(tx);
	look = kmbox_test_open(name, KMBOX_NOROLE | KMBOX_CLOEXEC);
	ASSERT_GE(look, 0);
	EXPECT_EQ(-EPIPE, kmbox_test_recv(rx, buf, sizeof(buf), 0, NULL));
	close(rx);
	/* And no receiver: sending would fail, a look changes nothing. */
	tx = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	ASSERT_GE(tx, 0);
	EXPECT_EQ(-EPIPE, kmbox_test_send(tx, "x", 1, 0, KMBOX_NOSIGNAL));
	close(tx);
	close(look);
	kmbox_test_unlink(name);
}

TEST_F(norole, with_a_role_einval)
{
	EXPECT_EQ(-EINVAL, kmbox_test_open(self->name, KMBOX_NOROLE |
					   KMBOX_SEND));
	EXPECT_EQ(-EINVAL, kmbox_test_open(self->name, KMBOX_NOROLE |
					   KMBOX_RECV));
	EXPECT_EQ(-EINVAL, kmbox_test_create(NULL, NULL, KMBOX_NOROLE |
					     KMBOX_SEND | KMBOX_RECV));
}

/*
 * As another user: no permission bit for it, EACCES; read or write,
 * fine.  Forks the user's open of a mailbox of @mode; returns the
 * owner's descriptor, which keeps the mailbox meanwhile, or -1.
 */
static int open_as_user(const char *name, __u32 mode)
{
	struct kmbox_attr a = { .mode = mode };
	int fd, owner;

	owner = kmbox_test_create(name, &a, KMBOX_EXCL | KMBOX_CLOEXEC);
	if (owner < 0)
		return -1;
	if (fork() == 0) {
		if (setgroups(0, NULL) || setresgid(USER, USER, USER) ||
		    setresuid(USER, USER, USER))
			_exit(100);
		fd = kmbox_test_open(name, KMBOX_NOROLE);
		_exit(fd >= 0 ? 0 : -fd);
	}
	return owner;
}

TEST_F(norole, needs_read_or_write_permission)
{
	static const struct { __u32 mode; int want; } cases[] = {
		{ 0600, EACCES }, { 0604, 0 }, { 0602, 0 }, { 0601, EACCES },
	};
	char name[80];
	unsigned int i;
	int status, owner;

	if (geteuid() != 0)
		SKIP(return, "needs root to be another user");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof(name), "%s-%u", self->name, i);
		owner = open_as_user(name, cases[i].mode);
		ASSERT_GE(owner, 0);
		ASSERT_GT(wait(&status), 0);
		close(owner);
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(cases[i].want, WEXITSTATUS(status)) {
			TH_LOG("mode %04o", cases[i].mode);
		}
		kmbox_test_unlink(name);
	}
}

TEST_HARNESS_MAIN
