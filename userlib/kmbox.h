/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkmbox: a thin C library over the kmbox userspace API.
 *
 * Every function returns a non-negative value on success and -errno on
 * failure; errno itself is never the only report of an error.
 */
#ifndef LIBKMBOX_KMBOX_H
#define LIBKMBOX_KMBOX_H

#include <stddef.h>
#include <sys/types.h>

#include <linux/kmbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the kmbox control device. */
#define KMBOX_DEVICE_PATH "/dev/kmbox"

/**
 * kmbox_version() - ABI version of the loaded kmbox module
 *
 * Return: KMBOX_ABI_VERSION of the running module (a positive number), or
 * -errno: -ENOENT if /dev/kmbox does not exist (module not loaded).
 */
int kmbox_version(void);

/**
 * kmbox_create() - make a mailbox, or open an existing named one
 * @name: its name, or NULL for an anonymous mailbox
 * @attr: its attributes, or NULL for the defaults
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both), KMBOX_EXCL,
 *	KMBOX_CLOEXEC, KMBOX_NONBLOCK
 *
 * Return: a mailbox file descriptor, or -errno.
 */
int kmbox_create(const char *name, const struct kmbox_attr *attr,
		 unsigned int flags);

/**
 * kmbox_open() - open a named mailbox
 * @name: its name
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both), KMBOX_CLOEXEC,
 *	KMBOX_NONBLOCK
 *
 * Return: a mailbox file descriptor, or -errno.
 */
int kmbox_open(const char *name, unsigned int flags);

/**
 * kmbox_unlink() - remove a mailbox name
 * @name: the name
 *
 * Return: 0 or -errno.
 */
int kmbox_unlink(const char *name);

/**
 * kmbox_send() - send one message of priority 0
 * @fd: mailbox descriptor with the send role
 * @buf: the message
 * @len: its length
 * @flags: KMBOX_DONTWAIT, KMBOX_NOSIGNAL
 *
 * Return: @len, or -errno.
 */
ssize_t kmbox_send(int fd, const void *buf, size_t len, unsigned int flags);

/**
 * kmbox_recv() - receive one message
 * @fd: mailbox descriptor with the receive role
 * @buf: the buffer
 * @len: its length
 * @flags: KMBOX_DONTWAIT, KMBOX_PEEK
 *
 * Return: the length of the message (0 for an empty message), or -errno:
 * -EPIPE at end-of-stream.
 */
ssize_t kmbox_recv(int fd, void *buf, size_t len, unsigned int flags);

/**
 * kmbox_send_msg() - send one message with priority and timeout
 * @fd: mailbox descriptor with the send role
 * @msg: buf, len, flags, priority and timeout_ns as for KMBOX_IOC_SEND
 *
 * Return: the length sent, or -errno.
 */
ssize_t kmbox_send_msg(int fd, const struct kmbox_msg *msg);

/**
 * kmbox_recv_msg() - receive one message with its metadata
 * @fd: mailbox descriptor with the receive role
 * @msg: buf, len, flags and timeout_ns as for KMBOX_IOC_RECV; gets the
 *	message's metadata
 *
 * Return: the length of the message, or -errno.
 */
ssize_t kmbox_recv_msg(int fd, struct kmbox_msg *msg);

/**
 * kmbox_sendv() - send several messages in one call
 * @fd: mailbox descriptor with the send role
 * @msgs: the messages: buf, len and priority of each (flags and
 *	timeout_ns 0)
 * @count: how many, 1 to KMBOX_MSGV_MAX
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT, KMBOX_ABSTIME, KMBOX_NOSIGNAL
 * @timeout_ns: with KMBOX_TIMEOUT or KMBOX_ABSTIME, for the whole call
 *
 * Return: how many were sent (at least 1), or -errno if none was.
 */
int kmbox_sendv(int fd, const struct kmbox_msg *msgs, unsigned int count,
		unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_recvv() - receive several messages in one call
 * @fd: mailbox descriptor with the receive role
 * @msgs: buf and len of each (flags and timeout_ns 0); get the metadata
 * @count: how many at most, 1 to KMBOX_MSGV_MAX
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT, KMBOX_ABSTIME, KMBOX_WAITFORONE
 * @timeout_ns: with KMBOX_TIMEOUT or KMBOX_ABSTIME, for the whole call
 *
 * Return: how many were received (at least 1), or -errno if none was.
 */
int kmbox_recvv(int fd, struct kmbox_msg *msgs, unsigned int count,
		unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_shutdown() - end a mailbox: sends fail, receivers drain then stop
 * @fd: mailbox descriptor of any role
 *
 * Return: 0 or -errno.
 */
int kmbox_shutdown(int fd);

/**
 * kmbox_getattr() - read a mailbox's attributes
 * @fd: mailbox descriptor
 * @attr: filled in
 *
 * Return: 0 or -errno.
 */
int kmbox_getattr(int fd, struct kmbox_attr *attr);

/**
 * kmbox_setattr() - change capacity or mode (0 fields keep their value)
 * @fd: mailbox descriptor
 * @attr: the new attributes
 *
 * Return: 0 or -errno.
 */
int kmbox_setattr(int fd, const struct kmbox_attr *attr);

/**
 * kmbox_stat() - figures of a mailbox
 * @fd: mailbox descriptor
 * @st: filled in
 *
 * Return: 0 or -errno.
 */
int kmbox_stat(int fd, struct kmbox_stat *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBKMBOX_KMBOX_H */
