// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: kmbox cannot be unloaded while a /dev/kmbox file or a
 * mailbox file is open or a mailbox's region is mapped, unloads once
 * they are gone, removing the persistent mailboxes no one has open, and
 * loads again.
 *
 * Needs root and KMBOX_MODULE, the path of kmbox.ko, to load it again.
 * Leaves the module loaded, as it found it.
 */
#include <stdlib.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

/* Loads kmbox.ko with parameters @params ("name=value ..."). */
static int load_module_params(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int load_module(const char *path)
{
	return load_module_params(path, "");
}

static int module_loaded(void)
{
	return access("/sys/module/kmbox", F_OK) == 0;
}

FIXTURE(module) {
	const char *path;
};

FIXTURE_SETUP(module)
{
	self->path = getenv("KMBOX_MODULE");
	/*
	 * This harness runs the test body after a SKIP in setup: end the
	 * test process here instead (exit status 255 is its skip).
	 */
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root to unload and load modules");
	if (!self->path)
		SKIP(_exit(255), "set KMBOX_MODULE to the path of kmbox.ko");
	ASSERT_EQ(0, access(self->path, R_OK));
	ASSERT_TRUE(module_loaded());
}

FIXTURE_TEARDOWN(module)
{
	if (self->path && !module_loaded())
		load_module(self->path);
}

TEST_F(module, unload_refused_while_open)
{
	int fd = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(-EWOULDBLOCK, delete_module("kmbox", O_NONBLOCK));
	ASSERT_TRUE(module_loaded());
	close(fd);
}

TEST_F(module, unload_after_close_then_reload)
{
	struct kmbox_version ver;
	int fd = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(-1, access(KMBOX_DEV, F_OK));
	ASSERT_EQ(ENOENT, errno);

	ASSERT_EQ(0, load_module(self->path));
	fd = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_VERSION, &ver));
	ASSERT_EQ(KMBOX_ABI_VERSION, ver.abi_version);
	close(fd);
}

/*
 * A parameter out of its range at load fails the load with EINVAL
 * (admin-guide.rst): here the review's bytes_max of 2^64 - 1.  The
 * largest in range loads.
 */
TEST_F(module, load_refuses_parameter_out_of_range)
{
	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	EXPECT_EQ(-EINVAL, load_module_params(self->path,
					      "bytes_max=18446744073709551615"));
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(-EINVAL, load_module_params(self->path,
					      "msg_size_max=2147483648"));
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module_params(self->path,
					"bytes_max=1152921504606846976"));
	EXPECT_EQ(1ll << 60, kmbox_test_param_read("bytes_max"));
	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_EQ(0, load_module(self->path));
	EXPECT_EQ(64 << 20, kmbox_test_param_read("bytes_max"));
}

/*
 * A mailbox descriptor holds the module as well, even after /dev/kmbox
 * is closed; once it is closed too, the module unloads.
 */
TEST_F(module, unload_refused_while_mailbox_open)
{
	int fd = kmbox_test_create(NULL, NULL, 0);
	char c = 'u';

	ASSERT_GE(fd, 0);
	/* kmbox_test_create() has closed its /dev/kmbox descriptor. */
	ASSERT_EQ(-EWOULDBLOCK, delete_module("kmbox", O_NONBLOCK));
	ASSERT_TRUE(module_loaded());
	/* The mailbox still works. */
	ASSERT_EQ(1, kmbox_test_send(fd, &c, 1, 0, KMBOX_DONTWAIT));
	c = 0;
	ASSERT_EQ(1, kmbox_test_recv(fd, &c, 1, KMBOX_DONTWAIT, NULL));
	ASSERT_EQ('u', c);
	close(fd);

	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module(self->path));
	ASSERT_TRUE(module_loaded());
}

/* A named mailbox with queued messages: the same. */
TEST_F(module, unload_refused_while_named_mailbox_open)
{
	char name[64];
	int fd;

	kmbox_test_name(name, sizeof(name), "unload");
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, kmbox_test_send(fd, "queue", 5, 0, KMBOX_DONTWAIT));
	ASSERT_EQ(-EWOULDBLOCK, delete_module("kmbox", O_NONBLOCK));
	ASSERT_TRUE(module_loaded());
	close(fd);

	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module(self->path));
	/* A fresh module: the name is not there. */
	ASSERT_EQ(-ENOENT, kmbox_test_open(name, 0));
}

/*
 * A mapping of a region holds its mailbox file, and so the module, after
 * every descriptor is closed: unloading then would leave the mapping's
 * hooks pointing into freed code.
 */
TEST_F(module, unload_refused_while_region_mapped)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kmbox_attr attr = { .region_size = page };
	char *p;
	int fd;

	fd = kmbox_test_create(NULL, &attr, 0);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	close(fd);

	ASSERT_EQ(-EWOULDBLOCK, delete_module("kmbox", O_NONBLOCK));
	ASSERT_TRUE(module_loaded());
	/* The memory is still there and usable. */
	p[0] = 'm';
	p[page - 1] = 'n';
	ASSERT_EQ('m', p[0]);

	ASSERT_EQ(0, munmap(p, page));
	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module(self->path));
	ASSERT_TRUE(module_loaded());
}

/* A second load of a loaded module is refused and changes nothing. */
/* How many records of the kernel log contain @what, or -1. */
static int kmsg_count(const char *what)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char rec[8192];
	ssize_t got;
	int n = 0;

	if (fd < 0)
		return -1;
	/* One record a read; EPIPE for one overwritten meanwhile. */
	while ((got = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (got <= 0)
			continue;
		rec[got] = 0;
		if (strstr(rec, what))
			n++;
	}
	close(fd);
	return n;
}

/*
 * Persistent mailboxes hold no file, so they do not hold the module:
 * unloading removes and frees them (KASAN and kmemleak watch), says how
 * many in the kernel log, and after a reload their names are free.
 */
TEST_F(module, unload_removes_persistent_mailboxes)
{
	static const char said[] = "kmbox: unloaded: removed 2 persistent mailboxes";
	struct kmbox_attr a = { .flags = KMBOX_ATTR_PERSISTENT };
	char name[2][64];
	int i, fd, before;

	for (i = 0; i < 2; i++) {
		kmbox_test_name(name[i], sizeof(name[i]), "unload-persist");
		fd = kmbox_test_create(name[i], &a, KMBOX_CLOEXEC);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(1, kmbox_test_send(fd, "x", 1, 0, 0));
		close(fd);
	}
	before = kmsg_count(said);
	ASSERT_GE(before, 0);
	ASSERT_EQ(0, delete_module("kmbox", O_NONBLOCK));
	ASSERT_FALSE(module_loaded());
	EXPECT_EQ(before + 1, kmsg_count(said));
	ASSERT_EQ(0, load_module(self->path));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-ENOENT, kmbox_test_open(name[i], KMBOX_CLOEXEC));
}

TEST_F(module, double_load_eexist)
{
	ASSERT_EQ(-EEXIST, load_module(self->path));
	ASSERT_TRUE(module_loaded());
}

TEST_HARNESS_MAIN
