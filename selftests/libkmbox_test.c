// SPDX-License-Identifier: GPL-2.0
/*
 * libkmbox: one test per library function, each through its success path
 * and its failures.  Every failure must come back as the return value,
 * -errno, never as -1 with errno set: errno is poisoned before each call
 * that is expected to fail (LIBERR), so only the return value can pass
 * the check.
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox.h"
#include "kmbox_test.h"

/* A call expected to fail: errno is poisoned so it cannot be the report. */
#define LIBERR(call)	(errno = EDOM, (call))

/* A descriptor that certainly is not open. */
#define BAD_FD		1000000

/* An ordinary open file that is not a mailbox. */
#define NOT_A_MAILBOX	"/dev/null"

/* Run @fn(@arg) in a child; its exit status, or -1 if it did not exit. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Each test gets a mailbox name no other test or process uses. */
FIXTURE(lib) {
	char name[64];
};

FIXTURE_SETUP(lib)
{
	kmbox_test_name(self->name, sizeof(self->name), "libkmbox");
}

FIXTURE_TEARDOWN(lib)
{
}

TEST_F(lib, version)
{
	ASSERT_EQ(KMBOX_ABI_VERSION, kmbox_version());
}

/* The module's feature bits, as the raw ioctl reports them. */
TEST_F(lib, features)
{
	struct kmbox_version ver = { 0 };
	__u64 features = 0;

	ASSERT_EQ(0, kmbox_test_dev_ioctl(KMBOX_IOC_VERSION, &ver));
	errno = EDOM;
	ASSERT_EQ(0, kmbox_features(&features));
	EXPECT_EQ(ver.features, features);
	EXPECT_NE(0, features & KMBOX_FEATURE_MAILBOX);
}

/*
 * kmbox_features() and kmbox_version() both fail with @err, and the
 * caller's variable stays untouched: 0, or which check failed.
 */
static int both_fail(int err)
{
	__u64 features = 42;

	if (LIBERR(kmbox_features(&features)) != err)
		return 1;
	if (LIBERR(kmbox_version()) != err)
		return 2;
	return features == 42 ? 0 : 3;
}

/* An empty /dev of this process's own (a mount namespace): 0 or -1. */
static int private_dev(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, NULL))
		return -1;
	return 0;
}

/* No kmbox node: -ENOENT. */
static int features_without_device(void *arg)
{
	(void)arg;
	if (private_dev())
		return 100;
	return both_fail(-ENOENT);
}

TEST_F(lib, features_enoent)
{
	ASSERT_EQ(0, in_child(features_without_device, NULL));
}

/*
 * A kmbox node of mode 0600 owned by root, in a /dev of a mount
 * namespace, opened by nobody: -EACCES.
 */
