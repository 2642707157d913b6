// SPDX-License-Identifier: GPL-2.0
/*
 * Mailbox attributes: defaults, ceilings (the module parameters), the
 * validation of struct kmbox_attr at creation, and KMBOX_IOC_SET_ATTR
 * growing and shrinking a mailbox.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

static const char * const params[] = {
	"default_max_msgs", "default_msg_size", "max_msgs_max",
	"msg_size_max", "bytes_max", "mailboxes_per_user", "bytes_per_user",
	"region_size_max",
};

FIXTURE(attr) {
	long long saved[ARRAY_SIZE(params)];
	long long max_msgs_max, msg_size_max, bytes_max;
	pid_t child;
};

FIXTURE_SETUP(attr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		self->saved[i] = kmbox_test_param_read(params[i]);
		ASSERT_GE(self->saved[i], 0) {
			TH_LOG("cannot read %s%s", KMBOX_PARAM_DIR, params[i]);
		}
	}
	self->max_msgs_max = kmbox_test_param_read("max_msgs_max");
	self->msg_size_max = kmbox_test_param_read("msg_size_max");
	self->bytes_max = kmbox_test_param_read("bytes_max");
	self->child = 0;
}

FIXTURE_TEARDOWN(attr)
{
	unsigned int i;

	kmbox_test_kill(&self->child);
	for (i = 0; i < ARRAY_SIZE(params); i++)
		if (self->saved[i] >= 0 &&
		    kmbox_test_param_read(params[i]) != self->saved[i])
			kmbox_test_param_write(params[i], self->saved[i]);
}

static int get_attr(int fd, struct kmbox_attr *a)
{
	memset(a, 0xAA, sizeof(*a));
	return kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, a);
}

static int set_attr(int fd, __u64 msgs, __u64 size, __u64 bytes, __u32 mode)
{
	struct kmbox_attr a = {
		.max_msgs = msgs, .max_msg_size = size, .max_bytes = bytes,
		.mode = mode,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a);
}

/* CREATE an anonymous mailbox with @a; closes it; 0 or -errno. */
static int try_create(const struct kmbox_attr *a)
{
	int fd = kmbox_test_create(NULL, a, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Queue @n messages of @len bytes without waiting; 0 or -errno. */
static int fill(int fd, int n, size_t len)
{
	char buf[256] = { 0 };
	int ret;

	while (n-- > 0) {
		ret = kmbox_test_send(fd, buf, len, 0, KMBOX_DONTWAIT);
		if (ret < 0)
			return ret;
	}
	return 0;
}

#define ASSERT_ATTR(fd, msgs, size, bytes, m) do {			\
	struct kmbox_attr __a;						\
	ASSERT_EQ(0, get_attr(fd, &__a));				\
	EXPECT_EQ((__u64)(msgs), __a.max_msgs);				\
	EXPECT_EQ((__u64)(size), __a.max_msg_size);			\
	EXPECT_EQ((__u64)(bytes), __a.max_bytes);			\
	EXPECT_EQ((__u32)(m), __a.mode);				\
} while (0)

/* The documented defaults of the module parameters. */
TEST_F(attr, parameter_defaults)
{
	EXPECT_EQ(128, kmbox_test_param_read("default_max_msgs"));
	EXPECT_EQ(8192, kmbox_test_param_read("default_msg_size"));
	EXPECT_EQ(65536, kmbox_test_param_read("max_msgs_max"));
	EXPECT_EQ(1048576, kmbox_test_param_read("msg_size_max"));
	EXPECT_EQ(67108864, kmbox_test_param_read("bytes_max"));
	EXPECT_EQ(1024, kmbox_test_param_read("mailboxes_per_user"));
	EXPECT_EQ(268435456, kmbox_test_param_read("bytes_per_user"));
	EXPECT_EQ(67108864, kmbox_test_param_read("region_size_max"));
}

TEST_F(attr, defaults)
{
	struct kmbox_attr zero = { 0 }, a;
	long long msgs = self->saved[0], size = self->saved[1];
	int fd;

	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, get_attr(fd, &a));
	EXPECT_EQ(msgs, a.max_msgs);
	EXPECT_EQ(size, a.max_msg_size);
	EXPECT_EQ(msgs * size, a.max_bytes);
	EXPECT_EQ(0600, a.mode);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0, a.region_size);
	EXPECT_EQ(0, a.reserved[0]);
	EXPECT_EQ(0, a.reserved[1]);
	EXPECT_EQ(0, a.reserved[2]);
	close(fd);

	/* An all-zero struct is the same as none. */
	fd = kmbox_test_create(NULL, &zero, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, msgs, size, msgs * size, 0600);
	close(fd);
}

