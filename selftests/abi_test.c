// SPDX-License-Identifier: GPL-2.0
/*
 * ABI hygiene of every mailbox ioctl: unknown flags and non-zero padding
 * are EINVAL; a longer struct is accepted with a zero tail (E2BIG
 * otherwise) and a longer output struct gets its tail cleared; a shorter
 * struct is EINVAL; bad argument pointers are EFAULT; a command on the
 * wrong kind of descriptor, an unknown number or a wrong direction is
 * ENOTTY; a bad descriptor is EBADF.
 */
#include <stddef.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

/* @cmd with its size field set to @size. */
static unsigned int resize(unsigned int cmd, unsigned int size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

/* @cmd with its direction bits set to @dir. */
static unsigned int redirect(unsigned int cmd, unsigned int dir)
{
	return _IOC(dir, _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd));
}

static int dev_open(void)
{
	return open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
}

/* The layout is the ABI: the same on 32-bit and 64-bit. */
TEST(struct_layout)
{
	EXPECT_EQ(16, sizeof(struct kmbox_version));
	EXPECT_EQ(64, sizeof(struct kmbox_attr));
	EXPECT_EQ(80, sizeof(struct kmbox_create));
	EXPECT_EQ(16, sizeof(struct kmbox_open));
	EXPECT_EQ(16, sizeof(struct kmbox_unlink));
	EXPECT_EQ(64, sizeof(struct kmbox_msg));
	EXPECT_EQ(408, sizeof(struct kmbox_stat));
	EXPECT_EQ(16, offsetof(struct kmbox_create, attr));
	EXPECT_EQ(32, offsetof(struct kmbox_msg, msg_len));
	EXPECT_EQ(56, offsetof(struct kmbox_msg, sender_pid));
	EXPECT_EQ(112, offsetof(struct kmbox_stat, region_size));
	EXPECT_EQ(120, offsetof(struct kmbox_stat, mappings));
	EXPECT_EQ(128, offsetof(struct kmbox_stat, ring_producers));
	EXPECT_EQ(132, offsetof(struct kmbox_stat, ring_consumers));
	EXPECT_EQ(136, offsetof(struct kmbox_stat, charge));
	EXPECT_EQ(144, offsetof(struct kmbox_stat, reserved));
	EXPECT_EQ(152, offsetof(struct kmbox_stat, name));
	EXPECT_EQ(8, sizeof(struct kmbox_ring_join));
	EXPECT_EQ(24, sizeof(struct kmbox_ring_wait));
	EXPECT_EQ(8, offsetof(struct kmbox_ring_wait, value));
	EXPECT_EQ(12, offsetof(struct kmbox_ring_wait, flags));
	EXPECT_EQ(16, offsetof(struct kmbox_ring_wait, timeout_ns));
	EXPECT_EQ(0xDA, _IOC_TYPE(KMBOX_IOC_CREATE));
	/* The ring's command numbers, as released. */
	EXPECT_EQ(0x4008DA18u, KMBOX_IOC_RING_JOIN);
	EXPECT_EQ(0x4018DA19u, KMBOX_IOC_RING_WAIT);
	EXPECT_EQ(0x0000DA1Au, KMBOX_IOC_RING_WAKE);
	EXPECT_EQ(1, KMBOX_RING_PRODUCER);
	EXPECT_EQ(2, KMBOX_RING_CONSUMER);
}

/* One ioctl each: which descriptor it needs and its argument size. */
FIXTURE(ioc) {
	int dev;
	int mbox;
	char *buf;		/* a zeroed argument, large enough */
};

FIXTURE_VARIANT(ioc) {
	unsigned int cmd;
	int on_mbox;
};

FIXTURE_VARIANT_ADD(ioc, create) {
	.cmd = KMBOX_IOC_CREATE, .on_mbox = 0,
};

FIXTURE_VARIANT_ADD(ioc, open) {
	.cmd = KMBOX_IOC_OPEN, .on_mbox = 0,
};

FIXTURE_VARIANT_ADD(ioc, unlink) {
	.cmd = KMBOX_IOC_UNLINK, .on_mbox = 0,
};

FIXTURE_VARIANT_ADD(ioc, send) {
	.cmd = KMBOX_IOC_SEND, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, recv) {
	.cmd = KMBOX_IOC_RECV, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, get_attr) {
	.cmd = KMBOX_IOC_GET_ATTR, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, set_attr) {
	.cmd = KMBOX_IOC_SET_ATTR, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, stat) {
	.cmd = KMBOX_IOC_STAT, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, sendv) {
	.cmd = KMBOX_IOC_SENDV, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, recvv) {
	.cmd = KMBOX_IOC_RECVV, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, ring_join) {
	.cmd = KMBOX_IOC_RING_JOIN, .on_mbox = 1,
};

