/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kmbox selftests.
 */
#ifndef KMBOX_TEST_H
#define KMBOX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kmbox.h>

#define KMBOX_DEV "/dev/kmbox"

/* ioctl() that returns -errno on failure, so ASSERT_EQ can name the errno. */
static inline int kmbox_test_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * Two pages, the second PROT_NONE: returns a pointer @len bytes before the
 * guard, so an access of more than @len bytes faults.  NULL on failure.
 */
static inline void *kmbox_test_guarded(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page, page, PROT_NONE)) {
		munmap(p, 2 * page);
		return NULL;
	}
	return p + page - len;
}

/* An address that is certainly not mapped: a page that was unmapped. */
static inline void *kmbox_test_unmapped(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page);
	return p;
}

#endif /* KMBOX_TEST_H */