/* Each zero field alone takes its default; the product uses them. */
TEST_F(attr, partial_defaults)
{
	struct kmbox_attr a = { .max_msgs = 4 };
	long long msgs = self->saved[0], size = self->saved[1];
	int fd;

	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 4, size, 4 * size, 0600);
	close(fd);

	a = (struct kmbox_attr){ .max_msg_size = 100 };
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, msgs, 100, msgs * 100, 0600);
	close(fd);

	a = (struct kmbox_attr){ .max_bytes = size * 2, .mode = 0644 };
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, msgs, size, size * 2, 0644);
	close(fd);

	a = (struct kmbox_attr){ .max_msgs = 3, .max_msg_size = 10,
				 .max_bytes = 25, .mode = 0777,
				 .flags = KMBOX_ATTR_HANGUP };
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 3, 10, 25, 0777);
	ASSERT_EQ(0, get_attr(fd, &a));
	EXPECT_EQ(KMBOX_ATTR_HANGUP, a.flags);
	close(fd);
}

/* The default parameters apply to mailboxes made afterwards. */
TEST_F(attr, default_parameters_change)
{
	long long size = self->saved[1];
	int old, fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	old = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(old, 0);
	ASSERT_EQ(0, kmbox_test_param_write("default_max_msgs", 7));
	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 7, size, 7 * size, 0600);
	close(fd);
	ASSERT_EQ(0, kmbox_test_param_write("default_msg_size", 33));
	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 7, 33, 7 * 33, 0600);
	close(fd);
	/* Not the mailboxes that exist. */
	ASSERT_ATTR(old, self->saved[0], size, self->saved[0] * size, 0600);
	close(old);
}

TEST_F(attr, max_msgs_ceiling)
{
	struct kmbox_attr a = { .max_msgs = self->max_msgs_max,
				.max_msg_size = 1, .max_bytes = 1 };
	int fd;

	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, self->max_msgs_max, 1, 1, 0600);
	/* SET_ATTR has the same ceiling. */
	EXPECT_EQ(-EINVAL, set_attr(fd, self->max_msgs_max + 1, 0, 0, 0));
	EXPECT_EQ(0, set_attr(fd, 1, 0, 0, 0));
	EXPECT_EQ(0, set_attr(fd, self->max_msgs_max, 0, 0, 0));
	close(fd);

	a.max_msgs++;
	EXPECT_EQ(-EINVAL, try_create(&a));
	a.max_msgs = UINT64_MAX;
	EXPECT_EQ(-EINVAL, try_create(&a));
}

TEST_F(attr, max_msg_size_ceiling)
{
	struct kmbox_attr a = { .max_msgs = 1,
				.max_msg_size = self->msg_size_max };
	int fd;

	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 1, self->msg_size_max, self->msg_size_max, 0600);
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, self->msg_size_max + 1,
				    self->msg_size_max + 1, 0));
	close(fd);

	a.max_msg_size++;
	EXPECT_EQ(-EINVAL, try_create(&a));
	a.max_bytes = a.max_msg_size;
	EXPECT_EQ(-EINVAL, try_create(&a));
}

