/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the differences between the kernels kmbox builds against.
 *
 * kmbox supports Linux 6.1 and later.  Each entry gives an older kernel
 * the interface that upstream introduced, under the same name, so that
 * the rest of the module is written against the newest kernel and this
 * is the only file with version checks.  Each names the upstream commit
 * and the release it first appeared in.
 */
#ifndef _KMBOX_COMPAT_H
#define _KMBOX_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/*
 * 6.3, commit bc292ab00f6c ("mm: introduce vma->vm_flags wrapper
 * functions"): vm_flags became read-only outside of these helpers.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#endif /* _KMBOX_COMPAT_H */
