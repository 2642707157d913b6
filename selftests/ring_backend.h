/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a ring test gets its mailbox: from kmbox.ko (the kselftest build,
 * run in the VM), or, built with -DKMBOX_STANDIN, from the doorbell
 * stand-in (doorbell_standin.h), natively.  The tests that include this
 * test the library's side of the ring, which is the same in both: the
 * kernel's side has doorbell_test and ring_test.
 */
#ifndef KMBOX_RING_BACKEND_H
#define KMBOX_RING_BACKEND_H

#include "kmbox.h"
#include "kmbox_test.h"

#ifdef KMBOX_STANDIN
#include "doorbell_standin.h"
#define RB_WHERE	"native, " STANDIN_NOTICE
#else
#define RB_WHERE	"kmbox.ko"
#endif

/*
 * A fresh mailbox with the region of a ring of @data bytes and @n files
 * of it with both roles in @fds (at most 4): 0 or -errno.
 */
static inline int rb_mailbox(size_t data, int *fds, int n)
{
	size_t region = kmbox_ring_region_size(data);
#ifdef KMBOX_STANDIN
	return region ? standin_mailbox(region, fds, n) : -EINVAL;
#else
	struct kmbox_attr attr = { .region_size = region };
	struct kmbox_version ver = { 0 };
	char name[64];
	int i, ret;

	ret = kmbox_test_dev_ioctl(KMBOX_IOC_VERSION, &ver);
	if (ret)
		return ret;
	if (!(ver.features & KMBOX_FEATURE_RING))
		return -EOPNOTSUPP;
	kmbox_test_name(name, sizeof(name), "ringb");
	fds[0] = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	if (fds[0] < 0)
		return fds[0];
	for (i = 1; i < n; i++) {
		fds[i] = kmbox_test_open(name, KMBOX_CLOEXEC);
		if (fds[i] < 0) {
			ret = fds[i];
			while (i--)
				close(fds[i]);
			kmbox_test_unlink(name);
			return ret;
		}
	}
	return kmbox_test_unlink(name);
#endif
}

/* Closes a file of such a mailbox (a joined end leaves the ring). */
static inline void rb_close(int fd)
{
#ifdef KMBOX_STANDIN
	standin_close(fd);
#else
	close(fd);
#endif
}

/* Shuts the mailbox down: 0 or -errno. */
static inline int rb_shutdown(int fd)
{
#ifdef KMBOX_STANDIN
	return standin_shutdown(fd);
#else
	return kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL);
#endif
}

/*
 * What the ring tests' fixtures start from: a fresh mailbox for a ring of
 * @data bytes, @n files of it in @fd (at least 3), and *@raw, a
 * read-write mapping of the region through the third, never joined.
 * 0, or -errno (-EOPNOTSUPP: the module has no ring).
 */
static inline int rb_open(size_t data, int *fd, int n, unsigned char **raw)
{
	int i, ret;

	for (i = 0; i < n; i++)
		fd[i] = -1;
	*raw = NULL;
	ret = rb_mailbox(data, fd, n);
	if (ret)
		return ret;
	*raw = mmap(NULL, kmbox_ring_region_size(data),
		    PROT_READ | PROT_WRITE, MAP_SHARED, fd[2], 0);
	if (*raw == MAP_FAILED) {
		*raw = NULL;
		return -errno;
	}
	return 0;
}

/* Undoes rb_open(): files already closed are -1 in @fd. */
static inline void rb_release(size_t data, int *fd, int n,
			      unsigned char *raw)
{
	int i;

	if (raw)
		munmap(raw, kmbox_ring_region_size(data));
	for (i = 0; i < n; i++) {
		if (fd[i] >= 0)
			rb_close(fd[i]);
	}
}

/* The layout (Documentation/userspace-api.rst, "The libkmbox ring"). */
#define RB_MAGIC	0x524d424bu
#define RB_OFF_MAGIC	0
#define RB_OFF_VERSION	4
#define RB_OFF_DSIZE	8
#define RB_OFF_DOFF	12
#define RB_OFF_TAIL	64
#define RB_OFF_HEAD	128
#define RB_OFF_CWAIT	192
#define RB_OFF_PWAIT	256
#define RB_OFF_DATA	4096

#define RB_NSEC		1000000000ull

static inline __u32 rb_get(const unsigned char *raw, size_t off)
{
	return __atomic_load_n((const __u32 *)(raw + off), __ATOMIC_SEQ_CST);
}

static inline void rb_set(unsigned char *raw, size_t off, __u32 val)
{
	__atomic_store_n((__u32 *)(raw + off), val, __ATOMIC_SEQ_CST);
}

/* Bytes a record of a @len-byte message takes in the ring. */
static inline __u32 rb_rec(size_t len)
{
	return 8 + (((__u32)len + 7) & ~7u);
}

/*
 * A line for the log, from a subtest: flushed at once, since the
 * harness's test process ends with _exit(), which drops stdio buffers
 * when stdout is a pipe.
 */
#define rb_note(...) do {						\
	ksft_print_msg(__VA_ARGS__);					\
	fflush(stdout);							\
} while (0)

/* Voluntary context switches of this process so far (its sleeps). */
static inline long rb_sleeps(void)
{
	char buf[4096], *p;

	if (kmbox_test_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? strtol(p + 25, NULL, 10) : -1;
}

#endif /* KMBOX_RING_BACKEND_H */