static int features_without_permission(void *arg)
{
	unsigned int major, minor;
	FILE *f;

	(void)arg;
	f = fopen("/sys/class/misc/kmbox/dev", "re");
	if (!f || fscanf(f, "%u:%u", &major, &minor) != 2)
		return 100;
	fclose(f);
	if (private_dev() ||
	    mknod(KMBOX_DEVICE_PATH, S_IFCHR | 0600, makedev(major, minor)) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 101;
	return both_fail(-EACCES);
}

TEST_F(lib, features_eacces)
{
	ASSERT_EQ(0, in_child(features_without_permission, NULL));
}

/* The header's release macros, and the comparison a program makes. */
TEST_F(lib, version_macros)
{
	EXPECT_EQ(1, KMBOX_VERSION_MAJOR);
	EXPECT_LE(2, KMBOX_VERSION_MINOR);
	EXPECT_TRUE(KMBOX_VERSION_ATLEAST(1, 0));
	EXPECT_TRUE(KMBOX_VERSION_ATLEAST(1, 2));
	EXPECT_TRUE(KMBOX_VERSION_ATLEAST(KMBOX_VERSION_MAJOR,
					  KMBOX_VERSION_MINOR));
	EXPECT_FALSE(KMBOX_VERSION_ATLEAST(KMBOX_VERSION_MAJOR,
					   KMBOX_VERSION_MINOR + 1));
	EXPECT_FALSE(KMBOX_VERSION_ATLEAST(KMBOX_VERSION_MAJOR + 1, 0));
	EXPECT_TRUE(KMBOX_VERSION_ATLEAST(0, 99));
}

TEST_F(lib, create)
{
	struct kmbox_attr attr = { .max_msgs = 4, .max_msg_size = 16 };
	const char *name = self->name;
	char longname[KMBOX_NAME_MAX + 2];
	struct kmbox_stat st1, st2;
	int fd, fd2, anon;

	fd = kmbox_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, kmbox_stat(fd, &st1));
	ASSERT_EQ(4, st1.max_msgs);
	ASSERT_EQ(16, st1.max_msg_size);
	ASSERT_EQ(64, st1.max_bytes);
	ASSERT_STREQ(name, st1.name);

	/* The name is taken: EEXIST with KMBOX_EXCL, the same mailbox without. */
	ASSERT_EQ(-EEXIST, LIBERR(kmbox_create(name, NULL, KMBOX_EXCL)));
	fd2 = kmbox_create(name, NULL, KMBOX_SEND | KMBOX_NONBLOCK);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(O_WRONLY, fcntl(fd2, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(O_NONBLOCK, fcntl(fd2, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, kmbox_stat(fd2, &st2));
	ASSERT_EQ(st1.id, st2.id);
	ASSERT_EQ(4, st2.max_msgs);	/* the existing attributes stay */

	/* NULL name: anonymous; NULL attr: the defaults. */
	anon = kmbox_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(anon, 0);
	ASSERT_EQ(O_RDONLY, fcntl(anon, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, kmbox_stat(anon, &st2));
	ASSERT_NE(st1.id, st2.id);
	ASSERT_STREQ("", st2.name);
	ASSERT_EQ(0, st2.state & KMBOX_STATE_NAMED);

	/* Failures come back as -errno. */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_create("", NULL, 0)));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	ASSERT_EQ(-ENAMETOOLONG, LIBERR(kmbox_create(longname, NULL, 0)));
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_create(NULL, NULL, 1U << 31)));
	attr.mode = 01000;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_create(NULL, &attr, 0)));
	attr.mode = 0;
	attr.max_bytes = 8;	/* below max_msg_size */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_create(NULL, &attr, 0)));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_create(kmbox_test_unmapped(), NULL, 0)));

	close(anon);
	close(fd2);
	close(fd);
}

TEST_F(lib, open)
{
	char longname[KMBOX_NAME_MAX + 2], buf[8];
	const char *name = self->name;
	struct kmbox_stat st1, st2;
	int fd, rfd, sfd;

	ASSERT_EQ(-ENOENT, LIBERR(kmbox_open(name, 0)));

	fd = kmbox_create(name, NULL, KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	rfd = kmbox_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(O_RDONLY, fcntl(rfd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(FD_CLOEXEC, fcntl(rfd, F_GETFD) & FD_CLOEXEC);
	sfd = kmbox_open(name, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(O_WRONLY, fcntl(sfd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, kmbox_stat(fd, &st1));
	ASSERT_EQ(0, kmbox_stat(rfd, &st2));
	ASSERT_EQ(st1.id, st2.id);

	/* The descriptors reach one mailbox. */
	ASSERT_EQ(3, kmbox_send(sfd, "abc", 3, 0));
	ASSERT_EQ(3, kmbox_recv(rfd, buf, sizeof(buf), KMBOX_DONTWAIT));

	ASSERT_EQ(-EINVAL, LIBERR(kmbox_open(name, KMBOX_EXCL)));
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_open("", 0)));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	ASSERT_EQ(-ENAMETOOLONG, LIBERR(kmbox_open(longname, 0)));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_open(NULL, 0)));

	close(sfd);
	close(rfd);
	close(fd);
}

TEST_F(lib, unlink)
{
	struct kmbox_stat st;
	const char *name = self->name;
	char buf[8];
	int fd, fd2;

	ASSERT_EQ(-ENOENT, LIBERR(kmbox_unlink(name)));
	fd = kmbox_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);

	ASSERT_EQ(0, kmbox_unlink(name));
	ASSERT_EQ(-ENOENT, LIBERR(kmbox_open(name, 0)));
	ASSERT_EQ(-ENOENT, LIBERR(kmbox_unlink(name)));
	ASSERT_EQ(0, kmbox_stat(fd, &st));
	ASSERT_EQ(KMBOX_STATE_NAMED | KMBOX_STATE_UNLINKED,
		  st.state & (KMBOX_STATE_NAMED | KMBOX_STATE_UNLINKED));

	/* The mailbox works on, and the name is free for another one. */
	ASSERT_EQ(2, kmbox_send(fd, "ok", 2, 0));
	ASSERT_EQ(2, kmbox_recv(fd, buf, sizeof(buf), 0));
	fd2 = kmbox_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, kmbox_unlink(name));

	ASSERT_EQ(-EINVAL, LIBERR(kmbox_unlink("")));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_unlink(NULL)));

	close(fd2);
	close(fd);
}

