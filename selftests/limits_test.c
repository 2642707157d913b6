// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits: a user may own at most mailboxes_per_user mailboxes
 * (ENOSPC beyond) whose charges (kmbox_test_charge(): the mailbox, its
 * message slots, max_bytes, its region) add up to at most bytes_per_user
 * (ENOMEM beyond).  The charge is the owner's while the mailbox lives,
 * whoever holds its descriptors; CAP_SYS_RESOURCE lifts both limits.
 *
 * Needs root, to change the limits and to act as unprivileged users; the
 * fixture saves the limits and puts them back.
 */
#include <grp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define USER		65534
#define USER_GROUP	65534
#define USER2		65533
#define USER2_GROUP	65533
#define MAX_HOLDERS	16
/* What create_bytes() charges beyond its max_bytes. */
#define OV		kmbox_test_charge(1, 0, 0)

/* In a child: drop root for @uid, with no capability left. */
static void become(uid_t uid, gid_t gid)
{
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(gid, gid, gid) == 0);
	CHILD_CHECK(setresuid(uid, uid, uid) == 0);
}

/* An anonymous mailbox of @max_bytes (0: the default); fd or -errno. */
static int create_bytes(__u64 max_bytes)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = max_bytes,
				.max_bytes = max_bytes };

	return kmbox_test_create(NULL, max_bytes ? &a : NULL, 0);
}

/*
 * Run fn(arg) in a child as @uid:@gid; its exit status (0 = every check
 * passed).
 */
static int run_as(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		become(uid, gid);
		fn(arg);
		_exit(0);
	}
	return kmbox_test_reap(pid);
}

/* In a child as the user: CREATE an anonymous mailbox; exit with -ret. */
static int try_create_as(uid_t uid, gid_t gid, __u64 max_bytes)
{
	int status, fd;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 1000;
	if (pid == 0) {
		become(uid, gid);
		fd = create_bytes(max_bytes);
		_exit(fd < 0 ? -fd : 0);
	}
	status = kmbox_test_reap(pid);
	return status < 0 ? 1000 : -status;
}

/* Children that hold mailboxes until release[1] is closed. */
struct holders {
	int release[2];
	pid_t pids[MAX_HOLDERS];
	int n;
};

FIXTURE(limits) {
	long long count, bytes;		/* saved limits */
	long long bytes_max, msgs_max;	/* saved ceilings */
	struct holders h;
};

FIXTURE_SETUP(limits)
{
	self->count = -1;
	self->bytes = -1;
	self->bytes_max = -1;
	self->msgs_max = -1;
	self->h.release[0] = -1;
	self->h.release[1] = -1;
	self->h.n = 0;
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to change the limits and users");
	self->count = kmbox_test_param_read("mailboxes_per_user");
	self->bytes = kmbox_test_param_read("bytes_per_user");
	self->bytes_max = kmbox_test_param_read("bytes_max");
	self->msgs_max = kmbox_test_param_read("max_msgs_max");
	ASSERT_GT(self->count, 0);
	ASSERT_GT(self->bytes, 0);
	ASSERT_EQ(0, pipe(self->h.release));
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	if (self->h.release[1] >= 0)
		close(self->h.release[1]);
	for (i = 0; i < self->h.n; i++) {
		if (kmbox_test_reap(self->h.pids[i]) != 0)
			TH_LOG("holder %d failed", i);
	}
	if (self->h.release[0] >= 0)
		close(self->h.release[0]);
	if (self->count > 0)
		kmbox_test_param_write("mailboxes_per_user", self->count);
	if (self->bytes > 0)
		kmbox_test_param_write("bytes_per_user", self->bytes);
	if (self->bytes_max > 0)
		kmbox_test_param_write("bytes_max", self->bytes_max);
	if (self->msgs_max > 0)
		kmbox_test_param_write("max_msgs_max", self->msgs_max);
}

