// SPDX-License-Identifier: GPL-2.0
/*
 * Owners and permission bits: opening needs read permission for the
 * receive role and write permission for the send role, checked as for a
 * file (owner, group, other; CAP_DAC_OVERRIDE bypasses), EACCES if
 * denied; unlinking and changing attributes need ownership or
 * CAP_SYS_ADMIN, EPERM if denied.
 *
 * Needs root: the test process makes mailboxes owned by other users (by
 * its fsuid and fsgid) and forks children that become those users.
 */
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

/* The users and groups of the test; none of them is root. */
#define OWNER		65533
#define OTHER		65534
#define GROUP		65532
#define OTHER_GROUP	65534
#define NO_GROUP	((gid_t)-1)

#define CAP(c)		(1ull << (c))

/* What a child does, as whom. */
enum op { OP_OPEN, OP_CREATE, OP_UNLINK, OP_SET_MODE, OP_GET_ATTR };

struct req {
	uid_t uid;
	gid_t gid;
	gid_t group;		/* a supplementary group, or NO_GROUP */
	int set_caps;		/* keep exactly @caps (else: as setresuid does) */
	__u64 caps;
	enum op op;
	const char *name;
	__u32 flags;
	int fd;
	__u32 mode;
};

/* Codes a child exits with when it cannot become the user. */
#define CHILD_SETUP_FAILED	200

