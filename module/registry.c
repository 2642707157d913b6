// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the registry of every mailbox and the table of names.
 *
 * Every mailbox is on one list, for /proc/driver/kmbox, and a named one is
 * also in a resizable hash table of names (rhashtable), so that a lookup
 * costs the same with ten names or a hundred thousand.  Opening by name
 * looks the table up under RCU and takes no global lock; creating,
 * unlinking and the last put of a mailbox take kmbox_registry_lock, a
 * spinlock held only for a few table and list operations.  The last put
 * (refcount_dec_and_lock() in mailbox.c) removes the mailbox under that
 * lock, so a lookup under the lock never finds a mailbox whose count is
 * zero; one under RCU may, and then fails to take a reference, as if the
 * name had gone a moment earlier.  A mailbox is freed an RCU grace
 * period after its last put.
 *
 * Names live in IPC namespaces, as POSIX message queues do: a name is
 * seen only from the IPC namespace of the task that created it.  The key
 * of the name table is the namespace's object (struct kmbox_ns, ns.c),
 * which every mailbox holds, and the name; a lookup finds the caller's
 * namespace's object first, under RCU.  When a namespace dies, ns.c's
 * reaper has every name of it removed (kmbox_registry_unlink_ns()):
 * nobody can reach them any more.  Descriptors keep working wherever
 * they are passed.
 *
 * A name does not keep its mailbox alive: the mailbox leaves the table
 * when its last file goes, or earlier by KMBOX_IOC_UNLINK.  The name of a
 * persistent mailbox (KMBOX_ATTR_PERSISTENT) does: it holds a reference
 * until it is unlinked, as a POSIX message queue lives until mq_unlink().
 * Persistent mailboxes are also on a list of their own, so that at rmmod
 * whatever persistent mailboxes are left are unlinked and freed, as the
 * queues of /dev/mqueue go at reboot.  Those of a namespace that dies go
 * with its other names, by the reaper.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "mailbox.h"
#include "ns.h"
#include "registry.h"

/*
 * Protects the lists (also each namespace's list of names), the name
 * table's changes, the ids and the last put.
 */
DEFINE_SPINLOCK(kmbox_registry_lock);
static LIST_HEAD(kmbox_registry_all);
static LIST_HEAD(kmbox_registry_persistent);
static struct rhashtable kmbox_registry_names;
static u64 kmbox_registry_last_id;

/* A name in a namespace: the key of the name table. */
struct kmbox_name_key {
	const struct kmbox_ns *ns;
	const char *name;
};

static u32 kmbox_name_hash(const struct kmbox_ns *ns, const char *name,
			   u32 seed)
{
	return jhash(name, strlen(name), seed ^ hash_ptr(ns, 32));
}

static u32 kmbox_names_hashfn(const void *data, u32 len, u32 seed)
{
	const struct kmbox_name_key *key = data;

	return kmbox_name_hash(key->ns, key->name, seed);
}

static u32 kmbox_names_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct kmbox_mailbox *mbox = data;

	return kmbox_name_hash(mbox->ns, mbox->name, seed);
}

static int kmbox_names_cmpfn(struct rhashtable_compare_arg *arg,
			     const void *obj)
{
	const struct kmbox_name_key *key = arg->key;
	const struct kmbox_mailbox *mbox = obj;

	return mbox->ns != key->ns || strcmp(mbox->name, key->name);
}

static const struct rhashtable_params kmbox_names_params = {
	.head_offset		= offsetof(struct kmbox_mailbox, name_node),
	.hashfn			= kmbox_names_hashfn,
	.obj_hashfn		= kmbox_names_obj_hashfn,
	.obj_cmpfn		= kmbox_names_cmpfn,
	.automatic_shrinking	= true,
};

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

/**
 * kmbox_registry_add() - give a new mailbox its id, and its name if any
 * @mbox: a mailbox made by kmbox_mailbox_new(), not yet registered
 * @existing: where to return the mailbox that holds the name already
 *
 * Return: 0; -EEXIST with a reference to that mailbox in *@existing; or
 * -ENOMEM when the name table could not grow.  On error @mbox is not
 * registered (drop it with kmbox_mailbox_put()).
 */
int kmbox_registry_add(struct kmbox_mailbox *mbox,
		       struct kmbox_mailbox **existing)
{
	struct kmbox_name_key key = { .ns = mbox->ns, .name = mbox->name };
	struct kmbox_mailbox *other;

