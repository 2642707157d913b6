// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of a mailbox: it is shared by fork() and SCM_RIGHTS, lives as
 * long as any descriptor refers to it (a dup, a child's copy, one in
 * flight in a socket), and is gone, with its messages and its name, when
 * the last one is closed or its process dies.  Many create/close cycles
 * leave nothing behind.
 */
#include <ctype.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define PROC_LIST "/proc/driver/kmbox"

/* How many mailboxes /proc/driver/kmbox lists, or -1. */
static int count_mailboxes(void)
{
	char buf[4096];
	int fd, n, count = 0, bol = 1, i;

	fd = open(PROC_LIST, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			/* Mailbox lines start with the id, after spaces. */
			if (bol == 1 && buf[i] == ' ')
				continue;
			if (bol == 1)
				count += isdigit((unsigned char)buf[i]) != 0;
			bol = buf[i] == '\n';
		}
	}
	close(fd);
	return n < 0 ? -1 : count;
}

/* Is mailbox @id in the list? 1, 0, or -1 on error. */
static int listed(__u64 id)
{
	char line[1024];
	unsigned long long v;
	FILE *f = fopen(PROC_LIST, "re");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu", &v) == 1 && v == id)
			found = 1;
	fclose(f);
	return found;
}

static int put(int fd, const char *s)
{
	return kmbox_test_send(fd, s, strlen(s), 0, KMBOX_DONTWAIT);
}

/* Receive a message into @buf (NUL-terminated); its length or -errno. */
static int get(int fd, char *buf, size_t size, __u32 flags)
{
	int ret = kmbox_test_recv(fd, buf, size - 1, flags, NULL);

	if (ret >= 0)
		buf[ret] = 0;
	return ret;
}

/* Receives a descriptor and @len bytes of data; the fd or -errno. */
static int recv_fd(int sock, void *data, size_t len)
{
	int fd, n = kmbox_test_recv_fds(sock, &fd, 1, data, len);

	return n == 1 ? fd : n < 0 ? n : -EIO;
}

FIXTURE(life) {
	char name[64];
	pid_t child;
};

FIXTURE_SETUP(life)
{
	kmbox_test_name(self->name, sizeof(self->name), "life");
	self->child = 0;
}

FIXTURE_TEARDOWN(life)
{
	kmbox_test_kill(&self->child);
}