/* kmbox_unlink() of somebody else's mailbox: -EPERM, which is -1. */
static int unlink_as_nobody(void *name)
{
	if (setgid(65534) || setuid(65534))
		return 100;
	return -kmbox_unlink(name);
}

TEST_F(lib, unlink_eperm)
{
	const char *name = self->name;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another user");
	fd = kmbox_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(EPERM, in_child(unlink_as_nobody, self->name));
	ASSERT_EQ(0, kmbox_unlink(name));
	close(fd);
}

TEST_F(lib, send)
{
	struct kmbox_attr attr = { .max_msgs = 2, .max_msg_size = 8 };
	int fd, rfd, sfd, devfd;
	char buf[16] = "0123456789abcdef";
	sigset_t pipe_set;
	int sig;

	fd = kmbox_create(NULL, &attr, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(-EMSGSIZE, LIBERR(kmbox_send(fd, buf, 9, 0)));
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send(fd, "x", 1, KMBOX_PEEK)));
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send(fd, "x", 1, 1U << 31)));
	ASSERT_EQ(5, kmbox_send(fd, "hello", 5, 0));
	ASSERT_EQ(0, kmbox_send(fd, NULL, 0, 0));	/* an empty message */

	/* Full: EAGAIN with KMBOX_DONTWAIT, and on a non-blocking fd. */
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_send(fd, "x", 1, KMBOX_DONTWAIT)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_send(fd, "x", 1, 0)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));

	/* Roles: a receive-only descriptor cannot send. */
	rfd = kmbox_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(-EBADF, LIBERR(kmbox_send(rfd, "x", 1, 0)));
	ASSERT_EQ(-EBADF, LIBERR(kmbox_send(BAD_FD, "x", 1, 0)));
	devfd = open(NOT_A_MAILBOX, O_RDWR | O_CLOEXEC);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(-ENOTTY, LIBERR(kmbox_send(devfd, "x", 1, 0)));
	close(devfd);

	/* A buffer the kernel cannot read: EFAULT, nothing queued. */
	sfd = kmbox_create(NULL, NULL, 0);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_send(sfd, kmbox_test_unmapped(), 4, 0)));
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_recv(sfd, buf, sizeof(buf),
					     KMBOX_DONTWAIT)));

	/* After a shutdown: EPIPE, with SIGPIPE unless KMBOX_NOSIGNAL. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &pipe_set, NULL));
	ASSERT_EQ(0, kmbox_shutdown(sfd));
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_send(sfd, "x", 1, KMBOX_NOSIGNAL)));
	ASSERT_EQ(0, sigpending(&pipe_set));
	ASSERT_FALSE(sigismember(&pipe_set, SIGPIPE));
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_send(sfd, "x", 1, 0)));
	ASSERT_EQ(0, sigpending(&pipe_set));
	ASSERT_TRUE(sigismember(&pipe_set, SIGPIPE));
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ASSERT_EQ(0, sigwait(&pipe_set, &sig));
	ASSERT_EQ(SIGPIPE, sig);

	close(sfd);
	close(rfd);
	close(fd);
}

/* Child of the blocking test: wait until the parent sleeps, then send. */
static int send_when_parent_sleeps(void *arg)
{
	int fd = *(int *)arg;

	if (kmbox_test_wait_sleeping(getppid()))
		return 1;
	return kmbox_send(fd, "wake up", 7, 0) == 7 ? 0 : 2;
}

