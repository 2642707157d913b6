/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kmbox selftests.
 */
#ifndef KMBOX_TEST_H
#define KMBOX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmbox.h>

#define KMBOX_DEV "/dev/kmbox"

/*
 * ioctl() that returns -errno on failure, so ASSERT_EQ can name the errno,
 * and the ioctl's own result (a descriptor, a length) on success.
 */
static inline int kmbox_test_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * The raw ioctls, one helper each, independent of libkmbox so that the
 * kernel interface is tested on its own.  All return -errno on failure.
 */
static inline int kmbox_test_create(const char *name,
				    const struct kmbox_attr *attr, __u32 flags)
{
	struct kmbox_create c = {
		.name = (__u64)(unsigned long)name,
		.flags = flags,
	};
	int dev, ret;

	if (attr)
		c.attr = *attr;
	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_CREATE, &c);
	close(dev);
	return ret;
}

static inline int kmbox_test_open(const char *name, __u32 flags)
{
	struct kmbox_open o = {
		.name = (__u64)(unsigned long)name,
		.flags = flags,
	};
	int dev, ret;

	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_OPEN, &o);
	close(dev);
	return ret;
}

static inline int kmbox_test_unlink(const char *name)
{
	struct kmbox_unlink u = { .name = (__u64)(unsigned long)name };
	int dev, ret;

	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox_test_ioctl(dev, KMBOX_IOC_UNLINK, &u);
	close(dev);
	return ret;
}

/* KMBOX_IOC_SEND of @len bytes at @prio; returns the length or -errno. */
static inline int kmbox_test_send(int fd, const void *buf, size_t len,
				  __u32 prio, __u32 flags)
{
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = len,
		.flags = flags,
		.priority = prio,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_SEND, &m);
}

/*
 * KMBOX_IOC_RECV into @buf; @m (may be NULL) gets the metadata.  Returns
 * the message length or -errno.
 */
static inline int kmbox_test_recv(int fd, void *buf, size_t len,
				  __u32 flags, struct kmbox_msg *m)
{
	struct kmbox_msg local;

	if (!m)
		m = &local;
	memset(m, 0, sizeof(*m));
	m->buf = (__u64)(unsigned long)buf;
	m->len = len;
	m->flags = flags;
	return kmbox_test_ioctl(fd, KMBOX_IOC_RECV, m);
}

static inline int kmbox_test_stat(int fd, struct kmbox_stat *st)
{
	memset(st, 0xAA, sizeof(*st));
	return kmbox_test_ioctl(fd, KMBOX_IOC_STAT, st);
}

/* A name no other test, process or run uses: "<tag>-<pid>-<counter>". */
static inline const char *kmbox_test_name(char *buf, size_t size,
					  const char *tag)
{
	static unsigned int counter;

	snprintf(buf, size, "%s-%d-%u", tag, (int)getpid(), ++counter);
	return buf;
}

static inline __u64 kmbox_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Wait until task @tid sleeps (state S in /proc/<tid>/stat), so that a
 * test acts on a waiter that is really waiting.  Returns 0, or -1 after
 * about 10 s.
 */
static inline int kmbox_test_wait_sleeping(int tid)
{
	char path[64], buf[512], *p;
	int i, fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	for (i = 0; i < 10000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(1000);
	}
	return -1;
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
