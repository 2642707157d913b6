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
#include <sys/uio.h>

#include <linux/kmbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the kmbox control device. */
#define KMBOX_DEVICE_PATH "/dev/kmbox"

/**
 * DOC: Release
 *
 * KMBOX_VERSION_MAJOR and KMBOX_VERSION_MINOR give the libkmbox release
 * this header belongs to: a program may test KMBOX_VERSION_ATLEAST(1, 2)
 * before it uses a function that 1.2 added (each function's man page
 * says in which release, under VERSIONS).  Symbol versions (KMBOX_1.0,
 * KMBOX_1.1, ...) only grow: a program built against an older release
 * runs with a newer libkmbox.so.1.
 */
#define KMBOX_VERSION_MAJOR	1
#define KMBOX_VERSION_MINOR	2
#define KMBOX_VERSION_ATLEAST(major, minor)				\
	(KMBOX_VERSION_MAJOR > (major) ||				\
	 (KMBOX_VERSION_MAJOR == (major) && KMBOX_VERSION_MINOR >= (minor)))

/**
 * kmbox_version() - ABI version of the loaded kmbox module
 *
 * Return: KMBOX_ABI_VERSION of the running module (a positive number), or
 * -errno: -ENOENT if /dev/kmbox does not exist (module not loaded).
 */
int kmbox_version(void);

/**
 * kmbox_features() - what the loaded kmbox module supports
 * @features: gets the KMBOX_FEATURE_* bits of the running module
 *
 * Asks the module (KMBOX_IOC_VERSION), so that a program can tell
 * before it relies on a feature, such as KMBOX_FEATURE_RING for
 * kmbox_ring_attach(), whether the module it runs with has it.  Since
 * libkmbox 1.2.
 *
 * Return: 0, or -errno: -ENOENT if /dev/kmbox does not exist (module not
 * loaded), -EACCES if the caller may not open it; *@features is only
 * written on success.
 */
int kmbox_features(__u64 *features);

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

/**
 * struct kmbox_ring - one end of a ring in a mailbox's shared region
 *
 * Filled in by kmbox_ring_attach(); the fields are the library's own.
 * One end is used by one thread at a time.  The caller allocates it: its
 * size and the offsets of data_size, pos, fd and side are those of
 * libkmbox 1.1.
 */
struct kmbox_ring {
	void *map;		/* the whole region, mapped read-write */
	size_t map_size;	/* its size */
	unsigned char *data;	/* the data area */
	__u32 peer;		/* the other end's index, as last read and checked */
	__u32 held;		/* producer: bytes reserved + 1; consumer: the
				 * record looked at in place; 0: none */
	__u16 proto;		/* the wake-up protocol: the layout's version */
	__u16 spins;		/* looks before a sleep, adapted to the peer */
	__u32 __reserved[sizeof(void *) - 3];
	__u32 data_size;	/* a power of two */
	__u32 pos;		/* this end's own index, as last published */
	int fd;			/* the mailbox descriptor (not owned) */
	unsigned int side;	/* KMBOX_RING_PRODUCER or KMBOX_RING_CONSUMER */
};

/*
 * A flag of the ring calls (libkmbox's own, never passed to the kernel):
 * fail with -EAGAIN at once when the ring is full (send, reserve) or empty
 * (receive, peek), without a system call and without raising the waiting
 * flag, so without asking whether the other end is gone.  For a caller
 * that spins.
 */
#define KMBOX_RING_TRY	(1u << 31)

/**
 * kmbox_ring_region_size() - region size a ring of @data_size bytes needs
 * @data_size: bytes of messages in flight at most, a power of two
 *
 * Return: the region_size to create the mailbox with (header included,
 * rounded up to the page size), or 0 if @data_size is not a power of two
 * of at least 64 bytes, or above 2 GiB (the indices are 32-bit).
 */
size_t kmbox_ring_region_size(size_t data_size);

