// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kmbox node: a misc character device, mode 0666, that anyone
 * may open, and that has no read/write of its own.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define MISC_MAJOR 10

TEST(node_is_misc_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(KMBOX_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(MISC_MAJOR, major(st.st_rdev));
}

TEST(node_mode_is_0666)
{
	struct stat st;

	ASSERT_EQ(0, stat(KMBOX_DEV, &st));
	ASSERT_EQ(0666, st.st_mode & 07777);
}

/* The node is the one the misc core registered for "kmbox". */
TEST(node_matches_sysfs)
{
	unsigned int maj, min;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat(KMBOX_DEV, &st));
	f = fopen("/sys/class/misc/kmbox/dev", "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &maj, &min));
	fclose(f);
	ASSERT_EQ(major(st.st_rdev), maj);
	ASSERT_EQ(minor(st.st_rdev), min);
}

/* Mode 0666: an unprivileged user opens it read-only and read-write. */
TEST(unprivileged_open)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int a, b;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		a = open(KMBOX_DEV, O_RDONLY | O_CLOEXEC);
		b = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
		_exit(a >= 0 && b >= 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* The control device carries ioctls only: read() and write() say EINVAL. */
TEST(no_read_write)
{
	char buf[8] = { 0 };
	int fd;

	fd = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(-1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(fd, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
