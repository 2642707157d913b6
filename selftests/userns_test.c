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
 *
 * The same namespace with an IPC namespace of its own is a container:
 * its root has CAP_SYS_ADMIN and CAP_DAC_OVERRIDE over the mailboxes of
 * its IPC namespace whose owner (and, to open, group) it maps, as over
 * its POSIX message queues, and no power over the host's mailboxes (even
 * those of uids it maps) or over a mailbox of its namespace that a host
 * uid it does not map owns.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
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
 * Returns when all of them are gone.
 */
static int in_namespace(struct tally *t)
{
	pid_t pid, kept[NS_UIDS];
	int i, status, p[2];
	char c;

	if (pipe(p))
		return 10;
	for (i = 0; i < NS_UIDS; i++) {
		pid = fork();
		if (pid < 0)
			return 11;
		kept[i] = pid;
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
	/*
	 * Let the uids go and wait for them: their mailboxes must be gone,
	 * and their charges with them, when the caller counts again.
	 */
	close(p[1]);
	for (i = 0; i < NS_UIDS; i++)
		waitpid(kept[i], &status, 0);
	return 0;
}

/* As root, as a container runtime does: map BASE.. for @pid's namespace. */
static int map_ids(pid_t pid)
{
	static const char * const maps[] = { "uid_map", "gid_map" };
	char path[64], map[64];
	ssize_t len;
	int i, fd;

	len = snprintf(map, sizeof(map), "0 %d %d\n", BASE, NS_UIDS);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (write(fd, map, len) != len) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/*
 * Fork the owner: it makes a user namespace, root maps NS_UIDS uids in
 * it, and its uid 0 runs in_namespace().  The parent waits until done.
 */
static void run_namespace(struct __test_metadata *_metadata,
			  FIXTURE_DATA(userns) *self)
{
	int status;
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
	ASSERT_EQ(0, map_ids(self->pid));
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

/*
 * A container: OWNER makes a user namespace and an IPC namespace, root
 * maps NS_UIDS uids (BASE..) in it, and its uid 0 checks what it may do
 * to the mailboxes of its IPC namespace and to the host's.
 */
FIXTURE(container) {
	char name[64];
	char host[80];		/* a host mailbox, owned by root (not mapped) */
	char mapped[80];	/* a host mailbox of a uid the container maps */
	int host_fd;
	int sv[2];		/* descriptors into the container */
	int go[2], ready[2];
	int nsfd;		/* the container's IPC namespace */
	pid_t pid;
};

FIXTURE_SETUP(container)
{
	struct kmbox_attr a = { .mode = 0600 };

	self->pid = 0;
	self->nsfd = -1;
	self->host_fd = -1;
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to map uids and enter namespaces");
	kmbox_test_name(self->name, sizeof(self->name), "container");
	snprintf(self->host, sizeof(self->host), "%s-host", self->name);
	snprintf(self->mapped, sizeof(self->mapped), "%s-mapped", self->name);
	self->host_fd = kmbox_test_create(self->host, &a,
					  KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->host_fd, 0);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sv));
	ASSERT_EQ(0, pipe2(self->go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->ready, O_CLOEXEC));
}

FIXTURE_TEARDOWN(container)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->nsfd >= 0)
		close(self->nsfd);
	close(self->host_fd);
	kmbox_test_unlink(self->host);
	kmbox_test_unlink(self->mapped);
}

/* The names the container's IPC namespace gets. */
static void container_name(char *buf, size_t size, const char *base,
			   const char *what)
{
	snprintf(buf, size, "%s-%s", base, what);
}

/* A persistent mailbox of mode 0600 (the name keeps it): fd or -errno. */
static int make_persistent(const char *name)
{
	struct kmbox_attr a = { .mode = 0600,
				.flags = KMBOX_ATTR_PERSISTENT };

	return kmbox_test_create(name, &a, KMBOX_EXCL | KMBOX_NOROLE);
}

/* As make_persistent(), the descriptor closed: 0 or -errno. */
static int squat(const char *name)
{
	int fd = make_persistent(name);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* In a child, as container uid @uid: @fn on @name; its result. */
static int as_container_uid(uid_t uid, int (*fn)(const char *),
			    const char *name)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1000;
	if (pid == 0)
		_exit(become(uid) ? 100 : kmbox_test_verdict(fn(name), 0));
	return kmbox_test_reap(pid);
}

