// SPDX-License-Identifier: GPL-2.0
/*
 * Making and finding mailboxes: KMBOX_IOC_CREATE, KMBOX_IOC_OPEN and
 * KMBOX_IOC_UNLINK.  Anonymous and named mailboxes, the role of a
 * descriptor and its access mode, close-on-exec and non-blocking flags,
 * exclusive creation, the rules for names, the lifetime of a name and
 * running out of file descriptors.
 */
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

static int accmode(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : (fl & O_ACCMODE);
}

/* Queue one byte without waiting; 0 or -errno. */
static int put(int fd, char c)
{
	int ret = kmbox_test_send(fd, &c, 1, 0, KMBOX_DONTWAIT);

	return ret == 1 ? 0 : (ret < 0 ? ret : -EIO);
}

/* Take one one-byte message without waiting; the byte or -errno. */
static int get(int fd)
{
	unsigned char c;
	int ret = kmbox_test_recv(fd, &c, 1, KMBOX_DONTWAIT, NULL);

	return ret == 1 ? c : (ret < 0 ? ret : -EIO);
}

FIXTURE(mbox) {
	char name[64];
	pid_t child;
};

FIXTURE_SETUP(mbox)
{
	kmbox_test_name(self->name, sizeof(self->name), "create");
	self->child = 0;
}

FIXTURE_TEARDOWN(mbox)
{
	kmbox_test_kill(&self->child);
}

TEST_F(mbox, anonymous)
{
	struct kmbox_stat st;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.state & KMBOX_STATE_NAMED);
	EXPECT_EQ(0, st.name[0]);
	ASSERT_EQ(0, put(fd, 'a'));
	ASSERT_EQ('a', get(fd));
	close(fd);
}

TEST_F(mbox, named)
{
	struct kmbox_stat st;
	int fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED, st.state);
	EXPECT_STREQ(self->name, st.name);
	close(fd);
}

/* Two anonymous mailboxes are two mailboxes. */
TEST_F(mbox, anonymous_are_distinct)
{
	int a = kmbox_test_create(NULL, NULL, 0);
	int b = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_NE(kmbox_test_id(a), kmbox_test_id(b));
	ASSERT_EQ(0, put(a, 'a'));
	EXPECT_EQ(-EAGAIN, get(b));
	close(a);
	close(b);
}

/* The access mode of a descriptor with each set of role flags. */
static const struct {
	__u32 flags;
	int mode;
} roles[] = {
	{ KMBOX_SEND, O_WRONLY },
	{ KMBOX_RECV, O_RDONLY },
	{ KMBOX_SEND | KMBOX_RECV, O_RDWR },
	{ 0, O_RDWR },
};

TEST_F(mbox, role_access_mode_create)
{
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(roles); i++) {
		fd = kmbox_test_create(NULL, NULL, roles[i].flags);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(roles[i].mode, accmode(fd)) {
			TH_LOG("anonymous, flags %#x", roles[i].flags);
		}
		close(fd);

		fd = kmbox_test_create(self->name, NULL,
				       roles[i].flags | KMBOX_EXCL);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(roles[i].mode, accmode(fd)) {
			TH_LOG("named, flags %#x", roles[i].flags);
		}
		close(fd);
	}
}

TEST_F(mbox, role_access_mode_open)
{
	unsigned int i;
	int fd, mb;

	mb = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(mb, 0);
	for (i = 0; i < ARRAY_SIZE(roles); i++) {
		fd = kmbox_test_open(self->name, roles[i].flags);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(roles[i].mode, accmode(fd)) {
			TH_LOG("flags %#x", roles[i].flags);
		}
		EXPECT_EQ(kmbox_test_id(mb), kmbox_test_id(fd));
		close(fd);
	}
	close(mb);
}

/* The role limits what the descriptor can do: EBADF as for a pipe end. */
TEST_F(mbox, role_enforced)
{
	int mb = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	int s = kmbox_test_open(self->name, KMBOX_SEND);
	int r = kmbox_test_open(self->name, KMBOX_RECV);

	ASSERT_GE(mb, 0);
	ASSERT_GE(s, 0);
	ASSERT_GE(r, 0);
	ASSERT_EQ(0, put(s, 's'));
	EXPECT_EQ(-EBADF, get(s));
	EXPECT_EQ(-EBADF, put(r, 'r'));
	EXPECT_EQ('s', get(r));
	close(s);
	close(r);
	close(mb);
}