TEST_F(attr, max_bytes_ceiling)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 1,
				.max_bytes = self->bytes_max };
	int fd;

	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 1, 1, self->bytes_max, 0600);
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 0, self->bytes_max + 1, 0));
	ASSERT_ATTR(fd, 1, 1, self->bytes_max, 0600);
	close(fd);

	a.max_bytes++;
	EXPECT_EQ(-EINVAL, try_create(&a));
}

/* The product of the defaults counts against bytes_max too. */
TEST_F(attr, product_above_bytes_max)
{
	struct kmbox_attr a = { .max_msgs = self->max_msgs_max,
				.max_msg_size = self->msg_size_max };

	ASSERT_GT((__u64)a.max_msgs * a.max_msg_size, (__u64)self->bytes_max);
	EXPECT_EQ(-EINVAL, try_create(&a));
}

/* Ceilings changed at run time apply to later creations and changes. */
TEST_F(attr, ceiling_parameters_change)
{
	struct kmbox_attr a = { .max_msgs = 10, .max_msg_size = 16 };
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_param_write("max_msgs_max", 10));
	a.max_msgs = 11;
	EXPECT_EQ(-EINVAL, try_create(&a));
	a.max_msgs = 10;
	EXPECT_EQ(0, try_create(&a));
	EXPECT_EQ(-EINVAL, set_attr(fd, 11, 0, 0, 0));
	EXPECT_EQ(0, set_attr(fd, 9, 0, 0, 0));

	ASSERT_EQ(0, kmbox_test_param_write("msg_size_max", 16));
	a.max_msg_size = 17;
	EXPECT_EQ(-EINVAL, try_create(&a));
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 17, 0, 0));

	ASSERT_EQ(0, kmbox_test_param_write("bytes_max", 100));
	a.max_msg_size = 16;
	a.max_bytes = 101;
	EXPECT_EQ(-EINVAL, try_create(&a));
	a.max_bytes = 100;
	EXPECT_EQ(0, try_create(&a));
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 0, 101, 0));
	EXPECT_EQ(0, set_attr(fd, 0, 0, 100, 0));
	ASSERT_ATTR(fd, 9, 16, 100, 0600);
	close(fd);
}

TEST_F(attr, max_bytes_below_msg_size)
{
	struct kmbox_attr a = { .max_msgs = 4, .max_msg_size = 100,
				.max_bytes = 99 };
	int fd;

	EXPECT_EQ(-EINVAL, try_create(&a));
	a.max_bytes = 100;
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ATTR(fd, 4, 100, 100, 0600);
	/* Nor by SET_ATTR, from either side. */
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 0, 99, 0));
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 101, 0, 0));
	EXPECT_EQ(-EINVAL, set_attr(fd, 0, 200, 150, 0));
	ASSERT_ATTR(fd, 4, 100, 100, 0600);
	EXPECT_EQ(0, set_attr(fd, 0, 200, 200, 0));
	ASSERT_ATTR(fd, 4, 200, 200, 0600);
	close(fd);
}

TEST_F(attr, mode_above_0777)
{
	static const __u32 bad[] = { 01000, 02000, 04000, 07777, 0x80000000,
				     ~0u };
	struct kmbox_attr a = { 0 };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		a.mode = bad[i];
		EXPECT_EQ(-EINVAL, try_create(&a)) {
			TH_LOG("mode %#o", bad[i]);
		}
	}
	a.mode = 0777;
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_attr(fd, 0, 0, 0, bad[i]));
	}
	ASSERT_ATTR(fd, self->saved[0], self->saved[1],
		    self->saved[0] * self->saved[1], 0777);
	EXPECT_EQ(0, set_attr(fd, 0, 0, 0, 0001));
	ASSERT_ATTR(fd, self->saved[0], self->saved[1],
		    self->saved[0] * self->saved[1], 0001);
	close(fd);
}

