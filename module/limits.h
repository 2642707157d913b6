/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: module parameters, attribute rules and per-user accounting.
 */
#ifndef _KMBOX_LIMITS_H
#define _KMBOX_LIMITS_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct kmbox_attr;
struct kmbox_user;

/*
 * What a mailbox charges its owner beyond max_bytes and its region: for
 * itself and its name, and for each message slot (a message's header and
 * the rounding of its allocation).  mailbox.c checks they cover the
 * structs; admin-guide.rst gives them to admins.
 */
#define KMBOX_MAILBOX_CHARGE	2048
#define KMBOX_MSG_CHARGE	128

int kmbox_limits_fill_defaults(struct kmbox_attr *attr);
int kmbox_limits_check_attr(const struct kmbox_attr *attr);
u64 kmbox_limits_charge(const struct kmbox_attr *attr);

struct kmbox_user *kmbox_user_charge(u64 bytes, bool privileged);
int kmbox_user_recharge(struct kmbox_user *user, u64 old_bytes, u64 new_bytes,
			bool privileged);
void kmbox_user_uncharge(struct kmbox_user *user, u64 bytes);

#endif /* _KMBOX_LIMITS_H */
