// SPDX-License-Identifier: GPL-2.0
/*
 * Shared regions: attr.region_size bytes of shmem, fixed at creation,
 * that every descriptor of the mailbox can mmap().  The size rules
 * (0 or a multiple of the page size up to region_size_max, charged with
 * max_bytes to bytes_per_user), SET_ATTR, STAT's region_size and
 * mappings, the mapping rules of mmap(), mprotect() and mremap(), the
 * lifetime a mapping gives the mailbox, shared futexes, and the charge
 * to the creator's memory cgroup.
 */
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/futex.h>
#include <linux/magic.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"
#include "kmbox_cgroup.h"

#define MIB		(1024ull * 1024)
#define USER		65532	/* an unprivileged user of no other test */
#define USER_GROUP	65532
#define PROC_LIST	"/proc/driver/kmbox"

FIXTURE(region) {
	long page;
	char name[64];
	long long max;			/* region_size_max at setup */
	long long bytes_per_user;	/* at setup */
	int fd;				/* closed by the teardown if >= 0 */
	struct kmbox_test_kids kids;
	char cg[PATH_MAX];		/* a cgroup the test made, or "" */
	char cg_mnt[PATH_MAX];		/* a cgroup2 mount it made, or "" */
};

FIXTURE_SETUP(region)
{
	self->page = sysconf(_SC_PAGESIZE);
	ASSERT_GT(self->page, 0);
	self->fd = -1;
	kmbox_test_name(self->name, sizeof(self->name), "region");
	self->max = kmbox_test_param_read("region_size_max");
	ASSERT_GT(self->max, 0) {
		TH_LOG("cannot read %sregion_size_max", KMBOX_PARAM_DIR);
	}
	self->bytes_per_user = kmbox_test_param_read("bytes_per_user");
	ASSERT_GT(self->bytes_per_user, 0);
}

FIXTURE_TEARDOWN(region)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->fd >= 0)
		close(self->fd);
	kmbox_test_unlink(self->name);
	if (kmbox_test_param_read("region_size_max") != self->max)
		kmbox_test_param_write("region_size_max", self->max);
	if (kmbox_test_param_read("bytes_per_user") != self->bytes_per_user)
		kmbox_test_param_write("bytes_per_user", self->bytes_per_user);
	if (self->cg[0])
		rmdir(self->cg);
	if (self->cg_mnt[0]) {
		umount(self->cg_mnt);
		rmdir(self->cg_mnt);
	}
}

/* The fixture's named mailbox with a region of @size: fd or -errno. */
static int make(FIXTURE_DATA(region) *self, __u64 size, __u32 flags)
{
	return kmbox_test_create_region(self->name, size,
					flags | KMBOX_EXCL | KMBOX_CLOEXEC);
}

/* Another descriptor of it, with roles @flags: fd or -errno. */
static int another(FIXTURE_DATA(region) *self, __u32 flags)
{
	return kmbox_test_open(self->name, flags | KMBOX_CLOEXEC);
}

/* An anonymous mailbox with a region of @size: fd or -errno. */
static int anon(__u64 size)
{
	return kmbox_test_create_region(NULL, size, KMBOX_CLOEXEC);
}

/* CREATE an anonymous mailbox with a region of @size and close it. */
static int try_size(__u64 size)
{
	int fd = anon(size);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* mmap() of @fd: the address, or NULL with errno set. */
static void *map(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* A MAP_SHARED read-write mapping of @len bytes at @off, or NULL. */
static void *map_rw(int fd, size_t len, off_t off)
{
	return map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, off);
}

/* An mmap() expected to fail: -errno, or 0 (and unmapped) if it worked. */
static int map_err(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

/* STAT's mappings of the mailbox of @fd, or -1. */
static long long mappings(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return st.mappings;
}

/* How many VMAs of this process lie in [@addr, @addr + @len), or -1. */
static int count_vmas(const void *addr, size_t len)
{
	unsigned long start, end, lo = (unsigned long)addr, hi = lo + len;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start >= lo && end <= hi)
			n++;
	}
	fclose(f);
	return n;
}

/* Byte @i of pattern @seed. */
static unsigned char pat_byte(size_t i, unsigned int seed)
{
	return (unsigned char)(seed * 37 + i * 13 + (i >> 12) + 1);
}

static void pat_fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = pat_byte(i, seed);
}

static int pat_check(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (c[i] != pat_byte(i, seed))
			return 0;
	}
	return 1;
}

static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (c[i])
			return 0;
	}
	return 1;
}

/* Is mailbox @id in /proc/driver/kmbox?  1, 0, or -1. */
static int listed(__u64 id)
{
	unsigned long long v;
	char line[1024];
	FILE *f = fopen(PROC_LIST, "re");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu", &v) == 1 && v == id)
			found = 1;
	}
	fclose(f);
	return found;
}

/* In a child: drop root for USER, with no capability left. */
static void become_user(void)
{
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(USER_GROUP, USER_GROUP, USER_GROUP) == 0);
	CHILD_CHECK(setresuid(USER, USER, USER) == 0);
}

/* Runs @fn(@page) in a child as USER: its exit status, 0 if it passed. */
static int as_user(void (*fn)(long), long page)
{
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		become_user();
		fn(page);
		_exit(0);
	}
	return kmbox_test_reap(pid);
}

/*
 * A mailbox of one message slot, charging (kmbox_test_charge()) @max_bytes
 * and a region of @region beyond OVERHEAD: fd or -errno.
 */
#define OVERHEAD	kmbox_test_charge(1, 0, 0)
static int charged(__u64 max_bytes, __u64 region)
{
	struct kmbox_attr a = {
		.max_msgs = 1, .max_msg_size = 1, .max_bytes = max_bytes,
		.region_size = region,
	};

	return kmbox_test_create(NULL, &a, KMBOX_CLOEXEC);
}

/* --- region_size at creation ----------------------------------------- */

/* 0, the default, is no region: nothing to report, nothing to map. */
TEST_F(region, size_zero_is_no_region)
{
	struct kmbox_attr a;
	struct kmbox_stat st;

	self->fd = make(self, 0, 0);
	ASSERT_GE(self->fd, 0);
	memset(&a, 0xAA, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0, a.region_size);
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	EXPECT_EQ(0, st.region_size);
	EXPECT_EQ(0, st.mappings);
}