	spin_lock(&kmbox_registry_lock);
	/*
	 * The id first: once in the table, the mailbox can be found and
	 * opened by name under RCU, before this lock is dropped.
	 */
	mbox->id = ++kmbox_registry_last_id;
	if (mbox->name) {
		other = rhashtable_lookup_get_insert_key(&kmbox_registry_names,
							 &key, &mbox->name_node,
							 kmbox_names_params);
		if (IS_ERR(other)) {
			spin_unlock(&kmbox_registry_lock);
			/* Marks @mbox as not in the table for its last put. */
			mbox->unlinked = true;
			return -ENOMEM;
		}
		if (other) {
			/* Its count is not zero: that last put needs our lock. */
			kmbox_mailbox_get(other);
			spin_unlock(&kmbox_registry_lock);
			mbox->unlinked = true;
			*existing = other;
			return -EEXIST;
		}
	}
	list_add_tail_rcu(&mbox->all_node, &kmbox_registry_all);
	if (mbox->name)
		list_add_tail(&mbox->ns_node, &mbox->ns->names);
	if (mbox->attr_flags & KMBOX_ATTR_PERSISTENT) {
		/* The name's reference, until it is unlinked. */
		kmbox_mailbox_get(mbox);
		list_add_tail(&mbox->persist_node, &kmbox_registry_persistent);
	}
	spin_unlock(&kmbox_registry_lock);
	return 0;
}

/*
 * Take the name of @mbox out of the table, if it is still there.  Returns
 * true if the caller now holds the reference a persistent name had.
 */
static bool kmbox_registry_unname_locked(struct kmbox_mailbox *mbox)
{
	lockdep_assert_held(&kmbox_registry_lock);
	rhashtable_remove_fast(&kmbox_registry_names, &mbox->name_node,
			       kmbox_names_params);
	list_del_init(&mbox->ns_node);
	WRITE_ONCE(mbox->unlinked, true);
	if (!(mbox->attr_flags & KMBOX_ATTR_PERSISTENT))
		return false;
	list_del(&mbox->persist_node);
	return true;
}

/**
 * kmbox_registry_remove_locked() - forget a mailbox whose last reference
 *	is gone
 * @mbox: the mailbox; it may never have been registered
 */
void kmbox_registry_remove_locked(struct kmbox_mailbox *mbox)
{
	lockdep_assert_held(&kmbox_registry_lock);
	/*
	 * Not in the list: kmbox_registry_add() was not reached (a CREATE
	 * that failed making its descriptor) or failed; nor is the name in
	 * the table, whatever @unlinked says.
	 */
	if (list_empty(&mbox->all_node))
		return;
	list_del_rcu(&mbox->all_node);
	if (mbox->name && !mbox->unlinked) {
		rhashtable_remove_fast(&kmbox_registry_names, &mbox->name_node,
				       kmbox_names_params);
		list_del(&mbox->ns_node);
	}
}

/**
 * kmbox_registry_find() - look a name up in the caller's IPC namespace
 * @name: the name
 *
 * Takes no lock but RCU's.
 *
 * Return: the mailbox with a new reference, or NULL.
 */
struct kmbox_mailbox *kmbox_registry_find(const char *name)
{
	struct kmbox_name_key key = { .name = name };
	struct kmbox_mailbox *mbox = NULL;

	rcu_read_lock();
	/* No object: kmbox has no mailbox, so no name, of this namespace. */
	key.ns = kmbox_ns_find_current();
	if (key.ns)
		mbox = rhashtable_lookup(&kmbox_registry_names, &key,
					 kmbox_names_params);
	/* A count of zero: its last put is removing it; the name is gone. */
	if (mbox && !refcount_inc_not_zero(&mbox->ref))
		mbox = NULL;
	rcu_read_unlock();
	return mbox;
}

/**
 * kmbox_registry_unlink() - remove a name; its mailbox lives on unnamed
 * @name: the name, in the caller's IPC namespace
 *
 * Return: 0, -ENOENT, or -EPERM if the caller neither owns the mailbox
 * nor has CAP_SYS_ADMIN.
 */
int kmbox_registry_unlink(const char *name)
{
	struct kmbox_mailbox *mbox;
	bool put_name = false;
	int ret = 0;

	mbox = kmbox_registry_find(name);
	if (!mbox)
		return -ENOENT;
	if (!kmbox_mailbox_is_owner(mbox)) {
		ret = -EPERM;
		goto out_put;
	}
	spin_lock(&kmbox_registry_lock);
	if (mbox->unlinked)
		ret = -ENOENT;		/* another unlink got there first */
	else if (kmbox_registry_unname_locked(mbox))
		put_name = true;
	spin_unlock(&kmbox_registry_lock);
	if (put_name)
		kmbox_mailbox_put(mbox);
out_put:
	kmbox_mailbox_put(mbox);
	return ret;
}

/*
 * Drop the references of persistent names that were removed: @gone
 * lists their mailboxes by persist_node.  Returns how many.
 */