/* In the child: become @r's user. */
static int become(const struct req *r)
{
	__u64 eff, perm;

	if (r->set_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -1;
	if (setgroups(r->group == NO_GROUP ? 0 : 1, &r->group))
		return -1;
	if (setresgid(r->gid, r->gid, r->gid) ||
	    setresuid(r->uid, r->uid, r->uid))
		return -1;
	if (r->set_caps) {
		if (kmbox_test_caps_get(&eff, &perm))
			return -1;
		if ((r->caps & perm) != r->caps)
			return -1;
		if (kmbox_test_caps_set(r->caps, r->caps))
			return -1;
	}
	return 0;
}

/* In the child: do @r->op; 0 or -errno. */
static int do_op(const struct req *r)
{
	struct kmbox_attr a = { .mode = r->mode };
	int ret;

	switch (r->op) {
	case OP_OPEN:
		ret = kmbox_test_open(r->name, r->flags);
		break;
	case OP_CREATE:
		ret = kmbox_test_create(r->name, NULL, r->flags);
		break;
	case OP_UNLINK:
		return kmbox_test_unlink(r->name);
	case OP_SET_MODE:
		return kmbox_test_ioctl(r->fd, KMBOX_IOC_SET_ATTR, &a);
	case OP_GET_ATTR:
		return kmbox_test_ioctl(r->fd, KMBOX_IOC_GET_ATTR, &a);
	default:
		return -EINVAL;
	}
	if (ret >= 0) {
		close(ret);
		ret = 0;
	}
	return ret;
}

/*
 * Fork a child that becomes @r's user and does @r->op: returns 0 or
 * -errno as the operation did, or a positive code if the child could
 * not run.
 */
static int run(const struct req *r)
{
	int status;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 1000;
	if (pid == 0) {
		if (become(r))
			_exit(CHILD_SETUP_FAILED);
		_exit(-do_op(r));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1001;
	if (WEXITSTATUS(status) == CHILD_SETUP_FAILED)
		return CHILD_SETUP_FAILED;
	return -WEXITSTATUS(status);
}

/* @op of @name with @flags as @uid:@gid. */
static int as_user(uid_t uid, gid_t gid, enum op op, const char *name,
		   __u32 flags)
{
	struct req r = {
		.uid = uid, .gid = gid, .group = NO_GROUP,
		.op = op, .name = name, .flags = flags,
	};

	return run(&r);
}

static int open_as(uid_t uid, gid_t gid, const char *name, __u32 flags)
{
	return as_user(uid, gid, OP_OPEN, name, flags);
}

/* SET_ATTR of the mode through the inherited descriptor @fd. */
static int set_mode_as(uid_t uid, gid_t gid, int fd, __u32 mode)
{
	struct req r = {
		.uid = uid, .gid = gid, .group = NO_GROUP,
		.op = OP_SET_MODE, .fd = fd, .mode = mode,
	};

	return run(&r);
}

/* Make a mailbox of @a owned by @uid:@gid: created with that fsuid/fsgid. */
static int create_owned_attr(const char *name, uid_t uid, gid_t gid,
			     const struct kmbox_attr *a)
{
	int fd;

	setfsgid(gid);
	setfsuid(uid);
	if (setfsuid(-1) != (int)uid || setfsgid(-1) != (int)gid)
		fd = -EPERM;
	else
		fd = kmbox_test_create(name, a, KMBOX_EXCL);
	setfsuid(0);
	setfsgid(0);
	return fd;
}

/* Make a mailbox owned by @uid:@gid: create it with that fsuid/fsgid. */
static int create_owned(const char *name, uid_t uid, gid_t gid, __u32 mode)
{
	struct kmbox_attr a = { .mode = mode };

	return create_owned_attr(name, uid, gid, &a);
}

FIXTURE(perm) {
	char name[64];
	int fd;
	pid_t child;
};

FIXTURE_SETUP(perm)
{
	self->fd = -1;
	self->child = 0;
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to act as other users");
	kmbox_test_name(self->name, sizeof(self->name), "perm");
}

FIXTURE_TEARDOWN(perm)
{
	kmbox_test_kill(&self->child);
	if (self->fd >= 0)
		close(self->fd);
}

/* The helpers themselves: the owner opens its own 0600 mailbox. */
TEST_F(perm, owner_opens_0600)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, open_as(OWNER, GROUP, self->name, 0));
	EXPECT_EQ(0, open_as(OWNER, GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(0, open_as(OWNER, GROUP, self->name, KMBOX_RECV));
}

TEST_F(perm, other_user_0600_eacces)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name, 0));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_SEND));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_RECV));
	/* Not in the group either. */
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
	/* CREATE without EXCL opens it, with the same check. */
	EXPECT_EQ(-EACCES, as_user(OTHER, OTHER_GROUP, OP_CREATE, self->name,
				   KMBOX_RECV));
	EXPECT_EQ(0, as_user(OWNER, GROUP, OP_CREATE, self->name, 0));
	/* With KMBOX_EXCL the name exists: EEXIST, whatever the bits. */
	EXPECT_EQ(-EEXIST, as_user(OTHER, OTHER_GROUP, OP_CREATE, self->name,
				   KMBOX_EXCL));
	/* The mailbox was left as it was. */
	EXPECT_EQ(0, open_as(OWNER, GROUP, self->name, 0));
}

/* 0640: the group may receive, not send. */
TEST_F(perm, group_0640)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0640);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, 0));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name,
				   KMBOX_SEND | KMBOX_RECV));
	/* Others nothing. */
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_RECV));
}

/* Supplementary groups count, as for a file. */
TEST_F(perm, supplementary_group)
{
	struct req r = {
		.uid = OTHER, .gid = OTHER_GROUP, .group = GROUP,
		.op = OP_OPEN, .flags = KMBOX_RECV,
	};

	self->fd = create_owned(self->name, OWNER, GROUP, 0640);
	ASSERT_GE(self->fd, 0);
	r.name = self->name;
	EXPECT_EQ(0, run(&r));
	r.flags = KMBOX_SEND;
	EXPECT_EQ(-EACCES, run(&r));
}

/* 0622: everyone may send, only the owner receive. */
TEST_F(perm, other_0622_send_only)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0622);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, open_as(OTHER, OTHER_GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_RECV));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name, 0));
	EXPECT_EQ(0, open_as(OTHER, GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
	EXPECT_EQ(0, open_as(OWNER, GROUP, self->name, 0));
}

/* 0604: others may receive only. */
TEST_F(perm, other_0604_recv_only)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0604);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, open_as(OTHER, OTHER_GROUP, self->name, KMBOX_RECV));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_SEND));
	/* The group class applies to the group: no rights there. */
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
}