/*
 * Fork a child as @uid that makes @n mailboxes of @max_bytes and holds
 * them until h->release[1] is closed.  Returns how many it made, and in
 * *err the error of the first that failed (0 if none did).
 */
static int hold(struct holders *h, uid_t uid, gid_t gid, int n,
		__u64 max_bytes, int *err)
{
	int res[2], fd, made = 0, i;
	int report[2] = { 0, 0 };
	pid_t pid;
	char c;

	if (h->n >= MAX_HOLDERS || pipe(res))
		return -1;
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(h->release[1]);
		close(res[0]);
		become(uid, gid);
		for (i = 0; i < n; i++) {
			fd = create_bytes(max_bytes);
			if (fd < 0) {
				report[1] = -fd;
				break;
			}
			made++;
		}
		report[0] = made;
		CHILD_CHECK(write(res[1], report, sizeof(report)) ==
			    sizeof(report));
		/* Hold them until the test lets go. */
		CHILD_CHECK(read(h->release[0], &c, 1) == 0);
		_exit(0);
	}
	h->pids[h->n++] = pid;
	close(res[1]);
	if (read(res[0], report, sizeof(report)) != sizeof(report))
		report[0] = -1;
	close(res[0]);
	*err = -report[1];
	return report[0];
}

/* Let every holder go, and wait for them. */
static int release(struct holders *h)
{
	int i, ret = 0;

	close(h->release[1]);
	h->release[1] = -1;
	for (i = 0; i < h->n; i++)
		if (kmbox_test_reap(h->pids[i]) != 0)
			ret = -1;
	h->n = 0;
	return ret;
}

TEST_F(limits, count_enospc)
{
	int err;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 3));
	ASSERT_EQ(3, hold(&self->h, USER, USER_GROUP, 4, 0, &err));
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_EQ(-ENOSPC, try_create_as(USER, USER_GROUP, 0));
	/* Another user is not concerned. */
	EXPECT_EQ(0, try_create_as(USER2, USER2_GROUP, 0));
	ASSERT_EQ(0, release(&self->h));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 0));
}

struct named {
	const char *name;
};

static void count_named(void *arg)
{
	const char *name = ((struct named *)arg)->name;
	int fds[2], fd;

	fds[0] = kmbox_test_create(NULL, NULL, 0);
	CHILD_CHECK(fds[0] >= 0);
	fds[1] = kmbox_test_create(NULL, NULL, 0);
	CHILD_CHECK(fds[1] >= 0);
	/* A named mailbox is refused, and leaves no name. */
	CHILD_CHECK(kmbox_test_create(name, NULL, KMBOX_EXCL) == -ENOSPC);
	CHILD_CHECK(kmbox_test_open(name, 0) == -ENOENT);
	/* Closing one makes room: at once. */
	close(fds[1]);
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(kmbox_test_create(NULL, NULL, 0) == -ENOSPC);
	/* Opening an existing mailbox owns nothing more. */
	fds[1] = kmbox_test_open(name, KMBOX_SEND);
	CHILD_CHECK(fds[1] >= 0);
	close(fds[1]);
	fds[1] = kmbox_test_create(name, NULL, 0);
	CHILD_CHECK(fds[1] >= 0);
	close(fds[1]);
	/* Unlinking the name does not free the mailbox: its fd lives. */
	CHILD_CHECK(kmbox_test_unlink(name) == 0);
	CHILD_CHECK(kmbox_test_create(NULL, NULL, 0) == -ENOSPC);
	close(fd);
	fd = kmbox_test_create(NULL, NULL, 0);
	CHILD_CHECK(fd >= 0);
	close(fd);
	close(fds[0]);
}

TEST_F(limits, count_named_and_release)
{
	char name[64];
	struct named arg = {
		.name = kmbox_test_name(name, sizeof(name), "limits"),
	};

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 2));
	EXPECT_EQ(0, run_as(USER, USER_GROUP, count_named, &arg));
}