TEST_F(lib, recv)
{
	char buf[16], small[2];
	int fd, sfd, devfd, status;
	pid_t pid;

	fd = kmbox_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_recv(fd, buf, sizeof(buf),
					     KMBOX_DONTWAIT)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_recv(fd, buf, sizeof(buf), 0)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));

	ASSERT_EQ(5, kmbox_send(fd, "hello", 5, 0));
	ASSERT_EQ(0, kmbox_send(fd, "", 0, 0));
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_recv(fd, buf, sizeof(buf),
					     KMBOX_NOSIGNAL)));

	/* Too short a buffer: EMSGSIZE, and the message stays queued. */
	ASSERT_EQ(-EMSGSIZE, LIBERR(kmbox_recv(fd, small, sizeof(small), 0)));
	/* PEEK copies it and leaves it queued. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kmbox_recv(fd, buf, sizeof(buf), KMBOX_PEEK));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kmbox_recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	/* An empty message is 0, not end-of-stream. */
	ASSERT_EQ(0, kmbox_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT));

	/* A blocking receive, woken by a message from another process. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(send_when_parent_sleeps(&fd));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(7, kmbox_recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "wake up", 7));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* Roles: a send-only descriptor cannot receive. */
	sfd = kmbox_create(NULL, NULL, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(-EBADF, LIBERR(kmbox_recv(sfd, buf, sizeof(buf), 0)));
	ASSERT_EQ(-EBADF, LIBERR(kmbox_recv(BAD_FD, buf, sizeof(buf), 0)));
	devfd = open(NOT_A_MAILBOX, O_RDWR | O_CLOEXEC);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(-ENOTTY, LIBERR(kmbox_recv(devfd, buf, sizeof(buf), 0)));
	close(devfd);

	/* A buffer the kernel cannot write: EFAULT, the message stays. */
	ASSERT_EQ(2, kmbox_send(fd, "hi", 2, 0));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_recv(fd, kmbox_test_unmapped(), 16, 0)));

	/* End of stream: what is queued is drained, then EPIPE. */
	ASSERT_EQ(0, kmbox_shutdown(fd));
	ASSERT_EQ(2, kmbox_recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_recv(fd, buf, sizeof(buf), 0)));
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_recv(fd, buf, sizeof(buf),
					    KMBOX_DONTWAIT)));

	close(sfd);
	close(fd);
}

TEST_F(lib, send_msg)
{
	struct kmbox_attr attr = { .max_msgs = 2 };
	struct kmbox_msg msg;
	char buf[16];
	__u64 start;
	int fd, rfd;

	fd = kmbox_create(NULL, &attr, 0);
	ASSERT_GE(fd, 0);

	/* Malformed: EINVAL (checked on an empty mailbox: nothing to wait for). */
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)"x";
	msg.len = 1;
	msg.priority = KMBOX_PRIO_MAX + 1;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send_msg(fd, &msg)));
	msg.priority = 0;
	msg.timeout_ns = 1;	/* without a timeout flag */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send_msg(fd, &msg)));
	msg.flags = KMBOX_TIMEOUT | KMBOX_ABSTIME;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send_msg(fd, &msg)));
	msg.flags = KMBOX_TIMEOUT | KMBOX_DONTWAIT;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send_msg(fd, &msg)));
	msg.flags = KMBOX_PEEK;
	msg.timeout_ns = 0;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_send_msg(fd, &msg)));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_send_msg(fd, NULL)));
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_recv(fd, buf, sizeof(buf),
					     KMBOX_DONTWAIT)));

	/* Priority: the higher one is received first. */
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)"low";
	msg.len = 3;
	ASSERT_EQ(3, kmbox_send_msg(fd, &msg));
	msg.buf = (__u64)(uintptr_t)"high!";
	msg.len = 5;
	msg.priority = KMBOX_PRIO_MAX;
	ASSERT_EQ(5, kmbox_send_msg(fd, &msg));
	ASSERT_EQ(5, kmbox_recv(fd, buf, sizeof(buf), KMBOX_PEEK));
	ASSERT_EQ(0, memcmp(buf, "high!", 5));

	/* Full: a relative timeout ends with ETIMEDOUT, not earlier. */
	msg.priority = 0;
	msg.flags = KMBOX_TIMEOUT;
	msg.timeout_ns = 20 * 1000 * 1000;
	start = kmbox_test_now_ns();
	ASSERT_EQ(-ETIMEDOUT, LIBERR(kmbox_send_msg(fd, &msg)));
	ASSERT_GE(kmbox_test_now_ns() - start, msg.timeout_ns);
	msg.flags = KMBOX_ABSTIME;
	msg.timeout_ns = kmbox_test_now_ns() - 1;
	ASSERT_EQ(-ETIMEDOUT, LIBERR(kmbox_send_msg(fd, &msg)));
	msg.flags = KMBOX_DONTWAIT;
	msg.timeout_ns = 0;
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_send_msg(fd, &msg)));

	rfd = kmbox_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)"x";
	msg.len = 1;
	ASSERT_EQ(-EBADF, LIBERR(kmbox_send_msg(rfd, &msg)));

	/* KMBOX_NOSIGNAL: EPIPE without SIGPIPE (which would end the test). */
	ASSERT_EQ(0, kmbox_shutdown(fd));
	msg.flags = KMBOX_NOSIGNAL;
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_send_msg(fd, &msg)));

	close(rfd);
	close(fd);
}