TEST_F(attr, unknown_flag)
{
	struct kmbox_attr a = { 0 };
	unsigned int bit;

	for (bit = 1; bit < 32; bit++) {
		a.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, try_create(&a)) {
			TH_LOG("attr flag %#x", a.flags);
		}
	}
	a.flags = KMBOX_ATTR_HANGUP | (1u << 31);
	EXPECT_EQ(-EINVAL, try_create(&a));
	a.flags = KMBOX_ATTR_HANGUP;
	EXPECT_EQ(0, try_create(&a));
}

/*
 * region_size is 0 or a multiple of the page size up to region_size_max
 * (region_test covers regions in depth); SET_ATTR cannot change it.
 */
TEST_F(attr, region_size)
{
	const __u64 page = sysconf(_SC_PAGESIZE);
	const __u64 max = kmbox_test_param_read("region_size_max");
	const __u64 bad[] = { 1, page - 1, page + 1, page / 2,
			      (max / page + 1) * page, 1ull << 63,
			      UINT64_MAX };
	struct kmbox_attr a = { 0 };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		a.region_size = bad[i];
		EXPECT_EQ(-EINVAL, try_create(&a)) {
			TH_LOG("region_size %llu", (unsigned long long)bad[i]);
		}
	}
	a.region_size = page;
	fd = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, get_attr(fd, &a));
	EXPECT_EQ(page, a.region_size);
	a = (struct kmbox_attr){ .region_size = 2 * page };
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	close(fd);

	/* No region (0) cannot become one either. */
	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	a = (struct kmbox_attr){ .region_size = page };
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(0, get_attr(fd, &a));
	EXPECT_EQ(0, a.region_size);
	close(fd);
}

TEST_F(attr, reserved_nonzero)
{
	struct kmbox_attr a;
	unsigned int i;
	int fd;

	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		memset(&a, 0, sizeof(a));
		a.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, try_create(&a)) {
			TH_LOG("reserved[%u]", i);
		}
		a.reserved[i] = 1ull << 63;
		EXPECT_EQ(-EINVAL, try_create(&a));
		a.mode = 0644;
		EXPECT_EQ(-EINVAL, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR,
						    &a)) {
			TH_LOG("SET_ATTR reserved[%u]", i);
		}
	}
	ASSERT_ATTR(fd, self->saved[0], self->saved[1],
		    self->saved[0] * self->saved[1], 0600);
	close(fd);
}

/* max_bytes 0 is the product, which must fit 64 bits. */
TEST_F(attr, product_overflow)
{
	struct kmbox_attr a = { .max_msgs = 1ull << 33,
				.max_msg_size = 1ull << 31 };

	EXPECT_EQ(-EOVERFLOW, try_create(&a));
	a.max_msgs = UINT64_MAX;
	a.max_msg_size = 2;
	EXPECT_EQ(-EOVERFLOW, try_create(&a));
	a.max_msgs = 2;
	a.max_msg_size = UINT64_MAX;
	EXPECT_EQ(-EOVERFLOW, try_create(&a));
	/* With the default message size. */
	a.max_msgs = UINT64_MAX / (__u64)self->saved[1] + 1;
	a.max_msg_size = 0;
	EXPECT_EQ(-EOVERFLOW, try_create(&a));
	/* No product, no overflow: the ceilings refuse it. */
	a.max_msgs = 1ull << 33;
	a.max_msg_size = 1ull << 31;
	a.max_bytes = 1ull << 31;
	EXPECT_EQ(-EINVAL, try_create(&a));
}

TEST_F(attr, set_attr_grow)
{
	struct kmbox_attr a = { .max_msgs = 2, .max_msg_size = 16,
				.max_bytes = 32 };
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fill(fd, 2, 16));
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 16));

	/* More messages, but the bytes are still full. */
	ASSERT_EQ(0, set_attr(fd, 4, 0, 0, 0));
	ASSERT_ATTR(fd, 4, 16, 32, 0600);
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 16));
	ASSERT_EQ(0, fill(fd, 1, 0));

	ASSERT_EQ(0, set_attr(fd, 0, 0, 64, 0));
	ASSERT_ATTR(fd, 4, 16, 64, 0600);
	EXPECT_EQ(0, fill(fd, 1, 16));
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 16));

	ASSERT_EQ(0, set_attr(fd, 8, 64, 256, 0));
	ASSERT_ATTR(fd, 8, 64, 256, 0600);
	EXPECT_EQ(0, fill(fd, 2, 64));
	EXPECT_EQ(-EMSGSIZE, fill(fd, 1, 65));
	close(fd);
}

