// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkmbox: the ring, a single-producer single-consumer queue of messages
 * that two processes keep in a mailbox's shared region.  The kernel only
 * lets a side sleep (KMBOX_IOC_RING_WAIT), wakes it (KMBOX_IOC_RING_WAKE)
 * and tells it when the other side is gone; see "Ring doorbells" in
 * Documentation/userspace-api.rst for the layout and the protocol.
 *
 * The region is shared with processes that may be buggy or hostile: every
 * index and record header read from it is read once, into a local, and
 * checked before it is used, so that no access leaves the data area.
 * This end's own index is kept in struct kmbox_ring (pos) and only ever
 * stored to the region, never read back from it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kmbox.h"
#include "kmbox_internal.h"

/* Layout, version 1: byte offsets in the region. */
#define RING_MAGIC		0x524d424bu	/* "KBMR" */
#define RING_VERSION		1u
#define RING_OFF_MAGIC		0
#define RING_OFF_VERSION	4
#define RING_OFF_DATA_SIZE	8
#define RING_OFF_DATA_OFFSET	12
#define RING_OFF_TAIL		64
#define RING_OFF_HEAD		128
#define RING_OFF_CONS_WAITING	192
#define RING_OFF_PROD_WAITING	256
#define RING_DATA_OFFSET	4096u

/* The data area: a power of two from 64 bytes to 2 GiB (indices are u32). */
#define RING_MIN_DATA		64u
#define RING_MAX_DATA		0x80000000u

/* Records: an 8-byte header (u32 len, u32 flags), then len bytes, padded. */
#define RING_HDR		8u
#define RING_ALIGN		8u
#define RING_REC_PAD		1u	/* flags of a padding record */

/* What a call's flags may hold. */
#define RING_TIMING		(KMBOX_TIMEOUT | KMBOX_ABSTIME)
#define RING_FLAGS		(KMBOX_DONTWAIT | RING_TIMING)

#define RING_NSEC		1000000000ull

static inline __u32 *ring__word(void *map, size_t off)
{
	return (__u32 *)((unsigned char *)map + off);
}

/* Bytes a record of a @len-byte message takes, header included. */
static inline __u32 ring__rec_size(__u32 len)
{
	return RING_HDR + ((len + RING_ALIGN - 1) & ~(RING_ALIGN - 1));
}

/* The largest message a ring of @data_size bytes carries. */
static inline __u32 ring__max_msg(__u32 data_size)
{
	return data_size / 2 - RING_HDR;
}

/*
 * The data size of the ring in a region of @region_size bytes: the
 * largest power of two that fits after the header page, or 0 if the
 * region is too small for a ring.
 */
static __u32 ring__data_size(__u64 region_size)
{
	__u64 room;
	__u32 size = RING_MIN_DATA;

	if (region_size < RING_DATA_OFFSET + RING_MIN_DATA)
		return 0;
	room = region_size - RING_DATA_OFFSET;
	while (size < RING_MAX_DATA && (__u64)size * 2 <= room)
		size *= 2;
	return size;
}

size_t kmbox_ring_region_size(size_t data_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (data_size < RING_MIN_DATA || data_size > RING_MAX_DATA ||
	    (data_size & (data_size - 1)))
		return 0;
	if (page == 0 || (page & (page - 1)))
		return 0;
	if (data_size > SIZE_MAX - RING_DATA_OFFSET - (page - 1))
		return 0;
	return (data_size + RING_DATA_OFFSET + page - 1) & ~(page - 1);
}

/*
 * Checks a call's @flags and @timeout_ns as the kernel checks those of
 * KMBOX_IOC_SEND, so that a bad combination fails at once, even when the
 * call would not have had to wait.
 */
static int ring__check_flags(unsigned int flags, __u64 timeout_ns)
{
	unsigned int timing = flags & RING_TIMING;

	if (flags & ~RING_FLAGS)
		return -EINVAL;
	if (timing == RING_TIMING)
		return -EINVAL;
	if ((flags & KMBOX_DONTWAIT) && timing)
		return -EINVAL;
	if (!timing && timeout_ns)
		return -EINVAL;
	if (timing && timeout_ns > INT64_MAX)
		return -EINVAL;
	return 0;
}

