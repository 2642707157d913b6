// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the shared region of a mailbox.
 *
 * The region is a shmem file, as memfd_create() makes, that nobody can
 * open: its pages are swappable and zero-filled, and a futex in them is
 * shared between processes, because every mapping maps the same file.
 *
 * mmap() on a mailbox file maps the shmem file in its place
 * (vma_set_file()), so that the page cache, reclaim and rmap see an
 * ordinary shared file mapping.  The VMA keeps shmem's fault handlers
 * and gets open() and close() hooks of the region's own.  Each VMA holds
 * a reference to the mailbox file it was made from, as any mapping of a
 * file does: the mapping keeps that file, its role and its mailbox alive
 * after close(), and the module too, since the file's last fput() is
 * deferred until after the close() hook has returned.  The region counts
 * its mappings.
 *
 * The shmem file must never be mapped but through a mailbox file, or a
 * mapping would hold neither the mailbox nor its charge, and be missing
 * from the count.  remap_file_pages() rebuilds a VMA by mapping its
 * vm_file again, and vm_file is the shmem file.  So the shmem file of a
 * region gets file operations of kmbox's own, shmem's in all but
 * mmap(), which fails with EINVAL: such a remap fails, the range it
 * replaced being unmapped, as for any failed MAP_FIXED.  kmbox maps
 * regions with shmem's own mmap().  The shmem file gets shmem's
 * operations back before its last fput(), which may run after the
 * module is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>

#include "compat.h"
#include "mailbox.h"
#include "mailbox_file.h"
#include "region.h"

/* shmem's file operations, and those kmbox gives the files of regions. */
static const struct file_operations *kmbox_shmem_fops;
/* shmem's, with another mmap(): filled by kmbox_region_init_fops(). */
static struct file_operations kmbox_region_fops __ro_after_init;

/* mmap() of a region's shmem file other than through a mailbox file. */
static int kmbox_region_refuse_mmap(struct file *file,
				    struct vm_area_struct *vma)
{
	return -EINVAL;
}

/**
 * kmbox_region_init_fops() - learn shmem's file operations
 *
 * Return: 0, or the error of making a shmem file.
 */
int kmbox_region_init_fops(void)
{
	struct file *probe = shmem_file_setup("kmbox-probe", 0, 0);

	if (IS_ERR(probe))
		return PTR_ERR(probe);
	kmbox_shmem_fops = probe->f_op;
	kmbox_region_fops = *probe->f_op;
	kmbox_region_fops.owner = NULL;
	kmbox_region_fops.mmap = kmbox_region_refuse_mmap;
	fput(probe);
	return 0;
}

/*
 * Allocate every page now, in the creator's context, so that they are
 * charged to its memory cgroup rather than to whoever touches them first.
 * At the cgroup's limit, creation fails with ENOMEM instead of calling
 * the OOM killer.
 */
static int kmbox_region_populate(struct file *shmem, u64 size)
{
	struct address_space *mapping = shmem->f_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping) | __GFP_RETRY_MAYFAIL |
		    __GFP_NOWARN;
	pgoff_t index;

	for (index = 0; index < size >> PAGE_SHIFT; index++) {
		struct page *page = shmem_read_mapping_page_gfp(mapping, index,
								gfp);

		if (IS_ERR(page))
			return PTR_ERR(page);
		put_page(page);
		cond_resched();
	}
	return 0;
}

/**
 * kmbox_region_init() - make the region of a new mailbox
 * @region: the mailbox's region, zeroed
 * @size: its size, a multiple of PAGE_SIZE checked by the caller; 0 makes
 *	no region
 *
 * Return: 0, -ENOMEM, or another error of shmem (-ENFILE: no file left).
 */
int kmbox_region_init(struct kmbox_region *region, u64 size)
{
	struct file *shmem;
	int err;

	atomic_set(&region->mappings, 0);
	if (!size)
		return 0;

	shmem = shmem_file_setup("kmbox-region", size, 0);
	if (IS_ERR(shmem)) {
		err = PTR_ERR(shmem);
		goto err_out;
	}
	err = kmbox_region_populate(shmem, size);
	if (err)
		goto err_put_shmem;
	/* No one else has the file yet. */
	shmem->f_op = &kmbox_region_fops;
	region->shmem = shmem;
	region->size = size;
	return 0;

err_put_shmem:
	fput(shmem);
err_out:
	/*
	 * The kernel's shmem mount has no size or inode limit: ENOSPC from
	 * it means an allocation failed, and would read as the per-user
	 * mailbox limit to our callers.
	 */
	return err == -ENOSPC ? -ENOMEM : err;
}

/**
 * kmbox_region_destroy() - free the region of a dying mailbox
 * @region: the region; no mapping of it remains
 */
void kmbox_region_destroy(struct kmbox_region *region)
{
	WARN_ON_ONCE(atomic_read(&region->mappings));
	if (!region->shmem)
		return;
	/* The last reference, with no mapping left: no one looks at f_op. */
	region->shmem->f_op = kmbox_shmem_fops;
	fput(region->shmem);
}

/* The region of the mailbox file that a VMA holds. */
static struct kmbox_region *kmbox_vma_region(struct vm_area_struct *vma)
{
	return &kmbox_mailbox_file_mbox(vma->vm_private_data)->region;
}

static void kmbox_region_vm_open(struct vm_area_struct *vma)
{
	get_file(vma->vm_private_data);
	atomic_inc(&kmbox_vma_region(vma)->mappings);
}

static void kmbox_region_vm_close(struct vm_area_struct *vma)
{
	atomic_dec(&kmbox_vma_region(vma)->mappings);
	fput(vma->vm_private_data);
}

static vm_fault_t kmbox_region_vm_fault(struct vm_fault *vmf)
{
	return READ_ONCE(kmbox_vma_region(vmf->vma)->shmem_ops)->fault(vmf);
}

static const struct vm_operations_struct kmbox_region_vm_ops = {
	.open		= kmbox_region_vm_open,
	.close		= kmbox_region_vm_close,
	.fault		= kmbox_region_vm_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * kmbox_region_mmap() - map a mailbox's region
 * @file: the mailbox file being mapped
 * @vma: the new mapping; the VFS has already refused write access to a
 *	file without FMODE_WRITE and cleared VM_MAYWRITE for it
 *
 * Return: 0, -ENODEV (no region), -EINVAL (not MAP_SHARED, or outside
 * the region), or an error of shmem's mmap().
 */
int kmbox_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kmbox_region *region = &kmbox_mailbox_file_mbox(file)->region;
	unsigned long pages = region->size >> PAGE_SHIFT;
	int err;

	if (!region->shmem)
		return -ENODEV;
	/* A read-only shared mapping has VM_MAYSHARE without VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	vma_set_file(vma, region->shmem);
	err = kmbox_shmem_fops->mmap(region->shmem, vma);
	if (err)
		return err;
	WRITE_ONCE(region->shmem_ops, vma->vm_ops);

	/* mremap() may shrink or move the mapping, never grow it. */
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &kmbox_region_vm_ops;
	vma->vm_private_data = file;
	kmbox_region_vm_open(vma);
	return 0;
}
