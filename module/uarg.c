// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: copying extensible ioctl argument structs in and out.
 *
 * The size field of an ioctl number carries the size of the caller's
 * struct.  A caller built against an older header passes a shorter
 * struct, a newer one a longer struct.  The rules, the same as for
 * openat2() and clone3():
 *
 *  - shorter than the first version of the struct: -EINVAL;
 *  - input longer than ours: accepted only if the extra bytes are zero
 *    (-E2BIG otherwise), so a flag we do not know is never ignored;
 *  - output longer than ours: the extra bytes are cleared.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>

#include "uarg.h"

/**
 * kmbox_uarg_copy_in() - copy an ioctl argument struct from userspace
 * @dst: kernel copy, @ksize bytes
 * @ksize: size of the struct this module knows
 * @cmd: the ioctl command, whose size field is the caller's struct size
 * @arg: the ioctl argument, a user pointer
 *
 * Return: 0, -EINVAL if the caller's struct is too short, -E2BIG if it is
 * longer and its tail is not zero, or -EFAULT.
 */
int kmbox_uarg_copy_in(void *dst, size_t ksize, unsigned int cmd,
		       unsigned long arg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ksize)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, (void __user *)arg, usize);
}

/**
 * kmbox_uarg_copy_out() - copy an ioctl argument struct to userspace
 * @cmd: the ioctl command, whose size field is the caller's struct size
 * @arg: the ioctl argument, a user pointer
 * @src: kernel copy, @ksize bytes, with its padding already zeroed
 * @ksize: size of the struct this module knows
 *
 * Return: 0, -EINVAL if the caller's struct is too short, or -EFAULT.
 */
int kmbox_uarg_copy_out(unsigned int cmd, unsigned long arg,
			const void *src, size_t ksize)
{
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ksize)
		return -EINVAL;
	if (copy_to_user(uarg, src, ksize))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}