/*
 * A relative timeout becomes an absolute CLOCK_MONOTONIC deadline the
 * first time the call has to sleep, so that a call that sleeps several
 * times (woken for room that is still too small, say) keeps one deadline.
 */
static int ring__deadline(unsigned int *flags, __u64 *timeout_ns)
{
	struct timespec now;
	__u64 now_ns;

	if (!(*flags & KMBOX_TIMEOUT))
		return 0;
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -errno;
	now_ns = (__u64)now.tv_sec * RING_NSEC + (__u64)now.tv_nsec;
	if (*timeout_ns > (__u64)INT64_MAX - now_ns)
		*timeout_ns = INT64_MAX;
	else
		*timeout_ns += now_ns;
	*flags = (*flags & ~(unsigned int)KMBOX_TIMEOUT) | KMBOX_ABSTIME;
	return 0;
}

/*
 * This end found the ring empty (consumer) or full (producer) with the
 * other side's index at @seen: raise this end's waiting flag @flag, then
 * look again, then sleep until @index moves.  Returns 0 when the caller
 * should look at the ring again, or -errno.
 *
 * The full barrier orders the store of @flag before the load of @index;
 * the other side orders the store of @index before its load of @flag the
 * same way (ring__wake()), so at least one of the two sees the other's
 * store: the other side rings, or this side does not sleep.  The kernel
 * reads @index again after it has taken note of the doorbell, which
 * closes the window up to the sleep itself.
 *
 * The flag is lowered again unless the kernel answered -EAGAIN: then it
 * stays raised, so that the other side's next move rings the doorbell and
 * makes the file report EPOLLPRI to a caller that waits in epoll.
 */
static int ring__sleep(struct kmbox_ring *ring, __u32 *flag, __u32 *index,
		       __u32 seen, unsigned int *flags, __u64 *timeout_ns)
{
	struct kmbox_ring_wait wait = {
		.uaddr = kmbox__ptr(index),
		.value = seen,
	};
	int ret;

	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(index, __ATOMIC_RELAXED) != seen) {
		__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
		return 0;
	}
	ret = ring__deadline(flags, timeout_ns);
	if (ret == 0) {
		wait.flags = *flags;
		wait.timeout_ns = *timeout_ns;
		ret = kmbox__ioctl(ring->fd, KMBOX_IOC_RING_WAIT, &wait);
	}
	if (ret != -EAGAIN)
		__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
	return ret < 0 ? ret : 0;
}

/*
 * This end has just published its index: ring the other end's doorbell if
 * its waiting flag @flag is raised.  The barrier pairs with the one in the
 * other end's ring__sleep().  A plain load first keeps the common case, no
 * sleeper, free of any write to the flag's cache line.
 *
 * The doorbell's own failure is not reported: the message (or the room)
 * is already in the ring, and KMBOX_IOC_RING_WAKE fails only on a file
 * that is not an end of the ring, which kmbox_ring_attach() made it.
 */
static void ring__wake(struct kmbox_ring *ring, __u32 *flag)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(flag, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(flag, 0, __ATOMIC_RELAXED))
		(void)kmbox__ioctl(ring->fd, KMBOX_IOC_RING_WAKE, NULL);
}

/* 1 if the header at @map, whose magic is @magic, is ours for @data_size. */
static int ring__header_ok(void *map, __u32 magic, __u32 data_size)
{
	return magic == RING_MAGIC &&
	       __atomic_load_n(ring__word(map, RING_OFF_VERSION),
			       __ATOMIC_RELAXED) == RING_VERSION &&
	       __atomic_load_n(ring__word(map, RING_OFF_DATA_SIZE),
			       __ATOMIC_RELAXED) == data_size &&
	       __atomic_load_n(ring__word(map, RING_OFF_DATA_OFFSET),
			       __ATOMIC_RELAXED) == RING_DATA_OFFSET;
}