static int open_recv(const char *name)
{
	int fd = kmbox_test_open(name, KMBOX_RECV);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * The container's root, with the host's descriptors on @sock: 0 if every
 * check holds, else the number of the first that failed.
 */
static int container_checks(const char *base, const char *host, int sock)
{
	struct kmbox_attr a = { .mode = 0640 };
	char squatted[96], alien[96], nogroup[96], c;
	int fd, alien_fd, host_fd;

	container_name(squatted, sizeof(squatted), base, "squat");
	container_name(alien, sizeof(alien), base, "alien");
	container_name(nogroup, sizeof(nogroup), base, "nogroup");

	/* Another uid of the container squats a name, mode 0600. */
	if (as_container_uid(1, squat, squatted) != 0)
		return 1;
	/* A third uid of the container may neither open nor remove it. */
	if (as_container_uid(3, open_recv, squatted) != EACCES)
		return 2;
	if (as_container_uid(3, kmbox_test_unlink, squatted) != EPERM)
		return 3;
	/* Its root may: CAP_DAC_OVERRIDE and CAP_SYS_ADMIN in here. */
	fd = kmbox_test_open(squatted, KMBOX_RECV);
	if (fd < 0)
		return 4;
	if (kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a))
		return 5;
	a.mode = 0;
	if (kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a) || a.mode != 0640)
		return 6;
	if (kmbox_test_unlink(squatted))
		return 7;
	close(fd);

	/* A host uid this namespace does not map owns one of its names. */
	if (kmbox_test_recv_fds(sock, &alien_fd, 1, &c, 1) != 1)
		return 8;
	if (kmbox_test_open(alien, KMBOX_RECV) != -EACCES)
		return 9;
	if (kmbox_test_unlink(alien) != -EPERM)
		return 10;
	a.mode = 0666;
	if (kmbox_test_ioctl(alien_fd, KMBOX_IOC_SET_ATTR, &a) != -EPERM)
		return 11;
	close(alien_fd);

	/* Its owner is mapped, its group is not: removable, not openable. */
	if (kmbox_test_open(nogroup, KMBOX_RECV) != -EACCES)
		return 12;
	if (kmbox_test_unlink(nogroup))
		return 13;

	/* The host's mailbox: no name in here, no power through a descriptor. */
	if (kmbox_test_recv_fds(sock, &host_fd, 1, &c, 1) != 1)
		return 14;
	if (kmbox_test_open(host, 0) != -ENOENT)
		return 15;
	if (kmbox_test_ioctl(host_fd, KMBOX_IOC_SET_ATTR, &a) != -EPERM)
		return 16;
	if (kmbox_test_unlink(host) != -ENOENT)
		return 17;
	close(host_fd);

	/*
	 * A host mailbox whose owner and group the container maps: its
	 * root's capabilities do not count in the host's IPC namespace.
	 */
	if (kmbox_test_recv_fds(sock, &host_fd, 1, &c, 1) != 1)
		return 18;
	if (kmbox_test_ioctl(host_fd, KMBOX_IOC_SET_ATTR, &a) != -EPERM)
		return 19;
	close(host_fd);
	return 0;
}

/*
 * As host @uid and @gid (root's capabilities gone), in the container's
 * IPC namespace (in ours if @nsfd < 0): make @name persistent and 0600,
 * pass a descriptor of it on @sock if @sock >= 0.  0 or what failed.
 */
static int host_in_container(int nsfd, uid_t uid, gid_t gid,
			     const char *name, int sock)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWIPC))
			_exit(100);
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(101);
		fd = make_persistent(name);
		if (fd < 0)
			_exit(1);
		if (sock >= 0 && kmbox_test_send_fds(sock, &fd, 1, "f", 1))
			_exit(2);
		_exit(0);
	}
	return kmbox_test_reap(pid);
}

/* As host root in the container's IPC namespace: UNLINK @name. */
static int host_root_unlinks(int nsfd, const char *name)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setns(nsfd, CLONE_NEWIPC))
			_exit(100);
		_exit(kmbox_test_verdict(kmbox_test_unlink(name), 0));
	}
	return kmbox_test_reap(pid);
}

/* In the container, once told to go: its root's checks. */
static int as_container_root(FIXTURE_DATA(container) *self)
{
	close(self->sv[0]);
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return 103;
	return container_checks(self->name, self->host, self->sv[1]);
}

/*
 * Start the container: OWNER makes its user and IPC namespaces, then
 * waits for a byte on go and exits with @fn's result (0 without @fn).
 * self->nsfd is its IPC namespace.
 */
