/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: mailbox file descriptors.
 */
#ifndef _KMBOX_MAILBOX_FILE_H
#define _KMBOX_MAILBOX_FILE_H

#include <linux/types.h>

struct file;
struct kmbox_mailbox;

int kmbox_mailbox_file_prepare(struct kmbox_mailbox *mbox, u32 flags,
			       struct file **filep);
void kmbox_mailbox_file_commit(int fd, struct file *file);
void kmbox_mailbox_file_abort(int fd, struct file *file);
int kmbox_mailbox_file_install(struct kmbox_mailbox *mbox, u32 flags);
struct kmbox_mailbox *kmbox_mailbox_file_mbox(struct file *file);

#endif /* _KMBOX_MAILBOX_FILE_H */
