// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every kmbox call that allocates memory or copies from
 * or to userspace is made to fail at each of its injection points in
 * turn, through /proc/self/task/<tid>/fail-nth (failslab,
 * fail_page_alloc and fail_usercopy of a kernel with
 * CONFIG_FAULT_INJECTION).  Writing N there makes the N-th injectable
 * call of the task fail; reading it back gives 0 once that happened.  For
 * N = 1, 2, ... until the call completes without using the fault:
 *
 *  - a call that fails returns a documented errno (ENOMEM, EFAULT);
 *  - nothing is half done: a failed CREATE leaves no name, no entry in
 *    /proc/driver/kmbox and no charge to its user; a failed SEND queues
 *    nothing; a failed RECV takes nothing; a failed SET_ATTR changes
 *    nothing; a failed mmap() leaves no mapping counted; a batch that
 *    stops part-way has moved exactly the messages it reports;
 *  - the mailbox still carries a message afterwards.
 *
 * A fault the kernel absorbs (kvmalloc() falling back to vmalloc, a
 * zero-length copy) lets the call succeed: then it must have done all of
 * its work, once.  Each operation prints how many injection points it
 * has, so that a loop that never injects anything shows.  The kernel's
 * own checks (KASAN, kmemleak, lockdep) watch the error paths meanwhile.
 *
 * Kernels without fail-nth (Debian's own) skip every test.
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define DEBUGFS		"/sys/kernel/debug"
#define BUF_SIZE	(1u << 20)	/* largest message: msg_size_max */
#define MAX_MSGS	16
#define BATCH		4
#define BATCH_LEN	64
#define REGION_PAGES	4
#define MAX_NTH		100000		/* injection points per call, at most */
#define OP_TIME_NS	(40 * 1000000000ull)	/* per operation */
#define MAX_SETTINGS	16
#define MAX_ERRNOS	4
#define TEST_TIMEOUT	120

/* A debugfs fault attribute changed for the test, and its old value. */
struct fault_setting {
	char path[128];
	char old[32];
};

FIXTURE(fault) {
	int fail_fd;		/* /proc/self/task/<tid>/fail-nth */
	struct fault_setting set[MAX_SETTINGS];
	int nset;
	long long per_user, bytes_per_user;	/* saved module parameters */
	const char *op;		/* operation under test, for the log */
	unsigned int nth;	/* its fault being injected */
	int dev;		/* /dev/kmbox */
	char name[64];
	int rw;			/* named mailbox, both roles, 1 MiB messages */
	char *tx, *rx;		/* BUF_SIZE each, touched */
	size_t len;		/* message length of the operation */
	int tmp;		/* a descriptor made for one call */
	int baseline;		/* lines of /proc/driver/kmbox */
	struct kmbox_create create;	/* a CREATE under test */
	char cname[64];		/* its name */
	struct kmbox_msg msgs[BATCH];
	struct kmbox_stat st;
	__u64 sent, received;	/* of rw, before the call */
	long page;
	int reg;		/* named mailbox with a region, both roles */
	char rname[64];
	char *map;		/* its region, read-write */
	char *fresh;		/* a mapping no one has touched yet */
	int prod;		/* producer end of reg's ring */
};

struct fault_op {
	const char *name;
	/* Before each call, without faults. */
	void (*prepare)(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self);
	/* The one call under fault injection: >= 0, or -errno. */
	long (*run)(FIXTURE_DATA(fault) *self);
	/* After it: the state is whole; undo what a success did. */
	void (*check)(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self, long ret);
	bool silent;		/* has no injection point */
};

static long neg_errno(long ret)
{
	return ret < 0 ? -errno : ret;
}

/* Writes @val to @path; 0 or -errno. */
static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Sets debugfs attribute @rel, remembering its value: 0 or -errno. */
static int fault_set(FIXTURE_DATA(fault) *self, const char *rel,
		     const char *val)
{
	struct fault_setting *s = &self->set[self->nset];
	int ret;

	if (self->nset == MAX_SETTINGS)
		return -ENOSPC;
	snprintf(s->path, sizeof(s->path), DEBUGFS "/%s", rel);
	if (kmbox_test_read_file(s->path, s->old, sizeof(s->old)) < 0)
		return -ENOENT;
	ret = write_str(s->path, val);
	if (!ret)
		self->nset++;
	return ret;
}

/*
 * fail-nth alone decides which call fails (the probability stays 0), but
 * the attributes still filter: allocations that may sleep and highmem
 * pages are left alone by default.  verbose 0: an injected fault would
 * otherwise print a stack trace, which the VM runner takes for a bug.
 */
static int fault_attrs_set(FIXTURE_DATA(fault) *self)
{
	static const char * const attrs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
	};
	char rel[96];
	struct dirent *d;
	unsigned int i;
	DIR *dir;
	int ret;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		ret = fault_set(self, attrs[i][0], attrs[i][1]);
		if (ret)
			return ret;
	}
	dir = opendir(DEBUGFS);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "fail", 4))
			continue;
		snprintf(rel, sizeof(rel), "%.64s/verbose", d->d_name);
		ret = fault_set(self, rel, "0");
		if (ret && ret != -ENOENT)
			break;
		ret = 0;
	}
	closedir(dir);
	return ret;
}

static void fault_restore(FIXTURE_DATA(fault) *self)
{
	while (self->nset > 0) {
		self->nset--;
		write_str(self->set[self->nset].path, self->set[self->nset].old);
	}
}

/* Makes the @n-th injectable call of this task fail: 0 or -1. */
static int fault_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -1;
}

/*
 * Whether the fault armed was injected, and disarm.  Reading fail-nth
 * copies to userspace, which counts as an injectable call while a fault
 * is pending: a read that fails means it was still pending, and is now
 * used up.  So are the writes that reset it.
 */
static bool fault_fired(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int i;

	for (i = 0; i < 3 && pwrite(fd, "0", 1, 0) != 1; i++)
		;
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strtoul(buf, NULL, 10) == 0;
}