/* Lowering the limit below what a user owns keeps what exists. */
TEST_F(limits, count_lowered_below_usage)
{
	int err;

	ASSERT_EQ(3, hold(&self->h, USER, USER_GROUP, 3, 0, &err));
	EXPECT_EQ(0, err);
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 1));
	EXPECT_EQ(-ENOSPC, try_create_as(USER, USER_GROUP, 0));
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 4));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 0));
	ASSERT_EQ(0, release(&self->h));
}

/* Processes of one user share the count: forking does not bypass it. */
TEST_F(limits, children_share_count)
{
	int i, err, made;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 4));
	for (i = 0; i < 6; i++) {
		made = hold(&self->h, USER, USER_GROUP, 1, 0, &err);
		if (i < 4) {
			EXPECT_EQ(1, made) {
				TH_LOG("child %d: error %d", i, err);
			}
		} else {
			EXPECT_EQ(0, made);
			EXPECT_EQ(-ENOSPC, err);
		}
	}
	ASSERT_EQ(0, release(&self->h));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 0));
}

/* Racing creations of one user cannot overshoot the count either. */
TEST_F(limits, racing_children_share_count)
{
	enum { RACERS = 8, LIMIT = 3 };
	int gate[2], res[2], i, fd, r, made = 0;
	pid_t pids[RACERS];
	char c;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", LIMIT));
	ASSERT_EQ(0, pipe(gate));
	ASSERT_EQ(0, pipe(res));
	fflush(stderr);
	for (i = 0; i < RACERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			close(gate[1]);
			close(res[0]);
			close(self->h.release[1]);
			become(USER, USER_GROUP);
			CHILD_CHECK(read(gate[0], &c, 1) == 0);
			fd = kmbox_test_create(NULL, NULL, 0);
			r = fd < 0 ? fd : 0;
			CHILD_CHECK(write(res[1], &r, sizeof(r)) == sizeof(r));
			/* Hold it until every one has tried. */
			CHILD_CHECK(read(self->h.release[0], &c, 1) == 0);
			_exit(0);
		}
		self->h.pids[self->h.n++] = pids[i];
	}
	close(gate[0]);
	close(res[1]);
	close(gate[1]);
	for (i = 0; i < RACERS; i++) {
		ASSERT_EQ(sizeof(r), read(res[0], &r, sizeof(r)));
		if (r == 0) {
			made++;
		} else {
			EXPECT_EQ(-ENOSPC, r);
		}
	}
	close(res[0]);
	EXPECT_EQ(LIMIT, made);
	ASSERT_EQ(0, release(&self->h));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 0));
}

/*
 * The user passes its mailboxes to another process and closes its own
 * descriptors: they still exist, so they still count.
 */
TEST_F(limits, passed_fds_still_count)
{
	int sv[2], fds[4], got[4], n, i;
	pid_t pid;
	char c;

	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 3));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	fflush(stderr);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		become(USER, USER_GROUP);
		for (i = 0; i < 3; i++) {
			fds[i] = kmbox_test_create(NULL, NULL, 0);
			CHILD_CHECK(fds[i] >= 0);
		}
		CHILD_CHECK(kmbox_test_send_fds(sv[1], fds, 3, "f", 1) == 0);
		for (i = 0; i < 3; i++)
			close(fds[i]);
		/* Wait until the parent has them, then try again. */
		CHILD_CHECK(read(sv[1], &c, 1) == 1);
		CHILD_CHECK(kmbox_test_create(NULL, NULL, 0) == -ENOSPC);
		CHILD_CHECK(write(sv[1], "n", 1) == 1);
		/* The parent closes them: room again. */
		CHILD_CHECK(read(sv[1], &c, 1) == 1);
		fds[0] = kmbox_test_create(NULL, NULL, 0);
		CHILD_CHECK(fds[0] >= 0);
		_exit(0);
	}
	close(sv[1]);
	n = kmbox_test_recv_fds(sv[0], got, ARRAY_SIZE(got), &c, 1);
	ASSERT_EQ(3, n);
	ASSERT_EQ(1, write(sv[0], "g", 1));
	ASSERT_EQ(1, read(sv[0], &c, 1));
	for (i = 0; i < n; i++)
		close(got[i]);
	ASSERT_EQ(1, write(sv[0], "g", 1));
	EXPECT_EQ(0, kmbox_test_reap(pid));
	close(sv[0]);
}

