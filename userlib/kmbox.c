// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkmbox: a thin C library over the kmbox userspace API.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kmbox.h"

/* The one way into the kernel: an ioctl whose failure comes back as -errno. */
static inline int kmbox__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* Open the control device; the descriptor is not inherited across exec. */
static int kmbox__open_device(void)
{
	int fd = open(KMBOX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kmbox_version(void)
{
	struct kmbox_version ver = { 0 };
	int fd, ret;

	fd = kmbox__open_device();
	if (fd < 0)
		return fd;
	ret = kmbox__ioctl(fd, KMBOX_IOC_VERSION, &ver);
	close(fd);
	if (ret < 0)
		return ret;
	return (int)ver.abi_version;
}