FIXTURE_VARIANT_ADD(ioc, ring_wait) {
	.cmd = KMBOX_IOC_RING_WAIT, .on_mbox = 1,
};

FIXTURE_SETUP(ioc)
{
	self->dev = dev_open();
	ASSERT_GE(self->dev, 0);
	/* Non-blocking, so that a receive that got through cannot hang. */
	self->mbox = kmbox_test_create(NULL, NULL, KMBOX_NONBLOCK);
	ASSERT_GE(self->mbox, 0);
	self->buf = calloc(1, 4096);
	ASSERT_TRUE(self->buf != NULL);
}

FIXTURE_TEARDOWN(ioc)
{
	free(self->buf);
	close(self->mbox);
	close(self->dev);
}

/* The descriptor the command is for, and the other kind. */
#define RIGHT_FD	(variant->on_mbox ? self->mbox : self->dev)
#define WRONG_FD	(variant->on_mbox ? self->dev : self->mbox)

TEST_F(ioc, null_pointer_efault)
{
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(RIGHT_FD,
					    variant->cmd, NULL));
}

TEST_F(ioc, unmapped_pointer_efault)
{
	void *p = kmbox_test_unmapped();

	ASSERT_TRUE(p != NULL);
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(RIGHT_FD,
					    variant->cmd, p));
}

TEST_F(ioc, kernel_pointer_efault)
{
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(RIGHT_FD, variant->cmd,
					    kmbox_test_kernel_ptr()));
}

/* The struct's last byte lies in a PROT_NONE page. */
TEST_F(ioc, guard_page_efault)
{
	void *p = kmbox_test_guarded(_IOC_SIZE(variant->cmd) - 1);

	ASSERT_TRUE(p != NULL);
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(RIGHT_FD,
					    variant->cmd, p));
}

/* A struct shorter than the first version: EINVAL. */
TEST_F(ioc, shorter_struct_einval)
{
	unsigned int size = _IOC_SIZE(variant->cmd);

	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(RIGHT_FD,
			resize(variant->cmd, size - 8), self->buf));
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(RIGHT_FD,
			resize(variant->cmd, 4), self->buf));
}

/* The same number with other direction bits is another command. */
TEST_F(ioc, wrong_direction_enotty)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned int i, dir = _IOC_DIR(variant->cmd);

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (dirs[i] == dir)
			continue;
		EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(RIGHT_FD,
				redirect(variant->cmd, dirs[i]), self->buf)) {
			TH_LOG("direction %u", dirs[i]);
		}
	}
}

/* Mailbox commands on /dev/kmbox and /dev/kmbox commands on a mailbox. */
TEST_F(ioc, wrong_descriptor_enotty)
{
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(WRONG_FD,
					    variant->cmd, self->buf));
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(WRONG_FD,
					    variant->cmd, NULL));
}

/* Another type byte is not kmbox's. */
TEST_F(ioc, wrong_type_enotty)
{
	unsigned int cmd = _IOC(_IOC_DIR(variant->cmd), KMBOX_IOC_MAGIC + 1,
				_IOC_NR(variant->cmd),
				_IOC_SIZE(variant->cmd));

	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(RIGHT_FD, cmd,
					    self->buf));
}

TEST_F(ioc, bad_fd_ebadf)
{
	int fd = dup(RIGHT_FD);

	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(-EBADF, kmbox_test_ioctl(fd, variant->cmd, self->buf));
	EXPECT_EQ(-EBADF, kmbox_test_ioctl(-1, variant->cmd, self->buf));
}

/* Mailbox-only commands: VERSION on a mailbox is ENOTTY as well. */
TEST(version_on_mailbox_enotty)
{
	struct kmbox_version v;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd, KMBOX_IOC_VERSION, &v));
	close(fd);
}

TEST(shutdown_on_dev_enotty)
{
	int dev = dev_open();

	ASSERT_GE(dev, 0);
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(dev, KMBOX_IOC_SHUTDOWN, NULL));
	close(dev);
}