/* Lines of /proc/driver/kmbox (a header and one a mailbox), or -1. */
static int proc_lines(void)
{
	char line[512];
	FILE *f = fopen("/proc/driver/kmbox", "re");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* Mailboxes that /proc/driver/kmbox lists for @uid, and their charge. */
static int proc_owned(uid_t uid, long long *count, long long *bytes)
{
	unsigned long long id, msgs, qbytes, max_msgs, max_bytes;
	unsigned int u, g, mode, senders, receivers;
	char line[512];
	FILE *f = fopen("/proc/driver/kmbox", "re");

	if (!f)
		return -1;
	*count = *bytes = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %u %u %o %llu %llu %llu %llu %u %u",
			   &id, &u, &g, &mode, &msgs, &qbytes, &max_msgs,
			   &max_bytes, &senders, &receivers) != 10 || u != uid)
			continue;
		(*count)++;
		*bytes += kmbox_test_charge(max_msgs, max_bytes, 0);
	}
	fclose(f);
	return 0;
}

/* CREATE of an anonymous mailbox of @max_bytes bytes: fd or -errno. */
static int create_bytes(__u64 max_bytes)
{
	struct kmbox_attr attr = {
		.max_msgs = 1,
		.max_msg_size = 1,
		.max_bytes = max_bytes,
	};

	return kmbox_test_create(NULL, &attr, KMBOX_CLOEXEC);
}

/*
 * The owner's charges are exactly those of the mailboxes that exist
 * (/proc/driver/kmbox) plus @region bytes of regions: with the limits
 * set just above them and CAP_SYS_RESOURCE dropped, one more mailbox of
 * 8192 bytes fits, 8193 bytes do not, and a second one does not.  A
 * failed CREATE that left a charge behind, or took back one it never
 * made, fails this.
 */
static void check_charges(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self, long long region)
{
	long long count, bytes;
	__u64 eff, perm;
	int fd;

	ASSERT_EQ(0, proc_owned(getuid(), &count, &bytes));
	bytes += region;
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user", count + 1));
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    bytes + kmbox_test_charge(1, 8192, 0)));
	ASSERT_EQ(0, kmbox_test_caps_get(&eff, &perm));
	ASSERT_EQ(0, kmbox_test_caps_set(eff & ~(1ull << CAP_SYS_RESOURCE),
					 perm));
	EXPECT_EQ(-ENOMEM, create_bytes(8193));
	fd = create_bytes(8192);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(-ENOSPC, create_bytes(1));
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, kmbox_test_caps_set(eff, perm));
	ASSERT_EQ(0, kmbox_test_param_write("mailboxes_per_user",
					    self->per_user));
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    self->bytes_per_user));
	ksft_print_msg("%s: charges match %lld mailboxes, %lld bytes\n",
		       self->op, count, bytes);
}

/* A message of priority 31, ahead of any queued, goes through @fd. */
static void round_trip(struct __test_metadata *_metadata, int fd)
{
	struct kmbox_msg m;
	char buf[8];

	ASSERT_EQ(4, kmbox_test_send(fd, "ping", 4, KMBOX_PRIO_MAX,
				     KMBOX_DONTWAIT));
	ASSERT_EQ(4, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				     &m));
	ASSERT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(KMBOX_PRIO_MAX, m.priority);
}

static const char *errno_name(int err)
{
	switch (err) {
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	case ENOSPC:
		return "ENOSPC";
	default:
		return strerror(err);
	}
}

/* What the calls of one operation gave: errnos and how often. */
struct fault_tally {
	int errs[MAX_ERRNOS];
	int counts[MAX_ERRNOS];
	unsigned int failed, absorbed;
};

static void tally_errno(struct fault_tally *t, int err)
{
	int i;

	for (i = 0; i < MAX_ERRNOS - 1 && t->errs[i] && t->errs[i] != err;
	     i++)
		;
	t->errs[i] = err;
	t->counts[i]++;
	t->failed++;
}

/* One call of @op with its @n-th injection point failing: did it fail? */
static bool fault_call(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, const struct fault_op *op,
		       struct fault_tally *t, unsigned int n)
{
	bool fired;
	long ret;

	self->nth = n;
	if (op->prepare)
		op->prepare(_metadata, self);
	ASSERT_EQ(0, fault_arm(self->fail_fd, n));
	ret = op->run(self);
	fired = fault_fired(self->fail_fd);
	if (ret < 0) {
		/* Only an injected fault may make the call fail. */
		ASSERT_TRUE(fired) {
			TH_LOG("%s failed with %s, no fault injected",
			       op->name, errno_name(-ret));
		}
		EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT) {
			TH_LOG("%s: fault %u: %s", op->name, n,
			       errno_name(-ret));
		}
		tally_errno(t, -ret);
	} else if (fired) {
		t->absorbed++;
	}
	op->check(_metadata, self, ret);
	if (fired && self->rw >= 0)
		round_trip(_metadata, self->rw);
	return fired;
}

/*
 * @op with a fault at its 1st, 2nd, ... injection point until it
 * completes without using the fault, checking each outcome.  How many
 * points a call has may change from one call to the next (a slab that
 * needs a new page, KASAN's quarantine), and could shift a fault past a
 * point each time: every point is tried with two calls in a row, and
 * the loop ends when neither of two calls used the fault.
 */
