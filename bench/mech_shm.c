// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: the best a userspace design does without kmbox.
 *
 *   memfd-ring       a single-producer single-consumer ring of records
 *                    (8-byte header, payload rounded up to 8 bytes, as in
 *                    the kmbox ring) in memfd_create() shared memory; a
 *                    side that must wait raises its waiting flag, looks
 *                    again, and sleeps in read() on its eventfd; the other
 *                    side writes the eventfd only when the flag was up
 *   memfd-ring-spin  the same ring, both sides spinning (no system call at
 *                    all)
 *   spsc-ref         the reference SPSC ring: the same records, spinning,
 *                    each side keeping the other's index and reading it
 *                    only when the ring looks full or empty, and trusting
 *                    the region (no checks): what a ring of this framing
 *                    costs at best, the bar for the kmbox ring's speed
 */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

struct shr_hdr {
	uint32_t tail __attribute__((aligned(64)));	/* producer */
	uint32_t head __attribute__((aligned(64)));	/* consumer */
	uint32_t cons_waiting __attribute__((aligned(64)));
	uint32_t prod_waiting __attribute__((aligned(64)));
};

struct shr {
	struct shr_hdr *h;
	unsigned char *data;
	size_t map_size;
	uint32_t size;		/* data area, a power of two */
	uint32_t pos;		/* this end's index */
	uint32_t other;		/* spsc-ref: the other end's, as last read */
	int spin;
	int cached;		/* spsc-ref */
};

#define SHR_DATA_OFF	4096u
#define SHR_PAD		1u

static inline uint32_t shr_rec(uint32_t len)
{
	return 8 + ((len + 7) & ~7u);
}

/* fd[0]: memfd, fd[1]: eventfd of the consumer, fd[2]: of the producer */
static int shr_open(struct chan *c)
{
	struct shr *r = calloc(1, sizeof(*r));
	uint32_t rec = shr_rec((uint32_t)c->size), d = 4096;
	uint64_t want = (uint64_t)rec * c->cap;
	void *map;

	if (!r)
		return -ENOMEM;
	c->priv = r;
	if (want < 4ull * rec)
		want = 4ull * rec;
	while (d < want)
		d *= 2;
	r->size = d;
	r->spin = !!(c->m->flags & MF_SPIN);
	r->cached = c->m == &mech_spsc_ref;
	r->map_size = SHR_DATA_OFF + d;
	c->fd[0] = memfd_create("kmbox-bench-ring", MFD_CLOEXEC);
	if (c->fd[0] < 0)
		return -errno;
	if (ftruncate(c->fd[0], (off_t)r->map_size))
		return -errno;
	map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   c->fd[0], 0);
	if (map == MAP_FAILED)
		return -errno;
	r->h = map;
	r->data = (unsigned char *)map + SHR_DATA_OFF;
	if (!r->spin) {
		c->fd[1] = eventfd(0, EFD_CLOEXEC);
		c->fd[2] = eventfd(0, EFD_CLOEXEC);
		if (c->fd[1] < 0 || c->fd[2] < 0)
			return -errno;
	}
	return 0;
}

static int shr_side(struct chan *c, int side)
{
	struct shr *r = c->priv;

	r->pos = side == SIDE_TX ?
		__atomic_load_n(&r->h->tail, __ATOMIC_ACQUIRE) :
		__atomic_load_n(&r->h->head, __ATOMIC_ACQUIRE);
	r->other = side == SIDE_TX ?
		__atomic_load_n(&r->h->head, __ATOMIC_ACQUIRE) : r->pos;
	return 0;
}

/*
 * Wait until *@index differs from @seen: spin, or raise @flag, look
 * again, and sleep on @efd.
 */
static void shr_wait(struct shr *r, uint32_t *flag, uint32_t *index,
		     uint32_t seen, int efd)
{
	uint64_t v;
	unsigned int i;

	if (r->spin) {
		for (i = 0; __atomic_load_n(index, __ATOMIC_ACQUIRE) == seen;
		     i++) {
			cpu_relax();
			if ((i & 0xfffff) == 0xfffff)
				sched_yield();
		}
		return;
	}
	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(index, __ATOMIC_RELAXED) == seen) {
		while (read(efd, &v, sizeof(v)) < 0 && errno == EINTR &&
		       !bench_abort)
			;
	}
	__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
}