TEST(mailbox_unknown_nr_enotty)
{
	static const unsigned int nrs[] = { 0x01, 0x0f, 0x1b, 0x1f, 0x20,
					    0x7f, 0xff };
	struct kmbox_stat st;
	unsigned int i;
	int fd = kmbox_test_create(NULL, NULL, KMBOX_NONBLOCK);

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		memset(&st, 0, sizeof(st));
		EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd,
			_IOR(KMBOX_IOC_MAGIC, nrs[i], struct kmbox_stat), &st));
		EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd,
			_IOW(KMBOX_IOC_MAGIC, nrs[i], struct kmbox_stat), &st));
		EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd,
			_IO(KMBOX_IOC_MAGIC, nrs[i]), NULL)) {
			TH_LOG("nr %#x", nrs[i]);
		}
	}
	close(fd);
}

TEST(mailbox_terminal_ioctl_enotty)
{
	struct termios t;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd, TCGETS, &t));
	EXPECT_FALSE(isatty(fd));
	close(fd);
}

/* SHUTDOWN is _IO: any direction or size is another command. */
TEST(shutdown_wrong_encoding_enotty)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	static const unsigned int sizes[] = { 0, 1, 4, 8, 64 };
	unsigned int nr = _IOC_NR(KMBOX_IOC_SHUTDOWN), i, j;
	struct kmbox_stat st;
	__u64 buf[8] = { 0 };
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			if (dirs[i] == _IOC_NONE && sizes[j] == 0)
				continue;
			EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd,
				_IOC(dirs[i], KMBOX_IOC_MAGIC, nr, sizes[j]),
				buf)) {
				TH_LOG("dir %u size %u", dirs[i], sizes[j]);
			}
		}
	}
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.state & KMBOX_STATE_SHUTDOWN);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_SHUTDOWN, st.state & KMBOX_STATE_SHUTDOWN);
	close(fd);
}

TEST(ring_wake_on_dev_enotty)
{
	int dev = dev_open();

	ASSERT_GE(dev, 0);
	EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(dev, KMBOX_IOC_RING_WAKE, NULL));
	close(dev);
}

/* RING_WAKE is _IO: any direction or size is another command. */
TEST(ring_wake_wrong_encoding_enotty)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	static const unsigned int sizes[] = { 0, 1, 4, 8, 64 };
	unsigned int nr = _IOC_NR(KMBOX_IOC_RING_WAKE), i, j;
	struct kmbox_ring_join join = { .side = KMBOX_RING_PRODUCER };
	__u64 buf[8] = { 0 };
	int fd = kmbox_test_create_region(NULL, sysconf(_SC_PAGESIZE), 0);

	ASSERT_GE(fd, 0);
	/* Joined, so that the real command would succeed. */
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &join));
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			if (dirs[i] == _IOC_NONE && sizes[j] == 0)
				continue;
			EXPECT_EQ(-ENOTTY, kmbox_test_ioctl(fd,
				_IOC(dirs[i], KMBOX_IOC_MAGIC, nr, sizes[j]),
				buf)) {
				TH_LOG("dir %u size %u", dirs[i], sizes[j]);
			}
		}
	}
	EXPECT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_RING_WAKE, NULL));
	close(fd);
}

/* --- KMBOX_IOC_CREATE --------------------------------------------- */

FIXTURE(abi) {
	int dev;
	char name[64];
};

FIXTURE_SETUP(abi)
{
	self->dev = dev_open();
	ASSERT_GE(self->dev, 0);
	kmbox_test_name(self->name, sizeof(self->name), "abi");
}

FIXTURE_TEARDOWN(abi)
{
	close(self->dev);
}

static __u64 uptr(const void *p)
{
	return (__u64)(unsigned long)p;
}

TEST_F(abi, create_unknown_flags_einval)
{
	struct kmbox_create c = { .name = uptr(self->name) };
	unsigned int bit;

	for (bit = 6; bit < 32; bit++) {
		c.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev,
					KMBOX_IOC_CREATE, &c)) {
			TH_LOG("flag %#x", c.flags);
		}
	}
	/* KMBOX_NOROLE is no role: with a role, EINVAL. */
	c.flags = KMBOX_NOROLE | KMBOX_SEND;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	c.flags = KMBOX_NOROLE | KMBOX_RECV;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	c.flags = KMBOX_SEND | KMBOX_EXCL | (1u << 31);
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	c.name = 0;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	/* Nothing was made. */
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

TEST_F(abi, create_pad_einval)
{
	struct kmbox_create c = { .name = uptr(self->name), .pad = 1 };

	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	c.pad = 0x80000000;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	c.name = 0;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_CREATE, &c));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

struct create_big {
	struct kmbox_create c;
	__u64 tail[4];
};