static void fault_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, const struct fault_op *op)
{
	__u64 deadline = kmbox_test_now_ns() + OP_TIME_NS;
	struct fault_tally t = { { 0 } };
	unsigned int n, points = 0;
	char table[128] = "";
	bool first, second, bounded = true;
	int i;

	self->op = op->name;
	for (n = 1; n <= MAX_NTH && kmbox_test_now_ns() < deadline; n++) {
		first = fault_call(_metadata, self, op, &t, n);
		second = fault_call(_metadata, self, op, &t, n);
		if (!first && !second) {
			bounded = false;
			break;
		}
		points = n;
	}
	for (i = 0; i < MAX_ERRNOS && t.errs[i]; i++)
		snprintf(table + strlen(table), sizeof(table) - strlen(table),
			 " %s x%d", errno_name(t.errs[i]), t.counts[i]);
	ksft_print_msg("%s: %u injection points%s: %u calls failed (%s ), %u absorbed a fault\n",
		       op->name, points, bounded ? " (bound reached)" : "",
		       t.failed, t.failed ? table : " none", t.absorbed);
	if (op->silent) {
		EXPECT_EQ(0, points);
	} else {
		/* A loop that never injected anything tested nothing. */
		ASSERT_GT(points, 0);
	}
}

FIXTURE_SETUP(fault)
{
	struct kmbox_attr attr = {
		.max_msgs = MAX_MSGS,
		.max_msg_size = BUF_SIZE,
	};
	char path[64];
	int ret;

	self->fail_fd = self->dev = self->rw = self->tmp = -1;
	self->reg = self->prod = -1;
	self->map = self->fresh = MAP_FAILED;
	self->op = "setup";
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root for debugfs and the limits");
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	self->fail_fd = open(path, O_RDWR | O_CLOEXEC);
	if (self->fail_fd < 0)
		SKIP(_exit(255), "no %s: kernel without CONFIG_FAULT_INJECTION",
		     path);
	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	if (access(DEBUGFS "/failslab", F_OK) ||
	    access(DEBUGFS "/fail_page_alloc", F_OK) ||
	    access(DEBUGFS "/fail_usercopy", F_OK))
		SKIP(_exit(255), "no failslab, fail_page_alloc and fail_usercopy in debugfs");
	ret = fault_attrs_set(self);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot set the fault attributes: %s", strerror(-ret));
	}
	self->per_user = kmbox_test_param_read("mailboxes_per_user");
	self->bytes_per_user = kmbox_test_param_read("bytes_per_user");
	ASSERT_GT(self->per_user, 0);
	ASSERT_GT(self->bytes_per_user, 0);

	self->dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0);
	kmbox_test_name(self->name, sizeof(self->name), "fault");
	self->rw = kmbox_test_create(self->name, &attr,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->rw, 0);
	self->tx = malloc(BUF_SIZE);
	self->rx = malloc(BUF_SIZE);
	ASSERT_TRUE(self->tx != NULL);
	ASSERT_TRUE(self->rx != NULL);
	for (ret = 0; ret < (int)BUF_SIZE; ret++)
		self->tx[ret] = ret * 7 + 1;
	memset(self->rx, 0, BUF_SIZE);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(fault)
{
	if (!_metadata->passed)
		TH_LOG("last call: %s with fault %u", self->op, self->nth);
	if (self->fail_fd >= 0) {
		fault_fired(self->fail_fd);
		close(self->fail_fd);
	}
	fault_restore(self);
	/* A persistent mailbox a failed check left. */
	if (self->create.attr.flags & KMBOX_ATTR_PERSISTENT)
		kmbox_test_unlink(self->cname);
	if (self->per_user > 0)
		kmbox_test_param_write("mailboxes_per_user", self->per_user);
	if (self->bytes_per_user > 0)
		kmbox_test_param_write("bytes_per_user", self->bytes_per_user);
	if (self->fresh != MAP_FAILED)
		munmap(self->fresh, REGION_PAGES * self->page);
	if (self->map != MAP_FAILED)
		munmap(self->map, REGION_PAGES * self->page);
	if (self->prod >= 0)
		close(self->prod);
	if (self->reg >= 0)
		close(self->reg);
	if (self->tmp >= 0)
		close(self->tmp);
	if (self->rw >= 0)
		close(self->rw);
	if (self->dev >= 0)
		close(self->dev);
	free(self->tx);
	free(self->rx);
}

/* ---- /dev/kmbox ------------------------------------------------------ */

static long run_version(FIXTURE_DATA(fault) *self)
{
	struct kmbox_version *v = (void *)self->rx;

	return neg_errno(ioctl(self->dev, KMBOX_IOC_VERSION, v));
}

static void check_version(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_version *v = (void *)self->rx;

	if (ret >= 0) {
		ASSERT_EQ(KMBOX_ABI_VERSION, v->abi_version);
	}
}

TEST_F_TIMEOUT(fault, version, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"VERSION", NULL, run_version, check_version,
	};

	fault_loop(_metadata, self, &op);
}

static long run_create(FIXTURE_DATA(fault) *self)
{
	return neg_errno(ioctl(self->dev, KMBOX_IOC_CREATE, &self->create));
}

static void prepare_create(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self)
{
	self->baseline = proc_lines();
	ASSERT_GT(self->baseline, 0);
}

/*
 * A new mailbox has what was asked for; a failed CREATE left nothing:
 * not its name, not a line in /proc/driver/kmbox.
 */