/* As for a file, the owner gets the owner bits only, even if fewer. */
TEST_F(perm, owner_class_is_exclusive)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0066);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(-EACCES, open_as(OWNER, GROUP, self->name, KMBOX_RECV));
	EXPECT_EQ(-EACCES, open_as(OWNER, GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(0, open_as(OTHER, GROUP, self->name, 0));
	EXPECT_EQ(0, open_as(OTHER, OTHER_GROUP, self->name, 0));
}

TEST_F(perm, unlink_needs_owner)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0666);
	ASSERT_GE(self->fd, 0);
	/* Permission bits do not grant it. */
	EXPECT_EQ(-EPERM, as_user(OTHER, OTHER_GROUP, OP_UNLINK, self->name,
				  0));
	EXPECT_EQ(-EPERM, as_user(OTHER, GROUP, OP_UNLINK, self->name, 0));
	EXPECT_EQ(0, open_as(OTHER, OTHER_GROUP, self->name, 0));

	EXPECT_EQ(0, as_user(OWNER, GROUP, OP_UNLINK, self->name, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(-ENOENT, as_user(OTHER, OTHER_GROUP, OP_UNLINK, self->name,
				   0));
}

/* Root (CAP_SYS_ADMIN) may unlink another user's mailbox. */
TEST_F(perm, root_unlinks_any)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, kmbox_test_unlink(self->name));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* Without CAP_SYS_ADMIN root is not the owner: EPERM, for both calls. */
TEST_F(perm, root_without_sys_admin_eperm)
{
	struct req r = { .uid = 0, .gid = 0, .group = NO_GROUP,
			 .set_caps = 1 };
	struct kmbox_attr a;
	__u64 eff, perm;
	int fd;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, kmbox_test_caps_get(&eff, &perm));
	r.caps = perm & ~CAP(CAP_SYS_ADMIN);
	r.name = self->name;
	r.op = OP_UNLINK;
	EXPECT_EQ(-EPERM, run(&r));
	r.op = OP_SET_MODE;
	r.fd = self->fd;
	r.mode = 0666;
	EXPECT_EQ(-EPERM, run(&r));
	/* Nothing changed. */
	fd = kmbox_test_open(self->name, 0);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0600, a.mode);
}

/* A user with CAP_SYS_ADMIN may unlink and change another's mailbox. */
TEST_F(perm, user_with_sys_admin)
{
	struct req r = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP,
			 .set_caps = 1, .caps = CAP(CAP_SYS_ADMIN) };
	struct kmbox_attr a;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	r.op = OP_SET_MODE;
	r.fd = self->fd;
	r.mode = 0640;
	EXPECT_EQ(0, run(&r));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0640, a.mode);
	r.op = OP_UNLINK;
	r.name = self->name;
	EXPECT_EQ(0, run(&r));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

TEST_F(perm, set_attr_needs_owner)
{
	struct kmbox_attr a;

	self->fd = create_owned(self->name, OWNER, GROUP, 0666);
	ASSERT_GE(self->fd, 0);
	/* The descriptor is inherited: it is the caller that counts. */
	EXPECT_EQ(-EPERM, set_mode_as(OTHER, OTHER_GROUP, self->fd, 0600));
	EXPECT_EQ(-EPERM, set_mode_as(OTHER, GROUP, self->fd, 0600));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0666, a.mode);
	EXPECT_EQ(0, set_mode_as(OWNER, GROUP, self->fd, 0644));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0644, a.mode);
}

/* GET_ATTR through an inherited descriptor needs no ownership. */
TEST_F(perm, get_attr_by_other)
{
	struct req r = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP,
			 .op = OP_GET_ATTR };

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	r.fd = self->fd;
	EXPECT_EQ(0, run(&r));
}