TEST_F(mbox, cloexec)
{
	int fd = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	int mb;

	ASSERT_GE(fd, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	mb = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(mb, 0);
	fd = kmbox_test_open(self->name, KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = kmbox_test_open(self->name, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(mb);
}

TEST_F(mbox, nonblock)
{
	int fd = kmbox_test_create(NULL, NULL, KMBOX_NONBLOCK);
	int mb, fl;
	char c;

	ASSERT_GE(fd, 0);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* It takes effect: an empty mailbox gives EAGAIN, not a sleep. */
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(fd, &c, 1, 0, NULL));
	close(fd);

	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* F_SETFL may change it later. */
	fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(fd, &c, 1, 0, NULL));
	close(fd);

	mb = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(mb, 0);
	fd = kmbox_test_open(self->name, KMBOX_NONBLOCK | KMBOX_RECV);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(O_RDONLY, accmode(fd));
	close(fd);
	fd = kmbox_test_open(self->name, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	close(mb);
}

/*
 * A process that did not inherit the mailbox finds it by name: the child
 * is forked before the mailbox exists.
 */
TEST_F(mbox, open_from_other_process)
{
	int go[2], back[2], fd;
	__u64 id, child_id;
	char c;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(back));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		close(go[1]);
		close(back[0]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		fd = kmbox_test_open(self->name, 0);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(get(fd) == 'p');
		CHILD_CHECK(put(fd, 'c') == 0);
		id = kmbox_test_id(fd);
		CHILD_CHECK(write(back[1], &id, sizeof(id)) == sizeof(id));
		close(fd);
		_exit(0);
	}
	close(go[0]);
	close(back[1]);

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, put(fd, 'p'));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(sizeof(child_id), read(back[0], &child_id, sizeof(child_id)));
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	EXPECT_EQ(kmbox_test_id(fd), child_id);
	EXPECT_EQ('c', get(fd));
	close(fd);
	close(go[1]);
	close(back[0]);
}

TEST_F(mbox, excl_eexist)
{
	struct kmbox_attr attr = { .max_msgs = 3 };
	struct kmbox_attr got;
	int fd = kmbox_test_create(self->name, &attr, KMBOX_EXCL);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EEXIST, kmbox_test_create(self->name, NULL, KMBOX_EXCL));
	EXPECT_EQ(-EEXIST, kmbox_test_create(self->name, NULL,
					     KMBOX_EXCL | KMBOX_SEND));
	/* The mailbox that was there is untouched. */
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &got));
	EXPECT_EQ(3, got.max_msgs);
	close(fd);
}

/* Without KMBOX_EXCL an existing name is opened: the same mailbox. */
TEST_F(mbox, create_opens_existing)
{
	struct kmbox_attr first = { .max_msgs = 3, .max_msg_size = 100,
				    .mode = 0640 };
	struct kmbox_attr second = { .max_msgs = 9, .max_msg_size = 50,
				     .mode = 0666 };
	struct kmbox_attr got;
	struct kmbox_stat st;
	int a, b;

	a = kmbox_test_create(self->name, &first, 0);
	ASSERT_GE(a, 0);
	b = kmbox_test_create(self->name, &second, 0);
	ASSERT_GE(b, 0);
	EXPECT_NE(a, b);
	EXPECT_EQ(kmbox_test_id(a), kmbox_test_id(b));

	ASSERT_EQ(0, put(b, 'x'));
	EXPECT_EQ('x', get(a));
	ASSERT_EQ(0, put(a, 'y'));
	EXPECT_EQ('y', get(b));

	/* The attributes of the first creation stay. */
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, kmbox_test_ioctl(b, KMBOX_IOC_GET_ATTR, &got));
	EXPECT_EQ(3, got.max_msgs);
	EXPECT_EQ(100, got.max_msg_size);
	EXPECT_EQ(300, got.max_bytes);
	EXPECT_EQ(0640, got.mode);
	ASSERT_EQ(0, kmbox_test_stat(b, &st));
	EXPECT_EQ(0640, st.mode);
	close(a);
	close(b);
}