static void check_create(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self, long ret)
{
	const struct kmbox_attr *a = &self->create.attr;
	__u32 flags = self->create.flags;
	struct kmbox_stat st;
	int fd = ret;

	if (ret >= 0) {
		ASSERT_EQ(0, kmbox_test_stat(fd, &st));
		if (a->max_msgs) {
			EXPECT_EQ(a->max_msgs, st.max_msgs);
		}
		if (a->max_msg_size) {
			EXPECT_EQ(a->max_msg_size, st.max_msg_size);
		}
		if (a->max_bytes) {
			EXPECT_EQ(a->max_bytes, st.max_bytes);
		}
		EXPECT_EQ(a->mode ? a->mode : 0600, st.mode);
		EXPECT_EQ(a->flags, st.attr_flags);
		EXPECT_EQ(a->region_size, st.region_size);
		EXPECT_EQ(!!self->create.name, !!(st.state & KMBOX_STATE_NAMED));
		EXPECT_EQ(self->baseline + 1, proc_lines());
		EXPECT_EQ(!!(flags & KMBOX_CLOEXEC),
			  !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
		EXPECT_EQ(!!(flags & KMBOX_NONBLOCK),
			  !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
		round_trip(_metadata, fd);
		close(fd);
		/* A persistent one stays for its name: remove it. */
		if (a->flags & KMBOX_ATTR_PERSISTENT) {
			EXPECT_EQ(self->baseline + 1, proc_lines());
			EXPECT_EQ(0, kmbox_test_unlink(self->cname));
		}
	}
	EXPECT_EQ(self->baseline, proc_lines());
	if (self->create.name) {
		EXPECT_EQ(-ENOENT, kmbox_test_open(self->cname, 0));
	}
}

/* The CREATE loop for @attr and @flags, named if @named, then charges. */
static void create_loop(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self, const char *what,
			const struct kmbox_attr *attr, __u32 flags,
			bool named)
{
	const struct fault_op op = {
		what, prepare_create, run_create, check_create,
	};

	memset(&self->create, 0, sizeof(self->create));
	if (named) {
		kmbox_test_name(self->cname, sizeof(self->cname), "fault-new");
		self->create.name = (__u64)(unsigned long)self->cname;
		flags |= KMBOX_EXCL;
	}
	self->create.flags = flags;
	if (attr)
		self->create.attr = *attr;
	fault_loop(_metadata, self, &op);
	check_charges(_metadata, self, 0);
}

TEST_F_TIMEOUT(fault, create_anonymous, TEST_TIMEOUT)
{
	create_loop(_metadata, self, "CREATE anonymous", NULL, 0, false);
}

TEST_F_TIMEOUT(fault, create_named, TEST_TIMEOUT)
{
	create_loop(_metadata, self, "CREATE named", NULL, 0, true);
}

TEST_F_TIMEOUT(fault, create_capacity, TEST_TIMEOUT)
{
	const struct kmbox_attr attr = {
		.max_msgs = 7,
		.max_msg_size = 65536,
		.max_bytes = 100000,
	};

	create_loop(_metadata, self, "CREATE capacity", &attr, 0, true);
}

TEST_F_TIMEOUT(fault, create_mode_hangup, TEST_TIMEOUT)
{
	const struct kmbox_attr attr = {
		.mode = 0640,
		.flags = KMBOX_ATTR_HANGUP,
	};

	create_loop(_metadata, self, "CREATE mode+HANGUP", &attr, 0, true);
}

TEST_F_TIMEOUT(fault, create_cloexec_nonblock, TEST_TIMEOUT)
{
	create_loop(_metadata, self, "CREATE CLOEXEC+NONBLOCK", NULL,
		    KMBOX_CLOEXEC | KMBOX_NONBLOCK, false);
}

TEST_F_TIMEOUT(fault, create_region, TEST_TIMEOUT)
{
	const struct kmbox_attr attr = {
		.region_size = REGION_PAGES * self->page,
	};

	create_loop(_metadata, self, "CREATE region", &attr, 0, true);
}

/*
 * A persistent mailbox lives on by its name once registered: whatever
 * fails in its CREATE must fail before that, and leave no name behind.
 */
TEST_F_TIMEOUT(fault, create_persistent, TEST_TIMEOUT)
{
	const struct kmbox_attr attr = {
		.flags = KMBOX_ATTR_PERSISTENT,
	};

	create_loop(_metadata, self, "CREATE persistent", &attr, 0, true);
}

/* CREATE or OPEN of the fixture's name: a second file of the mailbox. */
static void check_open(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_stat st;

	if (ret >= 0) {
		ASSERT_EQ(0, kmbox_test_stat(ret, &st));
		EXPECT_EQ(kmbox_test_id(self->rw), st.id);
		EXPECT_EQ(2, st.senders);
		EXPECT_EQ(2, st.receivers);
		round_trip(_metadata, ret);
		close(ret);
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(self->baseline, proc_lines());
}

TEST_F_TIMEOUT(fault, create_existing, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"CREATE existing", prepare_create, run_create, check_open,
	};

	self->create.name = (__u64)(unsigned long)self->name;
	fault_loop(_metadata, self, &op);
	check_charges(_metadata, self, 0);
}

static long run_open(FIXTURE_DATA(fault) *self)
{
	struct kmbox_open o = {
		.name = (__u64)(unsigned long)self->name,
		.flags = KMBOX_CLOEXEC,
	};

	return neg_errno(ioctl(self->dev, KMBOX_IOC_OPEN, &o));
}

TEST_F_TIMEOUT(fault, open, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"OPEN", prepare_create, run_open, check_open,
	};

	fault_loop(_metadata, self, &op);
}

/* A named mailbox to unlink, in self->tmp, if the last call took it. */
static void prepare_unlink(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self)
{
	if (self->tmp < 0) {
		kmbox_test_name(self->cname, sizeof(self->cname), "fault-ul");
		self->tmp = kmbox_test_create(self->cname, NULL,
					      KMBOX_EXCL | KMBOX_CLOEXEC);
		ASSERT_GE(self->tmp, 0);
	}
}

static long run_unlink(FIXTURE_DATA(fault) *self)
{
	struct kmbox_unlink u = {
		.name = (__u64)(unsigned long)self->cname,
	};

	return neg_errno(ioctl(self->dev, KMBOX_IOC_UNLINK, &u));
}

/* A failed UNLINK left the name; a successful one took it. */
static void check_unlink(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_stat st;
	int fd;

	ASSERT_EQ(0, kmbox_test_stat(self->tmp, &st));
	if (ret < 0) {
		EXPECT_EQ(0, st.state & KMBOX_STATE_UNLINKED);
		fd = kmbox_test_open(self->cname, KMBOX_CLOEXEC);
		EXPECT_GE(fd, 0);
		if (fd >= 0)
			close(fd);
		return;
	}
	EXPECT_EQ(KMBOX_STATE_UNLINKED,
		  st.state & KMBOX_STATE_UNLINKED);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->cname, 0));
	round_trip(_metadata, self->tmp);
	close(self->tmp);
	self->tmp = -1;
}