/*
 * Child of recv_msg: send one message of priority 7, then stay alive
 * until @done is readable (closed by the parent), so that the sender is
 * still visible when its message is received.
 */
static int send_prio7(int fd, int done)
{
	struct kmbox_msg msg = {
		.buf = (__u64)(uintptr_t)"from child",
		.len = 10,
		.priority = 7,
	};
	char c;

	if (kmbox_send_msg(fd, &msg) != 10)
		return 1;
	return read(done, &c, 1) == 0 ? 0 : 2;
}

TEST_F(lib, recv_msg)
{
	struct kmbox_msg msg;
	__u64 before, after;
	int fd, sfd, status, done[2];
	char buf[32];
	pid_t child;

	fd = kmbox_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);

	/* Metadata of a message this process sent. */
	before = kmbox_test_now_ns();
	ASSERT_EQ(5, kmbox_send(fd, "first", 5, 0));
	after = kmbox_test_now_ns();
	memset(&msg, 0xAA, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)buf;
	msg.len = sizeof(buf);
	msg.flags = 0;
	msg.timeout_ns = 0;
	ASSERT_EQ(5, kmbox_recv_msg(fd, &msg));
	ASSERT_EQ(0, memcmp(buf, "first", 5));
	ASSERT_EQ(5, msg.msg_len);
	ASSERT_EQ(0, msg.priority);
	ASSERT_EQ(1, msg.seq);
	ASSERT_GE(msg.time_ns, before);
	ASSERT_LE(msg.time_ns, after);
	ASSERT_EQ(getpid(), msg.sender_pid);
	ASSERT_EQ(geteuid(), msg.sender_uid);

	/* ... and of one another process sent, received blocking. */
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		close(done[1]);
		_exit(send_prio7(fd, done[0]));
	}
	close(done[0]);
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)buf;
	msg.len = sizeof(buf);
	msg.flags = KMBOX_PEEK;
	ASSERT_EQ(10, kmbox_recv_msg(fd, &msg));
	msg.len = 4;	/* too short: EMSGSIZE with the length needed */
	msg.flags = 0;
	ASSERT_EQ(-EMSGSIZE, LIBERR(kmbox_recv_msg(fd, &msg)));
	ASSERT_EQ(10, msg.msg_len);
	msg.len = sizeof(buf);
	msg.flags = KMBOX_PEEK;
	ASSERT_EQ(10, kmbox_recv_msg(fd, &msg));
	ASSERT_EQ(2, msg.seq);
	msg.flags = 0;
	ASSERT_EQ(10, kmbox_recv_msg(fd, &msg));
	ASSERT_EQ(0, memcmp(buf, "from child", 10));
	ASSERT_EQ(7, msg.priority);
	ASSERT_EQ(2, msg.seq);
	ASSERT_EQ(child, msg.sender_pid);
	close(done[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* Malformed: EINVAL (with a message queued: nothing to wait for). */
	ASSERT_EQ(1, kmbox_send(fd, "z", 1, 0));
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)buf;
	msg.len = sizeof(buf);
	msg.flags = KMBOX_NOSIGNAL;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_recv_msg(fd, &msg)));
	msg.flags = 0;
	msg.timeout_ns = 1;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_recv_msg(fd, &msg)));
	msg.flags = KMBOX_TIMEOUT | KMBOX_ABSTIME;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_recv_msg(fd, &msg)));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_recv_msg(fd, NULL)));
	msg.flags = 0;
	msg.timeout_ns = 0;
	ASSERT_EQ(1, kmbox_recv_msg(fd, &msg));
	ASSERT_EQ(3, msg.seq);

	/* Empty: a timeout, or EAGAIN. */
	memset(&msg, 0, sizeof(msg));
	msg.buf = (__u64)(uintptr_t)buf;
	msg.len = sizeof(buf);
	msg.flags = KMBOX_TIMEOUT;
	msg.timeout_ns = 10 * 1000 * 1000;
	ASSERT_EQ(-ETIMEDOUT, LIBERR(kmbox_recv_msg(fd, &msg)));
	msg.flags = KMBOX_DONTWAIT;
	msg.timeout_ns = 0;
	ASSERT_EQ(-EAGAIN, LIBERR(kmbox_recv_msg(fd, &msg)));

	sfd = kmbox_create(NULL, NULL, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	msg.flags = 0;
	ASSERT_EQ(-EBADF, LIBERR(kmbox_recv_msg(sfd, &msg)));

	/* An empty message is 0; end-of-stream is EPIPE. */
	ASSERT_EQ(0, kmbox_send(fd, "", 0, 0));
	ASSERT_EQ(0, kmbox_shutdown(fd));
	ASSERT_EQ(0, kmbox_recv_msg(fd, &msg));
	ASSERT_EQ(0, msg.msg_len);
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_recv_msg(fd, &msg)));

	close(sfd);
	close(fd);
}

