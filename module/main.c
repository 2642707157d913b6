// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: mailbox IPC for Linux processes.
 *
 * main.c: the /dev/kmbox misc device, its file operations, and module
 * init and exit.  Opening /dev/kmbox gives a control file descriptor; its
 * ioctls, dispatched from the one switch in kmbox_dev_ioctl(), make,
 * open and unname mailboxes.
 *
 * While a /dev/kmbox file or a mailbox file is open the module cannot be
 * unloaded: each open file holds a module reference (fops->owner).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/kmbox.h>

#include "limits.h"
#include "mailbox.h"
#include "mailbox_file.h"
#include "ns.h"
#include "region.h"
#include "registry.h"
#include "uarg.h"

/* Feature bits this build of the module reports through KMBOX_IOC_VERSION. */
#define KMBOX_FEATURES		(KMBOX_FEATURE_MAILBOX | KMBOX_FEATURE_BATCH | \
				 KMBOX_FEATURE_REGION | KMBOX_FEATURE_RING | \
				 KMBOX_FEATURE_PERSISTENT)

#define KMBOX_OPEN_FLAGS \
	(KMBOX_SEND | KMBOX_RECV | KMBOX_NOROLE | KMBOX_CLOEXEC | KMBOX_NONBLOCK)

/* A role, or none: KMBOX_NOROLE goes with neither SEND nor RECV. */
static bool kmbox_flags_valid(u32 flags)
{
	return !(flags & KMBOX_NOROLE && flags & (KMBOX_SEND | KMBOX_RECV));
}

/* The role a file of these flags gets, as FMODE bits (none: 0). */
static fmode_t kmbox_flags_fmode(u32 flags)
{
	fmode_t fmode = 0;

	if (flags & KMBOX_NOROLE)
		return 0;
	if (!(flags & (KMBOX_SEND | KMBOX_RECV)))
		flags |= KMBOX_SEND | KMBOX_RECV;
	if (flags & KMBOX_SEND)
		fmode |= FMODE_WRITE;
	if (flags & KMBOX_RECV)
		fmode |= FMODE_READ;
	return fmode;
}

/*
 * A descriptor for an existing mailbox @mbox (a reference the caller
 * gives up), if the caller may have the role.
 */
static long kmbox_open_existing(struct kmbox_mailbox *mbox, u32 flags)
{
	long ret;

	ret = kmbox_mailbox_may_open(mbox, kmbox_flags_fmode(flags));
	if (!ret)
		ret = kmbox_mailbox_file_install(mbox, flags);
	if (ret < 0)
		kmbox_mailbox_put(mbox);
	return ret;
}

static long kmbox_ioctl_version(unsigned int cmd, unsigned long arg)
{
	const struct kmbox_version ver = {
		.abi_version = KMBOX_ABI_VERSION,
		.features = KMBOX_FEATURES,
	};

	return kmbox_uarg_copy_out(cmd, arg, &ver, sizeof(ver));
}

/*
 * A new mailbox is seen by others once it is registered, and a persistent
 * one then lives on by its name: so its descriptor is made first, and
 * whatever fails undoes all, leaving neither a name nor a charge.
 */
static long kmbox_ioctl_create(unsigned int cmd, unsigned long arg)
{
	struct kmbox_mailbox *mbox, *existing;
	struct kmbox_create create;
	char *name = NULL;
	struct file *file;
	long ret;
	int fd;

	ret = kmbox_uarg_copy_in(&create, sizeof(create), cmd, arg);
	if (ret)
		return ret;
	if (create.flags & ~(KMBOX_OPEN_FLAGS | KMBOX_EXCL) || create.pad ||
	    !kmbox_flags_valid(create.flags))
		return -EINVAL;
	ret = kmbox_limits_fill_defaults(&create.attr);
	if (ret)
		return ret;
	ret = kmbox_limits_check_attr(&create.attr);
	if (ret)
		return ret;
	/* Only a name can keep a mailbox. */
	if (create.attr.flags & KMBOX_ATTR_PERSISTENT && !create.name)
		return -EINVAL;

	if (create.name) {
		name = kmbox_registry_name_from_user(create.name);
		if (IS_ERR(name))
			return PTR_ERR(name);
		existing = kmbox_registry_find(name);
		if (existing)
			goto open_existing;
	}

	/* From here on the mailbox owns @name. */
	mbox = kmbox_mailbox_new(name, &create.attr);
	if (IS_ERR(mbox))
		return PTR_ERR(mbox);
	fd = kmbox_mailbox_file_prepare(mbox, create.flags, &file);
	if (fd < 0) {
		ret = fd;
		goto err_put_mbox;
	}
	/* From here on the file holds the creator's reference. */
	ret = kmbox_registry_add(mbox, &existing);
	if (ret)
		goto err_abort_file;
	kmbox_mailbox_file_commit(fd, file);
	return fd;

err_abort_file:
	kmbox_mailbox_file_abort(fd, file);
	if (ret != -EEXIST)
		return ret;
	/* Someone made the name meanwhile: that one it is. */
	name = NULL;
	goto open_existing;
err_put_mbox:
	kmbox_mailbox_put(mbox);
	return ret;

open_existing:
	kfree(name);
	if (create.flags & KMBOX_EXCL) {
		kmbox_mailbox_put(existing);
		return -EEXIST;
	}
	return kmbox_open_existing(existing, create.flags);
}