/* A child gets what the parent sent, and the parent the child's reply. */
TEST_F(life, shared_by_fork)
{
	char buf[64];
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, put(fd, "hello"));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		CHILD_CHECK(get(fd, buf, sizeof(buf), KMBOX_DONTWAIT) == 5);
		CHILD_CHECK(!strcmp(buf, "hello"));
		CHILD_CHECK(put(fd, "reply") == 5);
		_exit(0);
	}
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	ASSERT_EQ(5, get(fd, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("reply", buf);
	close(fd);
}

/*
 * A process forked before the mailbox existed, and that cannot find it by
 * name (it is anonymous), gets it over a socket.
 */
TEST_F(life, shared_by_scm_rights)
{
	int sv[2], fd, got;
	char buf[64];
	__u64 id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		close(sv[0]);
		got = recv_fd(sv[1], &id, sizeof(id));
		CHILD_CHECK(got >= 0);
		CHILD_CHECK(kmbox_test_id(got) == id);
		CHILD_CHECK(get(got, buf, sizeof(buf), KMBOX_DONTWAIT) == 4);
		CHILD_CHECK(!strcmp(buf, "ping"));
		CHILD_CHECK(put(got, "pong") == 4);
		close(got);
		_exit(0);
	}
	close(sv[1]);
	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(4, put(fd, "ping"));
	id = kmbox_test_id(fd);
	ASSERT_EQ(0, kmbox_test_send_fds(sv[0], &fd, 1, &id, sizeof(id)));
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	ASSERT_EQ(4, get(fd, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("pong", buf);
	close(fd);
	close(sv[0]);
}

/* A dup keeps the mailbox, its messages and its name. */
TEST_F(life, lives_with_dup)
{
	char buf[64];
	int fd, d, other;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(3, put(fd, "dup"));
	d = dup(fd);
	ASSERT_GE(d, 0);
	close(fd);
	ASSERT_EQ(3, get(d, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("dup", buf);
	other = kmbox_test_open(self->name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(kmbox_test_id(d), kmbox_test_id(other));
	close(other);
	close(d);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* A child's copy keeps it after the parent closed its own. */
TEST_F(life, lives_with_child)
{
	int fd, other, go[2];
	char buf[64], c;
	__u64 id;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	id = kmbox_test_id(fd);
	ASSERT_EQ(4, put(fd, "kept"));
	ASSERT_EQ(0, pipe(go));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		close(go[1]);
		/* Hold the descriptor until the parent is done. */
		CHILD_CHECK(read(go[0], &c, 1) == 0);
		_exit(0);
	}
	close(go[0]);
	close(fd);

	other = kmbox_test_open(self->name, 0);
	ASSERT_GE(other, 0);
	EXPECT_EQ(id, kmbox_test_id(other));
	ASSERT_EQ(4, get(other, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("kept", buf);
	close(other);
	EXPECT_EQ(1, listed(id));

	/* The child's exit closes the last descriptor. */
	close(go[1]);
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, listed(id));
}

/*
 * Makes the named mailbox with message @msg queued, sends its descriptor
 * and its id over a new socket pair @sv and closes it: only the socket
 * holds it now.  Returns the id.
 */
static __u64 put_in_flight(struct __test_metadata *_metadata,
			   FIXTURE_DATA(life) *self, int *sv, const char *msg)
{
	__u64 id;
	int fd;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((int)strlen(msg), put(fd, msg));
	id = kmbox_test_id(fd);
	ASSERT_EQ(0, kmbox_test_send_fds(sv[0], &fd, 1, &id, sizeof(id)));
	close(fd);
	return id;
}

/* A descriptor in flight in a socket keeps the mailbox too. */
TEST_F(life, lives_in_flight)
{
	int sv[2], fd, got;
	char buf[64];
	__u64 id, id2;

	id = put_in_flight(_metadata, self, sv, "flight");
	EXPECT_EQ(1, listed(id));
	fd = kmbox_test_open(self->name, 0);
	ASSERT_GE(fd, 0);
	close(fd);

	got = recv_fd(sv[1], &id2, sizeof(id2));
	ASSERT_GE(got, 0);
	EXPECT_EQ(id, id2);
	EXPECT_EQ(id, kmbox_test_id(got));
	ASSERT_EQ(6, get(got, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("flight", buf);
	close(got);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, listed(id));
	close(sv[0]);
	close(sv[1]);
}

/* A socket closed with a descriptor still in flight drops it. */
TEST_F(life, dropped_in_flight)
{
	int sv[2];
	__u64 id;

	id = put_in_flight(_metadata, self, sv, "lost");
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, listed(id));
}

/* A process that dies leaks nothing: its mailbox and name are gone. */
TEST_F(life, killed_process_leaks_nothing)
{
	int ready[2], before;
	__u64 id = 0;

	before = count_mailboxes();
	ASSERT_GE(before, 0);
	ASSERT_EQ(0, pipe(ready));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		int fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
		int r = kmbox_test_open(self->name, KMBOX_RECV);
		int i;

		close(ready[0]);
		CHILD_CHECK(fd >= 0 && r >= 0);
		for (i = 0; i < 10; i++)
			CHILD_CHECK(put(fd, "queued") == 6);
		id = kmbox_test_id(fd);
		CHILD_CHECK(write(ready[1], &id, sizeof(id)) == sizeof(id));
		/* Hold it all until killed. */
		for (;;)
			pause();
	}
	close(ready[1]);
	ASSERT_EQ(sizeof(id), read(ready[0], &id, sizeof(id)));
	close(ready[0]);
	EXPECT_EQ(1, listed(id));
	EXPECT_EQ(before + 1, count_mailboxes());
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kmbox_test_reap(self->child));
	self->child = 0;
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, listed(id));
	EXPECT_EQ(before, count_mailboxes());
}

/* A killed sleeper: the mailbox goes on working for the others. */
TEST_F(life, killed_sleeper)
{
	struct kmbox_stat st;
	char buf[64];
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		kmbox_test_recv(fd, buf, sizeof(buf), 0, NULL);
		_exit(1);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->child));
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kmbox_test_reap(self->child));
	self->child = 0;
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.received);
	ASSERT_EQ(5, put(fd, "after"));
	ASSERT_EQ(5, get(fd, buf, sizeof(buf), KMBOX_DONTWAIT));
	EXPECT_STREQ("after", buf);
	close(fd);
}