/**
 * kmbox_ring_attach() - map a mailbox's region and become one end of its
 *	ring
 * @ring: filled in
 * @fd: mailbox descriptor with both roles, whose mailbox has a region
 * @side: KMBOX_RING_PRODUCER or KMBOX_RING_CONSUMER
 *
 * Maps the whole region read-write, joins the ring (KMBOX_IOC_RING_JOIN)
 * and lays the ring out in the region if nobody has yet.  The descriptor
 * is not duplicated and must stay open while the ring is used; its file
 * stays that end of the ring until it is closed.  On failure nothing
 * stays mapped, the file has not joined and @ring is untouched.
 *
 * Return: 0 or -errno: -EINVAL (@side), -ENODEV (no region), -ENOSPC
 * (region too small for a ring), -EACCES (@fd cannot map the region
 * read-write: it lacks a role), -EPROTO (the region holds something that
 * is not a ring of this layout and size), -EALREADY (this file is an end
 * already), -EBUSY (another file is that end), -ENOMEM, -EBADF, -ENOTTY.
 */
int kmbox_ring_attach(struct kmbox_ring *ring, int fd, unsigned int side);

/**
 * kmbox_ring_detach() - unmap the region
 * @ring: an attached ring
 *
 * The descriptor is not closed; the file stays an end of the ring.
 *
 * Return: 0 or -errno.
 */
int kmbox_ring_detach(struct kmbox_ring *ring);

/**
 * kmbox_ring_send() - write one message into the ring (producer)
 * @ring: the producer end
 * @buf: the message
 * @len: its length, 0 to data_size / 2 - 8
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT or KMBOX_ABSTIME
 * @timeout_ns: with KMBOX_TIMEOUT, nanoseconds; with KMBOX_ABSTIME, a
 *	CLOCK_MONOTONIC deadline; otherwise 0
 *
 * Makes no system call unless the ring is full (it sleeps; with
 * KMBOX_DONTWAIT it asks the kernel once whether the consumer is gone, and
 * leaves its waiting flag raised so that the consumer's next take rings
 * the doorbell: EPOLLPRI) or the consumer sleeps (it wakes it).  A
 * relative timeout becomes one deadline when the call first sleeps.
 *
 * Return: @len, or -errno: -EMSGSIZE, -EAGAIN (full, KMBOX_DONTWAIT),
 * -ETIMEDOUT, -EINTR, -EPIPE (full and the consumer is gone or the
 * mailbox shut down), -EBADMSG (the ring's indices are impossible),
 * -EINVAL (flags, or not the producer).
 */
ssize_t kmbox_ring_send(struct kmbox_ring *ring, const void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_recv() - take one message from the ring (consumer)
 * @ring: the consumer end
 * @buf: the buffer
 * @len: its length
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT or KMBOX_ABSTIME
 * @timeout_ns: as for kmbox_ring_send()
 *
 * Makes no system call unless the ring is empty (it sleeps; with
 * KMBOX_DONTWAIT it asks the kernel once, to tell end-of-stream from an
 * empty ring, and leaves its waiting flag raised so that the next message
 * rings the doorbell: EPOLLPRI) or the producer sleeps (it wakes it).
 *
 * Return: the message's length, or -errno: -EMSGSIZE (@len too small; the
 * message stays), -EAGAIN, -ETIMEDOUT, -EINTR, -EPIPE (end-of-stream: empty
 * and the producer is gone or the mailbox shut down), -EBADMSG (a record
 * or index is impossible), -EINVAL (flags, or not the consumer).
 */