/* Child of shutdown: sleep in a receive, report its result. */
static int recv_until_shutdown(void *arg)
{
	char buf[8];

	return kmbox_recv(*(int *)arg, buf, sizeof(buf), 0) == -EPIPE ? 0 : 1;
}

TEST_F(lib, shutdown)
{
	struct kmbox_stat st;
	int fd, rfd, devfd, status;
	char buf[8];
	pid_t pid;

	fd = kmbox_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_stat(fd, &st));
	ASSERT_EQ(0, st.state & KMBOX_STATE_SHUTDOWN);

	/* A sleeping receiver wakes with end-of-stream. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(recv_until_shutdown(&fd));
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	ASSERT_EQ(0, kmbox_shutdown(fd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, kmbox_shutdown(fd));	/* again: no change */
	ASSERT_EQ(0, kmbox_stat(fd, &st));
	ASSERT_EQ(KMBOX_STATE_SHUTDOWN, st.state & KMBOX_STATE_SHUTDOWN);
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_send(fd, "x", 1, KMBOX_NOSIGNAL)));
	ASSERT_EQ(-EPIPE, LIBERR(kmbox_recv(fd, buf, sizeof(buf), 0)));

	/* Any role may shut a mailbox down. */
	rfd = kmbox_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(0, kmbox_shutdown(rfd));

	ASSERT_EQ(-EBADF, LIBERR(kmbox_shutdown(BAD_FD)));
	devfd = open(NOT_A_MAILBOX, O_RDWR | O_CLOEXEC);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(-ENOTTY, LIBERR(kmbox_shutdown(devfd)));
	close(devfd);

	close(rfd);
	close(fd);
}