TEST_F(abi, create_longer_zero_tail)
{
	struct create_big big = { .c.name = uptr(self->name),
				  .c.attr.max_msgs = 5 };
	struct kmbox_attr a;
	int fd;

	fd = kmbox_test_ioctl(self->dev, resize(KMBOX_IOC_CREATE,
						sizeof(big)), &big);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(5, a.max_msgs);
	close(fd);
}

TEST_F(abi, create_longer_nonzero_tail_e2big)
{
	struct create_big big = { .c.name = uptr(self->name) };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(big.tail); i++) {
		memset(big.tail, 0, sizeof(big.tail));
		big.tail[i] = 1ull << (i * 8);
		EXPECT_EQ(-E2BIG, kmbox_test_ioctl(self->dev,
				resize(KMBOX_IOC_CREATE, sizeof(big)), &big));
	}
	/* Even a single byte past the known struct. */
	memset(big.tail, 0, sizeof(big.tail));
	((char *)big.tail)[0] = 1;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(self->dev,
			resize(KMBOX_IOC_CREATE, sizeof(big.c) + 1), &big));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
}

/* --- KMBOX_IOC_OPEN and KMBOX_IOC_UNLINK -------------------------- */

TEST_F(abi, open_unknown_flags_einval)
{
	struct kmbox_open o = { .name = uptr(self->name) };
	unsigned int bit;
	int fd;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	o.flags = KMBOX_EXCL;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_OPEN, &o));
	o.flags = KMBOX_EXCL | KMBOX_SEND;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_OPEN, &o));
	for (bit = 6; bit < 32; bit++) {
		o.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev,
					KMBOX_IOC_OPEN, &o)) {
			TH_LOG("flag %#x", o.flags);
		}
	}
	o.flags = KMBOX_NOROLE | KMBOX_SEND | KMBOX_RECV;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_OPEN, &o));
	close(fd);
}

TEST_F(abi, open_pad_einval)
{
	struct kmbox_open o = { .name = uptr(self->name), .pad = 1 };
	int fd;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_OPEN, &o));
	close(fd);
}

TEST_F(abi, open_longer)
{
	struct {
		struct kmbox_open o;
		__u64 tail[2];
	} big = { .o.name = uptr(self->name) };
	unsigned int cmd = resize(KMBOX_IOC_OPEN, sizeof(big));
	int fd, fd2;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	fd2 = kmbox_test_ioctl(self->dev, cmd, &big);
	ASSERT_GE(fd2, 0);
	close(fd2);
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(self->dev, cmd, &big));
	close(fd);
}

TEST_F(abi, unlink_flags_einval)
{
	struct kmbox_unlink u = { .name = uptr(self->name) };
	unsigned int bit;
	int fd;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	for (bit = 0; bit < 32; bit++) {
		u.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev,
					KMBOX_IOC_UNLINK, &u)) {
			TH_LOG("flag %#x", u.flags);
		}
	}
	u.flags = 0;
	u.pad = 1;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(self->dev, KMBOX_IOC_UNLINK, &u));
	/* The name is still there. */
	u.pad = 0;
	EXPECT_EQ(0, kmbox_test_ioctl(self->dev, KMBOX_IOC_UNLINK, &u));
	close(fd);
}

TEST_F(abi, unlink_longer)
{
	struct {
		struct kmbox_unlink u;
		__u64 tail[2];
	} big = { .u.name = uptr(self->name) };
	unsigned int cmd = resize(KMBOX_IOC_UNLINK, sizeof(big));
	int fd;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	big.tail[0] = 1;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(self->dev, cmd, &big));
	big.tail[0] = 0;
	EXPECT_EQ(0, kmbox_test_ioctl(self->dev, cmd, &big));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, 0));
	close(fd);
}

/* --- KMBOX_IOC_SEND and KMBOX_IOC_RECV ----------------------------- */

TEST_F(abi, send_unknown_flags_einval)
{
	char c = 'x';
	unsigned int bit;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	for (bit = 5; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, kmbox_test_send(fd, &c, 1, 0,
				KMBOX_DONTWAIT | (1u << bit))) {
			TH_LOG("flag %#x", 1u << bit);
		}
	}
	/* PEEK means nothing to a sender. */
	EXPECT_EQ(-EINVAL, kmbox_test_send(fd, &c, 1, 0, KMBOX_PEEK));
	EXPECT_EQ(0, kmbox_test_queued(fd));
	close(fd);
}