/* The role of the second descriptor is the one asked for. */
TEST_F(mbox, create_opens_existing_role)
{
	int a = kmbox_test_create(self->name, NULL, 0);
	int b = kmbox_test_create(self->name, NULL, KMBOX_RECV);
	int c = kmbox_test_create(self->name, NULL, KMBOX_SEND);

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_GE(c, 0);
	EXPECT_EQ(O_RDWR, accmode(a));
	EXPECT_EQ(O_RDONLY, accmode(b));
	EXPECT_EQ(O_WRONLY, accmode(c));
	ASSERT_EQ(0, put(c, 'z'));
	EXPECT_EQ('z', get(b));
	close(a);
	close(b);
	close(c);
}

/* Opening an existing name by CREATE still needs valid attributes. */
TEST_F(mbox, create_existing_invalid_attr)
{
	struct kmbox_attr bad = { .mode = 01000 };
	int a = kmbox_test_create(self->name, NULL, 0);

	ASSERT_GE(a, 0);
	EXPECT_EQ(-EINVAL, kmbox_test_create(self->name, &bad, 0));
	bad.mode = 0;
	bad.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, kmbox_test_create(self->name, &bad, 0));
	close(a);
}

TEST_F(mbox, open_missing_enoent)
{
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_SEND));
	EXPECT_EQ(-ENOENT, kmbox_test_unlink(self->name));
}