TEST_F(lib, getattr)
{
	long long def_msgs = kmbox_test_param_read("default_max_msgs");
	long long def_size = kmbox_test_param_read("default_msg_size");
	struct kmbox_attr attr = {
		.max_msgs = 3, .max_msg_size = 100, .max_bytes = 200,
		.mode = 0640, .flags = KMBOX_ATTR_HANGUP,
	};
	struct kmbox_attr got;
	int fd, sfd, devfd;

	if (def_msgs < 0)
		def_msgs = 128;
	if (def_size < 0)
		def_size = 8192;

	/* Defaults resolved. */
	fd = kmbox_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	memset(&got, 0xAA, sizeof(got));
	ASSERT_EQ(0, kmbox_getattr(fd, &got));
	ASSERT_EQ(def_msgs, got.max_msgs);
	ASSERT_EQ(def_size, got.max_msg_size);
	ASSERT_EQ(def_msgs * def_size, got.max_bytes);
	ASSERT_EQ(0600, got.mode);
	ASSERT_EQ(0, got.flags);
	ASSERT_EQ(0, got.region_size);
	ASSERT_EQ(0, got.reserved[0] | got.reserved[1] | got.reserved[2]);
	close(fd);

	/* Given values, read through a send-only descriptor. */
	sfd = kmbox_create(NULL, &attr, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	memset(&got, 0xAA, sizeof(got));
	ASSERT_EQ(0, kmbox_getattr(sfd, &got));
	ASSERT_EQ(0, memcmp(&attr, &got, sizeof(attr)));

	ASSERT_EQ(-EFAULT, LIBERR(kmbox_getattr(sfd, NULL)));
	ASSERT_EQ(-EFAULT, LIBERR(kmbox_getattr(sfd, kmbox_test_unmapped())));
	ASSERT_EQ(-EBADF, LIBERR(kmbox_getattr(BAD_FD, &got)));
	devfd = open(NOT_A_MAILBOX, O_RDWR | O_CLOEXEC);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(-ENOTTY, LIBERR(kmbox_getattr(devfd, &got)));
	close(devfd);
	close(sfd);
}

/* kmbox_setattr() by another user: -EPERM (-1, yet not errno-style). */
static int setattr_as_nobody(void *arg)
{
	struct kmbox_attr attr = { .mode = 0666 };

	if (setgid(65534) || setuid(65534))
		return 100;
	return -kmbox_setattr(*(int *)arg, &attr);
}

TEST_F(lib, setattr)
{
	struct kmbox_attr attr = { .max_msgs = 4, .max_msg_size = 32 };
	struct kmbox_attr set, got;
	int fd;

	fd = kmbox_create(NULL, &attr, 0);
	ASSERT_GE(fd, 0);

	/* Round trip. */
	set = (struct kmbox_attr){
		.max_msgs = 8, .max_msg_size = 64, .max_bytes = 256,
		.mode = 0640,
	};
	ASSERT_EQ(0, kmbox_setattr(fd, &set));
	ASSERT_EQ(0, kmbox_getattr(fd, &got));
	ASSERT_EQ(0, memcmp(&set, &got, sizeof(set)));

	/* A field of 0 keeps its value. */
	memset(&set, 0, sizeof(set));
	set.max_msgs = 2;
	ASSERT_EQ(0, kmbox_setattr(fd, &set));
	ASSERT_EQ(0, kmbox_getattr(fd, &got));
	ASSERT_EQ(2, got.max_msgs);
	ASSERT_EQ(64, got.max_msg_size);
	ASSERT_EQ(256, got.max_bytes);
	ASSERT_EQ(0640, got.mode);

	/* Below what is queued: EBUSY, and nothing changes. */
	ASSERT_EQ(1, kmbox_send(fd, "a", 1, 0));
	ASSERT_EQ(1, kmbox_send(fd, "b", 1, 0));
	set.max_msgs = 1;
	ASSERT_EQ(-EBUSY, LIBERR(kmbox_setattr(fd, &set)));
	ASSERT_EQ(0, kmbox_getattr(fd, &got));
	ASSERT_EQ(2, got.max_msgs);

	/* Invalid values: EINVAL. */
	memset(&set, 0, sizeof(set));
	set.flags = KMBOX_ATTR_HANGUP;	/* flags cannot change */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_setattr(fd, &set)));
	memset(&set, 0, sizeof(set));
	set.mode = 01000;
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_setattr(fd, &set)));
	memset(&set, 0, sizeof(set));
	set.max_bytes = 16;		/* below max_msg_size */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_setattr(fd, &set)));
	memset(&set, 0, sizeof(set));
	set.region_size = 4096;		/* not the mailbox's region size (0) */
	ASSERT_EQ(-EINVAL, LIBERR(kmbox_setattr(fd, &set)));

	ASSERT_EQ(-EFAULT, LIBERR(kmbox_setattr(fd, NULL)));
	ASSERT_EQ(-EBADF, LIBERR(kmbox_setattr(BAD_FD, &got)));

	if (geteuid() == 0) {
		ASSERT_EQ(EPERM, in_child(setattr_as_nobody, &fd));
	}
	close(fd);
}