TEST_F(limits, bytes_enomem)
{
	int err;

	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 100000 + 3 * OV));
	ASSERT_EQ(2, hold(&self->h, USER, USER_GROUP, 3, 40000, &err));
	EXPECT_EQ(-ENOMEM, err);
	/* Up to the limit exactly. */
	EXPECT_EQ(-ENOMEM, try_create_as(USER, USER_GROUP, 20001));
	ASSERT_EQ(1, hold(&self->h, USER, USER_GROUP, 2, 20000, &err));
	EXPECT_EQ(-ENOMEM, err);
	EXPECT_EQ(-ENOMEM, try_create_as(USER, USER_GROUP, 1));
	/* Another user is not concerned. */
	EXPECT_EQ(0, try_create_as(USER2, USER2_GROUP, 40000));
	ASSERT_EQ(0, release(&self->h));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 100000));
}

/* The default capacity is charged in full too (128 slots of 8192). */
TEST_F(limits, bytes_default_capacity)
{
	long long msgs = kmbox_test_param_read("default_max_msgs");
	long long def = kmbox_test_charge(msgs, msgs *
			kmbox_test_param_read("default_msg_size"), 0);

	ASSERT_GT(def, 0);
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", def - 1));
	EXPECT_EQ(-ENOMEM, try_create_as(USER, USER_GROUP, 0));
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", def));
	EXPECT_EQ(0, try_create_as(USER, USER_GROUP, 0));
}

static int set_max_bytes(int fd, __u64 bytes)
{
	struct kmbox_attr a = { .max_bytes = bytes };

	return kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a);
}

static __u64 max_bytes_of(int fd)
{
	struct kmbox_attr a = { 0 };

	kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a);
	return a.max_bytes;
}

static void set_attr_charge(void *arg)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 1000,
				.max_bytes = 40000 };
	int fd, fd2;

	fd = kmbox_test_create(NULL, &a, 0);
	CHILD_CHECK(fd >= 0);
	/* Growing is charged: up to the limit, not beyond. */
	CHILD_CHECK(set_max_bytes(fd, 100000 + OV) == 0);
	CHILD_CHECK(set_max_bytes(fd, 100000 + OV + 1) == -ENOMEM);
	CHILD_CHECK(max_bytes_of(fd) == 100000 + OV);
	CHILD_CHECK(create_bytes(1000) == -ENOMEM);
	/* Shrinking gives it back. */
	CHILD_CHECK(set_max_bytes(fd, 40000) == 0);
	fd2 = create_bytes(60000);
	CHILD_CHECK(fd2 >= 0);
	CHILD_CHECK(set_max_bytes(fd, 40001) == -ENOMEM);
	CHILD_CHECK(max_bytes_of(fd) == 40000);
	close(fd2);
	CHILD_CHECK(set_max_bytes(fd, 100000 + OV) == 0);
	close(fd);
}

TEST_F(limits, set_attr_grow_enomem)
{
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 100000 + 2 * OV));
	EXPECT_EQ(0, run_as(USER, USER_GROUP, set_attr_charge, NULL));
}

/*
 * CAP_SYS_RESOURCE lifts the limits: root in a child, first without it
 * in its effective set, then with it.
 */