static unsigned int kmbox_registry_put_names(struct list_head *gone)
{
	struct kmbox_mailbox *mbox, *next;
	unsigned int n = 0;

	/* Which may be their last. */
	list_for_each_entry_safe(mbox, next, gone, persist_node) {
		kmbox_mailbox_put(mbox);
		n++;
	}
	return n;
}

/**
 * kmbox_registry_unlink_ns() - remove every name of a dead IPC namespace
 * @ns: the namespace, which no task can be in any more
 *
 * As KMBOX_IOC_UNLINK would for each: a persistent mailbox loses its
 * name's reference (and goes if no descriptor or mapping holds it), the
 * others live on unnamed while their descriptors do.
 *
 * Context: process context; may sleep.
 */
void kmbox_registry_unlink_ns(struct kmbox_ns *ns)
{
	struct kmbox_mailbox *mbox, *next;
	LIST_HEAD(gone);

	spin_lock(&kmbox_registry_lock);
	list_for_each_entry_safe(mbox, next, &ns->names, ns_node) {
		if (kmbox_registry_unname_locked(mbox))
			list_add(&mbox->persist_node, &gone);
	}
	spin_unlock(&kmbox_registry_lock);
	kmbox_registry_put_names(&gone);
}

/**
 * kmbox_registry_is_unlinked() - whether a mailbox's name was removed
 * @mbox: the mailbox
 *
 * Return: true once KMBOX_IOC_UNLINK removed its name.
 */
bool kmbox_registry_is_unlinked(struct kmbox_mailbox *mbox)
{
	return mbox->name && READ_ONCE(mbox->unlinked);
}

/*
 * /proc/driver/kmbox: one line per mailbox of the reader's IPC namespace,
 * like /proc/sysvipc/msg.  It walks the list under RCU and reads each
 * figure with READ_ONCE: a reader never waits for a mailbox, and never
 * holds up anyone else.  The reader's namespace object (NULL if kmbox
 * has none: then no mailbox is listed) is looked up once per walk, kept
 * in the seq_file's private pointer, and only compared.
 */
static void *kmbox_registry_seq_start(struct seq_file *sf, loff_t *pos)
	__acquires(RCU)
{
	rcu_read_lock();
	sf->private = kmbox_ns_find_current();
	return seq_list_start_head_rcu(&kmbox_registry_all, *pos);
}

static void *kmbox_registry_seq_next(struct seq_file *sf, void *v,
				     loff_t *pos)
{
	return seq_list_next_rcu(v, &kmbox_registry_all, pos);
}

static void kmbox_registry_seq_stop(struct seq_file *sf, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
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
	if (mbox->ns != sf->private)
		return 0;
	seq_printf(sf, "%8llu %5u %5u %04o %8llu %8llu %8llu %10llu %7u %9u ",
		   mbox->id, from_kuid_munged(ns, mbox->uid),
		   from_kgid_munged(ns, mbox->gid), READ_ONCE(mbox->mode),
		   READ_ONCE(mbox->held_msgs), READ_ONCE(mbox->held_bytes),
		   READ_ONCE(mbox->max_msgs), READ_ONCE(mbox->max_bytes),
		   READ_ONCE(mbox->senders), READ_ONCE(mbox->receivers));
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
 * kmbox_registry_init() - make the name table and /proc/driver/kmbox
 *
 * Return: 0 or -ENOMEM.
 */
int kmbox_registry_init(void)
{
	int ret;

	ret = rhashtable_init(&kmbox_registry_names, &kmbox_names_params);
	if (ret)
		return ret;
	if (!proc_create_seq("driver/kmbox", 0444, NULL,
			     &kmbox_registry_seq_ops)) {
		rhashtable_destroy(&kmbox_registry_names);
		return -ENOMEM;
	}
	return 0;
}

/**
 * kmbox_registry_exit() - remove the persistent mailboxes left,
 *	/proc/driver/kmbox and the name table
 *
 * No file is left (each holds the module), so the names' references are
 * the last of the persistent mailboxes: unlinking frees them.
 */
void kmbox_registry_exit(void)
{
	struct kmbox_mailbox *mbox, *next;
	LIST_HEAD(gone);
	unsigned int n;

	spin_lock(&kmbox_registry_lock);
	list_for_each_entry_safe(mbox, next, &kmbox_registry_persistent,
				 persist_node) {
		kmbox_registry_unname_locked(mbox);
		list_add(&mbox->persist_node, &gone);
	}
	spin_unlock(&kmbox_registry_lock);
	n = kmbox_registry_put_names(&gone);
	if (n)
		pr_info("unloaded: removed %u persistent mailbox%s\n", n,
			n == 1 ? "" : "es");
	remove_proc_entry("driver/kmbox", NULL);
	/* Mailboxes are freed after a grace period; wait for the last. */
	rcu_barrier();
	rhashtable_destroy(&kmbox_registry_names);
}
