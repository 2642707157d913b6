// SPDX-License-Identifier: GPL-2.0
/*
 * bytes_per_user bounds the kernel memory a user pins, empty messages
 * included.  An unprivileged user floods: it makes mailboxes of every
 * size of max_msgs until the limits stop it, and fills each with empty
 * (or tiny) messages until it is full.  Its memory cgroup (a cgroup of
 * the test's own, no memory.max) counts every byte the kernel allocated
 * for it: mailboxes, messages, descriptors.  That must stay within the
 * bound admin-guide.rst gives: twice the user's charge (the allocator
 * rounds each object up to its size class), plus SLACK for the
 * descriptors and what the process itself touches.
 *
 * The flood checks the memory every 1024 messages and stops as soon as
 * it is past the bound, so that a module that does not bound it fails
 * the test instead of running the machine out of memory.
 *
 * Senders that wait for room pin nothing: a user fills a mailbox with
 * one message of 1 MiB, then SENDERS threads each wait to send another;
 * their messages must not be in the kernel's memory while they wait.
 */
#include <pthread.h>
#include <grp.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"
#include "kmbox_cgroup.h"

#define MIB		(1024ll * 1024)
#define LIMIT		(4 * MIB)	/* bytes_per_user for the flood */
#define SLACK		(2 * MIB)
#define USER		65531
#define MAX_FDS		1100
#define SENDERS		32

struct flood {
	long long mailboxes;
	long long messages;
	long long growth;	/* memory.current at the end, less the start */
	int over;		/* stopped early: past the bound */
	int err;		/* an unexpected error, or 0 */
};

FIXTURE(mem) {
	char cg[PATH_MAX];
	char mnt[64];
	long long bytes_per_user;
	struct flood *res;
};

FIXTURE_SETUP(mem)
{
	const char *root, *why = NULL;

	self->bytes_per_user = -1;
	self->res = MAP_FAILED;
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to make a cgroup and a user");
	if (kmbox_cg_memory_root(self->mnt, sizeof(self->mnt), &root, &why))
		SKIP(_exit(255), "%s", why);
	snprintf(self->cg, sizeof(self->cg), "%s/kmbox-memory-%d", root,
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	self->bytes_per_user = kmbox_test_param_read("bytes_per_user");
	ASSERT_GT(self->bytes_per_user, 0);
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user", LIMIT));
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->res != MAP_FAILED);
	memset(self->res, 0, sizeof(*self->res));
}

FIXTURE_TEARDOWN(mem)
{
	int i;

	if (self->res != MAP_FAILED)
		munmap(self->res, sizeof(*self->res));
	if (self->bytes_per_user > 0)
		kmbox_test_param_write("bytes_per_user", self->bytes_per_user);
	for (i = 0; self->cg[0] && i < 100 && rmdir(self->cg); i++)
		usleep(10000);
	if (self->mnt[0]) {
		umount(self->mnt);
		rmdir(self->mnt);
	}
}

/* In the child, in the cgroup, as USER: the flood of @len-byte messages. */
static void flood(const char *cg, size_t len, struct flood *r)
{
	static const __u64 sizes[] = { 65536, 4096, 512, 64, 8, 1 };
	const long long bound = 2 * LIMIT + SLACK;
	long long base = kmbox_cg_read(cg, "memory.current", NULL);
	char buf[16] = { 0 };
	unsigned int i = 0;
	int fd, n;

	if (base < 0) {
		r->err = 1;
		return;
	}
	while (i < sizeof(sizes) / sizeof(sizes[0])) {
		struct kmbox_attr a = {
			.max_msgs = sizes[i],
			.max_msg_size = len ? len : 1,
			.max_bytes = (len ? len : 1),
		};

		/* Room for every slot: what a careful user would ask. */
		if (len)
			a.max_bytes = sizes[i] * len;
		fd = kmbox_test_create(NULL, &a, KMBOX_CLOEXEC);
		if (fd == -ENOMEM || fd == -ENOSPC || fd == -EMFILE) {
			i++;		/* too big now: a smaller one */
			continue;
		}
		if (fd < 0) {
			r->err = -fd;
			return;
		}
		r->mailboxes++;
		for (;;) {
			n = kmbox_test_send(fd, buf, len, 0, KMBOX_DONTWAIT);
			if (n == -EAGAIN)
				break;
			if (n != (int)len) {
				r->err = n < 0 ? -n : 1000;
				return;
			}
			if (++r->messages % 1024)
				continue;
			r->growth = kmbox_cg_read(cg, "memory.current", NULL) -
				    base;
			if (r->growth > bound) {
				r->over = 1;
				return;
			}
		}
	}
	r->growth = kmbox_cg_read(cg, "memory.current", NULL) - base;
}