static void root_limits(void *arg)
{
	__u64 eff = 0, perm = 0;
	int fds[4], i;

	CHILD_CHECK(kmbox_test_caps_get(&eff, &perm) == 0);
	CHILD_CHECK(kmbox_test_caps_set(eff & ~(1ull << CAP_SYS_RESOURCE),
					perm) == 0);
	for (i = 0; i < 2; i++) {
		fds[i] = kmbox_test_create(NULL, NULL, 0);
		CHILD_CHECK(fds[i] >= 0);
	}
	CHILD_CHECK(kmbox_test_create(NULL, NULL, 0) == -ENOSPC);

	CHILD_CHECK(kmbox_test_caps_set(eff, perm) == 0);
	for (i = 2; i < 4; i++) {
		fds[i] = kmbox_test_create(NULL, NULL, 0);
		CHILD_CHECK(fds[i] >= 0);
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	CHILD_CHECK(kmbox_test_param_write("bytes_per_user", 1000) == 0);
	CHILD_CHECK(kmbox_test_caps_set(eff & ~(1ull << CAP_SYS_RESOURCE),
					perm) == 0);
	CHILD_CHECK(create_bytes(1001) == -ENOMEM);
	CHILD_CHECK(kmbox_test_caps_set(eff, perm) == 0);
	fds[0] = create_bytes(1001);
	CHILD_CHECK(fds[0] >= 0);
	close(fds[0]);
}

TEST_F(limits, cap_sys_resource_bypasses)
{
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", 2));
	EXPECT_EQ(0, run_as(0, 0, root_limits, NULL));
}

/* --- Charges at the extremes ------------------------------------------ */

/* The largest bytes_max, bytes_per_user and region_size_max: 1 EiB. */
#define BYTES_LIMIT	(1ull << 60)
#define MIB		(1ull << 20)

/* Module parameter @name as an unsigned 64-bit number (0 if unreadable). */
static __u64 param_read_u64(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), KMBOX_PARAM_DIR "%s", name);
	if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 0);
}

/* CREATE an anonymous mailbox of @max_msgs slots of 1 byte, @max_bytes. */
static int create_huge(__u64 max_msgs, __u64 max_bytes)
{
	struct kmbox_attr a = { .max_msgs = max_msgs, .max_msg_size = 1,
				.max_bytes = max_bytes };

	return kmbox_test_create(NULL, &a, KMBOX_CLOEXEC);
}

static __u64 charge_of(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return 0;
	return st.charge;
}

/*
 * As the user, with bytes_per_user at 4 MiB and bytes_max as high as
 * the module takes: a mailbox of max_bytes bytes_max is refused, after a
 * small one as before it, and the charges stay right: three of 1 MiB
 * fit beside the small one, a fourth does not.
 */
static void huge_after_small(void *arg)
{
	__u64 bytes_max = *(__u64 *)arg;
	int small, fds[4], i;

	CHILD_CHECK(kmbox_test_create(NULL, &(struct kmbox_attr){
		.max_msgs = 1024, .max_msg_size = 65536, .max_bytes = 8 * MIB },
		KMBOX_CLOEXEC) == -ENOMEM);
	small = kmbox_test_create(NULL, &(struct kmbox_attr){
		.max_msgs = 1, .max_msg_size = 16 }, KMBOX_CLOEXEC);
	CHILD_CHECK(small >= 0);
	CHILD_CHECK(create_huge(1, bytes_max) == -ENOMEM);
	CHILD_CHECK(create_huge(65536, bytes_max) == -ENOMEM);
	for (i = 0; i < 3; i++) {
		fds[i] = create_bytes(MIB);
		CHILD_CHECK(fds[i] >= 0);
	}
	CHILD_CHECK(create_bytes(MIB) == -ENOMEM);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(small);
}

/*
 * The review's case: with bytes_max at 2^64 - 1 a mailbox's charge
 * saturated at U64_MAX, and the user's total wrapped past
 * bytes_per_user.  That bytes_max is refused now; at the largest that
 * is taken, the charge is refused as it should be.
 */
