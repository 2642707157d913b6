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

#include <linux/ioctl.h>
#include <linux/types.h>

/* The interface version that KMBOX_IOC_VERSION reports. */
#define KMBOX_ABI_VERSION	1

/* Type byte of every kmbox ioctl (unassigned in ioctl-number.rst). */
#define KMBOX_IOC_MAGIC		0xDA

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

/* Issued on a /dev/kmbox file descriptor. */
#define KMBOX_IOC_VERSION	_IOR(KMBOX_IOC_MAGIC, 0x00, struct kmbox_version)

#endif /* _UAPI_LINUX_KMBOX_H */
