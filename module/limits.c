// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: module parameters, attribute rules and per-user accounting.
 *
 * The parameters play the part of /proc/sys/fs/mqueue: defaults for a
 * new mailbox, ceilings for its attributes, and what one user may own.
 * Root may change them at run time through /sys/module/kmbox/parameters;
 * they are read once per use with READ_ONCE.
 *
 * A mailbox charges its whole capacity to its owner when it is made, as
 * POSIX message queues charge RLIMIT_MSGQUEUE: the bytes of max_bytes,
 * KMBOX_MSG_CHARGE for each of its max_msgs message slots (a message's
 * header and its allocator's rounding: an empty message uses memory
 * too), KMBOX_MAILBOX_CHARGE for the mailbox itself and its name, and
 * its region.  Queued messages can then never pin more than what was
 * charged (up to the allocator's rounding of each, see admin-guide.rst),
 * however many processes of the user send, with no per-message
 * accounting.
 *
 * A charge counts against the user in its user namespace and against the
 * owner of each ancestor namespace up to the initial one, as ucounts do
 * for RLIMIT_MSGQUEUE: a namespace can never hand out more than its
 * creator has, whatever uids it maps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>

#include <linux/kmbox.h>

#include "limits.h"

/*
 * The parameters' ranges, checked when one is set (at load or through
 * sysfs): a value outside is refused with EINVAL, whatever the type could
 * hold.  A message is one allocation, which the kernel never makes above
 * INT_MAX bytes; byte counts stop at 1 EiB, so that the sum of a charge's
 * parts (kmbox_limits_charge()) can never wrap, nor be taken for a
 * negative number.
 */
#define KMBOX_MSG_SIZE_LIMIT	INT_MAX
#define KMBOX_BYTES_LIMIT	BIT_ULL(60)
#if BITS_PER_LONG == 64
#define KMBOX_ULONG_BYTES_LIMIT	KMBOX_BYTES_LIMIT
#else	/* 32-bit: what an unsigned long holds, as before */
#define KMBOX_ULONG_BYTES_LIMIT	ULONG_MAX
#endif

/*
 * A parameter and its range.  One type serves all: an unsigned long holds
 * each range, and @max keeps those that were unsigned int within one.
 */
struct kmbox_param {
	unsigned long val;
	unsigned long min;
	unsigned long max;
};

static int kmbox_param_set(const char *val, const struct kernel_param *kp)
{
	struct kmbox_param *p = kp->arg;
	unsigned long v;

	if (kstrtoul(val, 0, &v) || v < p->min || v > p->max)
		return -EINVAL;
	WRITE_ONCE(p->val, v);
	return 0;
}

static int kmbox_param_get(char *buf, const struct kernel_param *kp)
{
	const struct kmbox_param *p = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%lu\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops kmbox_param_ops = {
	.set = kmbox_param_set,
	.get = kmbox_param_get,
};

static struct kmbox_param default_max_msgs = { 128, 1, UINT_MAX };
module_param_cb(default_max_msgs, &kmbox_param_ops, &default_max_msgs, 0644);
MODULE_PARM_DESC(default_max_msgs,
		 "max_msgs of a new mailbox when 0 (128; 1 to 2^32-1)");

static struct kmbox_param default_msg_size = { 8192, 1, KMBOX_MSG_SIZE_LIMIT };
module_param_cb(default_msg_size, &kmbox_param_ops, &default_msg_size, 0644);
MODULE_PARM_DESC(default_msg_size,
		 "max_msg_size of a new mailbox when 0 (8192; 1 to 2^31-1)");

static struct kmbox_param max_msgs_max = { 65536, 1, UINT_MAX };
module_param_cb(max_msgs_max, &kmbox_param_ops, &max_msgs_max, 0644);
MODULE_PARM_DESC(max_msgs_max, "ceiling of max_msgs (65536; 1 to 2^32-1)");

static struct kmbox_param msg_size_max = { 1 << 20, 1, KMBOX_MSG_SIZE_LIMIT };
module_param_cb(msg_size_max, &kmbox_param_ops, &msg_size_max, 0644);
MODULE_PARM_DESC(msg_size_max, "ceiling of max_msg_size (1 MiB; 1 to 2^31-1)");

static struct kmbox_param bytes_max = {
	64UL << 20, 1, KMBOX_ULONG_BYTES_LIMIT
};
module_param_cb(bytes_max, &kmbox_param_ops, &bytes_max, 0644);
MODULE_PARM_DESC(bytes_max, "ceiling of max_bytes (64 MiB; 1 to 2^60)");

static struct kmbox_param region_size_max = {
	64UL << 20, 0, KMBOX_ULONG_BYTES_LIMIT
};
module_param_cb(region_size_max, &kmbox_param_ops, &region_size_max, 0644);
MODULE_PARM_DESC(region_size_max, "ceiling of region_size (64 MiB; 0 to 2^60)");

static struct kmbox_param mailboxes_per_user = { 1024, 0, UINT_MAX };
module_param_cb(mailboxes_per_user, &kmbox_param_ops, &mailboxes_per_user,
		0644);
MODULE_PARM_DESC(mailboxes_per_user,
		 "mailboxes one user may own (1024; 0 to 2^32-1)");

static struct kmbox_param bytes_per_user = {
	256UL << 20, 0, KMBOX_ULONG_BYTES_LIMIT
};
module_param_cb(bytes_per_user, &kmbox_param_ops, &bytes_per_user, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "sum of the charges of the mailboxes one user may own (256 MiB; 0 to 2^60)");

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
		attr->max_msgs = READ_ONCE(default_max_msgs.val);
	if (!attr->max_msg_size)
		attr->max_msg_size = READ_ONCE(default_msg_size.val);
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

	if (attr->flags & ~(KMBOX_ATTR_HANGUP | KMBOX_ATTR_PERSISTENT) ||
	    attr->mode & ~0777)
		return -EINVAL;
	if (!PAGE_ALIGNED(attr->region_size) ||
	    attr->region_size > READ_ONCE(region_size_max.val))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(attr->reserved); i++)
		if (attr->reserved[i])
			return -EINVAL;
	if (!attr->max_msgs || attr->max_msgs > READ_ONCE(max_msgs_max.val))
		return -EINVAL;
	if (!attr->max_msg_size ||
	    attr->max_msg_size > READ_ONCE(msg_size_max.val))
		return -EINVAL;
	if (attr->max_bytes < attr->max_msg_size ||
	    attr->max_bytes > READ_ONCE(bytes_max.val))
		return -EINVAL;
	return 0;
}

