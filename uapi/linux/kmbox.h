/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kmbox: mailbox IPC for Linux processes - userspace API.
 *
 * Every ioctl argument is a struct of fixed-size fields, 64-bit aligned,
 * with explicit padding, so that 32-bit and 64-bit callers share one
 * layout.  Pointers travel as __u64.  Padding and reserved fields must
 * be zero on input and are zero on output.
 *
 * The size encoded in an ioctl number is the size of the caller's struct.
 * The kernel accepts a larger struct if the bytes it does not know are
 * zero (E2BIG otherwise) and fills the unknown tail of an output struct
 * with zeroes, so a struct may grow at its end without a new ioctl.
 */
#ifndef _UAPI_LINUX_KMBOX_H
#define _UAPI_LINUX_KMBOX_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* The interface version that KMBOX_IOC_VERSION reports. */
#define KMBOX_ABI_VERSION	1

/* Type byte of every kmbox ioctl (unassigned in ioctl-number.rst). */
#define KMBOX_IOC_MAGIC		0xDA

/* Longest mailbox name in bytes, without the terminating NUL. */
#define KMBOX_NAME_MAX		255

/* Message priorities: 0 (lowest) to KMBOX_PRIO_MAX, higher served first. */
#define KMBOX_PRIO_MAX		31

/* KMBOX_FEATURE_*: what the running module supports. */
#define KMBOX_FEATURE_MAILBOX	_BITULL(0)	/* mailboxes */
#define KMBOX_FEATURE_BATCH	_BITULL(1)	/* KMBOX_IOC_SENDV, KMBOX_IOC_RECVV */
#define KMBOX_FEATURE_REGION	_BITULL(2)	/* shared regions (mmap) */
#define KMBOX_FEATURE_RING	_BITULL(3)	/* KMBOX_IOC_RING_* doorbells */
#define KMBOX_FEATURE_PERSISTENT _BITULL(4)	/* PERSISTENT, NOROLE */

/**
 * struct kmbox_version - answer of KMBOX_IOC_VERSION
 * @abi_version: KMBOX_ABI_VERSION of the running module
 * @pad: always zero
 * @features: KMBOX_FEATURE_* bits the running module supports
 */
struct kmbox_version {
	__u32 abi_version;
	__u32 pad;
	__u64 features;
};

/* struct kmbox_attr.flags */
#define KMBOX_ATTR_HANGUP	_BITUL(0)	/* end-of-stream and EPIPE, as pipes */
#define KMBOX_ATTR_PERSISTENT	_BITUL(1)	/* the name keeps it until unlinked */

/**
 * struct kmbox_attr - attributes of a mailbox
 * @max_msgs: most messages queued at once (0 at creation: the default)
 * @max_msg_size: largest message in bytes (0 at creation: the default)
 * @max_bytes: most bytes queued at once (0 at creation: max_msgs *
 *	max_msg_size); at least max_msg_size
 * @mode: permission bits, 0 to 0777 (0 at creation: 0600)
 * @flags: KMBOX_ATTR_* flags, fixed at creation
 * @region_size: size in bytes of the shared region that the mailbox's
 *	file descriptors can mmap(): 0 (none) or a multiple of the page
 *	size up to the region_size_max module parameter; fixed at creation
 * @reserved: must be zero
 */
struct kmbox_attr {
	__u64 max_msgs;
	__u64 max_msg_size;
	__u64 max_bytes;
	__u32 mode;
	__u32 flags;
	__u64 region_size;
	__u64 reserved[3];
};

/* Flags of KMBOX_IOC_CREATE and KMBOX_IOC_OPEN (and libkmbox) */
#define KMBOX_SEND	_BITUL(0)	/* the fd may send */
#define KMBOX_RECV	_BITUL(1)	/* the fd may receive */
#define KMBOX_EXCL	_BITUL(2)	/* create: EEXIST if the name exists */
#define KMBOX_CLOEXEC	_BITUL(3)	/* the fd is closed on exec */
#define KMBOX_NONBLOCK	_BITUL(4)	/* the fd is O_NONBLOCK */
#define KMBOX_NOROLE	_BITUL(5)	/* the fd neither sends nor receives */

/**
 * struct kmbox_create - argument of KMBOX_IOC_CREATE
 * @name: user pointer to a NUL-terminated name, or 0 for an anonymous
 *	mailbox
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both) or KMBOX_NOROLE,
 *	KMBOX_EXCL, KMBOX_CLOEXEC, KMBOX_NONBLOCK
 * @pad: must be zero
 * @attr: attributes of the new mailbox; when an existing named mailbox
 *	is opened instead (no KMBOX_EXCL) they must still be valid, and the
 *	mailbox keeps its own
 */
struct kmbox_create {
	__u64 name;
	__u32 flags;
	__u32 pad;
	struct kmbox_attr attr;
};