TEST_F_TIMEOUT(fault, unlink, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"UNLINK", prepare_unlink, run_unlink, check_unlink,
	};

	fault_loop(_metadata, self, &op);
}

/* ---- Sending and receiving -------------------------------------------- */

/* The fixture's mailbox is empty; remember its totals. */
static void prepare_send(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &self->st));
	ASSERT_EQ(0, self->st.msgs);
	self->sent = self->st.sent;
	self->received = self->st.received;
}

static long run_send(FIXTURE_DATA(fault) *self)
{
	return kmbox_test_send(self->rw, self->tx, self->len, 0, 0);
}

static long run_write(FIXTURE_DATA(fault) *self)
{
	return neg_errno(write(self->rw, self->tx, self->len));
}

/* The message of self->len bytes is queued once, whole; or not at all. */
static void check_send(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	if (ret < 0) {
		EXPECT_EQ(0, st.msgs);
		EXPECT_EQ(0, st.bytes);
		EXPECT_EQ(self->sent, st.sent);
		return;
	}
	ASSERT_EQ(self->len, ret);
	EXPECT_EQ(1, st.msgs);
	EXPECT_EQ(self->len, st.bytes);
	EXPECT_EQ(self->sent + 1, st.sent);
	ASSERT_EQ(self->len, kmbox_test_recv(self->rw, self->rx, BUF_SIZE,
					     KMBOX_DONTWAIT, NULL));
	ASSERT_EQ(0, memcmp(self->rx, self->tx, self->len));
}

static void send_loop(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self, const char *what,
		      long (*run)(FIXTURE_DATA(fault) *))
{
	const struct fault_op op = {
		what, prepare_send, run, check_send,
	};

	fault_loop(_metadata, self, &op);
}

/* One message of self->len bytes is queued; remember the totals. */
static void prepare_recv(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &self->st));
	if (!self->st.msgs) {
		ASSERT_EQ(self->len, kmbox_test_send(self->rw, self->tx,
						     self->len, 0, 0));
		ASSERT_EQ(0, kmbox_test_stat(self->rw, &self->st));
	}
	ASSERT_EQ(1, self->st.msgs);
	self->received = self->st.received;
	memset(self->rx, 0, self->len);
}

static long run_recv(FIXTURE_DATA(fault) *self)
{
	struct kmbox_msg *m = &self->msgs[0];

	memset(m, 0, sizeof(*m));
	m->buf = (__u64)(unsigned long)self->rx;
	m->len = self->len;
	return neg_errno(ioctl(self->rw, KMBOX_IOC_RECV, m));
}

static long run_peek(FIXTURE_DATA(fault) *self)
{
	struct kmbox_msg *m = &self->msgs[0];

	memset(m, 0, sizeof(*m));
	m->buf = (__u64)(unsigned long)self->rx;
	m->len = self->len;
	m->flags = KMBOX_PEEK;
	return neg_errno(ioctl(self->rw, KMBOX_IOC_RECV, m));
}

static long run_read(FIXTURE_DATA(fault) *self)
{
	return neg_errno(read(self->rw, self->rx, self->len));
}

/*
 * A failed receive took nothing ("nothing queued is lost"), a successful
 * one took the message whole; a peek never takes it.
 */
static void check_recv(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	bool peek = self->msgs[0].flags & KMBOX_PEEK;
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	if (ret < 0 || peek) {
		EXPECT_EQ(1, st.msgs);
		EXPECT_EQ(self->len, st.bytes);
		EXPECT_EQ(self->received, st.received);
	} else {
		EXPECT_EQ(0, st.msgs);
		EXPECT_EQ(self->received + 1, st.received);
	}
	if (ret >= 0) {
		ASSERT_EQ(self->len, ret);
		ASSERT_EQ(0, memcmp(self->rx, self->tx, self->len));
	}
}

static void recv_loop(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self, const char *what,
		      long (*run)(FIXTURE_DATA(fault) *))
{
	size_t len = self->len;
	const struct fault_op op = {
		what, prepare_recv, run, check_recv,
	};

	memset(self->msgs, 0, sizeof(self->msgs));
	fault_loop(_metadata, self, &op);
	/* The message left is intact. */
	if (run == run_peek) {
		ASSERT_EQ(len, kmbox_test_recv(self->rw, self->rx, BUF_SIZE,
					       KMBOX_DONTWAIT, NULL));
		ASSERT_EQ(0, memcmp(self->rx, self->tx, len));
	}
	ASSERT_EQ(0, kmbox_test_queued(self->rw));
}

/*
 * Each way of sending and receiving, for each size class of message: no
 * data, a small one, a page, 64 KiB (beyond kmalloc's caches: kvmalloc()
 * may fall back to vmalloc) and the largest, 1 MiB.
 */
FIXTURE(size) {
	FIXTURE_DATA(fault) f;
	char what[32];
};

FIXTURE_VARIANT(size) {
	const char *name;
	size_t len;
};

FIXTURE_VARIANT_ADD(size, b0) { "0 B", 0 };
FIXTURE_VARIANT_ADD(size, b64) { "64 B", 64 };
FIXTURE_VARIANT_ADD(size, k4) { "4 KiB", 4096 };
FIXTURE_VARIANT_ADD(size, k64) { "64 KiB", 65536 };
FIXTURE_VARIANT_ADD(size, m1) { "1 MiB", BUF_SIZE };

FIXTURE_SETUP(size)
{
	fault_setup(_metadata, &self->f, NULL);
	self->f.len = variant->len;
}

FIXTURE_TEARDOWN(size)
{
	fault_teardown(_metadata, &self->f, NULL);
}

/* "@verb <size>", for the log. */
static const char *size_what(FIXTURE_DATA(size) *self,
			     const FIXTURE_VARIANT(size) *variant,
			     const char *verb)
{
	snprintf(self->what, sizeof(self->what), "%s %s", verb,
		 variant->name);
	return self->what;
}

