/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox: messages through a mailbox file.
 */
#ifndef _KMBOX_MAILBOX_IO_H
#define _KMBOX_MAILBOX_IO_H

#include <linux/types.h>

struct file;

ssize_t kmbox_io_write(struct file *file, const char __user *buf, size_t len);
ssize_t kmbox_io_read(struct file *file, char __user *buf, size_t len);
long kmbox_io_send(struct file *file, unsigned int cmd, unsigned long arg);
long kmbox_io_recv(struct file *file, unsigned int cmd, unsigned long arg);
long kmbox_io_sendv(struct file *file, unsigned int cmd, unsigned long arg);
long kmbox_io_recvv(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _KMBOX_MAILBOX_IO_H */