/* Multiples of the page size are taken and reported as they are. */
TEST_F(region, size_page_multiples)
{
	const __u64 pages[] = { 1, 2, 3, 16 };
	struct kmbox_attr a;
	struct kmbox_stat st;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		__u64 size = pages[i] * self->page;

		fd = anon(size);
		ASSERT_GE(fd, 0) {
			TH_LOG("region_size %llu", (unsigned long long)size);
		}
		memset(&a, 0xAA, sizeof(a));
		ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
		EXPECT_EQ(size, a.region_size);
		EXPECT_EQ(0, a.reserved[0] | a.reserved[1] | a.reserved[2]);
		ASSERT_EQ(0, kmbox_test_stat(fd, &st));
		EXPECT_EQ(size, st.region_size);
		EXPECT_EQ(0, st.mappings);
		close(fd);
	}
}

/* Anything not a multiple of the page size is EINVAL, and makes nothing. */
TEST_F(region, size_not_page_multiple_einval)
{
	const __u64 p = self->page;
	const __u64 bad[] = { 1, 8, p / 2, p - 1, p + 1, p + p / 2,
			      2 * p - 8, 3 * p + 1, UINT64_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, make(self, bad[i], 0)) {
			TH_LOG("region_size %llu", (unsigned long long)bad[i]);
		}
	}
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* Above region_size_max: EINVAL, however large. */
TEST_F(region, size_above_max_einval)
{
	const __u64 p = self->page;
	const __u64 top = (__u64)self->max / p * p;
	const __u64 bad[] = { top + p, top + 2 * p, 2 * top + p,
			      1ull << 40, 1ull << 63, UINT64_MAX / p * p };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, make(self, bad[i], 0)) {
			TH_LOG("region_size %llu above %lld",
			       (unsigned long long)bad[i], self->max);
		}
	}
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* The ceiling's default value. */
TEST_F(region, region_size_max_default)
{
	EXPECT_EQ(64 * MIB, self->max);
}

/* A ceiling changed at run time applies to mailboxes made afterwards. */
TEST_F(region, region_size_max_changed_at_run_time)
{
	const __u64 p = self->page;
	struct kmbox_attr a;
	char *m;
	int old;

	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	old = anon(4 * p);
	ASSERT_GE(old, 0);

	ASSERT_EQ(0, kmbox_test_param_write("region_size_max", 2 * p));
	EXPECT_EQ(-EINVAL, try_size(3 * p));
	EXPECT_EQ(-EINVAL, try_size(4 * p));
	EXPECT_EQ(0, try_size(2 * p));
	EXPECT_EQ(0, try_size(p));

	ASSERT_EQ(0, kmbox_test_param_write("region_size_max", 0));
	EXPECT_EQ(-EINVAL, try_size(p));
	EXPECT_EQ(0, try_size(0));

	/* The mailbox made before keeps its region, whole. */
	memset(&a, 0, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(old, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(4 * p, a.region_size);
	m = map_rw(old, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	m[4 * p - 1] = 1;
	munmap(m, 4 * p);

	ASSERT_EQ(0, kmbox_test_param_write("region_size_max", 4 * p));
	EXPECT_EQ(0, try_size(4 * p));
	EXPECT_EQ(-EINVAL, try_size(5 * p));
	close(old);
}

/* --- The charge to bytes_per_user ------------------------------------- */

static void charge_counts_region(long page)
{
	int fd;

	/* max_bytes 1 and four pages: exactly the budget. */
	fd = charged(1, 4 * page);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(charged(1, 0) == -ENOMEM);
	close(fd);
	/* One byte more than the budget, through max_bytes or the region. */
	CHILD_CHECK(charged(2, 4 * page) == -ENOMEM);
	CHILD_CHECK(charged(1, 5 * page) == -ENOMEM);
	fd = charged(1, 4 * page);
	CHILD_CHECK(fd >= 0);
	close(fd);
}

/* region_size counts with max_bytes towards bytes_per_user. */
TEST_F(region, charge_counts_region)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    OVERHEAD + 4 * self->page + 1));
	EXPECT_EQ(0, as_user(charge_counts_region, self->page));
}

static void charge_returned_at_close(long page)
{
	int fd, i;

	/* Were the charge kept, the second round would fail. */
	for (i = 0; i < 3; i++) {
		fd = charged(1, 4 * page);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(charged(1, page) == -ENOMEM);
		close(fd);
	}
}

/* The charge goes when the mailbox dies with its last descriptor. */
TEST_F(region, charge_returned_at_close)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    OVERHEAD + 4 * self->page + 1));
	EXPECT_EQ(0, as_user(charge_returned_at_close, self->page));
}

static void charge_held_by_mapping(long page)
{
	void *p;
	int fd;

	fd = charged(1, 4 * page);
	CHILD_CHECK(fd >= 0);
	p = map_rw(fd, page, 0);
	CHILD_CHECK(p != NULL);
	close(fd);
	/* The mapping keeps the mailbox, and so its charge. */
	CHILD_CHECK(charged(1, 0) == -ENOMEM);
	CHILD_CHECK(munmap(p, page) == 0);
	/* Gone with the last mapping. */
	fd = charged(1, 4 * page);
	CHILD_CHECK(fd >= 0);
	close(fd);
}

/* A mailbox that only a mapping keeps is still charged; then it is not. */
TEST_F(region, charge_held_by_mapping)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    OVERHEAD + 4 * self->page + 1));
	EXPECT_EQ(0, as_user(charge_held_by_mapping, self->page));
}

static void charge_set_attr_counts_region(long page)
{
	struct kmbox_attr a = { .max_bytes = 10 };
	int fd;

	fd = charged(1, 4 * page);
	CHILD_CHECK(fd >= 0);
	/* Up to the budget with the region counted, not one byte more. */
	a.max_bytes = 11;
	CHILD_CHECK(kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a) == -ENOMEM);
	a.max_bytes = 10;
	CHILD_CHECK(kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a) == 0);
	CHILD_CHECK(charged(1, 0) == -ENOMEM);
	close(fd);
	fd = charged(10, 4 * page);
	CHILD_CHECK(fd >= 0);
	close(fd);
}