TEST_F_TIMEOUT(size, send, TEST_TIMEOUT)
{
	send_loop(_metadata, &self->f, size_what(self, variant, "SEND"),
		  run_send);
}

TEST_F_TIMEOUT(size, write, TEST_TIMEOUT)
{
	send_loop(_metadata, &self->f, size_what(self, variant, "write"),
		  run_write);
}

TEST_F_TIMEOUT(size, recv, TEST_TIMEOUT)
{
	recv_loop(_metadata, &self->f, size_what(self, variant, "RECV"),
		  run_recv);
}

TEST_F_TIMEOUT(size, read, TEST_TIMEOUT)
{
	recv_loop(_metadata, &self->f, size_what(self, variant, "read"),
		  run_read);
}

TEST_F_TIMEOUT(size, peek, TEST_TIMEOUT)
{
	recv_loop(_metadata, &self->f, size_what(self, variant, "PEEK"),
		  run_peek);
}

/* Batch element @i: BATCH_LEN bytes starting with the byte @i. */
static void batch_msg(FIXTURE_DATA(fault) *self, int i, char *buf)
{
	struct kmbox_msg *m = &self->msgs[i];

	memset(m, 0, sizeof(*m));
	memset(buf, 'a' + i, BATCH_LEN);
	m->buf = (__u64)(unsigned long)buf;
	m->len = BATCH_LEN;
}

static long run_sendv(FIXTURE_DATA(fault) *self)
{
	struct kmbox_msgv mv = {
		.msgs = (__u64)(unsigned long)self->msgs,
		.count = BATCH,
	};

	return neg_errno(ioctl(self->rw, KMBOX_IOC_SENDV, &mv));
}

/*
 * A batch that failed queued nothing; one that returned k queued the
 * first k elements, in order, and none of the others.
 */
static void check_sendv(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self, long ret)
{
	long sent = ret < 0 ? 0 : ret, i;
	struct kmbox_stat st;
	char buf[BATCH_LEN];

	ASSERT_LE(sent, BATCH);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(sent, st.msgs);
	EXPECT_EQ(self->sent + sent, st.sent);
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(BATCH_LEN, kmbox_test_recv(self->rw, buf, sizeof(buf),
						     KMBOX_DONTWAIT, NULL));
		ASSERT_EQ('a' + i, buf[0]);
		ASSERT_EQ('a' + i, buf[BATCH_LEN - 1]);
	}
	if (ret >= 0 && ret < BATCH)
		ksft_print_msg("SENDV: fault %u: %ld of %d sent\n",
			       self->nth, ret, BATCH);
}

TEST_F_TIMEOUT(fault, sendv, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"SENDV 4 x 64 B", prepare_send, run_sendv, check_sendv,
	};
	int i;

	for (i = 0; i < BATCH; i++)
		batch_msg(self, i, self->tx + i * BATCH_LEN);
	fault_loop(_metadata, self, &op);
}

/* The queue holds the batch, whole: elements 0 to BATCH - 1. */
static void prepare_recvv(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self)
{
	char buf[BATCH_LEN];
	int i;

	while (kmbox_test_recv(self->rw, buf, sizeof(buf), KMBOX_DONTWAIT,
			       NULL) >= 0)
		;
	for (i = 0; i < BATCH; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		ASSERT_EQ(BATCH_LEN, kmbox_test_send(self->rw, buf, BATCH_LEN,
						     0, KMBOX_DONTWAIT));
	}
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &self->st));
	self->received = self->st.received;
	for (i = 0; i < BATCH; i++)
		batch_msg(self, i, self->rx + i * BATCH_LEN);
	memset(self->rx, 0, BATCH * BATCH_LEN);
}

static long run_recvv(FIXTURE_DATA(fault) *self)
{
	struct kmbox_msgv mv = {
		.msgs = (__u64)(unsigned long)self->msgs,
		.count = BATCH,
	};

	return neg_errno(ioctl(self->rw, KMBOX_IOC_RECVV, &mv));
}

/*
 * A batch that failed took nothing; one that returned k took the first
 * k messages into the first k elements, and the rest wait in order.
 */
static void check_recvv(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self, long ret)
{
	long got = ret < 0 ? 0 : ret, i;
	struct kmbox_stat st;
	char buf[BATCH_LEN];

	ASSERT_LE(got, BATCH);
	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(BATCH - got, st.msgs);
	EXPECT_EQ(self->received + got, st.received);
	for (i = 0; i < got; i++) {
		EXPECT_EQ(BATCH_LEN, self->msgs[i].msg_len);
		EXPECT_EQ('a' + i, self->rx[i * BATCH_LEN]);
	}
	if (got < BATCH) {
		ASSERT_EQ(BATCH_LEN, kmbox_test_recv(self->rw, buf, sizeof(buf),
						     KMBOX_PEEK | KMBOX_DONTWAIT,
						     NULL));
		EXPECT_EQ('a' + got, buf[0]);
	}
	if (ret >= 0 && ret < BATCH)
		ksft_print_msg("RECVV: fault %u: %ld of %d received\n",
			       self->nth, ret, BATCH);
}

TEST_F_TIMEOUT(fault, recvv, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"RECVV 4 x 64 B", prepare_recvv, run_recvv, check_recvv,
	};

	fault_loop(_metadata, self, &op);
}

/* ---- Attributes, STAT, SHUTDOWN --------------------------------------- */

static long run_get_attr(FIXTURE_DATA(fault) *self)
{
	struct kmbox_attr *a = (void *)self->rx;

	return neg_errno(ioctl(self->rw, KMBOX_IOC_GET_ATTR, a));
}

static void check_get_attr(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_attr *a = (void *)self->rx;

	if (ret >= 0) {
		EXPECT_EQ(MAX_MSGS, a->max_msgs);
		EXPECT_EQ(BUF_SIZE, a->max_msg_size);
	}
}

TEST_F_TIMEOUT(fault, get_attr, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"GET_ATTR", NULL, run_get_attr, check_get_attr,
	};

	fault_loop(_metadata, self, &op);
}