TEST_F(abi, recv_unknown_flags_einval)
{
	char c = 'x';
	unsigned int bit;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, kmbox_test_send(fd, &c, 1, 0, 0));
	for (bit = 5; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, kmbox_test_recv(fd, &c, 1,
				KMBOX_DONTWAIT | (1u << bit), NULL)) {
			TH_LOG("flag %#x", 1u << bit);
		}
	}
	/* NOSIGNAL means nothing to a receiver. */
	EXPECT_EQ(-EINVAL, kmbox_test_recv(fd, &c, 1,
					   KMBOX_DONTWAIT | KMBOX_NOSIGNAL,
					   NULL));
	EXPECT_EQ(1, kmbox_test_queued(fd));
	close(fd);
}

struct msg_big {
	struct kmbox_msg m;
	__u64 tail[3];
};

TEST_F(abi, send_longer)
{
	char c = 'l';
	struct msg_big big = { .m.buf = uptr(&c), .m.len = 1 };
	unsigned int cmd = resize(KMBOX_IOC_SEND, sizeof(big));
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	big.tail[2] = 1;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(fd, cmd, &big));
	EXPECT_EQ(0, kmbox_test_queued(fd));
	big.tail[2] = 0;
	EXPECT_EQ(1, kmbox_test_ioctl(fd, cmd, &big));
	EXPECT_EQ(1, kmbox_test_queued(fd));
	close(fd);
}

TEST_F(abi, recv_longer)
{
	char c = 'r', out = 0;
	struct msg_big big = { .m.buf = uptr(&out), .m.len = 1,
			       .m.flags = KMBOX_DONTWAIT };
	unsigned int cmd = resize(KMBOX_IOC_RECV, sizeof(big));
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, kmbox_test_send(fd, &c, 1, 0, 0));
	big.tail[0] = 1;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(fd, cmd, &big));
	EXPECT_EQ(1, kmbox_test_queued(fd));
	big.tail[0] = 0;
	EXPECT_EQ(1, kmbox_test_ioctl(fd, cmd, &big));
	EXPECT_EQ('r', out);
	EXPECT_EQ(1, big.m.msg_len);
	EXPECT_EQ(1, big.m.seq);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[1]);
	EXPECT_EQ(0, big.tail[2]);
	close(fd);
}

/* --- KMBOX_IOC_GET_ATTR, SET_ATTR and STAT ------------------------ */

TEST_F(abi, get_attr_longer_tail_cleared)
{
	struct {
		struct kmbox_attr a;
		__u64 tail[5];
	} big;
	unsigned int i;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	memset(&big, 0xAA, sizeof(big));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, resize(KMBOX_IOC_GET_ATTR,
						 sizeof(big)), &big));
	EXPECT_EQ(0600, big.a.mode);
	for (i = 0; i < ARRAY_SIZE(big.tail); i++) {
		EXPECT_EQ(0, big.tail[i]);
	}
	close(fd);
}

TEST_F(abi, set_attr_longer)
{
	struct {
		struct kmbox_attr a;
		__u64 tail[2];
	} big = { .a.mode = 0640 };
	unsigned int cmd = resize(KMBOX_IOC_SET_ATTR, sizeof(big));
	struct kmbox_attr a;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	big.tail[1] = 1ull << 63;
	EXPECT_EQ(-E2BIG, kmbox_test_ioctl(fd, cmd, &big));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0600, a.mode);
	big.tail[1] = 0;
	EXPECT_EQ(0, kmbox_test_ioctl(fd, cmd, &big));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(0640, a.mode);
	close(fd);
}

TEST_F(abi, stat_longer_tail_cleared)
{
	struct {
		struct kmbox_stat st;
		__u64 tail[6];
	} big;
	unsigned int i;
	int fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);

	ASSERT_GE(fd, 0);
	memset(&big, 0xAA, sizeof(big));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, resize(KMBOX_IOC_STAT, sizeof(big)),
				      &big));
	EXPECT_STREQ(self->name, big.st.name);
	for (i = 0; i < ARRAY_SIZE(big.tail); i++) {
		EXPECT_EQ(0, big.tail[i]);
	}
	close(fd);
}

/* --- KMBOX_IOC_RING_JOIN and KMBOX_IOC_RING_WAIT ------------------- */

static int ring_ends(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return st.ring_producers * 10 + st.ring_consumers;
}