/* The owner changes the mode; later opens follow the new one. */
TEST_F(perm, owner_changes_mode)
{
	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name, 0));
	EXPECT_EQ(0, set_mode_as(OWNER, GROUP, self->fd, 0666));
	EXPECT_EQ(0, open_as(OTHER, OTHER_GROUP, self->name, 0));
	EXPECT_EQ(0, set_mode_as(OWNER, GROUP, self->fd, 0640));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_RECV));
	EXPECT_EQ(0, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_SEND));
	EXPECT_EQ(0, set_mode_as(OWNER, GROUP, self->fd, 0600));
	EXPECT_EQ(-EACCES, open_as(OTHER, GROUP, self->name, KMBOX_RECV));
}

/* As for a file, a descriptor keeps its access when the mode changes. */
TEST_F(perm, open_fd_survives_mode_change)
{
	struct req r = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP };
	struct kmbox_attr a = { .mode = 0600 };
	int ready[2], go[2], fd, ret;
	char c = 'm';

	self->fd = create_owned(self->name, OWNER, GROUP, 0666);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		close(ready[0]);
		close(go[1]);
		if (become(&r))
			_exit(CHILD_SETUP_FAILED);
		fd = kmbox_test_open(self->name, KMBOX_SEND);
		if (write(ready[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(2);
		if (fd < 0 || read(go[0], &c, 1) != 1)
			_exit(3);
		ret = kmbox_test_send(fd, &c, 1, 0, KMBOX_DONTWAIT);
		_exit(ret == 1 ? 0 : 4);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(sizeof(fd), read(ready[0], &fd, sizeof(fd)));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SET_ATTR, &a));
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_SEND));
	ASSERT_EQ(1, write(go[1], &c, 1));
	EXPECT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	c = 0;
	EXPECT_EQ(1, kmbox_test_recv(self->fd, &c, 1, KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('m', c);
	close(ready[0]);
	close(go[1]);
}

/* Root opens a 0600 mailbox of another user (CAP_DAC_OVERRIDE). */
TEST_F(perm, root_dac_override)
{
	int fd;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	fd = kmbox_test_open(self->name, 0);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = kmbox_test_open(self->name, KMBOX_SEND);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = kmbox_test_open(self->name, KMBOX_RECV);
	ASSERT_GE(fd, 0);
	close(fd);
}

/* It is the capability that counts, not uid 0. */
TEST_F(perm, dac_override_capability)
{
	struct req r = { .uid = 0, .gid = 0, .group = NO_GROUP,
			 .set_caps = 1, .op = OP_OPEN };
	__u64 eff, perm;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, kmbox_test_caps_get(&eff, &perm));
	r.name = self->name;

	/* Root without the DAC capabilities is refused... */
	r.caps = perm & ~(CAP(CAP_DAC_OVERRIDE) | CAP(CAP_DAC_READ_SEARCH));
	r.flags = KMBOX_SEND;
	EXPECT_EQ(-EACCES, run(&r));
	r.flags = KMBOX_RECV;
	EXPECT_EQ(-EACCES, run(&r));
	r.flags = 0;
	EXPECT_EQ(-EACCES, run(&r));

	/* ... with CAP_DAC_OVERRIDE alone, it may open for both roles. */
	r.caps = perm & ~CAP(CAP_DAC_READ_SEARCH);
	EXPECT_EQ(0, run(&r));

	/* And so may any user with CAP_DAC_OVERRIDE. */
	r.uid = OTHER;
	r.gid = OTHER_GROUP;
	r.caps = CAP(CAP_DAC_OVERRIDE);
	EXPECT_EQ(0, run(&r));
	r.caps = 0;
	EXPECT_EQ(-EACCES, run(&r));
}

/* The owner is the creator's fsuid and fsgid, not its euid and egid. */
TEST_F(perm, owner_is_creator_fsuid)
{
	struct kmbox_stat st;

	self->fd = create_owned(self->name, OWNER, GROUP, 0640);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, geteuid());
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	EXPECT_EQ(OWNER, st.uid);
	EXPECT_EQ(GROUP, st.gid);
	EXPECT_EQ(0640, st.mode);
}

