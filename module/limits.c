// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: module parameters, attribute rules and per-user accounting.
 *
 * The parameters play the part of /proc/sys/fs/mqueue: defaults for a
 * new mailbox, ceilings for its attributes, and what one user may own.
 * Root may change them at run time through /sys/module/kmbox/parameters;
 * they are read once per use with READ_ONCE.
 *
 * A mailbox charges its whole capacity (max_bytes) to its owner when it
 * is made, as POSIX message queues charge RLIMIT_MSGQUEUE: queued data
 * can then never exceed what was charged, however many processes of the
 * user send, and no per-message accounting is needed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <linux/kmbox.h>

#include "limits.h"

static unsigned int default_max_msgs = 128;
module_param(default_max_msgs, uint, 0644);
MODULE_PARM_DESC(default_max_msgs, "max_msgs of a new mailbox when 0 (128)");

static unsigned int default_msg_size = 8192;
module_param(default_msg_size, uint, 0644);
MODULE_PARM_DESC(default_msg_size, "max_msg_size of a new mailbox when 0 (8192)");

static unsigned int max_msgs_max = 65536;
module_param(max_msgs_max, uint, 0644);
MODULE_PARM_DESC(max_msgs_max, "ceiling of max_msgs (65536)");

static unsigned int msg_size_max = 1 << 20;
module_param(msg_size_max, uint, 0644);
MODULE_PARM_DESC(msg_size_max, "ceiling of max_msg_size (1 MiB)");

static unsigned long bytes_max = 64UL << 20;
module_param(bytes_max, ulong, 0644);
MODULE_PARM_DESC(bytes_max, "ceiling of max_bytes (64 MiB)");

static unsigned long region_size_max = 64UL << 20;
module_param(region_size_max, ulong, 0644);
MODULE_PARM_DESC(region_size_max, "ceiling of region_size (64 MiB)");

static unsigned int mailboxes_per_user = 1024;
module_param(mailboxes_per_user, uint, 0644);
MODULE_PARM_DESC(mailboxes_per_user, "mailboxes one user may own (1024)");

static unsigned long bytes_per_user = 256UL << 20;
module_param(bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "sum of max_bytes and region_size one user may own (256 MiB)");

/**
 * kmbox_limits_fill_defaults() - give the zero fields of new attributes
 *	their defaults
 * @attr: attributes of a mailbox being made
 *
 * Return: 0, or -EOVERFLOW if max_bytes is 0 and max_msgs * max_msg_size
 * does not fit in 64 bits.
 */
int kmbox_limits_fill_defaults(struct kmbox_attr *attr)
{
	if (!attr->max_msgs)
		attr->max_msgs = READ_ONCE(default_max_msgs);
	if (!attr->max_msg_size)
		attr->max_msg_size = READ_ONCE(default_msg_size);
	if (!attr->mode)
		attr->mode = 0600;
	if (!attr->max_bytes &&
	    check_mul_overflow(attr->max_msgs, attr->max_msg_size,
			       &attr->max_bytes))
		return -EOVERFLOW;
	return 0;
}

/**
 * kmbox_limits_check_attr() - check complete attributes against the rules
 * @attr: attributes with every field given
 *
 * Return: 0, or -EINVAL if a field is 0, above its ceiling, an unknown
 * flag or a non-zero reserved field is present, max_bytes is smaller
 * than max_msg_size, or region_size is not a multiple of the page size.
 */
int kmbox_limits_check_attr(const struct kmbox_attr *attr)
{
	unsigned int i;

	if (attr->flags & ~KMBOX_ATTR_HANGUP || attr->mode & ~0777)
		return -EINVAL;
	if (!PAGE_ALIGNED(attr->region_size) ||
	    attr->region_size > READ_ONCE(region_size_max))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(attr->reserved); i++)
		if (attr->reserved[i])
			return -EINVAL;
	if (!attr->max_msgs || attr->max_msgs > READ_ONCE(max_msgs_max))
		return -EINVAL;
	if (!attr->max_msg_size ||
	    attr->max_msg_size > READ_ONCE(msg_size_max))
		return -EINVAL;
	if (attr->max_bytes < attr->max_msg_size ||
	    attr->max_bytes > READ_ONCE(bytes_max))
		return -EINVAL;
	return 0;
}