static void start_container(struct __test_metadata *_metadata,
			    FIXTURE_DATA(container) *self,
			    int (*fn)(FIXTURE_DATA(container) *self))
{
	char path[64], c;

	self->pid = fork();
	ASSERT_GE(self->pid, 0);
	if (self->pid == 0) {
		close(self->go[1]);
		close(self->ready[0]);
		if (become(OWNER) || unshare(CLONE_NEWUSER | CLONE_NEWIPC))
			_exit(101);
		if (write(self->ready[1], "u", 1) != 1 ||
		    read(self->go[0], &c, 1) != 1)
			_exit(102);
		_exit(fn ? fn(self) : 0);
	}
	close(self->go[0]);
	close(self->ready[1]);
	ASSERT_EQ(1, read(self->ready[0], &c, 1));
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)self->pid);
	self->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->nsfd, 0);
}

/*
 * The container's root may open, change and unlink a mailbox another of
 * its uids made in its IPC namespace, as it may a POSIX queue there, but
 * not one of a host uid it does not map, nor one whose group it does not
 * map (which it may unlink, owner mapped), nor the host's, even one a
 * uid it maps owns.  Host root keeps its power over all of them.
 */
TEST_F(container, root_rules_its_own_ipc_namespace_only)
{
	char alien[96], nogroup[96];
	int ret;

	container_name(alien, sizeof(alien), self->name, "alien");
	container_name(nogroup, sizeof(nogroup), self->name, "nogroup");
	start_container(_metadata, self, as_container_root);
	ASSERT_EQ(0, map_ids(self->pid));

	/* Host uids in the container's IPC namespace: OTHER, not mapped... */
	ASSERT_EQ(0, host_in_container(self->nsfd, OTHER, OTHER, alien,
				       self->sv[0]));
	/* ...and container uid 2 with a group the container does not map. */
	ASSERT_EQ(0, host_in_container(self->nsfd, BASE + 2, OTHER, nogroup,
				       -1));
	ASSERT_EQ(0, kmbox_test_send_fds(self->sv[0], &self->host_fd, 1,
					 "f", 1));
	/* ...and in ours, container uid 2 with its own group. */
	ASSERT_EQ(0, host_in_container(-1, BASE + 2, BASE + 2, self->mapped,
				       self->sv[0]));
	ASSERT_EQ(1, write(self->go[1], "g", 1));
	ret = kmbox_test_reap(self->pid);
	self->pid = 0;
	EXPECT_EQ(0, ret) {
		TH_LOG("the container's check %d failed", ret);
	}
	/* Host root: capable in the initial namespace, where all is mapped. */
	EXPECT_EQ(0, host_root_unlinks(self->nsfd, alien));
	EXPECT_EQ(0, kmbox_test_unlink(self->host));
	EXPECT_EQ(0, kmbox_test_unlink(self->mapped));
}

/*
 * As host root in the container's IPC namespace, make @name, persistent,
 * root's and mode 0600; then as OWNER (the container's maker, a plain
 * user outside it, who holds every capability inside it) try it: 0 if
 * every try is refused, else the number of the first that was not.
 */
static int outsider_checks(int nsfd, const char *name)
{
	struct kmbox_attr a = { .mode = 0600,
				.flags = KMBOX_ATTR_PERSISTENT };
	int fd;

	if (setns(nsfd, CLONE_NEWIPC))
		return 100;
	fd = kmbox_test_create(name, &a, KMBOX_EXCL | KMBOX_RECV);
	if (fd < 0)
		return 101;
	if (become(OWNER))
		return 102;
	a.mode = 0666;
	if (kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a) != -EPERM)
		return 1;
	if (kmbox_test_open(name, KMBOX_SEND) != -EACCES)
		return 2;
	if (kmbox_test_unlink(name) != -EPERM)
		return 3;
	return 0;
}

/*
 * The plain user who made a container has every capability in its user
 * namespace, from outside; none counts on the mailboxes of the
 * container's IPC namespace, which it may only use as its own uid may.
 */
TEST_F(container, its_maker_outside_has_no_power)
{
	char svc[96];
	pid_t pid;
	int ret;

	container_name(svc, sizeof(svc), self->name, "svc");
	start_container(_metadata, self, NULL);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(outsider_checks(self->nsfd, svc));
	ret = kmbox_test_reap(pid);
	EXPECT_EQ(0, ret) {
		TH_LOG("the container's maker got past check %d", ret);
	}
	/* Host root still may. */
	EXPECT_EQ(0, host_root_unlinks(self->nsfd, svc));
	ASSERT_EQ(1, write(self->go[1], "g", 1));
	EXPECT_EQ(0, kmbox_test_reap(self->pid));
	self->pid = 0;
}

TEST_HARNESS_MAIN
