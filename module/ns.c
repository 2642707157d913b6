// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox: the IPC namespaces mailboxes are made in.
 *
 * Names live in IPC namespaces, as POSIX message queue names do.  A module
 * cannot hold an IPC namespace on 6.1 (put_ipc_ns() is not exported), so
 * kmbox knows a namespace by its internal mqueue mount, ipc_ns->mq_mnt,
 * which lives as long as the namespace; mntget() and mntput() are
 * exported on every kernel.  One struct kmbox_ns stands for each
 * namespace kmbox has mailboxes of.  It holds the one mount reference
 * kmbox takes for that namespace and a reference to the user namespace
 * that owns it (where capabilities over its mailboxes count), and it is
 * found through a table keyed by the mount's address; every mailbox
 * made in the namespace holds a reference to it.
 *
 * Holding the mount keeps its superblock, and with it every POSIX queue
 * of the namespace's /dev/mqueue that was not unlinked (their messages,
 * their RLIMIT_MSGQUEUE charge).  That is harmless while the namespace
 * lives, but a mailbox may outlive its namespace (its descriptor passed
 * out, a mapping of its region), so the hold must end when the namespace
 * dies.  A namespace's death is seen on its mqueue superblock:
 * put_ipc_ns() clears s_fs_info (mq_clear_sbinfo()) when the last
 * reference goes.  A worker, the reaper, looks every KMBOX_NS_REAP_DELAY
 * while any live namespace object exists, and for each dead namespace:
 * takes the object out of the table (so that a new namespace whose mount
 * gets the same address gets an object of its own), removes every name
 * of the namespace (nobody can reach them any more; registry.c), and
 * drops the mount.  The object lives on, marked dead, as long as its
 * mailboxes: its address is still their namespace's identity.
 *
 * When the last mailbox of a live namespace goes, its object goes too,
 * and with it the mount reference; a namespace without mailboxes costs
 * kmbox nothing.
 *
 * On a kernel without POSIX message queues every task shares one name
 * space, as before there were namespaces: one object, of mount NULL,
 * owned by the initial user namespace, which never dies.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "ns.h"
#include "registry.h"

/*
 * Protects the table's changes, the list of live namespaces, each
 * object's @dead and the last put.  The reaper runs while the list is
 * not empty.
 */
static DEFINE_SPINLOCK(kmbox_ns_lock);
static LIST_HEAD(kmbox_ns_live);
static struct rhashtable kmbox_ns_table;

/*
 * How often the reaper looks for dead namespaces: what a dead
 * namespace's queues and names may outlive it by.
 */
#define KMBOX_NS_REAP_DELAY	(2 * HZ)

static void kmbox_ns_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(kmbox_ns_reaper, kmbox_ns_reap);

static const struct rhashtable_params kmbox_ns_params = {
	.head_offset		= offsetof(struct kmbox_ns, table_node),
	.key_offset		= offsetof(struct kmbox_ns, mnt),
	.key_len		= sizeof(struct vfsmount *),
	.automatic_shrinking	= true,
};

/* The caller's namespace's mount: the key of the table. */
static struct vfsmount *kmbox_ns_current_mnt(void)
{
#ifdef CONFIG_POSIX_MQUEUE
	return current->nsproxy->ipc_ns->mq_mnt;
#else
	return NULL;
#endif
}

/* The user namespace that owns the caller's IPC namespace. */
static struct user_namespace *kmbox_ns_current_user_ns(void)
{
#ifdef CONFIG_POSIX_MQUEUE
	return current->nsproxy->ipc_ns->user_ns;
#else
	return &init_user_ns;
#endif
}

/* Has the namespace of @ns died?  (See the top of this file.) */
static bool kmbox_ns_died(const struct kmbox_ns *ns)
{
	lockdep_assert_held(&kmbox_ns_lock);
	return ns->mnt && !READ_ONCE(ns->mnt->mnt_sb->s_fs_info);
}

/**
 * kmbox_ns_find_current() - the caller's IPC namespace's object, if any
 *
 * Context: under rcu_read_lock(); the object is only to be compared
 * with a mailbox's, until rcu_read_unlock().
 *
 * Return: the object, or NULL if kmbox has no mailbox of the namespace.
 */
struct kmbox_ns *kmbox_ns_find_current(void)
{
	struct vfsmount *mnt = kmbox_ns_current_mnt();

	return rhashtable_lookup(&kmbox_ns_table, &mnt, kmbox_ns_params);
}

/**
 * kmbox_ns_get_current() - the caller's IPC namespace's object, made if
 *	need be, with a reference
 *
 * Context: process context; may sleep.
 *
 * Return: the object, for kmbox_ns_put(); or ERR_PTR(-ENOMEM).
 */
struct kmbox_ns *kmbox_ns_get_current(void)
{
	struct vfsmount *mnt = kmbox_ns_current_mnt();
	struct kmbox_ns *ns, *new;

	rcu_read_lock();
	ns = rhashtable_lookup(&kmbox_ns_table, &mnt, kmbox_ns_params);
	/* A count of zero: its last put is removing it; make another. */
	if (ns && refcount_inc_not_zero(&ns->ref)) {
		rcu_read_unlock();
		return ns;
	}
	rcu_read_unlock();

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return ERR_PTR(-ENOMEM);
	refcount_set(&new->ref, 1);
	INIT_LIST_HEAD(&new->names);
	/* The caller's namespace holds both while we take our own. */
	new->mnt = mntget(mnt);
	new->user_ns = get_user_ns(kmbox_ns_current_user_ns());