TEST_F(limits, huge_charge_refused)
{
	__u64 bytes_max;

	EXPECT_EQ(-EINVAL, kmbox_test_param_write_str("bytes_max",
						      "18446744073709551615"));
	if (param_read_u64("bytes_max") != ~0ull)
		ASSERT_EQ(0, kmbox_test_param_write("bytes_max", BYTES_LIMIT));
	bytes_max = param_read_u64("bytes_max");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 4 * MIB));
	EXPECT_EQ(0, run_as(USER, USER_GROUP, huge_after_small, &bytes_max));
}

/*
 * CAP_SYS_RESOURCE lifts the limits, not the width of the counters:
 * fifteen mailboxes of max_bytes 1 EiB fit in a user's 64-bit total, a
 * sixteenth does not (ENOMEM), nor does SET_ATTR growing one to that
 * size; shrinking one gives its charge back, exactly.  The charge of
 * the largest mailbox there can be is the sum of its parts.
 */
static void privileged_extremes(void *arg)
{
	const __u64 huge = kmbox_test_charge(1, BYTES_LIMIT, 0);
	struct kmbox_attr a = { 0 };
	int fds[15], fd, i;
	__u64 eff, perm;

	fd = create_huge(4294967295u, BYTES_LIMIT);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(charge_of(fd) ==
		    kmbox_test_charge(4294967295u, BYTES_LIMIT, 0));
	close(fd);

	for (i = 0; i < 15; i++) {
		fds[i] = create_huge(1, BYTES_LIMIT);
		CHILD_CHECK(fds[i] >= 0);
		CHILD_CHECK(charge_of(fds[i]) == huge);
	}
	CHILD_CHECK(create_huge(1, BYTES_LIMIT) == -ENOMEM);
	fd = create_bytes(MIB);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(set_max_bytes(fd, BYTES_LIMIT) == -ENOMEM);
	CHILD_CHECK(max_bytes_of(fd) == MIB);
	CHILD_CHECK(charge_of(fd) == kmbox_test_charge(1, MIB, 0));
	/* Shrinking one makes room for the other to grow. */
	CHILD_CHECK(set_max_bytes(fds[0], MIB) == 0);
	CHILD_CHECK(charge_of(fds[0]) == kmbox_test_charge(1, MIB, 0));
	CHILD_CHECK(set_max_bytes(fd, BYTES_LIMIT) == 0);
	CHILD_CHECK(charge_of(fd) == huge);
	CHILD_CHECK(set_max_bytes(fds[0], BYTES_LIMIT) == -ENOMEM);

	/* Without the capability, the total is far past bytes_per_user. */
	CHILD_CHECK(kmbox_test_caps_get(&eff, &perm) == 0);
	CHILD_CHECK(kmbox_test_caps_set(eff & ~(1ull << CAP_SYS_RESOURCE),
					perm) == 0);
	CHILD_CHECK(create_bytes(1) == -ENOMEM);
	CHILD_CHECK(kmbox_test_ioctl(fds[1], KMBOX_IOC_GET_ATTR, &a) == 0);
	CHILD_CHECK(set_max_bytes(fds[1], a.max_bytes - 1) == 0);
	CHILD_CHECK(kmbox_test_caps_set(eff, perm) == 0);

	close(fd);
	for (i = 0; i < 15; i++)
		close(fds[i]);
	/* All given back: room for fifteen again. */
	for (i = 0; i < 15; i++) {
		fds[i] = create_huge(1, BYTES_LIMIT);
		CHILD_CHECK(fds[i] >= 0);
	}
	for (i = 0; i < 15; i++)
		close(fds[i]);
}

TEST_F(limits, privileged_totals_cannot_wrap)
{
	ASSERT_EQ(0, kmbox_test_param_write("bytes_max", BYTES_LIMIT));
	ASSERT_EQ(0, kmbox_test_param_write("max_msgs_max", 4294967295ll));
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", 4 * MIB));
	EXPECT_EQ(0, run_as(0, 0, privileged_extremes, NULL));
}

TEST_HARNESS_MAIN