/*
 * struct kmbox_user - what one user owns.  An entry exists while the user
 * owns a mailbox; each mailbox keeps a pointer to its owner's entry.
 * kmbox_users_lock protects the table and both counters.
 */
struct kmbox_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int mailboxes;
	u64 bytes;
};

static DEFINE_SPINLOCK(kmbox_users_lock);
static DEFINE_HASHTABLE(kmbox_users, 6);

static struct kmbox_user *kmbox_user_find_locked(kuid_t uid)
{
	struct kmbox_user *user;

	lockdep_assert_held(&kmbox_users_lock);
	hash_for_each_possible(kmbox_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static bool kmbox_user_fits_locked(struct kmbox_user *user, u64 bytes,
				   bool privileged)
{
	lockdep_assert_held(&kmbox_users_lock);
	return privileged || user->bytes + bytes <= READ_ONCE(bytes_per_user);
}

/**
 * kmbox_user_charge() - charge a new mailbox to its owner
 * @uid: the owner
 * @bytes: its capacity, max_bytes
 * @privileged: the caller has CAP_SYS_RESOURCE: no limit applies
 *
 * Return: the owner's entry, to pass to kmbox_user_uncharge() when the
 * mailbox goes; ERR_PTR(-ENOSPC) if the user owns mailboxes_per_user
 * mailboxes already, ERR_PTR(-ENOMEM) if @bytes would take the user past
 * bytes_per_user or memory is short.
 */
struct kmbox_user *kmbox_user_charge(kuid_t uid, u64 bytes, bool privileged)
{
	struct kmbox_user *user, *spare;
	int err = 0;

	/* Allocate before the spinlock; most of the time it is not needed. */
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return ERR_PTR(-ENOMEM);

	spin_lock(&kmbox_users_lock);
	user = kmbox_user_find_locked(uid);
	if (!user) {
		user = spare;
		spare = NULL;
		user->uid = uid;
		hash_add(kmbox_users, &user->node, __kuid_val(uid));
	}
	if (!privileged && user->mailboxes >= READ_ONCE(mailboxes_per_user))
		err = -ENOSPC;
	else if (!kmbox_user_fits_locked(user, bytes, privileged))
		err = -ENOMEM;
	if (!err) {
		user->mailboxes++;
		user->bytes += bytes;
	} else if (!user->mailboxes) {
		hash_del(&user->node);
		spare = user;
	}
	spin_unlock(&kmbox_users_lock);

	kfree(spare);
	return err ? ERR_PTR(err) : user;
}

/**
 * kmbox_user_recharge() - change the capacity charged for a mailbox
 * @user: the owner's entry
 * @old_bytes: capacity charged so far
 * @new_bytes: new capacity
 * @privileged: the caller has CAP_SYS_RESOURCE
 *
 * Return: 0, or -ENOMEM if growing would take the user past bytes_per_user.
 */
int kmbox_user_recharge(struct kmbox_user *user, u64 old_bytes, u64 new_bytes,
			bool privileged)
{
	int err = 0;

	spin_lock(&kmbox_users_lock);
	if (new_bytes > old_bytes &&
	    !kmbox_user_fits_locked(user, new_bytes - old_bytes, privileged))
		err = -ENOMEM;
	else
		user->bytes = user->bytes - old_bytes + new_bytes;
	spin_unlock(&kmbox_users_lock);
	return err;
}

/**
 * kmbox_user_uncharge() - give back what kmbox_user_charge() took
 * @user: the owner's entry
 * @bytes: the mailbox's capacity at the end
 */
void kmbox_user_uncharge(struct kmbox_user *user, u64 bytes)
{
	bool last;

	spin_lock(&kmbox_users_lock);
	user->bytes -= bytes;
	last = !--user->mailboxes;
	if (last)
		hash_del(&user->node);
	spin_unlock(&kmbox_users_lock);
	if (last)
		kfree(user);
}