/* A mailbox made by an unprivileged user belongs to that user. */
static int create_and_stat(const char *name, struct kmbox_stat *st)
{
	int fd = kmbox_test_create(name, NULL, KMBOX_EXCL);

	if (fd < 0)
		return fd;
	if (kmbox_test_stat(fd, st)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

TEST_F(perm, owner_of_unprivileged_creation)
{
	struct req r = { .uid = OTHER, .gid = GROUP, .group = NO_GROUP };
	struct kmbox_stat *st;
	int fd, status;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(st != MAP_FAILED);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		if (become(&r))
			_exit(CHILD_SETUP_FAILED);
		fd = create_and_stat(self->name, st);
		if (fd < 0)
			_exit(1);
		/* The creator may unlink its own mailbox. */
		_exit(kmbox_test_unlink(self->name) ? 2 : 0);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(OTHER, st->uid);
	EXPECT_EQ(GROUP, st->gid);
	EXPECT_EQ(0600, st->mode);
	munmap(st, sizeof(*st));
}

/* Access is checked with the caller's fsuid, as for a file. */
TEST_F(perm, access_checked_with_fsuid)
{
	int fd;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	/* euid 0 with fsuid OWNER: the owner, without the DAC override. */
	setfsuid(OWNER);
	ASSERT_EQ(OWNER, setfsuid(-1));
	fd = kmbox_test_open(self->name, 0);
	setfsuid(0);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);

	/* fsuid OTHER: another user, and the override is gone. */
	setfsuid(OTHER);
	ASSERT_EQ(OTHER, setfsuid(-1));
	fd = kmbox_test_open(self->name, 0);
	setfsuid(0);
	EXPECT_EQ(-EACCES, fd);
	if (fd >= 0)
		close(fd);
}

/* Another user may not remove the name of a 0600 mailbox either. */
TEST_F(perm, other_user_0600_unlink_eperm)
{
	int fd;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(-EPERM, as_user(OTHER, OTHER_GROUP, OP_UNLINK, self->name,
				  0));
	EXPECT_EQ(-EPERM, as_user(OTHER, GROUP, OP_UNLINK, self->name, 0));
	fd = kmbox_test_open(self->name, 0);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);
}

/*
 * In the child, as another user: SET_ATTR of each size through @fd must
 * be EPERM.  Exit code 0, or the errno (or 1) of the first that was not.
 */
static int try_resize(int fd)
{
	struct kmbox_attr a[3] = {
		{ .max_msgs = 1 }, { .max_msg_size = 1 },
		{ .max_bytes = 1 << 20 },
	};
	int i, ret;

	for (i = 0; i < 3; i++) {
		ret = kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a[i]);
		if (ret != -EPERM)
			return ret < 0 ? -ret : 1;
	}
	return 0;
}

/*
 * Another user that holds a descriptor (inherited here) still may not
 * resize a 0600 mailbox: max_msgs, max_msg_size and max_bytes are EPERM
 * and stay as they were.
 */
TEST_F(perm, other_user_cannot_resize)
{
	struct req r = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP };
	struct kmbox_attr a = { .max_msgs = 4, .max_msg_size = 64,
				.mode = 0600 };

	self->fd = create_owned_attr(self->name, OWNER, GROUP, &a);
	ASSERT_GE(self->fd, 0);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		if (become(&r))
			_exit(CHILD_SETUP_FAILED);
		_exit(try_resize(self->fd));
	}
	EXPECT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	memset(&a, 0, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(4, a.max_msgs);
	EXPECT_EQ(64, a.max_msg_size);
	EXPECT_EQ(4 * 64, a.max_bytes);
	/* The owner may (the check above can fail). */
	r.uid = OWNER;
	r.gid = GROUP;
	r.op = OP_SET_MODE;
	r.fd = self->fd;
	r.mode = 0600;
	EXPECT_EQ(0, run(&r));
}