struct big_send {
	int fd;
	const char *buf;
};

static void *send_big(void *arg)
{
	struct big_send *b = arg;

	kmbox_test_send(b->fd, b->buf, MIB, 0, 0);
	return NULL;
}

/*
 * In the child, in the cgroup, as USER: a full mailbox and SENDERS
 * threads waiting to send 1 MiB each (@len unused).
 */
static void block_senders(const char *cg, size_t len, struct flood *r)
{
	struct kmbox_attr a = {
		.max_msgs = 1, .max_msg_size = MIB, .max_bytes = MIB,
	};
	struct big_send b;
	long long base;
	pthread_t t;
	char *buf;
	int i;

	buf = malloc(MIB);
	if (!buf) {
		r->err = ENOMEM;
		return;
	}
	memset(buf, 'b', MIB);
	base = kmbox_cg_read(cg, "memory.current", NULL);
	b.buf = buf;
	b.fd = kmbox_test_create(NULL, &a, KMBOX_CLOEXEC);
	if (base < 0 || b.fd < 0 || kmbox_test_send(b.fd, buf, MIB, 0, 0) != MIB) {
		r->err = 1;
		return;
	}
	r->mailboxes = 1;
	r->messages = 1;
	for (i = 0; i < SENDERS; i++) {
		if (pthread_create(&t, NULL, send_big, &b)) {
			r->err = 2;
			return;
		}
	}
	for (i = 0; i < 10000; i++) {
		struct kmbox_stat st;

		if (kmbox_test_stat(b.fd, &st)) {
			r->err = 3;
			return;
		}
		if (st.blocked_senders == SENDERS)
			break;
		usleep(1000);
	}
	if (i == 10000) {
		r->err = 4;
		return;
	}
	r->growth = kmbox_cg_read(cg, "memory.current", NULL) - base;
	/* Exiting kills the senders. */
}

static void run_as_user(struct __test_metadata *_metadata,
			FIXTURE_DATA(mem) *self,
			void (*fn)(const char *, size_t, struct flood *),
			size_t len)
{
	struct rlimit rl = { MAX_FDS, MAX_FDS };
	char pid_str[32];
	int status, go[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		CHILD_CHECK(!setrlimit(RLIMIT_NOFILE, &rl));
		CHILD_CHECK(!setgroups(0, NULL));
		CHILD_CHECK(!setresgid(USER, USER, USER));
		CHILD_CHECK(!setresuid(USER, USER, USER));
		fn(self->cg, len, self->res);
		_exit(0);
	}
	close(go[0]);
	snprintf(pid_str, sizeof(pid_str), "%d", (int)pid);
	ASSERT_EQ(0, kmbox_cg_write(self->cg, "cgroup.procs", pid_str));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	TH_LOG("%lld mailboxes, %lld messages of %zu bytes: %lld KiB (bound %lld KiB)",
	       self->res->mailboxes, self->res->messages, len,
	       self->res->growth / 1024, (2 * LIMIT + SLACK) / 1024);
	EXPECT_EQ(0, self->res->err);
	EXPECT_EQ(0, self->res->over) {
		TH_LOG("the user pinned more memory than its limit allows");
	}
	EXPECT_LE(self->res->growth, 2 * LIMIT + SLACK);
	/* The flood did reach the limit: it was not stopped by something else. */
	EXPECT_GT(self->res->messages, 0);
}

TEST_F(mem, empty_messages_bounded)
{
	run_as_user(_metadata, self, flood, 0);
}

TEST_F(mem, one_byte_messages_bounded)
{
	run_as_user(_metadata, self, flood, 1);
}

TEST_F(mem, small_messages_bounded)
{
	run_as_user(_metadata, self, flood, 16);
}

TEST_F(mem, waiting_senders_pin_nothing)
{
	run_as_user(_metadata, self, block_senders, MIB);
}

TEST_HARNESS_MAIN