TEST_F(mbox, unlink)
{
	struct kmbox_stat st;
	__u64 old_id;
	int fd, fd2, other;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	other = kmbox_test_open(self->name, KMBOX_SEND);
	ASSERT_GE(other, 0);
	old_id = kmbox_test_id(fd);

	ASSERT_EQ(0, kmbox_test_unlink(self->name));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_unlink(self->name));

	/* The descriptors that exist go on working. */
	ASSERT_EQ(0, put(other, 'o'));
	ASSERT_EQ(0, put(fd, 'f'));
	EXPECT_EQ('o', get(fd));
	EXPECT_EQ('f', get(fd));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED | KMBOX_STATE_UNLINKED, st.state);

	/* The name is free for a new, different mailbox. */
	fd2 = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd2, &st));
	EXPECT_NE(old_id, st.id);
	EXPECT_EQ(KMBOX_STATE_NAMED, st.state);
	ASSERT_EQ(0, put(fd2, 'n'));
	EXPECT_EQ(-EAGAIN, get(fd));
	ASSERT_EQ(0, put(other, 'O'));
	EXPECT_EQ('n', get(fd2));
	EXPECT_EQ(-EAGAIN, get(fd2));
	EXPECT_EQ('O', get(fd));

	/* Opening the name finds the new one, also once the old is gone. */
	close(other);
	other = kmbox_test_open(self->name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(kmbox_test_id(fd2), kmbox_test_id(other));
	close(other);
	close(fd);
	other = kmbox_test_open(self->name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(kmbox_test_id(fd2), kmbox_test_id(other));
	close(other);
	close(fd2);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

#define RACERS 8

/*
 * @RACERS children wait at a gate, then all CREATE the same name with
 * @flags; each reports the mailbox id it got (0 if it failed) and the
 * error, and holds its descriptor until @hold is closed.
 */
static int race_create(const char *name, __u32 flags, pid_t *pids,
		       __u64 *ids, int *errs)
{
	int gate[2], hold[2], res[2], i, fd;
	__u64 report[2];
	char c;

	if (pipe(gate) || pipe(hold) || pipe(res))
		return -1;
	for (i = 0; i < RACERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -1;
		if (pids[i] == 0) {
			close(gate[1]);
			close(hold[1]);
			close(res[0]);
			CHILD_CHECK(read(gate[0], &c, 1) == 0);
			fd = kmbox_test_create(name, NULL, flags);
			report[0] = fd >= 0 ? kmbox_test_id(fd) : 0;
			report[1] = fd >= 0 ? 0 : -fd;
			CHILD_CHECK(write(res[1], report, sizeof(report)) ==
				    sizeof(report));
			CHILD_CHECK(read(hold[0], &c, 1) == 0);
			_exit(0);
		}
	}
	close(gate[0]);
	close(hold[0]);
	close(res[1]);
	/* Open the gate: all of them go at once. */
	close(gate[1]);
	for (i = 0; i < RACERS; i++) {
		if (read(res[0], report, sizeof(report)) != sizeof(report))
			break;
		ids[i] = report[0];
		errs[i] = -(int)report[1];
	}
	close(res[0]);
	close(hold[1]);
	return i == RACERS ? 0 : -1;
}

static int reap_all(pid_t *pids)
{
	int i, ret = 0;

	for (i = 0; i < RACERS; i++)
		if (kmbox_test_reap(pids[i]) != 0)
			ret = -1;
	return ret;
}

/* Racing exclusive creations of one name: exactly one wins. */
TEST_F(mbox, racing_excl_create_one_winner)
{
	int errs[RACERS], i, won = 0;
	pid_t pids[RACERS];
	__u64 ids[RACERS];

	ASSERT_EQ(0, race_create(self->name, KMBOX_EXCL, pids, ids, errs));
	for (i = 0; i < RACERS; i++) {
		if (ids[i]) {
			won++;
		} else {
			EXPECT_EQ(-EEXIST, errs[i]);
		}
	}
	EXPECT_EQ(1, won);
	EXPECT_EQ(0, reap_all(pids));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* Racing plain creations of one name: all get the same mailbox. */
TEST_F(mbox, racing_create_same_mailbox)
{
	int errs[RACERS], i;
	pid_t pids[RACERS];
	__u64 ids[RACERS];

	ASSERT_EQ(0, race_create(self->name, 0, pids, ids, errs));
	for (i = 0; i < RACERS; i++) {
		EXPECT_EQ(0, errs[i]);
		EXPECT_EQ(ids[0], ids[i]);
	}
	EXPECT_EQ(0, reap_all(pids));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* A name is not a way to keep a mailbox: it goes with the last fd. */
TEST_F(mbox, name_vanishes_with_last_fd)
{
	int fd, dup_fd, other;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, put(fd, 'q'));
	dup_fd = dup(fd);
	ASSERT_GE(dup_fd, 0);
	close(fd);

	/* A dup keeps it, and its messages. */
	other = kmbox_test_open(self->name, 0);
	ASSERT_GE(other, 0);
	close(dup_fd);
	EXPECT_EQ('q', get(other));
	ASSERT_EQ(0, put(other, 'r'));
	close(other);

	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_unlink(self->name));
	/* A new mailbox of that name starts empty. */
	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EAGAIN, get(fd));
	close(fd);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* CREATE (with and without EXCL), OPEN and UNLINK of @name fail so. */
static void name_ops_expect(struct __test_metadata *_metadata,
			    const char *name, int create_err, int open_err,
			    int unlink_err)
{
	EXPECT_EQ(create_err, kmbox_test_create(name, NULL, KMBOX_EXCL));
	EXPECT_EQ(create_err, kmbox_test_create(name, NULL, 0));
	EXPECT_EQ(open_err, kmbox_test_open(name, 0));
	EXPECT_EQ(unlink_err, kmbox_test_unlink(name));
}

TEST_F(mbox, name_empty_einval)
{
	name_ops_expect(_metadata, "", -EINVAL, -EINVAL, -EINVAL);
}

TEST_F(mbox, name_max_length_ok)
{
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox_stat st;
	int fd, other;

	memset(name, 'm', KMBOX_NAME_MAX);
	snprintf(name, 16, "%d-", (int)getpid());
	name[strlen(name)] = 'm';
	name[KMBOX_NAME_MAX] = 0;
	ASSERT_EQ(255, strlen(name));

	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, memcmp(name, st.name, sizeof(st.name)));
	other = kmbox_test_open(name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(kmbox_test_id(fd), kmbox_test_id(other));
	close(other);
	EXPECT_EQ(0, kmbox_test_unlink(name));
	EXPECT_EQ(-ENOENT, kmbox_test_open(name, 0));
	close(fd);
}

TEST_F(mbox, name_too_long)
{
	char name[KMBOX_NAME_MAX + 2];
	char longer[4096];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	ASSERT_EQ(256, strlen(name));
	name_ops_expect(_metadata, name, -ENAMETOOLONG, -ENAMETOOLONG,
			-ENAMETOOLONG);

	memset(longer, 'n', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	name_ops_expect(_metadata, longer, -ENAMETOOLONG, -ENAMETOOLONG,
			-ENAMETOOLONG);

	/* The first 255 bytes of it name nothing either. */
	name[KMBOX_NAME_MAX] = 0;
	EXPECT_EQ(-ENOENT, kmbox_test_open(name, 0));
}

/* Any byte but NUL: slashes, control bytes, bytes above 0x7f. */
TEST_F(mbox, name_any_byte)
{
	char name[96];
	char upper[96];
	int fd, other;
	size_t i;

	snprintf(name, sizeof(name), "%s/../ \t\n\x01\x7f\xff", self->name);
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	other = kmbox_test_open(name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(kmbox_test_id(fd), kmbox_test_id(other));
	close(other);

	/* Names are compared as bytes: no case folding, no path rules. */
	strcpy(upper, name);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] -= 'a' - 'A';
	EXPECT_EQ(-ENOENT, kmbox_test_open(upper, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, kmbox_test_unlink(name));
	close(fd);
}

TEST_F(mbox, name_null_efault)
{
	EXPECT_EQ(-EFAULT, kmbox_test_open(NULL, 0));
	EXPECT_EQ(-EFAULT, kmbox_test_unlink(NULL));
}

TEST_F(mbox, name_unmapped_efault)
{
	const char *p = kmbox_test_unmapped();

	ASSERT_TRUE(p != NULL);
	name_ops_expect(_metadata, p, -EFAULT, -EFAULT, -EFAULT);
	p = kmbox_test_kernel_ptr();
	name_ops_expect(_metadata, p, -EFAULT, -EFAULT, -EFAULT);
}

/* A name that runs into a PROT_NONE page before its NUL. */
TEST_F(mbox, name_guard_page_efault)
{
	char *p = kmbox_test_guarded(16);

	ASSERT_TRUE(p != NULL);
	memset(p, 'g', 16);
	name_ops_expect(_metadata, p, -EFAULT, -EFAULT, -EFAULT);
}

/* A name whose NUL is the last byte before a PROT_NONE page is fine. */
TEST_F(mbox, name_ends_at_guard_page)
{
	size_t len = strlen(self->name) + 1;
	char *p = kmbox_test_guarded(len);
	int fd, other;

	ASSERT_TRUE(p != NULL);
	memcpy(p, self->name, len);
	fd = kmbox_test_create(p, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	other = kmbox_test_open(p, 0);
	ASSERT_GE(other, 0);
	close(other);
	EXPECT_EQ(0, kmbox_test_unlink(p));
	close(fd);
}

/*
 * RLIMIT_NOFILE exhausted: CREATE and OPEN fail with EMFILE and leave
 * nothing behind: no name, no extra role count, room for a new mailbox
 * once a descriptor is closed.
 */
TEST_F(mbox, emfile)
{
	struct kmbox_create c = { 0 };
	struct kmbox_open o = { 0 };
	struct rlimit old, rl;
	struct kmbox_stat st;
	char name2[64];
	int fds[64], n = 0, dev, named, ret, i;

	kmbox_test_name(name2, sizeof(name2), "create-emfile");
	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0);
	named = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(named, 0);

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = (dev > named ? dev : named) + 8;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));

	do {
		ret = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
		if (ret >= 0)
			fds[n++] = ret;
	} while (ret >= 0 && n < (int)ARRAY_SIZE(fds));
	EXPECT_EQ(-EMFILE, ret);
	EXPECT_GE(n, 1);

	/* OPEN of an existing name, CREATE of a new one. */
	o.name = (__u64)(unsigned long)self->name;
	EXPECT_EQ(-EMFILE, kmbox_test_ioctl(dev, KMBOX_IOC_OPEN, &o));
	c.name = (__u64)(unsigned long)name2;
	c.flags = KMBOX_EXCL;
	EXPECT_EQ(-EMFILE, kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c));
	c.flags = 0;
	EXPECT_EQ(-EMFILE, kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c));

	/* The failed OPEN left no descriptor counted. */
	ASSERT_EQ(0, kmbox_test_stat(named, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);

	ASSERT_GE(n, 1);
	close(fds[--n]);
	/* The failed CREATE left no name behind. */
	o.name = c.name;
	EXPECT_EQ(-ENOENT, kmbox_test_ioctl(dev, KMBOX_IOC_OPEN, &o));
	c.flags = KMBOX_EXCL;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
	EXPECT_GE(ret, 0);
	if (ret >= 0)
		close(ret);
	c.name = 0;
	c.flags = 0;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
	EXPECT_GE(ret, 0);
	if (ret >= 0)
		close(ret);

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(named);
	close(dev);

	/* Everything works again, and the names are gone with their fds. */
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(-ENOENT, kmbox_test_open(name2, 0));
	ret = kmbox_test_create(NULL, NULL, 0);
	EXPECT_GE(ret, 0);
	close(ret);
}

TEST_HARNESS_MAIN