/**
 * struct kmbox_open - argument of KMBOX_IOC_OPEN
 * @name: user pointer to a NUL-terminated name
 * @flags: KMBOX_SEND, KMBOX_RECV (neither: both) or KMBOX_NOROLE,
 *	KMBOX_CLOEXEC, KMBOX_NONBLOCK
 * @pad: must be zero
 */
struct kmbox_open {
	__u64 name;
	__u32 flags;
	__u32 pad;
};

/**
 * struct kmbox_unlink - argument of KMBOX_IOC_UNLINK
 * @name: user pointer to a NUL-terminated name
 * @flags: must be zero
 * @pad: must be zero
 */
struct kmbox_unlink {
	__u64 name;
	__u32 flags;
	__u32 pad;
};

/* struct kmbox_msg.flags, per call */
#define KMBOX_DONTWAIT	_BITUL(0)	/* EAGAIN instead of sleeping */
#define KMBOX_PEEK	_BITUL(1)	/* receive: leave the message queued */
#define KMBOX_TIMEOUT	_BITUL(2)	/* timeout_ns is relative */
#define KMBOX_ABSTIME	_BITUL(3)	/* timeout_ns is a CLOCK_MONOTONIC deadline */
#define KMBOX_NOSIGNAL	_BITUL(4)	/* send: no SIGPIPE with EPIPE */
#define KMBOX_WAITFORONE _BITUL(5)	/* RECVV: wait for the first only */

/**
 * struct kmbox_msg - argument of KMBOX_IOC_SEND and KMBOX_IOC_RECV
 * @buf: user pointer to the message (send) or the buffer (receive)
 * @len: length of the message (send) or of the buffer (receive)
 * @timeout_ns: with KMBOX_TIMEOUT, nanoseconds to wait at most; with
 *	KMBOX_ABSTIME, a CLOCK_MONOTONIC deadline (in the caller's time
 *	namespace); otherwise must be 0
 * @flags: KMBOX_DONTWAIT, KMBOX_PEEK, KMBOX_TIMEOUT, KMBOX_ABSTIME,
 *	KMBOX_NOSIGNAL
 * @priority: send: 0 to KMBOX_PRIO_MAX; receive: the message's priority
 *
 * Set by KMBOX_IOC_RECV, ignored on input:
 * @msg_len: length of the message, also on EMSGSIZE
 * @seq: the mailbox's sequence number of the message, from 1
 * @time_ns: CLOCK_MONOTONIC time at which it was queued, in the
 *	receiver's time namespace
 * @sender_pid: sending process (tgid) in the receiver's pid namespace as
 *	it was when sent (also if it has exited since), 0 if it is not
 *	visible there
 * @sender_uid: sender's effective uid in the receiver's user namespace
 */
struct kmbox_msg {
	__u64 buf;
	__u64 len;
	__u64 timeout_ns;
	__u32 flags;
	__u32 priority;
	__u64 msg_len;
	__u64 seq;
	__u64 time_ns;
	__s32 sender_pid;
	__u32 sender_uid;
};

/* Most messages one KMBOX_IOC_SENDV or KMBOX_IOC_RECVV moves. */
#define KMBOX_MSGV_MAX		1024

/**
 * struct kmbox_msgv - argument of KMBOX_IOC_SENDV and KMBOX_IOC_RECVV
 * @msgs: user pointer to an array of @count struct kmbox_msg; in each,
 *	buf, len and (send) priority are used, flags and timeout_ns must be
 *	0; RECVV fills in each received message's metadata
 * @count: number of elements, 1 to KMBOX_MSGV_MAX
 * @flags: for the whole call: KMBOX_DONTWAIT, KMBOX_TIMEOUT,
 *	KMBOX_ABSTIME, and KMBOX_NOSIGNAL (send) or KMBOX_WAITFORONE (recv)
 * @timeout_ns: as in struct kmbox_msg, one deadline for the whole call
 */
struct kmbox_msgv {
	__u64 msgs;
	__u32 count;
	__u32 flags;
	__u64 timeout_ns;
};

/* struct kmbox_stat.state */
#define KMBOX_STATE_NAMED	_BITUL(0)	/* created with a name */
#define KMBOX_STATE_UNLINKED	_BITUL(1)	/* its name has been removed */
#define KMBOX_STATE_SHUTDOWN	_BITUL(2)	/* KMBOX_IOC_SHUTDOWN was issued */