TEST_F(attr, set_attr_shrink)
{
	struct kmbox_attr a = { .max_msgs = 8, .max_msg_size = 64,
				.max_bytes = 512 };
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_attr(fd, 2, 32, 64, 0));
	ASSERT_ATTR(fd, 2, 32, 64, 0600);
	EXPECT_EQ(-EMSGSIZE, fill(fd, 1, 33));
	EXPECT_EQ(0, fill(fd, 2, 32));
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 1));
	close(fd);
}

/* Not below what is queued: EBUSY, and no field changes. */
TEST_F(attr, set_attr_shrink_below_msgs_ebusy)
{
	struct kmbox_attr a = { .max_msgs = 8, .max_msg_size = 16,
				.max_bytes = 128 };
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fill(fd, 3, 4));
	EXPECT_EQ(-EBUSY, set_attr(fd, 2, 0, 0, 0));
	EXPECT_EQ(-EBUSY, set_attr(fd, 1, 8, 64, 0644));
	ASSERT_ATTR(fd, 8, 16, 128, 0600);
	EXPECT_EQ(0, set_attr(fd, 3, 0, 0, 0));
	ASSERT_ATTR(fd, 3, 16, 128, 0600);
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 4));
	close(fd);
}

TEST_F(attr, set_attr_shrink_below_bytes_ebusy)
{
	struct kmbox_attr a = { .max_msgs = 8, .max_msg_size = 16,
				.max_bytes = 128 };
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fill(fd, 3, 16));
	EXPECT_EQ(-EBUSY, set_attr(fd, 0, 0, 32, 0));
	EXPECT_EQ(-EBUSY, set_attr(fd, 0, 0, 47, 0));
	EXPECT_EQ(-EBUSY, set_attr(fd, 16, 0, 47, 0640));
	ASSERT_ATTR(fd, 8, 16, 128, 0600);
	EXPECT_EQ(0, set_attr(fd, 0, 0, 48, 0));
	ASSERT_ATTR(fd, 8, 16, 48, 0600);
	EXPECT_EQ(-EAGAIN, fill(fd, 1, 1));
	EXPECT_EQ(0, fill(fd, 1, 0));
	close(fd);
}

/* A queued message longer than a new max_msg_size is still delivered. */
TEST_F(attr, set_attr_shrink_msg_size_keeps_queued)
{
	struct kmbox_attr a = { .max_msgs = 4, .max_msg_size = 100,
				.max_bytes = 400 };
	char buf[128];
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fill(fd, 1, 100));
	ASSERT_EQ(0, set_attr(fd, 0, 10, 0, 0));
	ASSERT_ATTR(fd, 4, 10, 400, 0600);
	EXPECT_EQ(-EMSGSIZE, fill(fd, 1, 11));
	EXPECT_EQ(0, fill(fd, 1, 10));
	EXPECT_EQ(100, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				       NULL));
	EXPECT_EQ(10, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				      NULL));
	close(fd);
}

/* A field of 0 keeps its value; max_bytes is not recomputed. */
TEST_F(attr, set_attr_zero_keeps)
{
	struct kmbox_attr a = { .max_msgs = 5, .max_msg_size = 50,
				.max_bytes = 200, .mode = 0640 };
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_attr(fd, 0, 0, 0, 0));
	ASSERT_ATTR(fd, 5, 50, 200, 0640);
	ASSERT_EQ(0, set_attr(fd, 0, 0, 0, 0604));
	ASSERT_ATTR(fd, 5, 50, 200, 0604);
	ASSERT_EQ(0, set_attr(fd, 9, 0, 0, 0));
	ASSERT_ATTR(fd, 9, 50, 200, 0604);
	ASSERT_EQ(0, set_attr(fd, 0, 20, 0, 0));
	ASSERT_ATTR(fd, 9, 20, 200, 0604);
	ASSERT_EQ(0, set_attr(fd, 0, 0, 300, 0));
	ASSERT_ATTR(fd, 9, 20, 300, 0604);
	close(fd);
}

