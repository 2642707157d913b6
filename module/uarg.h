/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: copying extensible ioctl argument structs in and out.
 */
#ifndef _KMBOX_UARG_H
#define _KMBOX_UARG_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* An ioctl command with its size field cleared: what the dispatcher matches. */
#define KMBOX_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

int kmbox_uarg_copy_in(void *dst, size_t ksize, unsigned int cmd,
		       unsigned long arg);
int kmbox_uarg_copy_out(unsigned int cmd, unsigned long arg,
			const void *src, size_t ksize);

#endif /* _KMBOX_UARG_H */