TEST_F(lib, stat)
{
	struct kmbox_attr attr = { .max_msgs = 10, .max_msg_size = 50 };
	int fd, sfd, rfd, devfd;
	struct kmbox_stat st;
	const char *name = self->name;
	char buf[64];
	unsigned int i;

	fd = kmbox_create(name, &attr, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	sfd = kmbox_open(name, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	rfd = kmbox_open(name, KMBOX_RECV);
	ASSERT_GE(rfd, 0);

	ASSERT_EQ(3, kmbox_send(sfd, "one", 3, 0));
	ASSERT_EQ(4, kmbox_send(sfd, "four", 4, 0));
	ASSERT_EQ(5, kmbox_send(fd, "three", 5, 0));
	ASSERT_EQ(3, kmbox_recv(rfd, buf, sizeof(buf), 0));
	ASSERT_EQ(4, kmbox_recv(rfd, buf, sizeof(buf), KMBOX_PEEK));

	ASSERT_EQ(0, kmbox_stat(rfd, &st));
	ASSERT_EQ(2, st.msgs);
	ASSERT_EQ(9, st.bytes);
	ASSERT_EQ(10, st.max_msgs);
	ASSERT_EQ(50, st.max_msg_size);
	ASSERT_EQ(500, st.max_bytes);
	ASSERT_EQ(2, st.senders);	/* fd (both roles) and sfd */
	ASSERT_EQ(2, st.receivers);	/* fd and rfd */
	ASSERT_EQ(0, st.blocked_senders);
	ASSERT_EQ(0, st.blocked_receivers);
	ASSERT_EQ(3, st.sent);
	ASSERT_EQ(1, st.received);	/* a peek is not a receive */
	ASSERT_EQ(3, st.high_water);
	ASSERT_EQ(geteuid(), st.uid);
	ASSERT_EQ(getegid(), st.gid);
	ASSERT_EQ(0600, st.mode);
	ASSERT_EQ(0, st.attr_flags);
	ASSERT_EQ(KMBOX_STATE_NAMED, st.state);
	ASSERT_EQ(0, st.pad);
	ASSERT_EQ(0, st.region_size);
	ASSERT_EQ(0, st.mappings);
	ASSERT_EQ(0, st.ring_producers);
	ASSERT_EQ(0, st.ring_consumers);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		ASSERT_EQ(0, st.reserved[i]);
	}
	ASSERT_STREQ(name, st.name);

	close(sfd);
	ASSERT_EQ(0, kmbox_stat(fd, &st));
	ASSERT_EQ(1, st.senders);

	ASSERT_EQ(-EFAULT, LIBERR(kmbox_stat(fd, NULL)));
	ASSERT_EQ(-EBADF, LIBERR(kmbox_stat(BAD_FD, &st)));
	devfd = open(NOT_A_MAILBOX, O_RDWR | O_CLOEXEC);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(-ENOTTY, LIBERR(kmbox_stat(devfd, &st)));
	close(devfd);

	close(rfd);
	close(fd);
}

/*
 * No library function reports through errno alone: with errno set to a
 * value no failure here produces, each failure still names its errno.
 */
TEST_F(lib, errno_is_not_the_report)
{
	const char *name = self->name;
	char buf[4];
	int fd;

	errno = 0;
	ASSERT_EQ(-ENOENT, kmbox_open(name, 0));
	errno = 0;
	ASSERT_EQ(-ENOENT, kmbox_unlink(name));

	fd = kmbox_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(fd, 0);
	errno = 0;
	ASSERT_EQ(-EBADF, kmbox_send(fd, "x", 1, 0));
	errno = 0;
	ASSERT_EQ(-EAGAIN, kmbox_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT));

	/* Success does not depend on errno either. */
	errno = EIO;
	ASSERT_EQ(0, kmbox_shutdown(fd));
	errno = EIO;
	ASSERT_EQ(-EPIPE, kmbox_recv(fd, buf, sizeof(buf), 0));
	close(fd);
}

TEST_HARNESS_MAIN
