// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the registry of every mailbox and the table of names.
 *
 * Every mailbox is on one list, for /proc/driver/kmbox, and a named one is
 * also in a hash table of names.  kmbox_registry_lock protects both, the
 * id counter, and the last put of a mailbox (kref_put_mutex() in
 * mailbox.c): a mailbox found under the lock always has a reference left,
 * so kmbox_mailbox_get() on it is safe.
 *
 * A name does not keep its mailbox alive: the mailbox leaves the table
 * when its last file goes, or earlier by KMBOX_IOC_UNLINK.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "mailbox.h"
#include "registry.h"

/* Protects the list, the name table, the ids and the last put. */
DEFINE_MUTEX(kmbox_registry_lock);
static LIST_HEAD(kmbox_registry_all);
static DEFINE_HASHTABLE(kmbox_registry_names, 8);
static u64 kmbox_registry_last_id;

/**
 * kmbox_registry_name_from_user() - copy a mailbox name from userspace
 * @uname: user pointer to a NUL-terminated string
 *
 * Return: the name (kfree() it), or ERR_PTR(-EFAULT), ERR_PTR(-EINVAL)
 * for an empty name, ERR_PTR(-ENAMETOOLONG) for one longer than
 * KMBOX_NAME_MAX, or ERR_PTR(-ENOMEM).
 */
char *kmbox_registry_name_from_user(u64 uname)
{
	char *name;
	long len;

	name = kmalloc(KMBOX_NAME_MAX + 1, GFP_KERNEL_ACCOUNT);
	if (!name)
		return ERR_PTR(-ENOMEM);
	len = strncpy_from_user(name, u64_to_user_ptr(uname),
				KMBOX_NAME_MAX + 1);
	if (len > KMBOX_NAME_MAX)
		len = -ENAMETOOLONG;
	else if (len == 0)
		len = -EINVAL;
	if (len < 0) {
		kfree(name);
		return ERR_PTR(len);
	}
	return name;
}

static u32 kmbox_registry_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct kmbox_mailbox *kmbox_registry_find_locked(const char *name)
{
	struct kmbox_mailbox *mbox;

	lockdep_assert_held(&kmbox_registry_lock);
	hash_for_each_possible(kmbox_registry_names, mbox, name_node,
			       kmbox_registry_hash(name))
		if (!strcmp(mbox->name, name))
			return mbox;
	return NULL;
}

/**
 * kmbox_registry_add() - give a new mailbox its id, and its name if any
 * @mbox: a mailbox made by kmbox_mailbox_new(), not yet registered
 * @existing: where to return the mailbox that holds the name already
 *
 * Return: 0, or -EEXIST with a reference to that mailbox in *@existing;
 * @mbox is then not registered (drop it with kmbox_mailbox_put()).
 */
int kmbox_registry_add(struct kmbox_mailbox *mbox,
		       struct kmbox_mailbox **existing)
{
	struct kmbox_mailbox *other;

	mutex_lock(&kmbox_registry_lock);
	if (mbox->name) {
		other = kmbox_registry_find_locked(mbox->name);
		if (other) {
			kmbox_mailbox_get(other);
			mutex_unlock(&kmbox_registry_lock);
			*existing = other;
			return -EEXIST;
		}
		hash_add(kmbox_registry_names, &mbox->name_node,
			 kmbox_registry_hash(mbox->name));
	}
	mbox->id = ++kmbox_registry_last_id;
	list_add_tail(&mbox->all_node, &kmbox_registry_all);
	mutex_unlock(&kmbox_registry_lock);
	return 0;
}

/**
 * kmbox_registry_remove_locked() - forget a mailbox whose last reference
 *	is gone
 * @mbox: the mailbox; it may never have been registered
 */
void kmbox_registry_remove_locked(struct kmbox_mailbox *mbox)
{
	lockdep_assert_held(&kmbox_registry_lock);
	list_del_init(&mbox->all_node);
	if (!hlist_unhashed(&mbox->name_node))
		hash_del(&mbox->name_node);
}

/**
 * kmbox_registry_find() - look a mailbox up by name
 * @name: the name
 *
 * Return: the mailbox with a new reference, or NULL.
 */
