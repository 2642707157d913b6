/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the shared region of a mailbox.
 */
#ifndef _KMBOX_REGION_H
#define _KMBOX_REGION_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/types.h>

/**
 * struct kmbox_region - shmem memory that a mailbox's files can mmap()
 * @shmem: the shmem file holding the pages, or NULL when there is none;
 *	set at creation, never changes
 * @size: its size in bytes, a multiple of PAGE_SIZE; never changes
 * @mappings: VMAs that map it, in every process
 * @shmem_ops: the vm_operations shmem gave the first mapping, to which
 *	the region's own operations forward page faults
 *
 * No lock: mmap() and the VMA operations run under the mm's mmap_lock,
 * which must never nest inside the mailbox lock, so they touch only the
 * fields above, which are fixed or atomic.
 */
struct kmbox_region {
	struct file *shmem;
	u64 size;
	atomic_t mappings;
	const struct vm_operations_struct *shmem_ops;
};

int kmbox_region_init_fops(void);
int kmbox_region_init(struct kmbox_region *region, u64 size);
void kmbox_region_destroy(struct kmbox_region *region);
int kmbox_region_mmap(struct file *file, struct vm_area_struct *vma);

#endif /* _KMBOX_REGION_H */
