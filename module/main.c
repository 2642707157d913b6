// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: mailbox IPC for Linux processes.
 *
 * main.c: the /dev/kmbox misc device, its file operations, and module
 * init and exit.  Opening /dev/kmbox gives a control file descriptor; its
 * ioctls are dispatched from the one switch in kmbox_dev_ioctl().
 *
 * While a /dev/kmbox file is open the module cannot be unloaded: the
 * misc core takes a module reference for each open file (fops->owner).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/kmbox.h>

#include "uarg.h"

/* Feature bits this build of the module reports through KMBOX_IOC_VERSION. */
#define KMBOX_FEATURES		0

static long kmbox_ioctl_version(unsigned int cmd, unsigned long arg)
{
	const struct kmbox_version ver = {
		.abi_version = KMBOX_ABI_VERSION,
		.features = KMBOX_FEATURES,
	};

	return kmbox_uarg_copy_out(cmd, arg, &ver, sizeof(ver));
}

static long kmbox_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (KMBOX_IOC_BASE(cmd)) {
	case KMBOX_IOC_BASE(KMBOX_IOC_VERSION):
		return kmbox_ioctl_version(cmd, arg);
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

	ret = misc_register(&kmbox_miscdev);
	if (ret) {
		pr_err("cannot register /dev/kmbox: %d\n", ret);
		return ret;
	}
	pr_info("ABI version %d, /dev/kmbox minor %d\n",
		KMBOX_ABI_VERSION, kmbox_miscdev.minor);
	return 0;
}

static void __exit kmbox_exit(void)
{
	misc_deregister(&kmbox_miscdev);
}

module_init(kmbox_init);
module_exit(kmbox_exit);

MODULE_DESCRIPTION("kmbox: mailbox IPC for Linux processes");
MODULE_AUTHOR("The kmbox developers");
MODULE_LICENSE("GPL");