/* A 0600 mailbox with a one-page region, owned by OWNER, one message. */
static int create_owned_region(const char *name)
{
	struct kmbox_attr a = { .mode = 0600 };
	int fd;

	a.region_size = sysconf(_SC_PAGESIZE);
	fd = create_owned_attr(name, OWNER, GROUP, &a);
	if (fd >= 0 && kmbox_test_send(fd, "x", 1, 0, 0) != 1) {
		close(fd);
		fd = -EIO;
	}
	return fd;
}

/*
 * Fork a child that becomes OTHER and gets @fd over SCM_RIGHTS; it runs
 * @check on the descriptor it received and exits with its result.
 */
static pid_t pass_to_other(int fd, int (*check)(int fd))
{
	struct req r = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP };
	int sv[2], got = -1;
	pid_t pid;
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (become(&r))
			_exit(CHILD_SETUP_FAILED);
		CHILD_CHECK(kmbox_test_recv_fds(sv[1], &got, 1, &c, 1) == 1);
		_exit(check(got));
	}
	close(sv[1]);
	if (pid > 0 && kmbox_test_send_fds(sv[0], &fd, 1, "f", 1)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(sv[0]);
	return pid;
}

/* The name of the mailbox whose descriptor pass_to_other() passes. */
static const char *passed_name;

/* Re-opening a descriptor through /proc gives no new role. */
static int reopen_fails(int fd)
{
	char path[64];
	int re;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	re = open(path, O_RDWR | O_CLOEXEC);
	if (re >= 0) {
		close(re);
		return 0;
	}
	return errno == ENXIO || errno == EACCES;
}

/* As OTHER, on a passed receive-only descriptor of a 0600 mailbox. */
static int check_recv_only(int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	char c = 0;
	void *p;

	/* The role it was opened with: receiving works. */
	CHILD_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	CHILD_CHECK(kmbox_test_recv(fd, &c, 1, KMBOX_DONTWAIT, NULL) == 1);
	CHILD_CHECK(c == 'x');
	/* No other. */
	CHILD_CHECK(kmbox_test_send(fd, "y", 1, 0, KMBOX_DONTWAIT) == -EBADF);
	CHILD_CHECK(kmbox_test_write(fd, "y", 1) == -EBADF);
	/* A read-only mapping, never a writable one. */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	CHILD_CHECK(p != MAP_FAILED);
	CHILD_CHECK(mprotect(p, page, PROT_READ | PROT_WRITE) &&
		    errno == EACCES);
	munmap(p, page);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHILD_CHECK(p == MAP_FAILED && errno == EACCES);
	/* F_SETFL cannot change the access mode. */
	CHILD_CHECK(fcntl(fd, F_SETFL, O_RDWR) == 0);
	CHILD_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	CHILD_CHECK(kmbox_test_send(fd, "y", 1, 0, KMBOX_DONTWAIT) == -EBADF);
	/* Nor does /proc/self/fd, nor the name. */
	CHILD_CHECK(reopen_fails(fd));
	CHILD_CHECK(kmbox_test_open(passed_name, KMBOX_SEND) ==
		    -EACCES);
	/* Holding a descriptor does not make it the owner. */
	CHILD_CHECK(try_resize(fd) == 0);
	return 0;
}

/* As OTHER, on a passed send-only descriptor of a 0600 mailbox. */
static int check_send_only(int fd)
{
	struct kmbox_ring_join j = { .side = KMBOX_RING_CONSUMER };
	long page = sysconf(_SC_PAGESIZE);
	char c;

	CHILD_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
	CHILD_CHECK(kmbox_test_send(fd, "s", 1, 0, KMBOX_DONTWAIT) == 1);
	CHILD_CHECK(kmbox_test_recv(fd, &c, 1, KMBOX_DONTWAIT, NULL) ==
		    -EBADF);
	CHILD_CHECK(kmbox_test_read(fd, &c, 1) == -EBADF);
	/* A write-only file cannot be mapped at all. */
	CHILD_CHECK(mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED && errno == EACCES);
	CHILD_CHECK(kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &j) == -EBADF);
	CHILD_CHECK(fcntl(fd, F_SETFL, O_RDWR) == 0);
	CHILD_CHECK(kmbox_test_recv(fd, &c, 1, KMBOX_DONTWAIT, NULL) ==
		    -EBADF);
	CHILD_CHECK(reopen_fails(fd));
	CHILD_CHECK(kmbox_test_open(passed_name, KMBOX_RECV) ==
		    -EACCES);
	CHILD_CHECK(try_resize(fd) == 0);
	return 0;
}

