// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench, native build only: the ring of libkmbox 1.1, as the
 * baseline that says what the 1.2 ring changed, in the same run.
 *
 *   kmbox-ring-1.1       its kmbox_ring_send()/recv(), blocking
 *   kmbox-ring-1.1-spin  the same, each side spinning on the other's
 *                        published index before its call, as the VM
 *                        benchmark of libkmbox 1.1 did (1.1 has no
 *                        KMBOX_RING_TRY)
 *
 * scripts/bench-native.sh takes userlib/ring.c and kmbox.h of libkmbox
 * 1.1 from git (RING11_COMMIT) into build/bench/native/ring11/; the
 * Makefile compiles them with their ring functions renamed kmbox11_*
 * (-include ring11.h) and this file against that kmbox.h.  Without git
 * (a tarball) the two mechanisms are left out.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>

#include "ring11.h"	/* the renames, then libkmbox 1.1's kmbox.h */
#include <kmbox.h>
#include "doorbell_standin.h"

struct ring11 {
	struct kmbox_ring r;
	int spin;
	int attached;
};

static int r11_open(struct chan *c)
{
	struct ring11 *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->spin = !!(c->m->flags & MF_SPIN);
	c->priv = k;
	return standin_mailbox(kmbox_ring_region_size(ring_data_size(c->size,
								     c->cap)),
			       c->fd, 2);
}

static int r11_side(struct chan *c, int side)
{
	struct ring11 *k = c->priv;
	unsigned int end;
	int fd = ring_chan_side(c, side, &end), ret;

	ret = kmbox_ring_attach(&k->r, fd, end);
	if (ret)
		return ret;
	k->attached = 1;
	return 0;
}

#define R11_SPIN_LIMIT (1u << 22)

static int r11_send(struct chan *c, const void *buf, unsigned int prio)
{
	struct ring11 *k = c->priv;
	__u32 rec = 8 + (((__u32)c->size + 7) & ~7u), used;
	unsigned int i;
	ssize_t n;

	(void)prio;
	for (i = 0; k->spin && i < R11_SPIN_LIMIT; i++) {
		used = k->r.pos - __atomic_load_n(k->r.head, __ATOMIC_ACQUIRE);
		if (used == 0 || k->r.data_size - used >= 2 * rec)
			break;
		cpu_relax();
	}
	n = kmbox_ring_send(&k->r, buf, c->size, 0, 0);
	return n < 0 ? (int)n : 0;
}

static int r11_recv(struct chan *c, void *buf)
{
	struct ring11 *k = c->priv;
	unsigned int i;
	ssize_t n;

	for (i = 0; k->spin && i < R11_SPIN_LIMIT; i++) {
		if (__atomic_load_n(k->r.tail, __ATOMIC_ACQUIRE) != k->r.pos)
			break;
		cpu_relax();
	}
	n = kmbox_ring_recv(&k->r, buf, c->size, 0, 0);
	if (n < 0)
		return (int)n;
	return (size_t)n == c->size ? 0 : -EIO;
}

static void r11_close(struct chan *c)
{
	struct ring11 *k = c->priv;
	int i;

	if (k && k->attached)
		kmbox_ring_detach(&k->r);
	for (i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			standin_close(c->fd[i]);
		c->fd[i] = -1;
	}
	free(k);
	c->priv = NULL;
}

const struct mech mech_ring11 = {
	.name = "kmbox-ring-1.1",
	.flags = MF_KMBOX | MF_RING,
	.open = r11_open, .side = r11_side, .close = r11_close,
	.send = r11_send, .recv = r11_recv,
};

const struct mech mech_ring11_spin = {
	.name = "kmbox-ring-1.1-spin",
	.flags = MF_KMBOX | MF_RING | MF_SPIN,
	.open = r11_open, .side = r11_side, .close = r11_close,
	.send = r11_send, .recv = r11_recv,
};