static long run_set_attr(FIXTURE_DATA(fault) *self)
{
	struct kmbox_attr a = { .max_msgs = MAX_MSGS + 1, .mode = 0640 };

	return neg_errno(ioctl(self->rw, KMBOX_IOC_SET_ATTR, &a));
}

/* A failed SET_ATTR changed nothing; a successful one is undone. */
static void check_set_attr(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_attr a = { .max_msgs = MAX_MSGS, .mode = 0600 };
	struct kmbox_stat st;

	ASSERT_EQ(0, kmbox_test_stat(self->rw, &st));
	EXPECT_EQ(ret < 0 ? MAX_MSGS : MAX_MSGS + 1, st.max_msgs);
	EXPECT_EQ(ret < 0 ? 0600 : 0640, st.mode);
	EXPECT_EQ(BUF_SIZE, st.max_msg_size);
	ASSERT_EQ(0, kmbox_test_ioctl(self->rw, KMBOX_IOC_SET_ATTR, &a));
}

TEST_F_TIMEOUT(fault, set_attr, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"SET_ATTR", NULL, run_set_attr, check_set_attr,
	};

	fault_loop(_metadata, self, &op);
	check_charges(_metadata, self, 0);
}

static long run_stat(FIXTURE_DATA(fault) *self)
{
	struct kmbox_stat *st = (void *)self->rx;

	return neg_errno(ioctl(self->rw, KMBOX_IOC_STAT, st));
}

static void check_stat(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_stat *st = (void *)self->rx;

	if (ret >= 0) {
		EXPECT_EQ(MAX_MSGS, st->max_msgs);
		EXPECT_STREQ(self->name, st->name);
	}
}

TEST_F_TIMEOUT(fault, stat, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"STAT", NULL, run_stat, check_stat,
	};

	fault_loop(_metadata, self, &op);
}

static long run_shutdown(FIXTURE_DATA(fault) *self)
{
	return neg_errno(ioctl(self->tmp, KMBOX_IOC_SHUTDOWN));
}

static void check_shutdown(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self, long ret)
{
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EPIPE, kmbox_test_send(self->tmp, "x", 1, 0,
					  KMBOX_NOSIGNAL));
}

/* SHUTDOWN neither allocates nor copies: it has nothing to fail. */
TEST_F_TIMEOUT(fault, shutdown, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"SHUTDOWN", NULL, run_shutdown, check_shutdown, true,
	};

	self->tmp = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	ASSERT_GE(self->tmp, 0);
	fault_loop(_metadata, self, &op);
}

/* ---- fdinfo and /proc/driver/kmbox ------------------------------------ */

static void prepare_fdinfo(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault) *self)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->rw);
	self->tmp = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->tmp, 0);
	memset(self->rx, 0, 8192);
}

static void prepare_proc(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	self->tmp = open("/proc/driver/kmbox", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->tmp, 0);
	memset(self->rx, 0, 8192);
}

static long run_read_tmp(FIXTURE_DATA(fault) *self)
{
	return neg_errno(pread(self->tmp, self->rx, 8191, 0));
}

/* A read that succeeds shows the kmbox lines: none may be missing. */
static void check_fdinfo(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self, long ret)
{
	close(self->tmp);
	self->tmp = -1;
	if (ret < 0)
		return;
	EXPECT_TRUE(strstr(self->rx, "\nkmbox-id:\t") != NULL) {
		TH_LOG("fault %u: fdinfo without the kmbox lines:\n%s",
		       self->nth, self->rx);
	}
	EXPECT_TRUE(strstr(self->rx, "\nring:\t-\n") != NULL);
}

static void check_proc(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	close(self->tmp);
	self->tmp = -1;
	if (ret < 0)
		return;
	EXPECT_TRUE(strstr(self->rx, " name\n") != NULL);
	EXPECT_TRUE(strstr(self->rx, self->name) != NULL);
}

TEST_F_TIMEOUT(fault, fdinfo, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"fdinfo read", prepare_fdinfo, run_read_tmp, check_fdinfo,
	};

	fault_loop(_metadata, self, &op);
}

TEST_F_TIMEOUT(fault, proc_driver_kmbox, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"/proc/driver/kmbox read", prepare_proc, run_read_tmp,
		check_proc,
	};

	fault_loop(_metadata, self, &op);
}

/* ---- The region and the ring ------------------------------------------ */

static size_t region_size(FIXTURE_DATA(fault) *self)
{
	return REGION_PAGES * self->page;
}

/* A mailbox with a region mapped at self->map, its first page written. */
static void region_setup(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	kmbox_test_name(self->rname, sizeof(self->rname), "fault-region");
	self->reg = kmbox_test_create_region(self->rname, region_size(self),
					     KMBOX_EXCL | KMBOX_CLOEXEC);
	ASSERT_GE(self->reg, 0);
	self->map = mmap(NULL, region_size(self), PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->reg, 0);
	ASSERT_TRUE(self->map != MAP_FAILED);
	memcpy(self->map, self->tx, self->page);
}

static __u64 mappings(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self)
{
	struct kmbox_stat st;

	EXPECT_EQ(0, kmbox_test_stat(self->reg, &st));
	return st.mappings;
}

static long run_mmap(FIXTURE_DATA(fault) *self)
{
	self->fresh = mmap(NULL, region_size(self), PROT_READ | PROT_WRITE,
			   MAP_SHARED, self->reg, 0);
	return self->fresh == MAP_FAILED ? -errno : 0;
}

/* A failed mmap() left no mapping counted; a new one sees the region. */
static void check_mmap(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	if (ret < 0) {
		EXPECT_EQ(1, mappings(_metadata, self));
		return;
	}
	EXPECT_EQ(2, mappings(_metadata, self));
	EXPECT_EQ(0, memcmp(self->fresh, self->tx, self->page));
	ASSERT_EQ(0, munmap(self->fresh, region_size(self)));
	self->fresh = MAP_FAILED;
	EXPECT_EQ(1, mappings(_metadata, self));
}