/*
 * What holds for a descriptor passed over SCM_RIGHTS to a user who could
 * not open the mailbox: it keeps the role it was opened with, as a file
 * keeps its access mode, whoever holds it; that role works and no other
 * can be had (not by F_SETFL, not by re-opening it through /proc, not by
 * name), the mapping follows the role (read-only for a receive-only
 * descriptor, none for a send-only one), and holding it gives no
 * ownership (SET_ATTR: EPERM).
 */
/*
 * Pass a descriptor of @self's mailbox (a 0600 one of OWNER with a
 * region and one message), opened with @flags, to OTHER, who runs
 * @check on it: its exit status.
 */
static int pass_and_check(FIXTURE_DATA(perm) *self, __u32 flags,
			  int (*check)(int fd))
{
	int fd, ret;

	self->fd = create_owned_region(self->name);
	if (self->fd < 0)
		return 1000;
	passed_name = self->name;
	fd = kmbox_test_open(self->name, flags | KMBOX_CLOEXEC);
	if (fd < 0)
		return 1001;
	self->child = pass_to_other(fd, check);
	close(fd);
	if (self->child <= 0)
		return 1002;
	ret = kmbox_test_reap(self->child);
	self->child = 0;
	return ret;
}

TEST_F(perm, passed_recv_only_keeps_role)
{
	EXPECT_EQ(0, pass_and_check(self, KMBOX_RECV, check_recv_only));
	ASSERT_GE(self->fd, 0);
	/* OTHER could not have opened it itself. */
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_RECV));
	/* The child took the message, and sent nothing. */
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
}

TEST_F(perm, passed_send_only_keeps_role)
{
	char c = 0;

	EXPECT_EQ(0, pass_and_check(self, KMBOX_SEND, check_send_only));
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(-EACCES, open_as(OTHER, OTHER_GROUP, self->name,
				   KMBOX_SEND));
	/* The child's message came after ours; it took none. */
	EXPECT_EQ(2, kmbox_test_queued(self->fd));
	EXPECT_EQ(1, kmbox_test_recv(self->fd, &c, 1, KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('x', c);
	EXPECT_EQ(1, kmbox_test_recv(self->fd, &c, 1, KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('s', c);
}

/*
 * Nor can another user reach the owner's descriptor through /proc: the
 * owner (not root) holds one, OTHER tries /proc/<owner>/fd/<n>.
 */
TEST_F(perm, owner_fd_not_reachable_through_proc)
{
	struct req r = { .uid = OWNER, .gid = GROUP, .group = NO_GROUP };
	struct req o = { .uid = OTHER, .gid = OTHER_GROUP, .group = NO_GROUP };
	int ready[2], fd = -1, st;
	char path[64];
	pid_t pid;

	self->fd = create_owned(self->name, OWNER, GROUP, 0600);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, pipe(ready));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		close(ready[0]);
		if (become(&r))
			_exit(CHILD_SETUP_FAILED);
		fd = kmbox_test_open(self->name, 0);
		CHILD_CHECK(write(ready[1], &fd, sizeof(fd)) == sizeof(fd));
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(sizeof(fd), read(ready[0], &fd, sizeof(fd)));
	close(ready[0]);
	ASSERT_GE(fd, 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", self->child, fd);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (become(&o))
			_exit(CHILD_SETUP_FAILED);
		st = open(path, O_RDONLY | O_CLOEXEC);
		_exit(st >= 0 ? 0 : errno);
	}
	EXPECT_EQ(EACCES, kmbox_test_reap(pid));
}

TEST_HARNESS_MAIN