/**
 * kmbox_limits_charge() - what a mailbox of given attributes charges
 * @attr: its attributes, checked (so no sum overflows)
 *
 * Return: bytes counted against its owner's bytes_per_user.
 */
u64 kmbox_limits_charge(const struct kmbox_attr *attr)
{
	u64 charge = KMBOX_MAILBOX_CHARGE;

	/*
	 * Checked attributes are within the parameters' ranges, whose
	 * largest charge is far from wrapping, or from S64_MAX.
	 */
	BUILD_BUG_ON(KMBOX_MAILBOX_CHARGE + (u64)UINT_MAX * KMBOX_MSG_CHARGE >
		     S64_MAX - 2 * KMBOX_BYTES_LIMIT);
	/* Saturates all the same: no limit admits U64_MAX more bytes. */
	if (check_add_overflow(charge, attr->max_msgs * KMBOX_MSG_CHARGE,
			       &charge) ||
	    check_add_overflow(charge, attr->max_bytes, &charge) ||
	    check_add_overflow(charge, attr->region_size, &charge))
		return U64_MAX;
	return charge;
}

/*
 * struct kmbox_user - what one user owns in one user namespace: the
 * mailboxes charged to it, and those charged to users of namespaces it
 * owns, below it.  An entry exists while @mailboxes is not zero; it
 * holds a reference to @ns and to @parent, the entry of @ns's owner in
 * @ns's parent (NULL in the initial namespace).  kmbox_users_lock
 * protects the table and the counters.
 */