TEST_F_TIMEOUT(fault, mmap_region, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"mmap region", NULL, run_mmap, check_mmap,
	};

	region_setup(_metadata, self);
	fault_loop(_metadata, self, &op);
	check_charges(_metadata, self, region_size(self));
}

/* A mapping of the region that nothing has touched yet. */
static void prepare_touch(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, run_mmap(self));
	ASSERT_EQ(0, kmbox_test_queued(self->reg));
}

/* The kernel makes the first touch: SEND from the fresh mapping. */
static long run_touch(FIXTURE_DATA(fault) *self)
{
	return kmbox_test_send(self->reg, self->fresh, self->page, 0, 0);
}

/* The page went whole into the message, or nothing was queued. */
static void check_touch(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault) *self, long ret)
{
	if (ret < 0) {
		EXPECT_EQ(0, kmbox_test_queued(self->reg));
	} else {
		ASSERT_EQ(self->page, kmbox_test_recv(self->reg, self->rx,
						      BUF_SIZE, KMBOX_DONTWAIT,
						      NULL));
		EXPECT_EQ(0, memcmp(self->rx, self->tx, self->page));
	}
	EXPECT_EQ(0, memcmp(self->fresh, self->tx, self->page));
	ASSERT_EQ(0, munmap(self->fresh, region_size(self)));
	self->fresh = MAP_FAILED;
	round_trip(_metadata, self->reg);
}

TEST_F_TIMEOUT(fault, region_first_touch, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"region first touch", prepare_touch, run_touch, check_touch,
	};

	region_setup(_metadata, self);
	fault_loop(_metadata, self, &op);
	EXPECT_EQ(1, mappings(_metadata, self));
}

/* A new file of the region mailbox, both roles, in self->tmp. */
static void prepare_join(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	self->tmp = kmbox_test_open(self->rname, KMBOX_CLOEXEC);
	ASSERT_GE(self->tmp, 0);
}

static long run_join(FIXTURE_DATA(fault) *self)
{
	return kmbox_test_ring_join(self->tmp, KMBOX_RING_PRODUCER);
}

/* A failed JOIN left the file and the ring unjoined. */
static void check_join(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	struct kmbox_stat st;
	char side[16];

	ASSERT_EQ(0, kmbox_test_stat(self->reg, &st));
	EXPECT_EQ(ret < 0 ? 0 : 1, st.ring_producers);
	ASSERT_EQ(0, kmbox_test_fdinfo(self->tmp, "ring", side,
				       sizeof(side)));
	EXPECT_STREQ(ret < 0 ? "-" : "producer", side);
	if (ret < 0) {
		EXPECT_EQ(0, kmbox_test_ring_join(self->tmp, KMBOX_RING_PRODUCER));
	}
	close(self->tmp);
	self->tmp = -1;
	ASSERT_EQ(0, kmbox_test_stat(self->reg, &st));
	EXPECT_EQ(0, st.ring_producers);
}

TEST_F_TIMEOUT(fault, ring_join, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"RING_JOIN", prepare_join, run_join, check_join,
	};

	region_setup(_metadata, self);
	fault_loop(_metadata, self, &op);
}

/* The producer rings the consumer (self->reg) before each WAIT. */
static void prepare_wait(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, kmbox_test_ioctl(self->prod, KMBOX_IOC_RING_WAKE, NULL));
	ASSERT_EQ(POLLPRI, kmbox_test_revents(self->reg, POLLPRI));
}

static int ring_wait(int fd, const __u32 *word)
{
	struct kmbox_ring_wait w = {
		.uaddr = (__u64)(unsigned long)word,
		.value = *word,
		.flags = KMBOX_DONTWAIT,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_RING_WAIT, &w);
}

static long run_wait(FIXTURE_DATA(fault) *self)
{
	return ring_wait(self->reg, (const __u32 *)self->map);
}

/*
 * The word is unchanged, so only the ring lets WAIT return 0; a WAIT
 * that failed must not have used the ring up: the next one still sees it.
 */
static void check_wait(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	if (ret < 0) {
		EXPECT_EQ(POLLPRI, kmbox_test_revents(self->reg, POLLPRI));
		EXPECT_EQ(0, run_wait(self));
	}
	EXPECT_EQ(0, kmbox_test_revents(self->reg, POLLPRI));
	EXPECT_EQ(-EAGAIN, run_wait(self));
}

TEST_F_TIMEOUT(fault, ring_wait, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"RING_WAIT", prepare_wait, run_wait, check_wait,
	};

	region_setup(_metadata, self);
	self->prod = kmbox_test_open(self->rname, KMBOX_CLOEXEC);
	ASSERT_GE(self->prod, 0);
	ASSERT_EQ(0, kmbox_test_ring_join(self->reg, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_ring_join(self->prod, KMBOX_RING_PRODUCER));
	fault_loop(_metadata, self, &op);
}

static long run_wake(FIXTURE_DATA(fault) *self)
{
	return kmbox_test_ioctl(self->prod, KMBOX_IOC_RING_WAKE, NULL);
}

static void check_wake(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, long ret)
{
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, run_wait(self));
}

/* RING_WAKE neither allocates nor copies: it has nothing to fail. */
TEST_F_TIMEOUT(fault, ring_wake, TEST_TIMEOUT)
{
	const struct fault_op op = {
		"RING_WAKE", NULL, run_wake, check_wake, true,
	};

	region_setup(_metadata, self);
	self->prod = kmbox_test_open(self->rname, KMBOX_CLOEXEC);
	ASSERT_GE(self->prod, 0);
	ASSERT_EQ(0, kmbox_test_ring_join(self->reg, KMBOX_RING_CONSUMER));
	ASSERT_EQ(0, kmbox_test_ring_join(self->prod, KMBOX_RING_PRODUCER));
	fault_loop(_metadata, self, &op);
}

TEST_HARNESS_MAIN