/* flags: 0 or the mailbox's own; they cannot change. */
TEST_F(attr, set_attr_flags)
{
	struct kmbox_attr a = { 0 };
	int plain, hup;

	plain = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(plain, 0);
	a.flags = KMBOX_ATTR_HANGUP;
	hup = kmbox_test_create(NULL, &a, 0);
	ASSERT_GE(hup, 0);

	a = (struct kmbox_attr){ .flags = KMBOX_ATTR_HANGUP, .mode = 0644 };
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(plain, KMBOX_IOC_SET_ATTR, &a));
	a.flags = 1u << 5;
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(plain, KMBOX_IOC_SET_ATTR, &a));
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(hup, KMBOX_IOC_SET_ATTR, &a));
	a.flags = KMBOX_ATTR_HANGUP | (1u << 5);
	EXPECT_EQ(-EINVAL, kmbox_test_ioctl(hup, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(0, get_attr(plain, &a));
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0600, a.mode);

	a = (struct kmbox_attr){ .flags = 0, .mode = 0640 };
	EXPECT_EQ(0, kmbox_test_ioctl(hup, KMBOX_IOC_SET_ATTR, &a));
	a = (struct kmbox_attr){ .flags = KMBOX_ATTR_HANGUP, .mode = 0604 };
	EXPECT_EQ(0, kmbox_test_ioctl(hup, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(0, get_attr(hup, &a));
	EXPECT_EQ(KMBOX_ATTR_HANGUP, a.flags);
	EXPECT_EQ(0604, a.mode);
	close(plain);
	close(hup);
}

/* GET_ATTR works on a descriptor of any role. */
TEST_F(attr, get_attr_any_role)
{
	static const __u32 roles[] = { KMBOX_SEND, KMBOX_RECV, 0 };
	struct kmbox_attr a = { .max_msgs = 6, .max_msg_size = 60,
				.mode = 0620 };
	char name[64];
	unsigned int i;
	int mb, fd;

	kmbox_test_name(name, sizeof(name), "attr-role");
	mb = kmbox_test_create(name, &a, KMBOX_EXCL);
	ASSERT_GE(mb, 0);
	for (i = 0; i < ARRAY_SIZE(roles); i++) {
		fd = kmbox_test_open(name, roles[i]);
		ASSERT_GE(fd, 0);
		ASSERT_ATTR(fd, 6, 60, 360, 0620);
		close(fd);
	}
	close(mb);
}

/*
 * A child sleeps in send on a mailbox made full by @nfill messages of
 * @len bytes; growing the capacity (@msgs, @bytes) wakes it and its
 * message goes in.
 */
static void grow_wakes_sender(struct __test_metadata *_metadata,
			      pid_t *child, const struct kmbox_attr *a,
			      int nfill, size_t len, __u64 msgs, __u64 bytes)
{
	struct kmbox_stat st;
	char buf[64] = { 0 };
	int fd = kmbox_test_create(NULL, a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fill(fd, nfill, len));
	ASSERT_EQ(-EAGAIN, fill(fd, 1, len));

	*child = fork();
	ASSERT_GE(*child, 0);
	if (*child == 0) {
		/* If nothing wakes it, SIGALRM ends it and the test fails. */
		alarm(20);
		_exit(kmbox_test_send(fd, buf, len, 0, 0) == (int)len ? 0 : 1);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(*child));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(1, st.blocked_senders);
	EXPECT_EQ(nfill, st.msgs);

	ASSERT_EQ(0, set_attr(fd, msgs, 0, bytes, 0));
	ASSERT_EQ(0, kmbox_test_reap(*child));
	*child = 0;
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(nfill + 1, st.msgs);
	EXPECT_EQ(0, st.blocked_senders);
	close(fd);
}

TEST_F(attr, grow_max_msgs_wakes_sender)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 16,
				.max_bytes = 64 };

	grow_wakes_sender(_metadata, &self->child, &a, 1, 16, 2, 0);
}

