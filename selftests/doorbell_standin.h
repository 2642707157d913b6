/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stand-in for kmbox.ko's ring doorbells, to run the libkmbox ring
 * natively, on a host that cannot load the module (the native ring tests
 * and `make bench-native`).  It is not the module: it answers only what
 * the ring needs (KMBOX_IOC_STAT's region_size and ring counts,
 * KMBOX_IOC_RING_JOIN, KMBOX_IOC_RING_WAIT and KMBOX_IOC_RING_WAKE) on
 * descriptors it made, with the protocol of module/ring.c (a count per
 * doorbell, the index read after the count was noted, sleep while the
 * count is unchanged), over futexes.
 *
 * A program links it with -Wl,--wrap=ioctl: libkmbox's ioctl() calls on
 * the stand-in's descriptors come here, every other one goes to the
 * kernel.  The region is a memfd, so mmap() needs no stand-in.
 *
 * Unlike the module it does not see a process exit: an end leaves only
 * through standin_close().
 */
#ifndef KMBOX_DOORBELL_STANDIN_H
#define KMBOX_DOORBELL_STANDIN_H

#include <stddef.h>

/*
 * A mailbox with a region of @region_size bytes (zero-filled) and @n
 * files of it, each one descriptor in @fds (at most 4), like files opened
 * with both roles.  Made before fork(), it is shared with the children.
 * Returns 0 or -errno.
 */
int standin_mailbox(size_t region_size, int *fds, int n);

/* Closes a file of a stand-in mailbox; a joined end leaves the ring. */
int standin_close(int fd);

/* As KMBOX_IOC_SHUTDOWN: both ends' waits end with EPIPE. */
int standin_shutdown(int fd);

/* 1 if @fd is a file of a stand-in mailbox. */
int standin_fd(int fd);

/* What a program prints to say that the doorbells are the stand-in's. */
#define STANDIN_NOTICE \
	"doorbell: a futex stand-in following module/ring.c, not kmbox.ko"

#endif /* KMBOX_DOORBELL_STANDIN_H */