TEST_F(abi, ring_join_shorter_einval)
{
	struct kmbox_ring_join j = { .side = KMBOX_RING_PRODUCER };
	int fd = kmbox_test_create_region(NULL, sysconf(_SC_PAGESIZE), 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, resize(KMBOX_IOC_RING_JOIN,
						       4), &j));
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, resize(KMBOX_IOC_RING_JOIN,
						       sizeof(j) - 1), &j));
	EXPECT_EQ(0, ring_ends(fd));
	close(fd);
}

TEST_F(abi, ring_join_longer)
{
	struct {
		struct kmbox_ring_join j;
		__u64 tail[2];
	} big = { .j.side = KMBOX_RING_CONSUMER };
	unsigned int cmd = resize(KMBOX_IOC_RING_JOIN, sizeof(big));
	int fd = kmbox_test_create_region(NULL, sysconf(_SC_PAGESIZE), 0);
	unsigned int i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(big.tail); i++) {
		memset(big.tail, 0, sizeof(big.tail));
		big.tail[i] = 1ull << 40;
		EXPECT_EQ(-E2BIG, kmbox_test_ioctl(fd, cmd, &big)) {
			TH_LOG("tail[%u]", i);
		}
	}
	EXPECT_EQ(0, ring_ends(fd));
	memset(big.tail, 0, sizeof(big.tail));
	EXPECT_EQ(0, kmbox_test_ioctl(fd, cmd, &big));
	EXPECT_EQ(1, ring_ends(fd));
	close(fd);
}

TEST_F(abi, ring_wait_shorter_einval)
{
	__u32 word = 0;
	struct kmbox_ring_wait w = { .uaddr = uptr(&word),
				     .flags = KMBOX_DONTWAIT };
	struct kmbox_ring_join j = { .side = KMBOX_RING_CONSUMER };
	int fd = kmbox_test_create_region(NULL, sysconf(_SC_PAGESIZE), 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &j));
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, resize(KMBOX_IOC_RING_WAIT,
						       16), &w));
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, resize(KMBOX_IOC_RING_WAIT,
						       sizeof(w) - 1), &w));
	EXPECT_EQ(-EAGAIN, kmbox_test_ioctl(fd, KMBOX_IOC_RING_WAIT, &w));
	close(fd);
}

TEST_F(abi, ring_wait_longer)
{
	__u32 word = 0;
	struct {
		struct kmbox_ring_wait w;
		__u64 tail[3];
	} big = { .w.uaddr = uptr(&word), .w.flags = KMBOX_DONTWAIT };
	struct kmbox_ring_join j = { .side = KMBOX_RING_CONSUMER };
	unsigned int cmd = resize(KMBOX_IOC_RING_WAIT, sizeof(big));
	int fd = kmbox_test_create_region(NULL, sysconf(_SC_PAGESIZE), 0);
	unsigned int i;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &j));
	for (i = 0; i < ARRAY_SIZE(big.tail); i++) {
		memset(big.tail, 0, sizeof(big.tail));
		big.tail[i] = 1;
		EXPECT_EQ(-E2BIG, kmbox_test_ioctl(fd, cmd, &big)) {
			TH_LOG("tail[%u]", i);
		}
	}
	memset(big.tail, 0, sizeof(big.tail));
	/* Read whole: the word is 0 as expected, so it would sleep. */
	EXPECT_EQ(-EAGAIN, kmbox_test_ioctl(fd, cmd, &big));
	word = 1;
	EXPECT_EQ(0, kmbox_test_ioctl(fd, cmd, &big));
	close(fd);
}

/* An output struct that cannot be written: EFAULT, nothing else. */
TEST_F(abi, stat_read_only_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(fd, KMBOX_IOC_STAT, p));
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, p));
	munmap(p, page);
	close(fd);
}

/*
 * A receive whose struct can be read but not written back: EFAULT, and
 * the message is not taken.
 */
TEST_F(abi, recv_read_only_struct_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	char c = 'k', out = 0;
	struct kmbox_msg *m;
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	m = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	m->buf = uptr(&out);
	m->len = 1;
	m->flags = KMBOX_DONTWAIT;
	ASSERT_EQ(0, mprotect(m, page, PROT_READ));
	ASSERT_EQ(1, kmbox_test_send(fd, &c, 1, 0, 0));
	EXPECT_EQ(-EFAULT, kmbox_test_ioctl(fd, KMBOX_IOC_RECV, m));
	EXPECT_EQ(1, kmbox_test_queued(fd));
	EXPECT_EQ(1, kmbox_test_recv(fd, &out, 1, KMBOX_DONTWAIT, NULL));
	EXPECT_EQ('k', out);
	munmap(m, page);
	close(fd);
}

TEST_HARNESS_MAIN
