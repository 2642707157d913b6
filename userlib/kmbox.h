/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkmbox: a thin C library over the kmbox userspace API.
 *
 * Every function returns a non-negative value on success and -errno on
 * failure; errno itself is never the only report of an error.
 */
#ifndef LIBKMBOX_KMBOX_H
#define LIBKMBOX_KMBOX_H

#include <linux/kmbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the kmbox control device. */
#define KMBOX_DEVICE_PATH "/dev/kmbox"

/**
 * kmbox_version() - ABI version of the loaded kmbox module
 *
 * Return: KMBOX_ABI_VERSION of the running module (a positive number), or
 * -errno: -ENOENT if /dev/kmbox does not exist (module not loaded).
 */
int kmbox_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBKMBOX_KMBOX_H */
