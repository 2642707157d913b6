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
 * stored to the region, never read back from it.  The other end's index
 * is kept there too (peer), as last read and checked: it is read again
 * only when the cached value says the ring is full (producer) or empty
 * (consumer), so that the two ends do not pull the index lines back and
 * forth on every message.
 *
 * Which message path costs what, per message, when nobody sleeps: a
 * record header and the payload written or read, one store of this end's
 * index, one load of the other end's waiting flag (a line that only
 * changes when that end goes to sleep), and a load of the other end's
 * index once per "ring looked full or empty"; the batch calls pay the
 * store and the load once per batch.  In a ring of layout version 2, no
 * fence, no atomic read-modify-write and no system call: see
 * ring__sleep() for why the wake-up is still never lost.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kmbox.h"
#include "kmbox_internal.h"

/* Layout, versions 1 and 2: byte offsets in the region. */
#define RING_MAGIC		0x524d424bu	/* "KBMR" */
#define RING_OFF_MAGIC		0
#define RING_OFF_VERSION	4
#define RING_OFF_DATA_SIZE	8
#define RING_OFF_DATA_OFFSET	12
#define RING_OFF_TAIL		64
#define RING_OFF_HEAD		128
#define RING_OFF_CONS_WAITING	192
#define RING_OFF_PROD_WAITING	256
#define RING_DATA_OFFSET	4096u

/*
 * The layout's version names the wake-up protocol both ends follow:
 * 1, a full barrier on each side (libkmbox 1.1); 2, a full barrier only
 * on the side that goes to sleep, made asymmetric with membarrier(2)
 * (libkmbox 1.2).  The records and indices are the same in both.
 */
#define RING_PROTO_FENCE	1u
#define RING_PROTO_MEMBARRIER	2u

/* The data area: a power of two from 64 bytes to 2 GiB (indices are u32). */
#define RING_MIN_DATA		64u
#define RING_MAX_DATA		0x80000000u

/* Records: an 8-byte header (u32 len, u32 flags), then len bytes, padded. */
#define RING_HDR		8u
#define RING_ALIGN		8u
#define RING_REC_PAD		1u	/* flags of a padding record */

/* What a call's flags may hold. */
#define RING_TIMING		(KMBOX_TIMEOUT | KMBOX_ABSTIME)
#define RING_FLAGS		(KMBOX_DONTWAIT | RING_TIMING | KMBOX_RING_TRY)

#define RING_NSEC		1000000000ull

/* struct kmbox_ring is allocated by callers built against 1.1: same size. */
_Static_assert(sizeof(struct kmbox_ring) == 7 * sizeof(void *) + 16,
	       "struct kmbox_ring changed size");
_Static_assert(offsetof(struct kmbox_ring, data_size) == 7 * sizeof(void *),
	       "struct kmbox_ring moved data_size");

static inline __u32 *ring__word(void *map, size_t off)
{
	return (__u32 *)((unsigned char *)map + off);
}

/* The shared words of @ring: the indices and the waiting flags. */
static inline __u32 *ring__tail(const struct kmbox_ring *ring)
{
	return ring__word(ring->map, RING_OFF_TAIL);
}

static inline __u32 *ring__head(const struct kmbox_ring *ring)
{
	return ring__word(ring->map, RING_OFF_HEAD);
}

static inline __u32 *ring__cons_waiting(const struct kmbox_ring *ring)
{
	return ring__word(ring->map, RING_OFF_CONS_WAITING);
}