/* SET_ATTR growing max_bytes is charged on top of the region. */
TEST_F(region, charge_set_attr_counts_region)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    OVERHEAD + 4 * self->page + 10));
	EXPECT_EQ(0, as_user(charge_set_attr_counts_region, self->page));
}

/* --- KMBOX_IOC_SET_ATTR ----------------------------------------------- */

static int set_region(int fd, __u64 size, __u32 mode)
{
	struct kmbox_attr a = { .region_size = size, .mode = mode };

	return kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a);
}

/* region_size is fixed: SET_ATTR takes 0 or the current size only. */
TEST_F(region, set_attr_region_size)
{
	const __u64 p = self->page;
	const __u64 bad[] = { p, 3 * p, 4 * p, 1, 2 * p + 1, 1ull << 63 };
	struct kmbox_attr a;
	unsigned int i;
	int none;

	self->fd = make(self, 2 * p, 0);
	ASSERT_GE(self->fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_region(self->fd, bad[i], 0640)) {
			TH_LOG("region_size %llu", (unsigned long long)bad[i]);
		}
	}
	/* Nothing of a refused call was applied. */
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(2 * p, a.region_size);
	EXPECT_EQ(0600, a.mode);

	EXPECT_EQ(0, set_region(self->fd, 0, 0640));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(2 * p, a.region_size);
	EXPECT_EQ(0640, a.mode);
	EXPECT_EQ(0, set_region(self->fd, 2 * p, 0604));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(2 * p, a.region_size);
	EXPECT_EQ(0604, a.mode);

	/* Without a region, the current size is 0. */
	none = anon(0);
	ASSERT_GE(none, 0);
	EXPECT_EQ(-EINVAL, set_region(none, p, 0));
	EXPECT_EQ(0, set_region(none, 0, 0640));
	ASSERT_EQ(0, kmbox_test_ioctl(none, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0, a.region_size);
	close(none);
}

/* --- STAT mappings ---------------------------------------------------- */

/* Each mmap() is one mapping, whatever descriptor made it. */
TEST_F(region, mappings_mmap_munmap)
{
	const size_t p = self->page;
	char *a, *b, *c;
	int fd2;

	self->fd = make(self, 2 * p, 0);
	ASSERT_GE(self->fd, 0);
	fd2 = another(self, KMBOX_RECV);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(0, mappings(self->fd));

	a = map_rw(self->fd, 2 * p, 0);
	ASSERT_TRUE(a != NULL);
	EXPECT_EQ(1, mappings(self->fd));
	EXPECT_EQ(1, mappings(fd2));
	b = map(self->fd, p, PROT_READ, MAP_SHARED, p);
	ASSERT_TRUE(b != NULL);
	EXPECT_EQ(2, mappings(self->fd));
	c = map(fd2, 2 * p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(3, mappings(self->fd));

	ASSERT_EQ(0, munmap(b, p));
	EXPECT_EQ(2, mappings(self->fd));
	ASSERT_EQ(0, munmap(a, 2 * p));
	EXPECT_EQ(1, mappings(fd2));
	ASSERT_EQ(0, munmap(c, 2 * p));
	EXPECT_EQ(0, mappings(self->fd));
	close(fd2);
}

/* A forked child's copy is a mapping until it goes by munmap or exit. */
TEST_F(region, mappings_fork_and_exit)
{
	const size_t p = self->page;
	int goa[2], gob[2], done[2];
	pid_t a, b;
	char *m, c;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, p, 0);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, pipe(goa));
	ASSERT_EQ(0, pipe(gob));
	ASSERT_EQ(0, pipe(done));

	/* a: unmaps its copy when told, reports, exits at end of file. */
	a = kmbox_test_spawn(&self->kids);
	ASSERT_GE(a, 0);
	if (a == 0) {
		close(goa[1]);
		close(gob[1]);
		CHILD_CHECK(read(goa[0], &c, 1) == 1);
		CHILD_CHECK(munmap(m, p) == 0);
		CHILD_CHECK(write(done[1], "u", 1) == 1);
		CHILD_CHECK(read(goa[0], &c, 1) == 0);
		_exit(0);
	}
	EXPECT_EQ(2, mappings(self->fd));

	/* b: keeps its copy and exits at end of file. */
	b = kmbox_test_spawn(&self->kids);
	ASSERT_GE(b, 0);
	if (b == 0) {
		close(goa[1]);
		close(gob[1]);
		CHILD_CHECK(read(gob[0], &c, 1) == 0);
		_exit(0);
	}
	EXPECT_EQ(3, mappings(self->fd));

	ASSERT_EQ(1, write(goa[1], "m", 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	EXPECT_EQ(2, mappings(self->fd));
	close(gob[1]);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, b, NULL));
	EXPECT_EQ(1, mappings(self->fd));
	close(goa[1]);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, a, NULL));
	EXPECT_EQ(1, mappings(self->fd));
	ASSERT_EQ(0, munmap(m, p));
	EXPECT_EQ(0, mappings(self->fd));
	close(goa[0]);
	close(gob[0]);
	close(done[0]);
	close(done[1]);
}

/* A partial munmap() that splits a mapping makes two of it. */
TEST_F(region, mappings_partial_munmap)
{
	const size_t p = self->page;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, 4 * p, 1);
	EXPECT_EQ(1, mappings(self->fd));

	/* A hole in the middle: two mappings. */
	ASSERT_EQ(0, munmap(m + p, p));
	EXPECT_EQ(2, mappings(self->fd));
	EXPECT_EQ(2, count_vmas(m, 4 * p));
	/* Trimming an end changes no count. */
	ASSERT_EQ(0, munmap(m + 3 * p, p));
	EXPECT_EQ(2, mappings(self->fd));
	/* What is left still maps the same pages. */
	EXPECT_TRUE(pat_check(m, p, 1));
	EXPECT_EQ(pat_byte(2 * p, 1), (unsigned char)m[2 * p]);
	ASSERT_EQ(0, munmap(m, p));
	EXPECT_EQ(1, mappings(self->fd));
	ASSERT_EQ(0, munmap(m + 2 * p, p));
	EXPECT_EQ(0, mappings(self->fd));
}

/* The count is of VMAs: an mprotect() split is counted as well. */
TEST_F(region, mappings_follow_vma_splits)
{
	const size_t p = self->page;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, mprotect(m + p, p, PROT_READ));
	EXPECT_EQ(3, count_vmas(m, 4 * p));
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));
	ASSERT_EQ(0, mprotect(m + p, p, PROT_READ | PROT_WRITE));
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));
	ASSERT_EQ(0, munmap(m, 4 * p));
	EXPECT_EQ(0, mappings(self->fd));
}

