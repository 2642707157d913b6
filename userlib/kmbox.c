// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkmbox: a thin C library over the kmbox userspace API.
 *
 * Each call fills the ioctl's argument struct and goes through
 * kmbox__ioctl(); the kernel checks every argument itself, so nothing is
 * validated twice here.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kmbox.h"
#include "kmbox_internal.h"

/*
 * Issue one ioctl on a /dev/kmbox descriptor of its own, opened for this
 * call only (not inherited across exec) and closed before returning.
 */
static int kmbox__dev_ioctl(unsigned long cmd, void *arg)
{
	int dev, ret;

	dev = open(KMBOX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox__ioctl(dev, cmd, arg);
	close(dev);
	return ret;
}

int kmbox_version(void)
{
	struct kmbox_version ver = { 0 };
	int ret;

	ret = kmbox__dev_ioctl(KMBOX_IOC_VERSION, &ver);
	if (ret < 0)
		return ret;
	return (int)ver.abi_version;
}

int kmbox_features(__u64 *features)
{
	struct kmbox_version ver = { 0 };
	int ret;

	ret = kmbox__dev_ioctl(KMBOX_IOC_VERSION, &ver);
	if (ret < 0)
		return ret;
	*features = ver.features;
	return 0;
}

int kmbox_create(const char *name, const struct kmbox_attr *attr,
		 unsigned int flags)
{
	struct kmbox_create req = {
		.name = kmbox__ptr(name),
		.flags = flags,
	};

	if (attr)
		req.attr = *attr;
	return kmbox__dev_ioctl(KMBOX_IOC_CREATE, &req);
}

int kmbox_open(const char *name, unsigned int flags)
{
	struct kmbox_open req = {
		.name = kmbox__ptr(name),
		.flags = flags,
	};

	return kmbox__dev_ioctl(KMBOX_IOC_OPEN, &req);
}

int kmbox_unlink(const char *name)
{
	struct kmbox_unlink req = { .name = kmbox__ptr(name) };

	return kmbox__dev_ioctl(KMBOX_IOC_UNLINK, &req);
}

ssize_t kmbox_send(int fd, const void *buf, size_t len, unsigned int flags)
{
	struct kmbox_msg msg = {
		.buf = kmbox__ptr(buf),
		.len = len,
		.flags = flags,
	};

	return kmbox__ioctl(fd, KMBOX_IOC_SEND, &msg);
}

ssize_t kmbox_recv(int fd, void *buf, size_t len, unsigned int flags)
{
	struct kmbox_msg msg = {
		.buf = kmbox__ptr(buf),
		.len = len,
		.flags = flags,
	};

	return kmbox__ioctl(fd, KMBOX_IOC_RECV, &msg);
}

/*
 * KMBOX_IOC_SEND and KMBOX_IOC_SET_ATTR are _IOW: the kernel only reads
 * the struct, so handing it the caller's const struct is safe.
 */
ssize_t kmbox_send_msg(int fd, const struct kmbox_msg *msg)
{
	return kmbox__ioctl(fd, KMBOX_IOC_SEND, (void *)msg);
}

ssize_t kmbox_recv_msg(int fd, struct kmbox_msg *msg)
{
	return kmbox__ioctl(fd, KMBOX_IOC_RECV, msg);
}

/*
 * The array is only read by SENDV, so the caller's const elements are
 * handed over as they are; RECVV writes each received message's metadata
 * into its element.
 */
static int kmbox__msgv(int fd, unsigned long cmd, const struct kmbox_msg *msgs,
		       unsigned int count, unsigned int flags, __u64 timeout_ns)
{
	struct kmbox_msgv req = {
		.msgs = kmbox__ptr(msgs),
		.count = count,
		.flags = flags,
		.timeout_ns = timeout_ns,
	};

	return kmbox__ioctl(fd, cmd, &req);
}

int kmbox_sendv(int fd, const struct kmbox_msg *msgs, unsigned int count,
		unsigned int flags, __u64 timeout_ns)
{
	return kmbox__msgv(fd, KMBOX_IOC_SENDV, msgs, count, flags, timeout_ns);
}

int kmbox_recvv(int fd, struct kmbox_msg *msgs, unsigned int count,
		unsigned int flags, __u64 timeout_ns)
{
	return kmbox__msgv(fd, KMBOX_IOC_RECVV, msgs, count, flags, timeout_ns);
}

int kmbox_shutdown(int fd)
{
	return kmbox__ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL);
}

int kmbox_getattr(int fd, struct kmbox_attr *attr)
{
	return kmbox__ioctl(fd, KMBOX_IOC_GET_ATTR, attr);
}

int kmbox_setattr(int fd, const struct kmbox_attr *attr)
{
	return kmbox__ioctl(fd, KMBOX_IOC_SET_ATTR, (void *)attr);
}

int kmbox_stat(int fd, struct kmbox_stat *st)
{
	return kmbox__ioctl(fd, KMBOX_IOC_STAT, st);
}
