/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkmbox: helpers shared by the library's source files, not installed.
 */
#ifndef LIBKMBOX_KMBOX_INTERNAL_H
#define LIBKMBOX_KMBOX_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "kmbox.h"

/* The one way into the kernel: an ioctl whose failure comes back as -errno. */
static inline int kmbox__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* A user pointer as the __u64 the uapi structs carry (NULL gives 0). */
static inline __u64 kmbox__ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

#endif /* LIBKMBOX_KMBOX_INTERNAL_H */