ssize_t kmbox_ring_recv(struct kmbox_ring *ring, void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_sendv() - write several messages into the ring (producer)
 * @ring: the producer end
 * @msgs: the messages, one struct iovec each (not parts of one message)
 * @count: how many, at least 1
 * @flags: as for kmbox_ring_send(); they apply to the first message
 * @timeout_ns: as for kmbox_ring_send()
 *
 * Waits for room for the first message as kmbox_ring_send() does; the
 * others go as long as there is room, and all are published with one
 * store of the write index and one look at the consumer's waiting flag.
 *
 * Return: how many were written (at least 1), or -errno as
 * kmbox_ring_send() if none was; -EINVAL also for no @msgs or a @count
 * of 0.  A later message that fails (too big, an impossible index) is
 * left for the next call to report.
 */
int kmbox_ring_sendv(struct kmbox_ring *ring, const struct iovec *msgs,
		     unsigned int count, unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_recvv() - take several messages from the ring (consumer)
 * @ring: the consumer end
 * @msgs: one buffer per message; each iov_len is set to the length of
 *	the message received into it
 * @count: how many at most, at least 1
 * @flags: as for kmbox_ring_recv(); they apply to the first message
 * @timeout_ns: as for kmbox_ring_recv()
 *
 * Waits for the first message as kmbox_ring_recv() does, then takes
 * those already there, up to @count, and gives their room back with one
 * store of the read index and one look at the producer's waiting flag.
 *
 * Return: how many were received (at least 1), or -errno as
 * kmbox_ring_recv() if none was; -EINVAL also for no @msgs or a @count
 * of 0.  A message too big for its buffer stops the batch (-EMSGSIZE if
 * it is the first) and stays in the ring.
 */
int kmbox_ring_recvv(struct kmbox_ring *ring, struct iovec *msgs,
		     unsigned int count, unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_reserve() - make room for a message and write it in place
 *	(producer)
 * @ring: the producer end
 * @buf: set to where the message's @len bytes go, inside the region
 * @len: room wanted, 0 to data_size / 2 - 8
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT, KMBOX_ABSTIME or KMBOX_RING_TRY
 * @timeout_ns: as for kmbox_ring_send()
 *
 * Waits for room as kmbox_ring_send() does; the message is invisible to
 * the consumer until kmbox_ring_commit().  A reservation that is not
 * committed is dropped by the next kmbox_ring_reserve() or
 * kmbox_ring_send(), whatever they return.
 *
 * Return: @len, or -errno as kmbox_ring_send(); -EINVAL also for a NULL
 * @buf.
 */
ssize_t kmbox_ring_reserve(struct kmbox_ring *ring, void **buf, size_t len,
			   unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_commit() - publish the message written in reserved room
 * @ring: the producer end
 * @len: the message's length, at most the length reserved
 *
 * Return: 0, or -errno: -EINVAL (nothing reserved, or not the producer),
 * -EMSGSIZE (@len above the length reserved; the reservation stays).
 */
int kmbox_ring_commit(struct kmbox_ring *ring, size_t len);

/**
 * kmbox_ring_peek() - look at the next message in place (consumer)
 * @ring: the consumer end
 * @buf: set to the message, inside the region
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT, KMBOX_ABSTIME or KMBOX_RING_TRY
 * @timeout_ns: as for kmbox_ring_send()
 *
 * Waits for a message as kmbox_ring_recv() does, but leaves it in the
 * ring: it stays readable at *@buf until kmbox_ring_release(), and a
 * second peek returns it again.  The next kmbox_ring_peek() or
 * kmbox_ring_recv() ends the look, whatever they return.
 *
 * Return: the message's length, or -errno as kmbox_ring_recv() (never
 * -EMSGSIZE); -EINVAL also for a NULL @buf.
 */
ssize_t kmbox_ring_peek(struct kmbox_ring *ring, const void **buf,
			unsigned int flags, __u64 timeout_ns);

/**
 * kmbox_ring_release() - take the message kmbox_ring_peek() returned
 * @ring: the consumer end
 *
 * Its room goes back to the producer; the pointer is no longer valid.
 *
 * Return: 0, or -EINVAL (nothing peeked, or not the consumer).
 */
int kmbox_ring_release(struct kmbox_ring *ring);

#ifdef __cplusplus
}
#endif

#endif /* LIBKMBOX_KMBOX_H */
