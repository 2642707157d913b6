/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the IPC namespaces mailboxes are made in.
 */
#ifndef _KMBOX_NS_H
#define _KMBOX_NS_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct user_namespace;
struct vfsmount;

/**
 * struct kmbox_ns - an IPC namespace that mailboxes were made in
 * @ref: one per mailbox made in the namespace, and one per transient
 *	user (the reaper); the last put takes kmbox_ns_lock, so a lookup
 *	under that lock never finds an object whose count is zero
 * @mnt: the namespace's internal mqueue mount (NULL on a kernel without
 *	POSIX message queues): the key of the table of live namespaces,
 *	held (mntget()) until @dead, never touched after; never changes
 * @user_ns: the user namespace that owns the IPC namespace (a
 *	reference), for capability checks; never changes
 * @table_node: link in the table of live namespaces, keyed by @mnt
 * @live_node: link in the list of live namespaces, which the reaper
 *	walks (or in the reaper's own list while it reaps this one)
 * @names: the mailboxes of the namespace whose name is in the name table
 *	(struct kmbox_mailbox's @ns_node)
 * @dead: the namespace died: out of the table and the list, its mount
 *	released or being released by the reaper
 * @rcu: frees the object after lockless readers of the table are done
 *
 * The object's address is the namespace's identity for kmbox: the name
 * table's key and /proc/driver/kmbox's filter compare it.  It stays
 * unique while a mailbox refers to it, and a dead object is never found
 * again, so a new namespace whose mount takes the address of a dead
 * one's gets an object of its own.
 *
 * Locking: kmbox_ns_lock (ns.c), a spinlock, protects @table_node,
 * @live_node, @dead and the last put; the table is looked up under RCU.
 * kmbox_registry_lock (registry.c) protects @names.  kmbox_ns_lock is
 * never held with another kmbox lock, and nothing under it sleeps: the
 * mount is released (mntput() may sleep) after it is dropped.
 */
struct kmbox_ns {
	refcount_t ref;
	struct vfsmount *mnt;
	struct user_namespace *user_ns;
	struct rhash_head table_node;
	struct list_head live_node;
	struct list_head names;
	bool dead;
	struct rcu_head rcu;
};

struct kmbox_ns *kmbox_ns_get_current(void);
struct kmbox_ns *kmbox_ns_find_current(void);
void kmbox_ns_put(struct kmbox_ns *ns);
bool kmbox_ns_capable(const struct kmbox_ns *ns, int cap, kuid_t uid,
		      kgid_t gid);
int kmbox_ns_init(void);
void kmbox_ns_stop(void);
void kmbox_ns_exit(void);

#endif /* _KMBOX_NS_H */