struct kmbox_user {
	struct hlist_node node;
	struct user_namespace *ns;
	kuid_t uid;
	struct kmbox_user *parent;
	unsigned int mailboxes;
	u64 bytes;
};

static DEFINE_SPINLOCK(kmbox_users_lock);
static DEFINE_HASHTABLE(kmbox_users, 6);

/* User namespaces nest 32 deep at most below the initial one. */
#define KMBOX_USER_NS_LEVELS	33

static u32 kmbox_user_hash(const struct user_namespace *ns, kuid_t uid)
{
	return hash_ptr(ns, 32) ^ __kuid_val(uid);
}

static struct kmbox_user *kmbox_user_find_locked(struct user_namespace *ns,
						 kuid_t uid)
{
	struct kmbox_user *user;

	lockdep_assert_held(&kmbox_users_lock);
	hash_for_each_possible(kmbox_users, user, node,
			       kmbox_user_hash(ns, uid))
		if (user->ns == ns && uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/*
 * Would @bytes more, and one more mailbox if @mailbox, fit at every level?
 * With @limited, within mailboxes_per_user and bytes_per_user; without,
 * within what the counters hold.  The comparisons cannot wrap, whatever
 * @bytes (a saturated charge is U64_MAX).
 */
static int kmbox_user_fits_locked(struct kmbox_user *user, u64 bytes,
				  bool mailbox, bool limited)
{
	unsigned int max_mailboxes = UINT_MAX;
	u64 max_bytes = U64_MAX;

	lockdep_assert_held(&kmbox_users_lock);
	if (limited) {
		max_mailboxes = READ_ONCE(mailboxes_per_user.val);
		max_bytes = READ_ONCE(bytes_per_user.val);
	}
	if (bytes > max_bytes)
		return -ENOMEM;
	for (; user; user = user->parent) {
		if (mailbox && user->mailboxes >= max_mailboxes)
			return -ENOSPC;
		if (user->bytes > max_bytes - bytes)
			return -ENOMEM;
	}
	return 0;
}

/* Add @bytes and @mailboxes at every level from @user up. */
static void kmbox_user_add_locked(struct kmbox_user *user, u64 bytes,
				  unsigned int mailboxes)
{
	lockdep_assert_held(&kmbox_users_lock);
	for (; user; user = user->parent) {
		user->bytes += bytes;
		user->mailboxes += mailboxes;
	}
}

/* Take @bytes and @mailboxes back at every level from @user up. */
static void kmbox_user_sub_locked(struct kmbox_user *user, u64 bytes,
				  unsigned int mailboxes)
{
	lockdep_assert_held(&kmbox_users_lock);
	for (; user; user = user->parent) {
		user->bytes -= bytes;
		user->mailboxes -= mailboxes;
	}
}

/*
 * Entries from @user up with no mailbox left leave the table, for
 * kmbox_user_free_all() after the lock is dropped.  A parent counts every
 * mailbox its children count, so it goes only after them.
 */
static void kmbox_user_prune_locked(struct kmbox_user *user,
				    struct hlist_head *dead)
{
	lockdep_assert_held(&kmbox_users_lock);
	for (; user && !user->mailboxes; user = user->parent) {
		hash_del(&user->node);
		hlist_add_head(&user->node, dead);
	}
}

static void kmbox_user_free_all(struct hlist_head *dead)
{
	struct hlist_node *next;
	struct kmbox_user *user;

	hlist_for_each_entry_safe(user, next, dead, node) {
		put_user_ns(user->ns);
		kfree(user);
	}
}

/**
 * kmbox_user_charge() - charge a new mailbox to the calling user
 * @bytes: what it charges, kmbox_limits_charge()
 * @privileged: the caller has CAP_SYS_RESOURCE: no limit applies
 *
 * Charges the caller's fsuid in its user namespace, and the owner of
 * each ancestor namespace in that namespace's parent.
 *
 * Return: the caller's entry, to pass to kmbox_user_uncharge() when the
 * mailbox goes; ERR_PTR(-ENOSPC) if a user of the chain owns
 * mailboxes_per_user mailboxes already, ERR_PTR(-ENOMEM) if @bytes would
 * take one past bytes_per_user or memory is short.  A privileged caller
 * gets these only where a counter would wrap.
 */
struct kmbox_user *kmbox_user_charge(u64 bytes, bool privileged)
{
	struct user_namespace *ns = current_user_ns();
	struct kmbox_user *spare[KMBOX_USER_NS_LEVELS + 1];
	unsigned int i, levels = ns->level + 1;
	struct kmbox_user *leaf = NULL, *child = NULL, *user;
	kuid_t uid = current_fsuid();
	HLIST_HEAD(dead);
	int err = 0;

	if (WARN_ON_ONCE(levels > ARRAY_SIZE(spare)))
		return ERR_PTR(-ENOMEM);
	/* Allocate before the spinlock; most of the time none is needed. */
	for (i = 0; i < levels; i++) {
		spare[i] = kzalloc(sizeof(*spare[i]), GFP_KERNEL_ACCOUNT);
		if (!spare[i]) {
			levels = i;
			err = -ENOMEM;
			goto out_free;
		}
	}

	spin_lock(&kmbox_users_lock);
	/* The chain, leaf first: (ns, uid), then (ns's parent, ns's owner). */
	for (i = 0; i < levels; i++) {
		user = kmbox_user_find_locked(ns, uid);
		if (!user) {
			user = spare[i];
			spare[i] = NULL;
			user->ns = get_user_ns(ns);
			user->uid = uid;
			hash_add(kmbox_users, &user->node,
				 kmbox_user_hash(ns, uid));
		}
		if (child)
			child->parent = user;
		else
			leaf = user;
		child = user;
		uid = ns->owner;
		ns = ns->parent;
	}
	err = kmbox_user_fits_locked(leaf, bytes, true, !privileged);
	if (!err)
		kmbox_user_add_locked(leaf, bytes, 1);
	else
		kmbox_user_prune_locked(leaf, &dead);
	spin_unlock(&kmbox_users_lock);
	kmbox_user_free_all(&dead);
out_free:
	for (i = 0; i < levels; i++)
		kfree(spare[i]);
	return err ? ERR_PTR(err) : leaf;
}

/**
 * kmbox_user_recharge() - change what a mailbox charges
 * @user: the owner's entry
 * @old_bytes: charged so far
 * @new_bytes: to charge now
 * @privileged: the caller has CAP_SYS_RESOURCE
 *
 * Return: 0, or -ENOMEM if growing would take a user of the chain past
 * bytes_per_user (a privileged caller: past what the counter holds).
 */
int kmbox_user_recharge(struct kmbox_user *user, u64 old_bytes, u64 new_bytes,
			bool privileged)
{
	int err = 0;

	spin_lock(&kmbox_users_lock);
	if (new_bytes > old_bytes) {
		err = kmbox_user_fits_locked(user, new_bytes - old_bytes, false,
					     !privileged);
		if (!err)
			kmbox_user_add_locked(user, new_bytes - old_bytes, 0);
	} else {
		kmbox_user_sub_locked(user, old_bytes - new_bytes, 0);
	}
	spin_unlock(&kmbox_users_lock);
	return err;
}

/**
 * kmbox_user_uncharge() - give back what kmbox_user_charge() took
 * @user: the owner's entry
 * @bytes: what the mailbox charges at the end
 */
void kmbox_user_uncharge(struct kmbox_user *user, u64 bytes)
{
	HLIST_HEAD(dead);

	spin_lock(&kmbox_users_lock);
	kmbox_user_sub_locked(user, bytes, 1);
	kmbox_user_prune_locked(user, &dead);
	spin_unlock(&kmbox_users_lock);
	kmbox_user_free_all(&dead);
}