	spin_lock(&kmbox_ns_lock);
	ns = rhashtable_lookup_get_insert_fast(&kmbox_ns_table,
					       &new->table_node,
					       kmbox_ns_params);
	if (!ns) {
		if (list_empty(&kmbox_ns_live))
			schedule_delayed_work(&kmbox_ns_reaper,
					      KMBOX_NS_REAP_DELAY);
		list_add_tail(&new->live_node, &kmbox_ns_live);
		spin_unlock(&kmbox_ns_lock);
		return new;
	}
	/* In the table under the lock: its count is not zero. */
	if (!IS_ERR(ns))
		refcount_inc(&ns->ref);
	spin_unlock(&kmbox_ns_lock);

	/* Another task made it meanwhile, or the table could not grow. */
	mntput(new->mnt);
	put_user_ns(new->user_ns);
	kfree(new);
	return IS_ERR(ns) ? ERR_PTR(-ENOMEM) : ns;
}

/**
 * kmbox_ns_put() - drop a reference; the last one frees the object
 * @ns: the object
 *
 * The last put of a live namespace's object takes it out of the table
 * and drops its mount reference.
 *
 * Context: process context; may sleep when it frees.
 */
void kmbox_ns_put(struct kmbox_ns *ns)
{
	bool dead;

	/* refcount_dec_and_lock(), spelt out so that sparse can follow it. */
	if (refcount_dec_not_one(&ns->ref))
		return;
	spin_lock(&kmbox_ns_lock);
	if (!refcount_dec_and_test(&ns->ref)) {
		spin_unlock(&kmbox_ns_lock);
		return;
	}
	dead = ns->dead;
	if (!dead) {
		rhashtable_remove_fast(&kmbox_ns_table, &ns->table_node,
				       kmbox_ns_params);
		list_del(&ns->live_node);
	}
	spin_unlock(&kmbox_ns_lock);

	WARN_ON_ONCE(!list_empty(&ns->names));
	/* The reaper dropped the mount of a dead one. */
	if (!dead)
		mntput(ns->mnt);
	put_user_ns(ns->user_ns);
	/* kmbox_ns_find_current()'s callers may still compare with it. */
	kfree_rcu(ns, rcu);
}

/*
 * Look for namespaces that died: take each out of the table and the
 * list, remove its names, drop its mount.
 */
static void kmbox_ns_reap(struct work_struct *work)
{
	struct kmbox_ns *ns, *next;
	LIST_HEAD(dead);
	bool again;

	spin_lock(&kmbox_ns_lock);
	list_for_each_entry_safe(ns, next, &kmbox_ns_live, live_node) {
		if (!kmbox_ns_died(ns))
			continue;
		rhashtable_remove_fast(&kmbox_ns_table, &ns->table_node,
				       kmbox_ns_params);
		ns->dead = true;
		/* Ours until we are done; its count is not zero. */
		refcount_inc(&ns->ref);
		list_move_tail(&ns->live_node, &dead);
	}
	again = !list_empty(&kmbox_ns_live);
	spin_unlock(&kmbox_ns_lock);

	list_for_each_entry_safe(ns, next, &dead, live_node) {
		list_del_init(&ns->live_node);
		kmbox_registry_unlink_ns(ns);
		/* Its queues and superblock may go now. */
		mntput(ns->mnt);
		kmbox_ns_put(ns);
	}
	if (again)
		schedule_delayed_work(&kmbox_ns_reaper, KMBOX_NS_REAP_DELAY);
}

/**
 * kmbox_ns_capable() - may the caller override a check on a mailbox
 * @ns: the mailbox's namespace object
 * @cap: the capability, CAP_SYS_ADMIN or CAP_DAC_OVERRIDE
 * @uid: the mailbox's owner
 * @gid: the mailbox's group, or INVALID_GID if it does not matter
 *
 * As for an inode (capable_wrt_inode_uidgid()), the caller must hold
 * the capability in its own user namespace and be able to name the
 * owner (and the group) there; and it must also hold it in the user
 * namespace that owns the mailbox's IPC namespace, as for its POSIX
 * queues.  So a container's root rules the mailboxes of its own IPC
 * namespace whose ids it maps, not the host's; and a plain user who made
 * a container, although it holds every capability in it from outside,
 * holds none in its own namespace and gets no power over its mailboxes.
 *
 * Return: true if it may.
 */
bool kmbox_ns_capable(const struct kmbox_ns *ns, int cap, kuid_t uid,
		      kgid_t gid)
{
	struct user_namespace *mine = current_user_ns();

	if (!kuid_has_mapping(mine, uid))
		return false;
	if (gid_valid(gid) && !kgid_has_mapping(mine, gid))
		return false;
	/* Last: they mark the task as having used a privilege. */
	return ns_capable(mine, cap) && ns_capable(ns->user_ns, cap);
}

/**
 * kmbox_ns_init() - make the table of live namespaces
 *
 * Return: 0 or -ENOMEM.
 */
int kmbox_ns_init(void)
{
	return rhashtable_init(&kmbox_ns_table, &kmbox_ns_params);
}

/**
 * kmbox_ns_stop() - stop the reaper, for good
 *
 * At module exit, before the last mailboxes are freed: nothing can make
 * a namespace object any more, so nothing starts the reaper again.
 */
void kmbox_ns_stop(void)
{
	cancel_delayed_work_sync(&kmbox_ns_reaper);
}

/**
 * kmbox_ns_exit() - destroy the table of live namespaces
 *
 * Every mailbox is gone, and with them every namespace object.
 */
void kmbox_ns_exit(void)
{
	kmbox_ns_stop();
	WARN_ON(!list_empty(&kmbox_ns_live));
	rhashtable_destroy(&kmbox_ns_table);
}