static void shr_wake(struct shr *r, uint32_t *flag, int efd)
{
	uint64_t one = 1;

	if (r->spin)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(flag, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(flag, 0, __ATOMIC_RELAXED))
		(void)!write(efd, &one, sizeof(one));
}

static int shr_send(struct chan *c, const void *buf, unsigned int prio)
{
	struct shr *r = c->priv;
	uint32_t len = (uint32_t)c->size, rec = shr_rec(len);
	uint32_t off = r->pos & (r->size - 1), pad, head;
	uint32_t *hdr;

	(void)prio;
	pad = off + rec > r->size ? r->size - off : 0;
	while (r->cached && r->size - (r->pos - r->other) < pad + rec) {
		r->other = __atomic_load_n(&r->h->head, __ATOMIC_ACQUIRE);
		if (r->size - (r->pos - r->other) < pad + rec)
			cpu_relax();
		if (bench_abort)
			return -EINTR;
	}
	while (!r->cached) {
		head = __atomic_load_n(&r->h->head, __ATOMIC_ACQUIRE);
		if (r->size - (r->pos - head) >= pad + rec)
			break;
		shr_wait(r, &r->h->prod_waiting, &r->h->head, head, c->fd[2]);
	}
	if (pad) {
		hdr = (uint32_t *)(r->data + off);
		hdr[0] = pad - 8;
		hdr[1] = SHR_PAD;
		off = 0;
	}
	hdr = (uint32_t *)(r->data + off);
	hdr[0] = len;
	hdr[1] = 0;
	memcpy(hdr + 2, buf, len);
	r->pos += pad + rec;
	__atomic_store_n(&r->h->tail, r->pos, __ATOMIC_RELEASE);
	if (!r->cached)
		shr_wake(r, &r->h->cons_waiting, c->fd[1]);
	return 0;
}

static int shr_recv(struct chan *c, void *buf)
{
	struct shr *r = c->priv;
	uint32_t tail, off, *hdr;

	for (;;) {
		while (r->cached && r->other == r->pos) {
			r->other = __atomic_load_n(&r->h->tail,
						   __ATOMIC_ACQUIRE);
			if (r->other == r->pos)
				cpu_relax();
			if (bench_abort)
				return -EINTR;
		}
		tail = r->cached ? r->other :
		       __atomic_load_n(&r->h->tail, __ATOMIC_ACQUIRE);
		if (tail == r->pos) {
			shr_wait(r, &r->h->cons_waiting, &r->h->tail, tail,
				 c->fd[1]);
			continue;
		}
		off = r->pos & (r->size - 1);
		hdr = (uint32_t *)(r->data + off);
		if (hdr[1] == SHR_PAD) {
			r->pos += r->size - off;
			__atomic_store_n(&r->h->head, r->pos, __ATOMIC_RELEASE);
			if (!r->cached)
				shr_wake(r, &r->h->prod_waiting, c->fd[2]);
			continue;
		}
		if (hdr[0] != c->size)
			return -EBADMSG;
		memcpy(buf, hdr + 2, hdr[0]);
		r->pos += shr_rec(hdr[0]);
		__atomic_store_n(&r->h->head, r->pos, __ATOMIC_RELEASE);
		if (!r->cached)
			shr_wake(r, &r->h->prod_waiting, c->fd[2]);
		return 0;
	}
}

static void shr_close(struct chan *c)
{
	struct shr *r = c->priv;
	int i;

	if (r && r->h)
		munmap(r->h, r->map_size);
	for (i = 0; i < 3; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
	free(r);
	c->priv = NULL;
}

const struct mech mech_memfd_ring = {
	.name = "memfd-ring",
	.flags = 0,
	.open = shr_open, .side = shr_side, .close = shr_close,
	.send = shr_send, .recv = shr_recv,
};

const struct mech mech_memfd_ring_spin = {
	.name = "memfd-ring-spin",
	.flags = MF_SPIN,
	.open = shr_open, .side = shr_side, .close = shr_close,
	.send = shr_send, .recv = shr_recv,
};

const struct mech mech_spsc_ref = {
	.name = "spsc-ref",
	.flags = MF_SPIN,
	.open = shr_open, .side = shr_side, .close = shr_close,
	.send = shr_send, .recv = shr_recv,
};
