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

int kmbox_limits_fill_defaults(struct kmbox_attr *attr);
int kmbox_limits_check_attr(const struct kmbox_attr *attr);

struct kmbox_user *kmbox_user_charge(kuid_t uid, u64 bytes, bool privileged);
int kmbox_user_recharge(struct kmbox_user *user, u64 old_bytes, u64 new_bytes,
			bool privileged);
void kmbox_user_uncharge(struct kmbox_user *user, u64 bytes);

#endif /* _KMBOX_LIMITS_H */