struct kmbox_mailbox *kmbox_registry_find(const char *name)
{
	struct kmbox_mailbox *mbox;

	mutex_lock(&kmbox_registry_lock);
	mbox = kmbox_registry_find_locked(name);
	if (mbox)
		kmbox_mailbox_get(mbox);
	mutex_unlock(&kmbox_registry_lock);
	return mbox;
}

/**
 * kmbox_registry_unlink() - remove a name; its mailbox lives on unnamed
 * @name: the name
 *
 * Return: 0, -ENOENT, or -EPERM if the caller neither owns the mailbox
 * nor has CAP_SYS_ADMIN.
 */
int kmbox_registry_unlink(const char *name)
{
	struct kmbox_mailbox *mbox;
	int ret = 0;

	mutex_lock(&kmbox_registry_lock);
	mbox = kmbox_registry_find_locked(name);
	if (!mbox) {
		ret = -ENOENT;
	} else if (!kmbox_mailbox_is_owner(mbox)) {
		ret = -EPERM;
	} else {
		hash_del(&mbox->name_node);
		WRITE_ONCE(mbox->unlinked, true);
	}
	mutex_unlock(&kmbox_registry_lock);
	return ret;
}

/**
 * kmbox_registry_is_unlinked() - whether a mailbox's name was removed
 * @mbox: the mailbox
 *
 * Return: true once KMBOX_IOC_UNLINK removed its name.
 */
bool kmbox_registry_is_unlinked(struct kmbox_mailbox *mbox)
{
	return READ_ONCE(mbox->unlinked);
}

/* /proc/driver/kmbox: one line per mailbox, like /proc/sysvipc/msg. */
static void *kmbox_registry_seq_start(struct seq_file *sf, loff_t *pos)
{
	mutex_lock(&kmbox_registry_lock);
	return seq_list_start_head(&kmbox_registry_all, *pos);
}

static void *kmbox_registry_seq_next(struct seq_file *sf, void *v,
				     loff_t *pos)
{
	return seq_list_next(v, &kmbox_registry_all, pos);
}

static void kmbox_registry_seq_stop(struct seq_file *sf, void *v)
{
	mutex_unlock(&kmbox_registry_lock);
}

static int kmbox_registry_seq_show(struct seq_file *sf, void *v)
{
	struct user_namespace *ns = seq_user_ns(sf);
	struct kmbox_mailbox *mbox;

	if (v == &kmbox_registry_all) {
		seq_puts(sf, "      id   uid   gid mode     msgs    bytes max_msgs  max_bytes senders receivers name\n");
		return 0;
	}
	mbox = list_entry(v, struct kmbox_mailbox, all_node);
	mutex_lock(&mbox->lock);
	seq_printf(sf, "%8llu %5u %5u %04o %8llu %8llu %8llu %10llu %7u %9u ",
		   mbox->id, from_kuid_munged(ns, mbox->uid),
		   from_kgid_munged(ns, mbox->gid), mbox->mode,
		   mbox->queue.msgs, mbox->queue.bytes, mbox->max_msgs,
		   mbox->max_bytes, mbox->senders, mbox->receivers);
	mutex_unlock(&mbox->lock);
	/* Names may hold any byte: escape what would break the columns. */
	seq_escape(sf, mbox->name ?: "-", " \t\n\\");
	seq_putc(sf, '\n');
	return 0;
}

static const struct seq_operations kmbox_registry_seq_ops = {
	.start	= kmbox_registry_seq_start,
	.next	= kmbox_registry_seq_next,
	.stop	= kmbox_registry_seq_stop,
	.show	= kmbox_registry_seq_show,
};

/**
 * kmbox_registry_init() - create /proc/driver/kmbox
 *
 * Return: 0 or -ENOMEM.
 */
int kmbox_registry_init(void)
{
	if (!proc_create_seq("driver/kmbox", 0444, NULL,
			     &kmbox_registry_seq_ops))
		return -ENOMEM;
	return 0;
}

/**
 * kmbox_registry_exit() - remove /proc/driver/kmbox
 */
void kmbox_registry_exit(void)
{
	remove_proc_entry("driver/kmbox", NULL);
}
