// SPDX-License-Identifier: GPL-2.0
/*
 * KMBOX_IOC_VERSION and the rules every kmbox ioctl follows: unknown
 * commands are ENOTTY, bad pointers EFAULT, a struct too short EINVAL,
 * a longer output struct gets its unknown tail cleared.
 */
#include <termios.h>

#include "kselftest_harness.h"
#include "kmbox.h"
#include "kmbox_test.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version)
{
	struct kmbox_version ver;

	memset(&ver, 0xAA, sizeof(ver));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, &ver));
	ASSERT_EQ(KMBOX_ABI_VERSION, ver.abi_version);
	ASSERT_EQ(0, ver.pad);
}

/* Every feature of this header, and no bit it does not define. */
TEST_F(dev, features)
{
	const __u64 known = KMBOX_FEATURE_MAILBOX | KMBOX_FEATURE_BATCH |
			    KMBOX_FEATURE_REGION | KMBOX_FEATURE_RING |
			    KMBOX_FEATURE_PERSISTENT;
	struct kmbox_version ver;

	memset(&ver, 0xAA, sizeof(ver));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, &ver));
	EXPECT_EQ(known, ver.features);
	EXPECT_EQ(1ull << 2, KMBOX_FEATURE_REGION);
	EXPECT_EQ(1ull << 3, KMBOX_FEATURE_RING);
}

/*
 * modinfo's version, which the module shows in sysfs, is the release this
 * tree is (KMBOX_RELEASE: userlib/Makefile's VERSION, from the Makefile).
 */
TEST(module_version_is_release)
{
	char buf[64] = "";
	ssize_t n;
	int fd;

	fd = open("/sys/module/kmbox/version", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_GT(n, 0);
	EXPECT_STREQ(KMBOX_RELEASE "\n", buf);
}

TEST_F(dev, version_on_read_only_fd)
{
	struct kmbox_version ver;
	int fd = open(KMBOX_DEV, O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_VERSION, &ver));
	ASSERT_EQ(KMBOX_ABI_VERSION, ver.abi_version);
	close(fd);
}

TEST_F(dev, libkmbox_version)
{
	ASSERT_EQ(KMBOX_ABI_VERSION, kmbox_version());
}

/* A caller with a newer, longer struct gets the unknown tail zeroed. */
TEST_F(dev, longer_struct_tail_cleared)
{
	struct {
		struct kmbox_version ver;
		__u64 tail[5];
	} big;
	unsigned int cmd = _IOC(_IOC_READ, KMBOX_IOC_MAGIC,
				_IOC_NR(KMBOX_IOC_VERSION), sizeof(big));
	unsigned int i;

	memset(&big, 0xAA, sizeof(big));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, cmd, &big));
	ASSERT_EQ(KMBOX_ABI_VERSION, big.ver.abi_version);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, big.tail[i]);
	}
}

TEST_F(dev, shorter_struct_einval)
{
	unsigned int cmd = _IOC(_IOC_READ, KMBOX_IOC_MAGIC,
				_IOC_NR(KMBOX_IOC_VERSION), 4);
	__u32 small = 0;

	ASSERT_EQ(-EINVAL, kmbox_test_ioctl(self->fd, cmd, &small));
}

TEST_F(dev, null_pointer_efault)
{
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, NULL));
}

TEST_F(dev, unmapped_pointer_efault)
{
	void *p = kmbox_test_unmapped();

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, p));
}

TEST_F(dev, kernel_pointer_efault)
{
	void *p = kmbox_test_kernel_ptr();

	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, p));
}

/* A struct whose last byte lies in a PROT_NONE page. */
TEST_F(dev, struct_across_guard_page_efault)
{
	void *p = kmbox_test_guarded(sizeof(struct kmbox_version) - 1);

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(-EFAULT, kmbox_test_ioctl(self->fd, KMBOX_IOC_VERSION, p));
}

TEST_F(dev, unknown_nr_enotty)
{
	struct kmbox_version ver;

	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd,
		_IOR(KMBOX_IOC_MAGIC, 0xff, struct kmbox_version), &ver));
}

TEST_F(dev, wrong_type_enotty)
{
	struct kmbox_version ver;

	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd,
		_IOR(KMBOX_IOC_MAGIC + 1, _IOC_NR(KMBOX_IOC_VERSION),
		     struct kmbox_version), &ver));
}

TEST_F(dev, wrong_direction_enotty)
{
	struct kmbox_version ver = { 0 };

	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd,
		_IOW(KMBOX_IOC_MAGIC, _IOC_NR(KMBOX_IOC_VERSION),
		     struct kmbox_version), &ver));
	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd,
		_IOWR(KMBOX_IOC_MAGIC, _IOC_NR(KMBOX_IOC_VERSION),
		      struct kmbox_version), &ver));
	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd,
		_IO(KMBOX_IOC_MAGIC, _IOC_NR(KMBOX_IOC_VERSION)), NULL));
}

TEST_F(dev, terminal_ioctl_enotty)
{
	struct termios t;

	ASSERT_EQ(-ENOTTY, kmbox_test_ioctl(self->fd, TCGETS, &t));
	ASSERT_FALSE(isatty(self->fd));
}

TEST_HARNESS_MAIN
