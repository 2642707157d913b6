/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: the registry of every mailbox and the table of names.
 */
#ifndef _KMBOX_REGISTRY_H
#define _KMBOX_REGISTRY_H

#include <linux/spinlock.h>
#include <linux/types.h>

struct kmbox_mailbox;
struct kmbox_ns;

extern spinlock_t kmbox_registry_lock;

char *kmbox_registry_name_from_user(u64 uname);
int kmbox_registry_add(struct kmbox_mailbox *mbox,
		       struct kmbox_mailbox **existing);
void kmbox_registry_remove_locked(struct kmbox_mailbox *mbox);
struct kmbox_mailbox *kmbox_registry_find(const char *name);
int kmbox_registry_unlink(const char *name);
void kmbox_registry_unlink_ns(struct kmbox_ns *ns);
bool kmbox_registry_is_unlinked(struct kmbox_mailbox *mbox);
int kmbox_registry_init(void);
void kmbox_registry_exit(void);

#endif /* _KMBOX_REGISTRY_H */