/**
 * struct kmbox_stat - answer of KMBOX_IOC_STAT
 * @id: number of the mailbox, unique while the module is loaded
 * @msgs: messages held: queued, or taken by a receive that is still
 *	copying them out
 * @bytes: bytes held
 * @max_msgs: capacity in messages
 * @max_msg_size: largest message
 * @max_bytes: capacity in bytes
 * @senders: open file descriptions with the send role
 * @receivers: open file descriptions with the receive role
 * @blocked_senders: tasks sleeping in send
 * @blocked_receivers: tasks sleeping in receive
 * @sent: messages sent since creation
 * @received: messages received (not peeked) since creation
 * @high_water: most messages ever held at once
 * @uid: owner, in the caller's user namespace
 * @gid: owner's group, in the caller's user namespace
 * @mode: permission bits
 * @attr_flags: KMBOX_ATTR_* flags
 * @state: KMBOX_STATE_* bits
 * @pad: zero
 * @region_size: size of the shared region (0: none)
 * @mappings: memory mappings of the region that exist (VMAs, counted in
 *	every process; fork and a partial munmap can add some)
 * @ring_producers: file descriptions that joined as ring producer (0 or 1)
 * @ring_consumers: file descriptions that joined as ring consumer (0 or 1)
 * @charge: bytes the mailbox counts against its owner's bytes_per_user
 *	(and the owners' of the user namespaces above); 0 from a module
 *	older than libkmbox 1.2
 * @reserved: zero
 * @name: the name, NUL-terminated; empty for an anonymous mailbox
 */
struct kmbox_stat {
	__u64 id;
	__u64 msgs;
	__u64 bytes;
	__u64 max_msgs;
	__u64 max_msg_size;
	__u64 max_bytes;
	__u32 senders;
	__u32 receivers;
	__u32 blocked_senders;
	__u32 blocked_receivers;
	__u64 sent;
	__u64 received;
	__u64 high_water;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 attr_flags;
	__u32 state;
	__u32 pad;
	__u64 region_size;
	__u64 mappings;
	__u32 ring_producers;
	__u32 ring_consumers;
	__u64 charge;
	__u64 reserved[1];
	char name[KMBOX_NAME_MAX + 1];
};

/* struct kmbox_ring_join.side: which end of a ring a file is */
#define KMBOX_RING_PRODUCER	1	/* writes messages, needs the send role */
#define KMBOX_RING_CONSUMER	2	/* reads messages, needs the receive role */

/**
 * struct kmbox_ring_join - argument of KMBOX_IOC_RING_JOIN
 * @side: KMBOX_RING_PRODUCER or KMBOX_RING_CONSUMER
 * @flags: must be zero
 */
struct kmbox_ring_join {
	__u32 side;
	__u32 flags;
};

/**
 * struct kmbox_ring_wait - argument of KMBOX_IOC_RING_WAIT
 * @uaddr: user pointer to a 4-byte aligned __u32 (the ring index the
 *	caller waits to see change)
 * @value: sleep only while *@uaddr equals this
 * @flags: KMBOX_DONTWAIT, KMBOX_TIMEOUT or KMBOX_ABSTIME
 * @timeout_ns: as in struct kmbox_msg
 */
struct kmbox_ring_wait {
	__u64 uaddr;
	__u32 value;
	__u32 flags;
	__u64 timeout_ns;
};

/* Issued on a /dev/kmbox file descriptor. */
#define KMBOX_IOC_VERSION	_IOR(KMBOX_IOC_MAGIC, 0x00, struct kmbox_version)
#define KMBOX_IOC_CREATE	_IOW(KMBOX_IOC_MAGIC, 0x01, struct kmbox_create)
#define KMBOX_IOC_OPEN		_IOW(KMBOX_IOC_MAGIC, 0x02, struct kmbox_open)
#define KMBOX_IOC_UNLINK	_IOW(KMBOX_IOC_MAGIC, 0x03, struct kmbox_unlink)

/* Issued on a mailbox file descriptor. */
#define KMBOX_IOC_SEND		_IOW(KMBOX_IOC_MAGIC, 0x10, struct kmbox_msg)
#define KMBOX_IOC_RECV		_IOWR(KMBOX_IOC_MAGIC, 0x11, struct kmbox_msg)
#define KMBOX_IOC_SHUTDOWN	_IO(KMBOX_IOC_MAGIC, 0x12)
#define KMBOX_IOC_GET_ATTR	_IOR(KMBOX_IOC_MAGIC, 0x13, struct kmbox_attr)
#define KMBOX_IOC_SET_ATTR	_IOW(KMBOX_IOC_MAGIC, 0x14, struct kmbox_attr)
#define KMBOX_IOC_STAT		_IOR(KMBOX_IOC_MAGIC, 0x15, struct kmbox_stat)
#define KMBOX_IOC_SENDV		_IOW(KMBOX_IOC_MAGIC, 0x16, struct kmbox_msgv)
#define KMBOX_IOC_RECVV		_IOW(KMBOX_IOC_MAGIC, 0x17, struct kmbox_msgv)
#define KMBOX_IOC_RING_JOIN	_IOW(KMBOX_IOC_MAGIC, 0x18, struct kmbox_ring_join)
#define KMBOX_IOC_RING_WAIT	_IOW(KMBOX_IOC_MAGIC, 0x19, struct kmbox_ring_wait)
#define KMBOX_IOC_RING_WAKE	_IO(KMBOX_IOC_MAGIC, 0x1a)

#endif /* _UAPI_LINUX_KMBOX_H */