/* Two messages of 16 bytes fill the bytes, not the count. */
TEST_F(attr, grow_max_bytes_wakes_sender)
{
	struct kmbox_attr a = { .max_msgs = 4, .max_msg_size = 16,
				.max_bytes = 32 };

	grow_wakes_sender(_metadata, &self->child, &a, 2, 16, 0, 48);
}

/* --- The parameters' ranges ------------------------------------------- */

/* Module parameter @name as it reads, without its newline. */
static void param_read_str(const char *name, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), KMBOX_PARAM_DIR "%s", name);
	if (kmbox_test_read_file(path, buf, size) < 0)
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* Each parameter, its smallest and largest value, and the next ones. */
static const struct param_range {
	const char *name, *min, *max, *below, *above;
} ranges[] = {
	{ "default_max_msgs", "1", "4294967295", "0", "4294967296" },
	{ "default_msg_size", "1", "2147483647", "0", "2147483648" },
	{ "max_msgs_max", "1", "4294967295", "0", "4294967296" },
	{ "msg_size_max", "1", "2147483647", "0", "2147483648" },
	{ "bytes_max", "1", "1152921504606846976", "0",
	  "1152921504606846977" },
	{ "region_size_max", "0", "1152921504606846976", "-1",
	  "1152921504606846977" },
	{ "mailboxes_per_user", "0", "4294967295", "-1", "4294967296" },
	{ "bytes_per_user", "0", "1152921504606846976", "-1",
	  "1152921504606846977" },
};

/*
 * A value outside a parameter's range (Documentation/admin-guide.rst) is
 * refused with EINVAL and changes nothing, whatever the type could hold:
 * so is 2^64 - 1, and anything not a number.  Its smallest and largest
 * values are taken.
 */
TEST_F(attr, parameter_ranges)
{
	static const char * const junk[] = {
		"18446744073709551615", "18446744073709551616", "-1", "1x",
		"x",
	};
	char before[64], now[64];
	unsigned int i, j;

	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		const struct param_range *r = &ranges[i];

		param_read_str(r->name, before, sizeof(before));
		ASSERT_NE(0, before[0]);
		EXPECT_EQ(-EINVAL,
			  kmbox_test_param_write_str(r->name, r->below)) {
			TH_LOG("%s = %s", r->name, r->below);
		}
		EXPECT_EQ(-EINVAL,
			  kmbox_test_param_write_str(r->name, r->above)) {
			TH_LOG("%s = %s", r->name, r->above);
		}
		for (j = 0; j < ARRAY_SIZE(junk); j++) {
			EXPECT_EQ(-EINVAL,
				  kmbox_test_param_write_str(r->name,
							     junk[j])) {
				TH_LOG("%s = \"%s\"", r->name, junk[j]);
			}
		}
		param_read_str(r->name, now, sizeof(now));
		EXPECT_STREQ(before, now);
		EXPECT_EQ(0, kmbox_test_param_write_str(r->name, r->max)) {
			TH_LOG("%s = %s", r->name, r->max);
		}
		param_read_str(r->name, now, sizeof(now));
		EXPECT_STREQ(r->max, now);
		EXPECT_EQ(0, kmbox_test_param_write_str(r->name, r->min)) {
			TH_LOG("%s = %s", r->name, r->min);
		}
		param_read_str(r->name, now, sizeof(now));
		EXPECT_STREQ(r->min, now);
		EXPECT_EQ(0, kmbox_test_param_write_str(r->name, before));
	}
}

TEST_HARNESS_MAIN