/* Moving a page out of a mapping, or mapping over one, splits it too. */
TEST_F(region, mappings_follow_mremap_and_map_fixed)
{
	const size_t p = self->page;
	char *m, *to, *moved, *over;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, 4 * p, 19);
	to = map(-1, p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_TRUE(to != NULL);

	/* Page 1 moves away: pages 0, 2-3 and the moved one. */
	moved = mremap(m + p, p, p, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_TRUE(moved == to);
	EXPECT_EQ(3, mappings(self->fd));
	EXPECT_TRUE(pat_check(m, p, 19));
	EXPECT_EQ(pat_byte(p, 19), (unsigned char)moved[0]);

	/* Anonymous memory over page 2: pages 0, 3 and the moved one. */
	over = mmap(m + 2 * p, p, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(over == m + 2 * p);
	EXPECT_EQ(3, mappings(self->fd));
	EXPECT_EQ(0, over[0]);
	EXPECT_EQ(pat_byte(3 * p, 19), (unsigned char)m[3 * p]);

	ASSERT_EQ(0, munmap(m, 4 * p));
	EXPECT_EQ(1, mappings(self->fd));
	ASSERT_EQ(0, munmap(moved, p));
	EXPECT_EQ(0, mappings(self->fd));
}

/*
 * remap_file_pages() maps a VMA's file again, and the file of a region's
 * VMA is its shmem file: it fails, or the new mapping would hold neither
 * the mailbox nor its charge.  The range it replaced is unmapped, as
 * after any failed MAP_FIXED; the count follows.
 */
TEST_F(region, remap_file_pages_einval)
{
	const size_t p = self->page;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_remap_file_pages, m, 2 * p, 0, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));
	ASSERT_EQ(0, munmap(m, 4 * p));
	EXPECT_EQ(0, mappings(self->fd));
}

static void remap_file_pages_escape(long page)
{
	const size_t size = 16 * page;
	char *m[8];
	int fd, i;

	/* The limit allows one such mailbox at a time. */
	for (i = 0; i < 8; i++) {
		fd = charged(1, size);
		CHILD_CHECK(fd >= 0);
		m[i] = map_rw(fd, size, 0);
		CHILD_CHECK(m[i] != NULL);
		memset(m[i], 'a' + i, size);
		CHILD_CHECK(syscall(SYS_remap_file_pages, m[i], size, 0, 0,
				    0) == -1 && errno == EINVAL);
		close(fd);
		/* Nothing of it is mapped any more. */
		CHILD_CHECK(count_vmas(m[i], size) == 0);
	}
}

/*
 * The case of the report: a region remapped with remap_file_pages(),
 * then its mailbox closed, kept its memory mapped with no mailbox and no
 * charge, eight times over a limit that allows one.  Now the remap
 * fails, and each mailbox, its memory and its charge go with the close.
 */
TEST_F(region, remap_file_pages_cannot_escape_the_charge)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to change the limit and the user");
	ASSERT_EQ(0, kmbox_test_param_write("bytes_per_user",
					    OVERHEAD + 1 + 16 * self->page));
	EXPECT_EQ(0, as_user(remap_file_pages_escape, self->page));
}

/*
 * madvise() and mprotect() that split a mapping, MADV_DONTFORK and
 * MADV_DOFORK, then fork: the count is of the VMAs that exist, in every
 * process, all along.
 */
TEST_F(region, mappings_follow_madvise_and_fork)
{
	const size_t p = self->page;
	int status;
	pid_t pid;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, madvise(m + p, p, MADV_DONTFORK));
	EXPECT_EQ(3, count_vmas(m, 4 * p));
	EXPECT_EQ(3, mappings(self->fd));
	ASSERT_EQ(0, madvise(m + 3 * p, p, MADV_DONTFORK));
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Pages 0 and 2 came along, 1 and 3 did not. */
		if (count_vmas(m, 4 * p) != 2)
			_exit(1);
		_exit(mappings(self->fd) == 4 + 2 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(4, mappings(self->fd));

	ASSERT_EQ(0, madvise(m, 4 * p, MADV_DOFORK));
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));
	ASSERT_EQ(0, mprotect(m, p, PROT_READ));
	EXPECT_EQ(count_vmas(m, 4 * p), mappings(self->fd));
	ASSERT_EQ(0, munmap(m, 4 * p));
	EXPECT_EQ(0, mappings(self->fd));
}

/* --- What a mapping shows --------------------------------------------- */

/* Zero-filled when made, also where a dead mailbox's region was. */
TEST_F(region, zero_filled)
{
	const size_t size = 8 * self->page;
	char *m;
	int i;

	for (i = 0; i < 3; i++) {
		self->fd = anon(size);
		ASSERT_GE(self->fd, 0);
		m = map_rw(self->fd, size, 0);
		ASSERT_TRUE(m != NULL);
		EXPECT_TRUE(all_zero(m, size)) {
			TH_LOG("round %d", i);
		}
		/* Dirty it all before it dies. */
		pat_fill(m, size, i + 1);
		ASSERT_EQ(0, munmap(m, size));
		close(self->fd);
		self->fd = -1;
	}
}