int kmbox_ring_attach(struct kmbox_ring *ring, int fd, unsigned int side)
{
	struct kmbox_ring_join join = { .side = side };
	struct kmbox_stat st;
	struct kmbox_ring r;
	__u32 data_size, magic;
	void *map;
	int ret;

	if (!ring || (side != KMBOX_RING_PRODUCER &&
		      side != KMBOX_RING_CONSUMER))
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	ret = kmbox__ioctl(fd, KMBOX_IOC_STAT, &st);
	if (ret < 0)
		return ret;
	if (st.region_size == 0)
		return -ENODEV;
	data_size = ring__data_size(st.region_size);
	if (data_size == 0)
		return -ENOSPC;
	if (st.region_size > SIZE_MAX)
		return -ENOMEM;

	map = mmap(NULL, (size_t)st.region_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;

	/*
	 * A region that already holds a ring must hold one of this layout
	 * and size; checked before joining, so that a failed attach leaves
	 * the file as it was.
	 */
	magic = __atomic_load_n(ring__word(map, RING_OFF_MAGIC),
				__ATOMIC_ACQUIRE);
	if (magic != 0 && !ring__header_ok(map, magic, data_size)) {
		munmap(map, (size_t)st.region_size);
		return -EPROTO;
	}
	ret = kmbox__ioctl(fd, KMBOX_IOC_RING_JOIN, &join);
	if (ret < 0) {
		munmap(map, (size_t)st.region_size);
		return ret;
	}

	/*
	 * The first end to come lays the ring out.  Two ends that come at
	 * once write the same values, and the magic goes last, with release,
	 * so that an end that sees the magic sees the rest.  The indices are
	 * left as they are: zero in a fresh region.
	 */
	if (magic == 0) {
		__atomic_store_n(ring__word(map, RING_OFF_VERSION),
				 RING_VERSION, __ATOMIC_RELAXED);
		__atomic_store_n(ring__word(map, RING_OFF_DATA_SIZE),
				 data_size, __ATOMIC_RELAXED);
		__atomic_store_n(ring__word(map, RING_OFF_DATA_OFFSET),
				 RING_DATA_OFFSET, __ATOMIC_RELAXED);
		__atomic_store_n(ring__word(map, RING_OFF_MAGIC),
				 RING_MAGIC, __ATOMIC_RELEASE);
	}

	r.map = map;
	r.map_size = (size_t)st.region_size;
	r.data = (unsigned char *)map + RING_DATA_OFFSET;
	r.tail = ring__word(map, RING_OFF_TAIL);
	r.head = ring__word(map, RING_OFF_HEAD);
	r.consumer_waiting = ring__word(map, RING_OFF_CONS_WAITING);
	r.producer_waiting = ring__word(map, RING_OFF_PROD_WAITING);
	r.data_size = data_size;
	r.pos = __atomic_load_n(side == KMBOX_RING_PRODUCER ? r.tail : r.head,
				__ATOMIC_ACQUIRE);
	r.fd = fd;
	r.side = side;
	*ring = r;
	return 0;
}

int kmbox_ring_detach(struct kmbox_ring *ring)
{
	if (!ring || !ring->map)
		return -EINVAL;
	if (munmap(ring->map, ring->map_size))
		return -errno;
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	return 0;
}

/* Writes a record header at offset @off of the data area. */
static inline void ring__put_hdr(struct kmbox_ring *ring, __u32 off,
				 __u32 len, __u32 flags)
{
	__u32 *hdr = (__u32 *)(ring->data + off);

	__atomic_store_n(&hdr[0], len, __ATOMIC_RELAXED);
	__atomic_store_n(&hdr[1], flags, __ATOMIC_RELAXED);
}

ssize_t kmbox_ring_send(struct kmbox_ring *ring, const void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns)
{
	__u32 size, pos, head, used, off, rec, pad;
	int ret;

	if (!ring || !ring->map || ring->side != KMBOX_RING_PRODUCER)
		return -EINVAL;
	ret = ring__check_flags(flags, timeout_ns);
	if (ret)
		return ret;
	size = ring->data_size;
	if (len > ring__max_msg(size))
		return -EMSGSIZE;
	pos = ring->pos;
	if (pos % RING_ALIGN)
		return -EBADMSG;

	/*
	 * A record never wraps: one that would cross the end of the data
	 * area goes to its start, after a padding record that fills the
	 * rest.  Since a record takes at most half the area, record and
	 * padding together always fit in an empty ring.
	 */
	rec = ring__rec_size((__u32)len);
	off = pos & (size - 1);
	pad = off + rec > size ? size - off : 0;
	for (;;) {
		head = __atomic_load_n(ring->head, __ATOMIC_ACQUIRE);
		used = pos - head;
		if (used > size || used % RING_ALIGN)
			return -EBADMSG;
		if (size - used >= pad + rec)
			break;
		ret = ring__sleep(ring, ring->producer_waiting, ring->head,
				  head, &flags, &timeout_ns);
		if (ret)
			return ret;
	}

	if (pad) {
		ring__put_hdr(ring, off, pad - RING_HDR, RING_REC_PAD);
		off = 0;
	}
	ring__put_hdr(ring, off, (__u32)len, 0);
	if (len)
		memcpy(ring->data + off + RING_HDR, buf, len);
	pos += pad + rec;
	ring->pos = pos;
	__atomic_store_n(ring->tail, pos, __ATOMIC_RELEASE);
	ring__wake(ring, ring->consumer_waiting);
	return (ssize_t)len;
}

/* The consumer has taken what lies before @pos: publish it as head. */
static inline void ring__consumed(struct kmbox_ring *ring, __u32 pos)
{
	ring->pos = pos;
	__atomic_store_n(ring->head, pos, __ATOMIC_RELEASE);
	ring__wake(ring, ring->producer_waiting);
}

ssize_t kmbox_ring_recv(struct kmbox_ring *ring, void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns)
{
	__u32 size, pos, tail, used, off, mlen, mflags, rec;
	const __u32 *hdr;
	int ret;

	if (!ring || !ring->map || ring->side != KMBOX_RING_CONSUMER)
		return -EINVAL;
	ret = ring__check_flags(flags, timeout_ns);
	if (ret)
		return ret;
	size = ring->data_size;
	pos = ring->pos;
	if (pos % RING_ALIGN)
		return -EBADMSG;

	for (;;) {
		tail = __atomic_load_n(ring->tail, __ATOMIC_ACQUIRE);
		used = tail - pos;
		if (used > size || used % RING_ALIGN)
			return -EBADMSG;
		if (used == 0) {
			ret = ring__sleep(ring, ring->consumer_waiting,
					  ring->tail, tail, &flags,
					  &timeout_ns);
			if (ret)
				return ret;
			continue;
		}

		/* At least one aligned header lies at off, inside the area. */
		off = pos & (size - 1);
		hdr = (const __u32 *)(ring->data + off);
		mlen = __atomic_load_n(&hdr[0], __ATOMIC_RELAXED);
		mflags = __atomic_load_n(&hdr[1], __ATOMIC_RELAXED);
		if (mflags == RING_REC_PAD) {
			/* Only where a record could not fit: to the end. */
			if (off == 0 || size - off > used ||
			    mlen != size - off - RING_HDR)
				return -EBADMSG;
			pos += size - off;
			ring__consumed(ring, pos);
			continue;
		}
		if (mflags != 0 || mlen > ring__max_msg(size))
			return -EBADMSG;
		rec = ring__rec_size(mlen);
		if (rec > used || rec > size - off)
			return -EBADMSG;
		if (mlen > len)
			return -EMSGSIZE;
		if (mlen)
			memcpy(buf, ring->data + off + RING_HDR, mlen);
		ring__consumed(ring, pos + rec);
		return (ssize_t)mlen;
	}
}
