/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkmbox 1.1's ring functions under other names, so that its ring.c
 * (taken from git by scripts/bench-native.sh) links beside 1.2's in the
 * native benchmark: see mech_ring11.c.
 */
#ifndef KMBOX_BENCH_RING11_H
#define KMBOX_BENCH_RING11_H

#define kmbox_ring_region_size	kmbox11_ring_region_size
#define kmbox_ring_attach	kmbox11_ring_attach
#define kmbox_ring_detach	kmbox11_ring_detach
#define kmbox_ring_send		kmbox11_ring_send
#define kmbox_ring_recv		kmbox11_ring_recv

#endif /* KMBOX_BENCH_RING11_H */