static long kmbox_ioctl_open(unsigned int cmd, unsigned long arg)
{
	struct kmbox_mailbox *mbox;
	struct kmbox_open open;
	char *name;
	long ret;

	ret = kmbox_uarg_copy_in(&open, sizeof(open), cmd, arg);
	if (ret)
		return ret;
	if (open.flags & ~KMBOX_OPEN_FLAGS || open.pad ||
	    !kmbox_flags_valid(open.flags))
		return -EINVAL;
	name = kmbox_registry_name_from_user(open.name);
	if (IS_ERR(name))
		return PTR_ERR(name);
	mbox = kmbox_registry_find(name);
	kfree(name);
	if (!mbox)
		return -ENOENT;
	return kmbox_open_existing(mbox, open.flags);
}

static long kmbox_ioctl_unlink(unsigned int cmd, unsigned long arg)
{
	struct kmbox_unlink unlink;
	char *name;
	long ret;

	ret = kmbox_uarg_copy_in(&unlink, sizeof(unlink), cmd, arg);
	if (ret)
		return ret;
	if (unlink.flags || unlink.pad)
		return -EINVAL;
	name = kmbox_registry_name_from_user(unlink.name);
	if (IS_ERR(name))
		return PTR_ERR(name);
	ret = kmbox_registry_unlink(name);
	kfree(name);
	return ret;
}

static long kmbox_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (KMBOX_IOC_BASE(cmd)) {
	case KMBOX_IOC_BASE(KMBOX_IOC_VERSION):
		return kmbox_ioctl_version(cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_CREATE):
		return kmbox_ioctl_create(cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_OPEN):
		return kmbox_ioctl_open(cmd, arg);
	case KMBOX_IOC_BASE(KMBOX_IOC_UNLINK):
		return kmbox_ioctl_unlink(cmd, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kmbox_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kmbox_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kmbox_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kmbox",
	.fops	= &kmbox_dev_fops,
	.mode	= 0666,
};

static int __init kmbox_init(void)
{
	int ret;

	ret = kmbox_region_init_fops();
	if (ret)
		return ret;
	ret = kmbox_ns_init();
	if (ret)
		return ret;
	ret = kmbox_registry_init();
	if (ret)
		goto err_ns_exit;
	ret = misc_register(&kmbox_miscdev);
	if (ret) {
		pr_err("cannot register /dev/kmbox: %d\n", ret);
		goto err_registry_exit;
	}
	pr_info("ABI version %d, /dev/kmbox minor %d\n",
		KMBOX_ABI_VERSION, kmbox_miscdev.minor);
	return 0;

err_registry_exit:
	kmbox_registry_exit();
err_ns_exit:
	kmbox_ns_exit();
	return ret;
}

static void __exit kmbox_exit(void)
{
	misc_deregister(&kmbox_miscdev);
	/*
	 * The reaper first: it must not free a mailbox (an RCU callback of
	 * ours) after the registry's rcu_barrier().
	 */
	kmbox_ns_stop();
	kmbox_registry_exit();
	kmbox_ns_exit();
}

module_init(kmbox_init);
module_exit(kmbox_exit);

MODULE_DESCRIPTION("kmbox: mailbox IPC for Linux processes");
MODULE_AUTHOR("The kmbox developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.2.0");