/*
 * Run create/close cycles, at most @max of them and for at most
 * @budget_ns (the debug kernel is far slower); returns how many ran, or
 * -errno of the first failure.
 */
static long cycles(const char *name, long max, __u64 budget_ns)
{
	struct kmbox_create c = {
		.name = (__u64)(unsigned long)name,
		.flags = KMBOX_EXCL,
		.attr = { .max_msgs = 4, .max_msg_size = 64 },
	};
	__u64 end = kmbox_test_now_ns() + budget_ns;
	int dev, fd, ret;
	long i;

	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	for (i = 0; i < max; i++) {
		fd = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
		if (fd < 0) {
			close(dev);
			return fd;
		}
		/* Now and then leave messages queued for close to free. */
		if (i % 16 == 0) {
			ret = kmbox_test_send(fd, "x", 1, 0, KMBOX_DONTWAIT);
			if (ret == 1)
				ret = kmbox_test_send(fd, "yy", 2, 3,
						      KMBOX_DONTWAIT);
			if (ret != 2) {
				close(fd);
				close(dev);
				return ret < 0 ? ret : -EIO;
			}
		}
		close(fd);
		if (i % 1024 == 1023 && kmbox_test_now_ns() > end) {
			i++;
			break;
		}
	}
	close(dev);
	return i;
}

TEST_F_TIMEOUT(life, many_anonymous_cycles, 60)
{
	int before = count_mailboxes();
	long n;

	ASSERT_GE(before, 0);
	n = cycles(NULL, 100000, 20ull * 1000000000);
	ASSERT_GE(n, 0) {
		TH_LOG("failed: %s", strerror(-n));
	}
	if (n < 100000)
		TH_LOG("%ld cycles in the time budget", n);
	EXPECT_GE(n, 1024);
	EXPECT_EQ(before, count_mailboxes());
}

/* The same name again and again: each close frees it at once. */
TEST_F_TIMEOUT(life, many_named_cycles, 60)
{
	int before = count_mailboxes();
	long n;

	ASSERT_GE(before, 0);
	n = cycles(self->name, 10000, 8ull * 1000000000);
	ASSERT_GE(n, 0) {
		TH_LOG("failed: %s", strerror(-n));
	}
	if (n < 10000)
		TH_LOG("%ld cycles in the time budget", n);
	EXPECT_GE(n, 1024);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(before, count_mailboxes());
}

/* Many mailboxes open at once, then all closed. */
TEST_F(life, many_open_at_once)
{
	enum { N = 500 };
	int fds[N], before = count_mailboxes(), i;

	ASSERT_GE(before, 0);
	for (i = 0; i < N; i++) {
		fds[i] = kmbox_test_create(NULL, NULL, 0);
		ASSERT_GE(fds[i], 0);
	}
	EXPECT_EQ(before + N, count_mailboxes());
	for (i = 0; i < N; i++)
		close(fds[i]);
	EXPECT_EQ(before, count_mailboxes());
}

TEST_HARNESS_MAIN