static inline __u32 *ring__prod_waiting(const struct kmbox_ring *ring)
{
	return ring__word(ring->map, RING_OFF_PROD_WAITING);
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
 * call would not have had to wait.  KMBOX_RING_TRY never waits, so it
 * takes no other flag.
 */
static int ring__check_flags(unsigned int flags, __u64 timeout_ns)
{
	unsigned int timing = flags & RING_TIMING;

	if (flags & ~RING_FLAGS)
		return -EINVAL;
	if ((flags & KMBOX_RING_TRY) && (flags != KMBOX_RING_TRY || timeout_ns))
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
 * Before a call sleeps, it looks at the other end's index again up to
 * ring->spins times, with a pause between looks (RING_SPINS_MAX: about
 * 7 us on the host of the benchmark, a Zen 3 where a pause takes 28 ns).
 * A stream or a round trip whose other end is busy on another CPU then
 * goes on without a sleep, a wake-up and the sleeper's membarrier(2),
 * which cost microseconds natively and far more under emulation.  The
 * count adapts: back to the most after a look that saw the index move,
 * a quarter of it after one that did not (down to RING_SPINS_MIN), so
 * that an end whose peer shares its CPU, or is idle, stops wasting it.
 */
#define RING_SPINS_MAX		256
#define RING_SPINS_MIN		16

static inline void ring__pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* 1 if *@index moved from @seen within ring->spins looks, else 0. */
static int ring__spin(struct kmbox_ring *ring, const __u32 *index,
		      __u32 seen)
{
	unsigned int i, n = ring->spins;

	for (i = 0; i < n; i++) {
		ring__pause();
		if (__atomic_load_n(index, __ATOMIC_RELAXED) != seen) {
			ring->spins = RING_SPINS_MAX;
			return 1;
		}
	}
	ring->spins = n / 4 > RING_SPINS_MIN ? n / 4 : RING_SPINS_MIN;
	return 0;
}

/* 1 if a call with @flags may sleep, so may spin a little first. */
static inline int ring__may_sleep(unsigned int flags)
{
	return !(flags & (KMBOX_DONTWAIT | KMBOX_RING_TRY));
}

static inline int ring__membarrier(int cmd)
{
	long ret = syscall(__NR_membarrier, cmd, 0, 0);

	return ret < 0 ? -errno : (int)ret;
}

/*
 * 1 if this process can follow protocol 2: it is registered for
 * MEMBARRIER_CMD_GLOBAL_EXPEDITED (which other processes' sleeping ends
 * need of it) and can issue it.  The registration belongs to the process,
 * is kept across fork() and dropped by execve(), as the mapping is.
 */
static int ring__membarrier_ready(void)
{
	static int ready;	/* 0 unknown, 1 yes, -1 no */
	const int need = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
			 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	int r = __atomic_load_n(&ready, __ATOMIC_RELAXED), q;

	if (r)
		return r > 0;
	q = ring__membarrier(MEMBARRIER_CMD_QUERY);
	r = q >= 0 && (q & need) == need &&
	    ring__membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0 ?
	    1 : -1;
	__atomic_store_n(&ready, r, __ATOMIC_RELAXED);
	return r > 0;
}

/*
 * This end found the ring empty (consumer) or full (producer) with the
 * other side's index at @seen: raise this end's waiting flag @flag, then
 * look again, then sleep until @index moves.  Returns 0 when the caller
 * should look at the ring again, or -errno.
 *
 * Why no wake-up is lost.  The waker (ring__wake(), after it published
 * its index) and this sleeper each store one word and then load the
 * other's:
 *
 *	sleeper				waker
 *	S1 store flag = 1		W1 store index (release)
 *	S2 barrier			W2 barrier
 *	S3 load index			W3 load flag
 *
 * If S3 misses W1 and W3 misses S1, the sleeper sleeps and nobody rings.
 * Full barriers at S2 and W2 forbid that outcome (store buffering): one
 * of the two stores is seen.  Protocol 1 issues a full fence at both, on
 * every message at W2.  Protocol 2 keeps W2 a compiler barrier and makes
 * S2 a membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED): it returns only after
 * every CPU running a registered process (both ends register at attach)
 * has executed a full barrier, and a process that was not running has
 * passed through the scheduler's.  So at S2 the waker executes a full
 * barrier at some point P of its program.  If P comes before W3, S1 is
 * ordered before P (the system call's own barrier on entry) and W3 sees
 * the flag; if P comes after W3, it comes after W1 too, which is then
 * ordered before the system call's barrier on exit and so before S3:
 * S3 sees the new index.  The fence is paid once per sleep, where a
 * system call is made anyway, instead of once per message.
 *
 * What happens after S3: if the index moved, the flag is lowered and the
 * caller looks again.  If not, KMBOX_IOC_RING_WAIT notes the doorbell's
 * count, then reads the index again, and sleeps only while the count is
 * unchanged: a waker that saw the flag rings (after its own full barrier,
 * so the kernel sees the index no later than the ring), and a ring that
 * came between S3 and the sleep is counted, not lost.
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

	if (*flags & KMBOX_RING_TRY)
		return -EAGAIN;
	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
	if (ring->proto == RING_PROTO_MEMBARRIER) {
		ret = ring__membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
		if (ret) {
			__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
			return ret;
		}
	} else {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
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
 * its waiting flag @flag is raised.  W2 of ring__sleep()'s proof is a
 * full fence in protocol 1 and only a compiler barrier in protocol 2.  A
 * plain load first keeps the common case, no sleeper, free of any write
 * to the flag's cache line.  The fence before the doorbell orders the
 * index before the kernel's count, as KMBOX_IOC_RING_WAIT requires; it is
 * paid only when ringing.
 *
 * The doorbell's own failure is not reported: the message (or the room)
 * is already in the ring, and KMBOX_IOC_RING_WAKE fails only on a file
 * that is not an end of the ring, which kmbox_ring_attach() made it.
 */
static inline void ring__wake(struct kmbox_ring *ring, __u32 *flag)
{
	if (ring->proto == RING_PROTO_MEMBARRIER)
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(flag, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(flag, 0, __ATOMIC_SEQ_CST)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		(void)kmbox__ioctl(ring->fd, KMBOX_IOC_RING_WAKE, NULL);
	}
}

/* 1 if the header at @map, whose magic is @magic, is ours for @data_size. */
static int ring__header_ok(void *map, __u32 magic, __u32 version,
			   __u32 data_size)
{
	return magic == RING_MAGIC &&
	       (version == RING_PROTO_FENCE ||
		version == RING_PROTO_MEMBARRIER) &&
	       __atomic_load_n(ring__word(map, RING_OFF_DATA_SIZE),
			       __ATOMIC_RELAXED) == data_size &&
	       __atomic_load_n(ring__word(map, RING_OFF_DATA_OFFSET),
			       __ATOMIC_RELAXED) == RING_DATA_OFFSET;
}

/* 1 if @version names a protocol this process can follow. */
static int ring__proto_ok(__u32 version, int membarrier_ok)
{
	return version == RING_PROTO_FENCE ||
	       (version == RING_PROTO_MEMBARRIER && membarrier_ok);
}

/*
 * Lays the ring out in a region whose magic was 0, or finds that another
 * end is doing so: the version word is claimed with a compare-and-swap,
 * so that two ends that come at once agree on the protocol (the first
 * claim wins), and the magic goes last, with release, so that an end that
 * sees the magic sees the rest.  The indices are left as they are: zero
 * in a fresh region.  Returns the version in force; nothing more is
 * written when it is not one this process can follow.
 */
static __u32 ring__lay_out(void *map, __u32 version, __u32 data_size,
			   int membarrier_ok)
{
	__u32 cur = 0;

	if (!__atomic_compare_exchange_n(ring__word(map, RING_OFF_VERSION),
					 &cur, version, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		version = cur;
	if (!ring__proto_ok(version, membarrier_ok))
		return version;
	__atomic_store_n(ring__word(map, RING_OFF_DATA_SIZE), data_size,
			 __ATOMIC_RELAXED);
	__atomic_store_n(ring__word(map, RING_OFF_DATA_OFFSET),
			 RING_DATA_OFFSET, __ATOMIC_RELAXED);
	__atomic_store_n(ring__word(map, RING_OFF_MAGIC), RING_MAGIC,
			 __ATOMIC_RELEASE);
	return version;
}

/* The error for a ring whose version this process cannot follow. */
static int ring__proto_err(__u32 version)
{
	return version == RING_PROTO_MEMBARRIER ? -EOPNOTSUPP : -EPROTO;
}

int kmbox_ring_attach(struct kmbox_ring *ring, int fd, unsigned int side)
{
	struct kmbox_ring_join join = { .side = side };
	struct kmbox_stat st;
	struct kmbox_ring r;
	__u32 data_size, magic, version;
	int membarrier_ok;
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
	 * A region that already holds a ring must hold one of a layout we
	 * know, of this size, and of a protocol this process can follow;
	 * checked before joining, so that a failed attach leaves the file
	 * as it was.
	 */
	membarrier_ok = ring__membarrier_ready();
	magic = __atomic_load_n(ring__word(map, RING_OFF_MAGIC),
				__ATOMIC_ACQUIRE);
	version = __atomic_load_n(ring__word(map, RING_OFF_VERSION),
				  __ATOMIC_RELAXED);
	if (magic != 0 && !ring__header_ok(map, magic, version, data_size))
		ret = -EPROTO;
	else if (version != 0 && !ring__proto_ok(version, membarrier_ok))
		ret = ring__proto_err(version);
	else
		ret = kmbox__ioctl(fd, KMBOX_IOC_RING_JOIN, &join);
	if (ret < 0) {
		munmap(map, (size_t)st.region_size);
		return ret;
	}

	/*
	 * The first end to come lays the ring out, with the protocol of its
	 * choice: 2 if this process can use membarrier(2), else 1.  An end
	 * that comes at the very same moment and cannot follow the protocol
	 * the other one chose stops here, its file joined but unused.
	 */
	if (magic == 0) {
		version = ring__lay_out(map, membarrier_ok ?
					RING_PROTO_MEMBARRIER :
					RING_PROTO_FENCE, data_size,
					membarrier_ok);
		if (!ring__proto_ok(version, membarrier_ok)) {
			munmap(map, (size_t)st.region_size);
			return ring__proto_err(version);
		}
	}

	memset(&r, 0, sizeof(r));
	r.map = map;
	r.map_size = (size_t)st.region_size;
	r.data = (unsigned char *)map + RING_DATA_OFFSET;
	r.data_size = data_size;
	r.proto = (__u16)version;
	r.spins = RING_SPINS_MAX;
	r.pos = __atomic_load_n(ring__word(map, side == KMBOX_RING_PRODUCER ?
					   RING_OFF_TAIL : RING_OFF_HEAD),
				__ATOMIC_ACQUIRE);
	/*
	 * The cached index of the other end starts out saying "full" to a
	 * producer and "empty" to a consumer, so that the first call reads
	 * and checks the real one.
	 */
	r.peer = side == KMBOX_RING_PRODUCER ? r.pos - data_size : r.pos;
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

/* Checks that @ring is an attached end of side @side. */
static inline int ring__end_ok(const struct kmbox_ring *ring,
			       unsigned int side)
{
	return ring && ring->map && ring->side == side;
}

/*
 * A call's flags and timeout, checked: the common cases (no flag, or
 * KMBOX_RING_TRY alone, and no timeout) without a branch more.
 */
static inline int ring__flags_ok(unsigned int flags, __u64 timeout_ns)
{
	if (__builtin_expect(((flags & ~(unsigned int)KMBOX_RING_TRY) |
			      timeout_ns) == 0, 1))
		return 0;
	return ring__check_flags(flags, timeout_ns);
}

/*
 * Producer, slow path: the cached head leaves less than @need bytes.
 * Reads head again (checked), and waits as @flags say until there is
 * room.  0, or -errno.
 */
static __attribute__((noinline)) int
ring__wait_room(struct kmbox_ring *ring, __u32 need, unsigned int flags,
		__u64 timeout_ns)
{
	__u32 size = ring->data_size, pos = ring->pos, head, used;
	int ret;

	for (;;) {
		head = __atomic_load_n(ring__head(ring), __ATOMIC_ACQUIRE);
		used = pos - head;
		if (used > size || used % RING_ALIGN)
			return -EBADMSG;
		ring->peer = head;
		if (size - used >= need)
			return 0;
		if (ring__may_sleep(flags) &&
		    ring__spin(ring, ring__head(ring), head))
			continue;
		ret = ring__sleep(ring, ring__prod_waiting(ring),
				  ring__head(ring), head, &flags, &timeout_ns);
		if (ret)
			return ret;
	}
}

/*
 * Producer: makes room for a message of @len bytes at this end's index,
 * waiting as @flags say, and writes the padding record if it has to go to
 * the start of the data area.  Returns the offset in the data area where
 * its record goes, or -errno; pos then stands after the padding (not yet
 * published: the padding goes out with the record).
 *
 * A record never wraps: one that would cross the end of the data area
 * goes to its start, after a padding record that fills the rest.  Since a
 * record takes at most half the area, record and padding together always
 * fit in an empty ring.
 */
static inline __attribute__((always_inline)) long
ring__room(struct kmbox_ring *ring, size_t len,
			      unsigned int flags, __u64 timeout_ns)
{
	__u32 size = ring->data_size, pos = ring->pos, off, rec, pad;
	int ret;

	ret = ring__flags_ok(flags, timeout_ns);
	if (ret)
		return ret;
	if (len > ring__max_msg(size))
		return -EMSGSIZE;
	if (pos % RING_ALIGN)
		return -EBADMSG;
	rec = ring__rec_size((__u32)len);
	off = pos & (size - 1);
	pad = off + rec > size ? size - off : 0;

	/* peer was checked when read, and pos only moved into free room. */
	if (__builtin_expect(size - (pos - ring->peer) < pad + rec, 0)) {
		ret = ring__wait_room(ring, pad + rec, flags, timeout_ns);
		if (ret)
			return ret;
	}
	if (pad) {
		ring__put_hdr(ring, off, pad - RING_HDR, RING_REC_PAD);
		ring->pos = pos + pad;
		off = 0;
	}
	return off;
}

/* Producer: publish what lies before pos as tail, and maybe ring. */
static inline void ring__publish_tail(struct kmbox_ring *ring)
{
	__atomic_store_n(ring__tail(ring), ring->pos, __ATOMIC_RELEASE);
	ring__wake(ring, ring__cons_waiting(ring));
}

/* Producer: the record at pos is written; publish it and maybe ring. */
static inline void ring__produced(struct kmbox_ring *ring, __u32 len)
{
	ring->pos += ring__rec_size(len);
	ring__publish_tail(ring);
}

ssize_t kmbox_ring_send(struct kmbox_ring *ring, const void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns)
{
	long off;

	if (!ring__end_ok(ring, KMBOX_RING_PRODUCER))
		return -EINVAL;
	ring->held = 0;
	off = ring__room(ring, len, flags, timeout_ns);
	if (off < 0)
		return off;
	ring__put_hdr(ring, (__u32)off, (__u32)len, 0);
	if (len)
		memcpy(ring->data + off + RING_HDR, buf, len);
	ring__produced(ring, (__u32)len);
	return (ssize_t)len;
}

int kmbox_ring_sendv(struct kmbox_ring *ring, const struct iovec *msgs,
		     unsigned int count, unsigned int flags, __u64 timeout_ns)
{
	unsigned int i;
	long off;

	if (!ring__end_ok(ring, KMBOX_RING_PRODUCER) || !msgs || !count)
		return -EINVAL;
	ring->held = 0;
	/*
	 * Only the first message may wait: the others go while there is
	 * room, so that nothing written sits unpublished while this end
	 * sleeps.  One store of tail and one look at the consumer's flag
	 * for them all.
	 */
	for (i = 0; i < count; i++) {
		off = ring__room(ring, msgs[i].iov_len,
				 i ? KMBOX_RING_TRY : flags, i ? 0 : timeout_ns);
		if (off < 0) {
			if (i == 0)
				return (int)off;
			break;
		}
		ring__put_hdr(ring, (__u32)off, (__u32)msgs[i].iov_len, 0);
		if (msgs[i].iov_len)
			memcpy(ring->data + off + RING_HDR, msgs[i].iov_base,
			       msgs[i].iov_len);
		ring->pos += ring__rec_size((__u32)msgs[i].iov_len);
	}
	ring__publish_tail(ring);
	return (int)i;
}

ssize_t kmbox_ring_reserve(struct kmbox_ring *ring, void **buf, size_t len,
			   unsigned int flags, __u64 timeout_ns)
{
	long off;

	if (!ring__end_ok(ring, KMBOX_RING_PRODUCER) || !buf)
		return -EINVAL;
	ring->held = 0;
	off = ring__room(ring, len, flags, timeout_ns);
	if (off < 0)
		return off;
	ring->held = (__u32)len + 1;
	*buf = ring->data + off + RING_HDR;
	return (ssize_t)len;
}

int kmbox_ring_commit(struct kmbox_ring *ring, size_t len)
{
	__u32 off = 0;

	if (!ring__end_ok(ring, KMBOX_RING_PRODUCER) || !ring->held)
		return -EINVAL;
	if (len > ring->held - 1)
		return -EMSGSIZE;
	ring->held = 0;
	off = ring->pos & (ring->data_size - 1);
	ring__put_hdr(ring, off, (__u32)len, 0);
	ring__produced(ring, (__u32)len);
	return 0;
}

/* Consumer: publish @pos as head (all before it is taken) and maybe ring. */
static inline void ring__consumed(struct kmbox_ring *ring, __u32 pos)
{
	ring->pos = pos;
	__atomic_store_n(ring__head(ring), pos, __ATOMIC_RELEASE);
	ring__wake(ring, ring__prod_waiting(ring));
}

/*
 * Consumer, slow path: the cached tail says the ring is empty.  Reads
 * tail again (checked), and waits as @flags say until it moves.  0, or
 * -errno.
 */
static __attribute__((noinline)) int
ring__wait_data(struct kmbox_ring *ring, unsigned int flags,
		__u64 timeout_ns)
{
	__u32 size = ring->data_size, pos = ring->pos, tail, used;
	int ret;

	for (;;) {
		tail = __atomic_load_n(ring__tail(ring), __ATOMIC_ACQUIRE);
		used = tail - pos;
		if (used > size || used % RING_ALIGN)
			return -EBADMSG;
		ring->peer = tail;
		if (used)
			return 0;
		if (ring__may_sleep(flags) &&
		    ring__spin(ring, ring__tail(ring), tail))
			continue;
		ret = ring__sleep(ring, ring__cons_waiting(ring),
				  ring__tail(ring), tail, &flags, &timeout_ns);
		if (ret)
			return ret;
	}
}

/*
 * Consumer: finds the next message, waiting as @flags say, and passes any
 * padding record on the way.  Returns its length and sets *@off to the
 * offset of its record in the data area, or -errno.  Nothing is taken.
 */
static inline __attribute__((always_inline)) ssize_t
ring__next(struct kmbox_ring *ring, __u32 *off,
				 unsigned int flags, __u64 timeout_ns)
{
	__u32 size = ring->data_size, pos, used, at, mlen, mflags;
	const __u32 *hdr;
	int ret;

	ret = ring__flags_ok(flags, timeout_ns);
	if (ret)
		return ret;
	for (;;) {
		pos = ring->pos;
		if (pos % RING_ALIGN)
			return -EBADMSG;
		/* peer was checked when read, and pos never passes it. */
		if (__builtin_expect(ring->peer == pos, 0)) {
			ret = ring__wait_data(ring, flags, timeout_ns);
			if (ret)
				return ret;
		}
		used = ring->peer - pos;

		/* At least one aligned header lies at at, inside the area. */
		at = pos & (size - 1);
		hdr = (const __u32 *)(ring->data + at);
		mlen = __atomic_load_n(&hdr[0], __ATOMIC_RELAXED);
		mflags = __atomic_load_n(&hdr[1], __ATOMIC_RELAXED);
		if (__builtin_expect(mflags == RING_REC_PAD, 0)) {
			/* Only where a record could not fit: to the end. */
			if (at == 0 || size - at > used ||
			    mlen != size - at - RING_HDR)
				return -EBADMSG;
			ring__consumed(ring, pos + size - at);
			continue;
		}
		if (mflags != 0 || mlen > ring__max_msg(size))
			return -EBADMSG;
		if (ring__rec_size(mlen) > used ||
		    ring__rec_size(mlen) > size - at)
			return -EBADMSG;
		*off = at;
		return (ssize_t)mlen;
	}
}

ssize_t kmbox_ring_recv(struct kmbox_ring *ring, void *buf, size_t len,
			unsigned int flags, __u64 timeout_ns)
{
	ssize_t mlen;
	__u32 off = 0;

	if (!ring__end_ok(ring, KMBOX_RING_CONSUMER))
		return -EINVAL;
	ring->held = 0;
	mlen = ring__next(ring, &off, flags, timeout_ns);
	if (mlen < 0)
		return mlen;
	if ((size_t)mlen > len)
		return -EMSGSIZE;
	if (mlen)
		memcpy(buf, ring->data + off + RING_HDR, (size_t)mlen);
	ring__consumed(ring, ring->pos + ring__rec_size((__u32)mlen));
	return mlen;
}

int kmbox_ring_recvv(struct kmbox_ring *ring, struct iovec *msgs,
		     unsigned int count, unsigned int flags, __u64 timeout_ns)
{
	unsigned int i;
	ssize_t mlen;
	__u32 off = 0;

	if (!ring__end_ok(ring, KMBOX_RING_CONSUMER) || !msgs || !count)
		return -EINVAL;
	ring->held = 0;
	/*
	 * Only the first message is waited for, so that nothing taken sits
	 * unpublished while this end sleeps.  One store of head and one
	 * look at the producer's flag for them all.
	 */
	for (i = 0; i < count; i++) {
		mlen = ring__next(ring, &off, i ? KMBOX_RING_TRY : flags,
				  i ? 0 : timeout_ns);
		if (mlen >= 0 && (size_t)mlen > msgs[i].iov_len)
			mlen = -EMSGSIZE;
		if (mlen < 0) {
			if (i == 0)
				return (int)mlen;
			break;
		}
		if (mlen)
			memcpy(msgs[i].iov_base, ring->data + off + RING_HDR,
			       (size_t)mlen);
		msgs[i].iov_len = (size_t)mlen;
		ring->pos += ring__rec_size((__u32)mlen);
	}
	ring__consumed(ring, ring->pos);
	return (int)i;
}

ssize_t kmbox_ring_peek(struct kmbox_ring *ring, const void **buf,
			unsigned int flags, __u64 timeout_ns)
{
	ssize_t mlen;
	__u32 off = 0;

	if (!ring__end_ok(ring, KMBOX_RING_CONSUMER) || !buf)
		return -EINVAL;
	ring->held = 0;
	mlen = ring__next(ring, &off, flags, timeout_ns);
	if (mlen < 0)
		return mlen;
	ring->held = ring__rec_size((__u32)mlen);
	*buf = ring->data + off + RING_HDR;
	return mlen;
}

int kmbox_ring_release(struct kmbox_ring *ring)
{
	__u32 rec;

	if (!ring__end_ok(ring, KMBOX_RING_CONSUMER) || !ring->held)
		return -EINVAL;
	rec = ring->held;
	ring->held = 0;
	ring__consumed(ring, ring->pos + rec);
	return 0;
}