/* Two descriptors of the mailbox map the same memory. */
TEST_F(region, same_memory_two_descriptors)
{
	const size_t size = 2 * self->page;
	char *a, *b, *r;
	int fd2, rfd;

	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	fd2 = another(self, 0);
	ASSERT_GE(fd2, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	a = map_rw(self->fd, size, 0);
	ASSERT_TRUE(a != NULL);
	b = map_rw(fd2, size, 0);
	ASSERT_TRUE(b != NULL);
	r = map(rfd, size, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(r != NULL);
	ASSERT_TRUE(a != b);

	pat_fill(a, size, 3);
	EXPECT_TRUE(pat_check(b, size, 3));
	EXPECT_TRUE(pat_check(r, size, 3));
	pat_fill(b, size, 4);
	EXPECT_TRUE(pat_check(a, size, 4));
	EXPECT_TRUE(pat_check(r, size, 4));
	munmap(a, size);
	munmap(b, size);
	munmap(r, size);
	close(fd2);
	close(rfd);
}

/* A mapping at an offset shows those pages of the region. */
TEST_F(region, offset_maps_those_pages)
{
	const size_t p = self->page;
	char *all, *part;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	all = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(all != NULL);
	part = map_rw(self->fd, 2 * p, 2 * p);
	ASSERT_TRUE(part != NULL);
	pat_fill(all, 4 * p, 5);
	EXPECT_EQ(0, memcmp(all + 2 * p, part, 2 * p));
	pat_fill(part, 2 * p, 6);
	EXPECT_TRUE(pat_check(all + 2 * p, 2 * p, 6));
	EXPECT_TRUE(pat_check(all, p, 5));
	munmap(all, 4 * p);
	munmap(part, 2 * p);
}

/* Two processes, each with its own mapping, share the memory. */
TEST_F(region, same_memory_two_processes)
{
	const size_t size = 2 * self->page;
	int to_child[2], to_parent[2];
	char *m, c;
	pid_t pid;

	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = another(self, 0);
		char *cm;

		close(self->fd);
		CHILD_CHECK(fd >= 0);
		cm = map_rw(fd, size, 0);
		CHILD_CHECK(cm != NULL);
		close(fd);
		pat_fill(cm, size, 7);
		CHILD_CHECK(write(to_parent[1], "w", 1) == 1);
		CHILD_CHECK(read(to_child[0], &c, 1) == 1);
		CHILD_CHECK(pat_check(cm, size, 8));
		_exit(0);
	}
	/* The parent maps only after the child has written. */
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	EXPECT_TRUE(pat_check(m, size, 7));
	pat_fill(m, size, 8);
	ASSERT_EQ(1, write(to_child[1], "r", 1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	munmap(m, size);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* A 16 MiB region: mapped whole, readable and writable end to end. */
TEST_F(region, large_region)
{
	const size_t size = 16 * MIB, p = self->page;
	unsigned long long *w;
	char *a, *b;
	size_t off;
	int bad = 0;

	if (self->max < (long long)size)
		SKIP(return, "region_size_max is below 16 MiB");
	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	a = map_rw(self->fd, size, 0);
	ASSERT_TRUE(a != NULL);
	EXPECT_TRUE(all_zero(a, size));
	for (off = 0; off < size; off += p) {
		w = (unsigned long long *)(a + off);
		w[0] = off + 1;
		w[p / sizeof(*w) - 1] = ~(unsigned long long)off;
	}
	b = map(self->fd, size, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(b != NULL);
	for (off = 0; off < size; off += p) {
		w = (unsigned long long *)(b + off);
		if (w[0] != off + 1 ||
		    w[p / sizeof(*w) - 1] != ~(unsigned long long)off)
			bad++;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, memcmp(a, b, size));
	munmap(a, size);
	munmap(b, size);
}

/* --- Mapping rules ---------------------------------------------------- */

/* A receive-only (O_RDONLY) descriptor maps read-only, never writable. */
TEST_F(region, recv_only_prot_write_eacces)
{
	const size_t p = self->page;
	char *w, *r;
	int rfd;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	ASSERT_EQ(O_RDONLY, fcntl(rfd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EACCES, map_err(rfd, p, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, map_err(rfd, p, PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(0, mappings(rfd));

	/* Read-only works, and shows what the writer wrote. */
	w = map_rw(self->fd, p, 0);
	ASSERT_TRUE(w != NULL);
	r = map(rfd, p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(r != NULL);
	pat_fill(w, p, 9);
	EXPECT_TRUE(pat_check(r, p, 9));
	munmap(w, p);
	munmap(r, p);
	close(rfd);
}

/* A read-only mapping of a receive-only descriptor cannot gain write. */
TEST_F(region, recv_only_mprotect_write_eacces)
{
	const size_t p = self->page;
	char *r;
	int rfd;

	self->fd = make(self, 2 * p, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	r = map(rfd, 2 * p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(r != NULL);
	EXPECT_EQ(-1, mprotect(r, 2 * p, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(r + p, p, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* Still mapped and readable. */
	EXPECT_TRUE(all_zero(r, 2 * p));
	munmap(r, 2 * p);
	close(rfd);
}

/* A write through such a mapping faults. */
TEST_F(region, recv_only_mapping_write_faults)
{
	const size_t p = self->page;
	struct rlimit no_core = { 0, 0 };
	volatile char *r;
	int rfd;
	pid_t pid;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	r = map(rfd, p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(r != NULL);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		r[10] = 'x';
		_exit(0);
	}
	EXPECT_EQ(1000 + SIGSEGV, kmbox_test_kids_reap(&self->kids, pid,
							NULL));
	EXPECT_EQ(0, r[10]);
	munmap((void *)r, p);
	close(rfd);
}

/* A descriptor with both roles: read-write or read-only, and upgradable. */
TEST_F(region, both_roles_read_only_then_write)
{
	const size_t p = self->page;
	char *r, *w;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(O_RDWR, fcntl(self->fd, F_GETFL) & O_ACCMODE);
	w = map_rw(self->fd, p, 0);
	ASSERT_TRUE(w != NULL);
	r = map(self->fd, p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(r != NULL);
	ASSERT_EQ(0, mprotect(r, p, PROT_READ | PROT_WRITE));
	r[5] = 'k';
	EXPECT_EQ('k', w[5]);
	munmap(r, p);
	munmap(w, p);
}

/* A send-only (O_WRONLY) descriptor cannot map at all. */
TEST_F(region, send_only_eacces)
{
	const size_t p = self->page;
	int sfd;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	sfd = another(self, KMBOX_SEND);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(O_WRONLY, fcntl(sfd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EACCES, map_err(sfd, p, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, map_err(sfd, p, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, map_err(sfd, p, PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(0, mappings(sfd));
	close(sfd);
}

/* MAP_PRIVATE is EINVAL, whatever the descriptor and protection. */
TEST_F(region, map_private_einval)
{
	const size_t p = self->page;
	int rfd;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	EXPECT_EQ(-EINVAL, map_err(self->fd, p, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, p, PROT_READ, MAP_PRIVATE, 0));
	EXPECT_EQ(-EINVAL, map_err(rfd, p, PROT_READ, MAP_PRIVATE, 0));
	EXPECT_EQ(0, mappings(self->fd));
	close(rfd);
}

/* Offset, length or both beyond the region: EINVAL. */
TEST_F(region, beyond_region_einval)
{
	const size_t p = self->page;
	const struct {
		size_t off, len;
	} bad[] = {
		{ 4 * p, p },		/* offset at the end */
		{ 5 * p, p },		/* offset beyond */
		{ 64 * p, p },
		{ 0, 5 * p },		/* length beyond */
		{ 0, 4 * p + 1 },	/* rounds up to five pages */
		{ 3 * p, 2 * p },	/* offset + length beyond */
		{ p, 4 * p },
	};
	unsigned int i;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, map_err(self->fd, bad[i].len,
					   PROT_READ | PROT_WRITE, MAP_SHARED,
					   bad[i].off)) {
			TH_LOG("offset %zu length %zu", bad[i].off,
			       bad[i].len);
		}
	}
	EXPECT_EQ(0, mappings(self->fd));
}

/* Offset and length inside the region, up to its very end: fine. */
TEST_F(region, inside_region_ok)
{
	const size_t p = self->page;
	const struct {
		size_t off, len;
	} good[] = {
		{ 0, 4 * p }, { 0, 4 * p - 1 }, { 0, 1 }, { 3 * p, p },
		{ 3 * p, 1 }, { p, 3 * p }, { 2 * p, 2 * p }, { p, p },
	};
	unsigned int i;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		m = map_rw(self->fd, good[i].len, good[i].off);
		ASSERT_TRUE(m != NULL) {
			TH_LOG("offset %zu length %zu: %s", good[i].off,
			       good[i].len, strerror(errno));
		}
		/* Its last byte is the region's byte off + len - 1. */
		m[good[i].len - 1] = (char)(i + 1);
		EXPECT_EQ(0, munmap(m, good[i].len));
	}
	/* Each wrote where its offset says: the last writer of a byte wins. */
	m = map(self->fd, 4 * p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(3, m[0]);
	EXPECT_EQ(8, m[2 * p - 1]);
	EXPECT_EQ(5, m[3 * p]);
	EXPECT_EQ(2, m[4 * p - 2]);
	EXPECT_EQ(7, m[4 * p - 1]);
	munmap(m, 4 * p);
}

/* A mailbox without a region: ENODEV. */
TEST_F(region, no_region_enodev)
{
	const size_t p = self->page;
	int rfd;

	self->fd = make(self, 0, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	EXPECT_EQ(-ENODEV, map_err(self->fd, p, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(-ENODEV, map_err(self->fd, p, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(-ENODEV, map_err(rfd, p, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(0, mappings(self->fd));
	close(rfd);
}

/* mremap() cannot grow a mapping of the region, moved or not. */
TEST_F(region, mremap_grow_efault)
{
	const size_t p = self->page;
	char *m;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 2 * p, 0);
	ASSERT_TRUE(m != NULL);
	m[0] = 'g';
	EXPECT_TRUE(mremap(m, 2 * p, 3 * p, 0) == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(mremap(m, 2 * p, 4 * p, MREMAP_MAYMOVE) == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(mremap(m, 2 * p, 8 * p, MREMAP_MAYMOVE) == MAP_FAILED);
	EXPECT_EQ(EFAULT, errno);
	/* The mapping is as it was. */
	EXPECT_EQ('g', m[0]);
	EXPECT_EQ(1, mappings(self->fd));
	EXPECT_EQ(0, munmap(m, 2 * p));
	EXPECT_EQ(0, mappings(self->fd));
}

/* mremap() may shrink a mapping. */
TEST_F(region, mremap_shrink)
{
	const size_t p = self->page;
	char *m, *s;

	self->fd = make(self, 4 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 4 * p, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, 4 * p, 10);
	s = mremap(m, 4 * p, 2 * p, 0);
	ASSERT_TRUE(s == m);
	EXPECT_EQ(1, count_vmas(m, 4 * p));
	EXPECT_EQ(1, mappings(self->fd));
	EXPECT_TRUE(pat_check(s, 2 * p, 10));
	s[0] = 's';
	EXPECT_EQ(0, munmap(s, 2 * p));
	EXPECT_EQ(0, mappings(self->fd));
	/* The change went to the region. */
	m = map(self->fd, p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ('s', m[0]);
	munmap(m, p);
}

/* mremap() may move a mapping: the same memory, still one mapping. */
TEST_F(region, mremap_move)
{
	const size_t p = self->page;
	char *m, *other, *to, *moved;

	self->fd = make(self, 2 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 2 * p, 0);
	ASSERT_TRUE(m != NULL);
	other = map_rw(self->fd, 2 * p, 0);
	ASSERT_TRUE(other != NULL);
	/* A place to move to: reserved, then replaced. */
	to = map(-1, 2 * p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	ASSERT_TRUE(to != NULL);
	pat_fill(m, 2 * p, 11);
	moved = mremap(m, 2 * p, 2 * p, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_TRUE(moved == to);
	EXPECT_EQ(2, mappings(self->fd));
	EXPECT_TRUE(pat_check(moved, 2 * p, 11));
	pat_fill(moved, 2 * p, 12);
	EXPECT_TRUE(pat_check(other, 2 * p, 12));
	EXPECT_EQ(0, munmap(moved, 2 * p));
	EXPECT_EQ(1, mappings(self->fd));
	EXPECT_EQ(0, munmap(other, 2 * p));
	EXPECT_EQ(0, mappings(self->fd));
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

/* MREMAP_DONTUNMAP would leave a copy behind: EINVAL, as for any shm. */
TEST_F(region, mremap_dontunmap_einval)
{
	const size_t p = self->page;
	char *m;

	self->fd = make(self, p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, p, 0);
	ASSERT_TRUE(m != NULL);
	m[0] = 'd';
	EXPECT_TRUE(mremap(m, p, p, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) ==
		    MAP_FAILED);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ('d', m[0]);
	EXPECT_EQ(1, mappings(self->fd));
	EXPECT_EQ(0, munmap(m, p));
}

/*
 * MADV_REMOVE through one writable mapping frees those pages of the
 * region: every mapping reads zeroes there, the rest is untouched.
 */
TEST_F(region, madv_remove_zeroes)
{
	const size_t p = self->page;
	char *m, *other;

	self->fd = make(self, 2 * p, 0);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, 2 * p, 0);
	ASSERT_TRUE(m != NULL);
	other = map(self->fd, 2 * p, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(other != NULL);
	pat_fill(m, p, 13);
	pat_fill(m + p, p, 14);
	ASSERT_TRUE(pat_check(other, p, 13));
	ASSERT_EQ(0, madvise(m, p, MADV_REMOVE));
	EXPECT_TRUE(all_zero(other, p));
	EXPECT_TRUE(all_zero(m, p));
	EXPECT_TRUE(pat_check(other + p, p, 14));
	EXPECT_EQ(0, munmap(other, 2 * p));
	EXPECT_EQ(0, munmap(m, 2 * p));
}

/* --- Lifetime --------------------------------------------------------- */

/* mmap, then fork: the child's writes are the parent's memory. */
TEST_F(region, fork_inherits_mapping)
{
	const size_t size = 2 * self->page;
	char *m;
	pid_t pid;

	self->fd = anon(size);
	ASSERT_GE(self->fd, 0);
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	/* The parent's descriptor goes before the fork: only the mapping. */
	close(self->fd);
	self->fd = -1;
	m[0] = 'p';
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(m[0] == 'p');
		pat_fill(m + 1, size - 1, 13);
		_exit(0);
	}
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ('p', m[0]);
	EXPECT_TRUE(pat_check(m + 1, size - 1, 13));
	munmap(m, size);
}

/* After close() of every descriptor, the memory stays until munmap. */
TEST_F(region, mapping_outlives_close)
{
	const size_t size = 2 * self->page;
	char *m;
	__u64 id;
	int dup1;

	self->fd = anon(size);
	ASSERT_GE(self->fd, 0);
	id = kmbox_test_id(self->fd);
	ASSERT_NE(~0ull, id);
	dup1 = dup(self->fd);
	ASSERT_GE(dup1, 0);
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, size, 14);
	close(self->fd);
	self->fd = -1;
	close(dup1);

	EXPECT_TRUE(pat_check(m, size, 14));
	pat_fill(m, size, 15);
	EXPECT_TRUE(pat_check(m, size, 15));
	EXPECT_EQ(1, listed(id));
	ASSERT_EQ(0, munmap(m, size));
	EXPECT_EQ(0, listed(id));
}

/* After UNLINK and close(), too; the name stays gone. */
TEST_F(region, mapping_outlives_unlink)
{
	const size_t size = self->page;
	char *m;
	__u64 id;

	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	id = kmbox_test_id(self->fd);
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, size, 16);
	ASSERT_EQ(0, kmbox_test_unlink(self->name));
	close(self->fd);
	self->fd = -1;

	EXPECT_TRUE(pat_check(m, size, 16));
	pat_fill(m, size, 17);
	EXPECT_TRUE(pat_check(m, size, 17));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(1, listed(id));
	ASSERT_EQ(0, munmap(m, size));
	EXPECT_EQ(0, listed(id));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/*
 * A named mailbox that only a mapping holds keeps its name, queue and
 * memory: OPEN finds it, and a new descriptor maps the same memory.  With
 * the last mapping it is gone.
 */
TEST_F(region, mapping_keeps_name_and_queue)
{
	const size_t size = 2 * self->page;
	struct kmbox_stat st;
	char *m, *m2, buf[16];
	__u64 id;
	int fd;

	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	id = kmbox_test_id(self->fd);
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	pat_fill(m, size, 18);
	ASSERT_EQ(4, kmbox_test_send(self->fd, "kept", 4, 0, 0));
	close(self->fd);
	self->fd = -1;

	fd = another(self, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(id, st.id);
	EXPECT_EQ(1, st.msgs);
	EXPECT_EQ(1, st.mappings);
	EXPECT_EQ(size, st.region_size);
	m2 = map_rw(fd, size, 0);
	ASSERT_TRUE(m2 != NULL);
	EXPECT_EQ(2, mappings(fd));
	EXPECT_TRUE(pat_check(m2, size, 18));
	m2[1] = 'n';
	EXPECT_EQ('n', m[1]);
	ASSERT_EQ(4, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				     NULL));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	close(fd);

	/* Two mappings left, then one, then none. */
	ASSERT_EQ(0, munmap(m2, size));
	fd = another(self, KMBOX_RECV);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(1, mappings(fd));
	close(fd);
	ASSERT_EQ(0, munmap(m, size));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	EXPECT_EQ(0, listed(id));
}

/*
 * A mapping holds the file it was made from, role included: a sender that
 * mapped the region counts for hangup until it unmaps.
 */
TEST_F(region, mapping_keeps_sender_role)
{
	struct kmbox_attr a = { .region_size = self->page,
				.flags = KMBOX_ATTR_HANGUP };
	struct kmbox_stat st;
	char *m, buf[8];
	int rfd;

	/* The creator has both roles (a send-only one cannot map). */
	self->fd = kmbox_test_create(self->name, &a, KMBOX_EXCL |
				     KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	m = map_rw(self->fd, self->page, 0);
	ASSERT_TRUE(m != NULL);
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, kmbox_test_stat(rfd, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(2, st.receivers);
	EXPECT_EQ(-EAGAIN, kmbox_test_recv(rfd, buf, sizeof(buf),
					   KMBOX_DONTWAIT, NULL));
	EXPECT_EQ(0, kmbox_test_revents(rfd, POLLIN));
	ASSERT_EQ(0, munmap(m, self->page));
	ASSERT_EQ(0, kmbox_test_stat(rfd, &st));
	EXPECT_EQ(0, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(-EPIPE, kmbox_test_recv(rfd, buf, sizeof(buf),
					  KMBOX_DONTWAIT, NULL));
	close(rfd);
}

/* Likewise a receiver: senders get EPIPE only once it has unmapped. */
TEST_F(region, mapping_keeps_receiver_role)
{
	struct kmbox_attr a = { .region_size = self->page,
				.flags = KMBOX_ATTR_HANGUP };
	struct kmbox_stat st;
	int rfd;
	char *m;

	self->fd = kmbox_test_create(self->name, &a, KMBOX_EXCL |
				     KMBOX_CLOEXEC | KMBOX_SEND);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	m = map(rfd, self->page, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(m != NULL);
	close(rfd);

	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(1, kmbox_test_send(self->fd, "x", 1, 0,
				     KMBOX_DONTWAIT | KMBOX_NOSIGNAL));
	ASSERT_EQ(0, munmap(m, self->page));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	EXPECT_EQ(0, st.receivers);
	EXPECT_EQ(-EPIPE, kmbox_test_send(self->fd, "x", 1, 0,
					  KMBOX_DONTWAIT | KMBOX_NOSIGNAL));
}

/* fdinfo's region_size and mappings, as STAT's. */
TEST_F(region, fdinfo_region_size_and_mappings)
{
	char val[64], want[64];
	int none, rfd;
	char *a, *b;

	none = anon(0);
	ASSERT_GE(none, 0);
	ASSERT_EQ(0, kmbox_test_fdinfo(none, "region_size", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_EQ(0, kmbox_test_fdinfo(none, "mappings", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	close(none);

	self->fd = make(self, 3 * self->page, 0);
	ASSERT_GE(self->fd, 0);
	rfd = another(self, KMBOX_RECV);
	ASSERT_GE(rfd, 0);
	snprintf(want, sizeof(want), "%ld", 3 * self->page);
	ASSERT_EQ(0, kmbox_test_fdinfo(rfd, "region_size", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	ASSERT_EQ(0, kmbox_test_fdinfo(rfd, "mappings", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	a = map_rw(self->fd, self->page, 0);
	ASSERT_TRUE(a != NULL);
	b = map(rfd, 3 * self->page, PROT_READ, MAP_SHARED, 0);
	ASSERT_TRUE(b != NULL);
	ASSERT_EQ(0, kmbox_test_fdinfo(rfd, "mappings", val, sizeof(val)));
	EXPECT_STREQ("2", val);
	ASSERT_EQ(0, kmbox_test_fdinfo(self->fd, "mappings", val, sizeof(val)));
	EXPECT_STREQ("2", val);
	munmap(a, self->page);
	munmap(b, 3 * self->page);
	ASSERT_EQ(0, kmbox_test_fdinfo(rfd, "mappings", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	close(rfd);
}

/* --- Futexes and memory cgroups --------------------------------------- */

static long futex(void *uaddr, int op, __u32 val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* A shared futex on a word of the region works across processes. */
TEST_F(region, futex_across_processes)
{
	const size_t size = self->page;
	volatile __u32 *word, *ack;
	__u32 *m;
	pid_t pid;

	self->fd = make(self, size, 0);
	ASSERT_GE(self->fd, 0);
	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The child's own mapping, from its own descriptor. */
		int fd = another(self, 0);
		volatile __u32 *cm;

		CHILD_CHECK(fd >= 0);
		cm = map_rw(fd, size, 0);
		CHILD_CHECK(cm != NULL);
		while (cm[16] == 0) {
			if (futex((void *)&cm[16], FUTEX_WAIT, 0) &&
			    errno != EINTR && errno != EAGAIN)
				_exit(2);
		}
		cm[32] = 1;
		_exit(cm[16] == 7 ? 0 : 3);
	}
	m = map_rw(self->fd, size, 0);
	ASSERT_TRUE(m != NULL);
	word = &m[16];
	ack = &m[32];
	/* Asleep in FUTEX_WAIT, not yet past it. */
	ASSERT_EQ(0, kmbox_test_wait_in_syscall(pid, SYS_futex, FUTEX_WAIT));
	EXPECT_EQ(0, *ack);
	*word = 7;
	/* The wake finds the child's waiter: same futex, other process. */
	EXPECT_EQ(1, futex(m + 16, FUTEX_WAKE, 1));
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	EXPECT_EQ(1, *ack);
	munmap(m, size);
}

/*
 * The region is allocated at creation and charged to the creator's memory
 * cgroup: made by a process in a cgroup of its own, it adds about its
 * size to that cgroup's memory.current, and takes it away when it dies.
 */
TEST_F(region, memcg_charged_to_creator)
{
	const long long size = 4 * MIB;
	long long before, after, end = 0;
	int go[2], res[2], i, ret;
	const char *root, *why;
	char pidbuf[32], c;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to make a cgroup");
	if (kmbox_cg_memory_root(self->cg_mnt, sizeof(self->cg_mnt),
				 &root, &why))
		SKIP(return, "%s", why);
	snprintf(self->cg, sizeof(self->cg), "%s/kmbox-region-%d", root,
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	ASSERT_GE(kmbox_cg_read(self->cg, "memory.current", NULL), 0);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));

	pid = kmbox_test_spawn(&self->kids);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		close(go[1]);
		close(res[0]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		fd = anon(size);
		ret = fd < 0 ? fd : 0;
		CHILD_CHECK(write(res[1], &ret, sizeof(ret)) == sizeof(ret));
		/* Hold it until told, then let it die with the child. */
		CHILD_CHECK(read(go[0], &c, 1) == 0);
		_exit(0);
	}
	close(go[0]);
	close(res[1]);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	ASSERT_EQ(0, kmbox_cg_write(self->cg, "cgroup.procs", pidbuf));

	before = kmbox_cg_read(self->cg, "memory.current", NULL);
	ASSERT_GE(before, 0);
	ASSERT_EQ(1, write(go[1], "c", 1));
	ASSERT_EQ((ssize_t)sizeof(ret), read(res[0], &ret, sizeof(ret)));
	ASSERT_EQ(0, ret);
	after = kmbox_cg_read(self->cg, "memory.current", NULL);
	TH_LOG("memory.current %lld before, %lld after", before, after);
	/* About 4 MiB, give or take the per-CPU charge batches. */
	EXPECT_GE(after - before, size - size / 8);
	EXPECT_LE(after - before, size + 2 * (long long)MIB);

	close(go[1]);
	EXPECT_EQ(0, kmbox_test_kids_reap(&self->kids, pid, NULL));
	/* Freed with the mailbox (maybe by deferred work: give it time). */
	for (i = 0; i < 500; i++) {
		end = kmbox_cg_read(self->cg, "memory.current", NULL);
		if (end >= 0 && end <= after - (size - size / 8))
			break;
		usleep(10000);
	}
	EXPECT_LE(end, after - (size - size / 8)) {
		TH_LOG("memory.current %lld after the mailbox died", end);
	}
	close(res[0]);
}

TEST_HARNESS_MAIN
