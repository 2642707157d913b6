// SPDX-License-Identifier: GPL-2.0
/*
 * What a mailbox tells about itself: KMBOX_IOC_STAT, KMBOX_IOC_GET_ATTR,
 * /proc/<pid>/fdinfo/<fd> and the list in /proc/driver/kmbox.
 */
#include <ctype.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define PROC_LIST "/proc/driver/kmbox"

/* The whole of file @path, NUL-terminated, malloc()ed; NULL on error. */
static char *read_all(const char *path)
{
	size_t size = 4096, len = 0;
	char *buf = malloc(size), *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len + 1 >= size) {
			size *= 2;
			p = realloc(buf, size);
			if (!p)
				goto fail;
			buf = p;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = 0;
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Value of line "@key:<tab>value" of /proc/self/fdinfo/@fd into @val;
 * 0, or -1 if there is no such line.
 */
static int fdinfo_get(int fd, const char *key, char *val, size_t size)
{
	char path[64], *buf, *line, *end;
	size_t klen = strlen(key), vlen;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	buf = read_all(path);
	if (!buf)
		return -1;
	for (line = buf; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		line += klen + 1;
		while (*line == '\t' || *line == ' ')
			line++;
		vlen = end ? (size_t)(end - line) : strlen(line);
		if (vlen >= size)
			vlen = size - 1;
		memcpy(val, line, vlen);
		val[vlen] = 0;
		ret = 0;
		break;
	}
	free(buf);
	return ret;
}

/*
 * A figure of fdinfo, "kmbox-@field" (or, failing that, "@field"):
 * 0 and *v, or -1.
 */
static int fdinfo_num(int fd, const char *field, unsigned long long *v)
{
	char key[64], val[64], *end;

	snprintf(key, sizeof(key), "kmbox-%s", field);
	if (fdinfo_get(fd, key, val, sizeof(val)) &&
	    fdinfo_get(fd, field, val, sizeof(val)))
		return -1;
	*v = strtoull(val, &end, 0);
	return end == val ? -1 : 0;
}

/* A line of /proc/driver/kmbox. */
struct entry {
	unsigned long long id, msgs, bytes, max_msgs, max_bytes;
	unsigned int uid, gid, mode, senders, receivers;
	char name[KMBOX_NAME_MAX * 4 + 1];
};

/* Parse one line; 0, or -1 if it is not a mailbox line (a header). */
static int parse_entry(const char *line, struct entry *e)
{
	const char *p;
	int pos = 0;
	size_t len;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!isdigit((unsigned char)line[0]))
		return -1;
	if (sscanf(line, "%llu %u %u %o %llu %llu %llu %llu %u %u %n",
		   &e->id, &e->uid, &e->gid, &e->mode, &e->msgs, &e->bytes,
		   &e->max_msgs, &e->max_bytes, &e->senders, &e->receivers,
		   &pos) < 10 || !pos)
		return -1;
	p = line + pos;
	len = strcspn(p, "\n");
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= sizeof(e->name))
		len = sizeof(e->name) - 1;
	memcpy(e->name, p, len);
	e->name[len] = 0;
	return 0;
}

/* The line of mailbox @id in the list: 0, or -1 if it is not there. */
static int list_find(__u64 id, struct entry *e)
{
	char *buf = read_all(PROC_LIST), *line;
	int ret = -1;

	if (!buf)
		return -1;
	for (line = buf; *line; line = strchr(line, '\n') + 1) {
		if (!parse_entry(line, e) && e->id == id) {
			ret = 0;
			break;
		}
		if (!strchr(line, '\n'))
			break;
	}
	free(buf);
	return ret;
}

static int put(int fd, size_t len)
{
	char buf[256] = { 0 };

	return kmbox_test_send(fd, buf, len, 0, KMBOX_DONTWAIT);
}

FIXTURE(stat) {
	char name[64];
	pid_t child;
};

FIXTURE_SETUP(stat)
{
	kmbox_test_name(self->name, sizeof(self->name), "stat");
	self->child = 0;
}

FIXTURE_TEARDOWN(stat)
{
	kmbox_test_kill(&self->child);
}

/* Every field of a fresh anonymous mailbox. */
TEST_F(stat, fresh_anonymous)
{
	struct kmbox_attr a = { .max_msgs = 7, .max_msg_size = 70,
				.max_bytes = 300, .mode = 0640 };
	struct kmbox_stat st;
	unsigned int i;
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(0, st.bytes);
	EXPECT_EQ(7, st.max_msgs);
	EXPECT_EQ(70, st.max_msg_size);
	EXPECT_EQ(300, st.max_bytes);
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.sent);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(0, st.high_water);
	EXPECT_EQ(geteuid(), st.uid);
	EXPECT_EQ(getegid(), st.gid);
	EXPECT_EQ(0640, st.mode);
	EXPECT_EQ(0, st.attr_flags);
	EXPECT_EQ(0, st.state);
	EXPECT_EQ(0, st.pad);
	EXPECT_EQ(0, st.region_size);
	EXPECT_EQ(0, st.mappings);
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	EXPECT_EQ(kmbox_test_charge(7, 300, 0), st.charge);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		EXPECT_EQ(0, st.reserved[i]);
	}
	for (i = 0; i < sizeof(st.name); i++) {
		EXPECT_EQ(0, st.name[i]);
	}
	close(fd);
}

/*
 * The charge follows the formula of the admin guide: for the defaults,
 * with a region, and after SET_ATTR changes max_msgs and max_bytes; the
 * messages queued do not change it.  fdinfo shows the same.
 */
TEST_F(stat, charge)
{
	long long msgs = kmbox_test_param_read("default_max_msgs");
	long long size = kmbox_test_param_read("default_msg_size");
	struct kmbox_attr a = { .max_msgs = 3, .max_msg_size = 1000,
				.max_bytes = 5000 };
	long page = sysconf(_SC_PAGESIZE);
	struct kmbox_stat st;
	char val[32], want[32];
	int fd;

	fd = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(kmbox_test_charge(msgs, msgs * size, 0), st.charge);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(1, put(fd, 1));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(kmbox_test_charge(3, 5000, 0), st.charge);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)st.charge);
	ASSERT_EQ(0, kmbox_test_fdinfo(fd, "charge", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	close(fd);

	fd = kmbox_test_create_region(NULL, 2 * page, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(kmbox_test_charge(msgs, msgs * size, 2 * page), st.charge);
	close(fd);
}

TEST_F(stat, named)
{
	struct kmbox_stat st;
	size_t len = strlen(self->name), i;
	int fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED, st.state);
	EXPECT_EQ(0, memcmp(self->name, st.name, len));
	/* The unused tail of the name is zero, not the 0xAA prefill. */
	for (i = len; i < sizeof(st.name); i++) {
		EXPECT_EQ(0, st.name[i]);
	}
	close(fd);
}

TEST_F(stat, name_max_length)
{
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox_stat st;
	int fd;

	memset(name, 's', KMBOX_NAME_MAX);
	memcpy(name, self->name, strlen(self->name));
	name[KMBOX_NAME_MAX] = 0;
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, memcmp(name, st.name, sizeof(st.name)));
	close(fd);
}

TEST_F(stat, ids_unique)
{
	int a = kmbox_test_create(NULL, NULL, 0);
	int b = kmbox_test_create(self->name, NULL, 0);
	int c = kmbox_test_create(NULL, NULL, 0);
	__u64 ida, idb, idc;

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_GE(c, 0);
	ida = kmbox_test_id(a);
	idb = kmbox_test_id(b);
	idc = kmbox_test_id(c);
	EXPECT_NE(ida, idb);
	EXPECT_NE(idb, idc);
	EXPECT_NE(ida, idc);
	/* An id is not reused at once, even after the mailbox is gone. */
	close(c);
	c = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(c, 0);
	EXPECT_NE(idc, kmbox_test_id(c));
	EXPECT_NE(ida, kmbox_test_id(c));
	close(a);
	close(b);
	close(c);
}

TEST_F(stat, queue_figures)
{
	struct kmbox_stat st;
	char buf[64];
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(10, put(fd, 10));
	ASSERT_EQ(20, put(fd, 20));
	ASSERT_EQ(30, put(fd, 30));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(3, st.msgs);
	EXPECT_EQ(60, st.bytes);
	EXPECT_EQ(3, st.sent);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(3, st.high_water);

	ASSERT_EQ(10, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				      NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(2, st.msgs);
	EXPECT_EQ(50, st.bytes);
	EXPECT_EQ(3, st.sent);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(3, st.high_water);

	/* A peek takes nothing. */
	ASSERT_EQ(20, kmbox_test_recv(fd, buf, sizeof(buf),
				      KMBOX_DONTWAIT | KMBOX_PEEK, NULL));
	/* Nor does a receive that fails for a short buffer. */
	ASSERT_EQ(-EMSGSIZE, kmbox_test_recv(fd, buf, 5, KMBOX_DONTWAIT,
					     NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(2, st.msgs);
	EXPECT_EQ(50, st.bytes);
	EXPECT_EQ(1, st.received);

	/* A zero-length message counts as a message of no bytes. */
	ASSERT_EQ(0, put(fd, 0));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(3, st.msgs);
	EXPECT_EQ(50, st.bytes);
	EXPECT_EQ(4, st.sent);
	EXPECT_EQ(3, st.high_water);
	ASSERT_EQ(1, put(fd, 1));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(4, st.high_water);

	while (kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
			       NULL) >= 0)
		;
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.msgs);
	EXPECT_EQ(0, st.bytes);
	EXPECT_EQ(5, st.sent);
	EXPECT_EQ(5, st.received);
	EXPECT_EQ(4, st.high_water);
	close(fd);
}

#define EXPECT_ROLES(fd, s, r) do {					\
	struct kmbox_stat __st;						\
	ASSERT_EQ(0, kmbox_test_stat(fd, &__st));			\
	EXPECT_EQ(s, __st.senders);					\
	EXPECT_EQ(r, __st.receivers);					\
} while (0)

/* Open file descriptions of each role: dup and fork share one. */
TEST_F(stat, role_counts)
{
	int fd, d, s, r, s2, status;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	EXPECT_ROLES(fd, 1, 1);
	d = dup(fd);
	ASSERT_GE(d, 0);
	EXPECT_ROLES(fd, 1, 1);
	s = kmbox_test_open(self->name, KMBOX_SEND);
	ASSERT_GE(s, 0);
	EXPECT_ROLES(fd, 2, 1);
	r = kmbox_test_open(self->name, KMBOX_RECV);
	ASSERT_GE(r, 0);
	EXPECT_ROLES(fd, 2, 2);
	s2 = kmbox_test_create(self->name, NULL, KMBOX_SEND);
	ASSERT_GE(s2, 0);
	EXPECT_ROLES(fd, 3, 2);

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		struct kmbox_stat st;

		if (kmbox_test_stat(fd, &st) || st.senders != 3 ||
		    st.receivers != 2)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_ROLES(fd, 3, 2);

	close(s2);
	EXPECT_ROLES(fd, 2, 2);
	close(s);
	EXPECT_ROLES(fd, 1, 2);
	close(fd);
	/* The dup still holds the first description. */
	EXPECT_ROLES(d, 1, 2);
	close(r);
	EXPECT_ROLES(d, 1, 1);
	close(d);
}

TEST_F(stat, blocked_receivers)
{
	struct kmbox_stat st;
	char c = 'b';
	int fd = kmbox_test_create(NULL, NULL, 0);

	ASSERT_GE(fd, 0);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		alarm(20);
		_exit(kmbox_test_recv(fd, &c, 1, 0, NULL) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->child));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(1, st.blocked_receivers);
	EXPECT_EQ(0, st.blocked_senders);
	ASSERT_EQ(1, kmbox_test_send(fd, &c, 1, 0, 0));
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(0, st.msgs);
	close(fd);
}

TEST_F(stat, blocked_senders)
{
	struct kmbox_attr a = { .max_msgs = 1, .max_msg_size = 8 };
	struct kmbox_stat st;
	char c = 's';
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, put(fd, 1));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		alarm(20);
		_exit(kmbox_test_send(fd, &c, 1, 0, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, kmbox_test_wait_sleeping(self->child));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(1, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	ASSERT_EQ(1, kmbox_test_recv(fd, &c, 1, 0, NULL));
	ASSERT_EQ(0, kmbox_test_reap(self->child));
	self->child = 0;
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(1, st.msgs);
	close(fd);
}

TEST_F(stat, state_bits)
{
	struct kmbox_stat st;
	int anon, fd;

	anon = kmbox_test_create(NULL, NULL, 0);
	ASSERT_GE(anon, 0);
	ASSERT_EQ(0, kmbox_test_stat(anon, &st));
	EXPECT_EQ(0, st.state);
	ASSERT_EQ(0, kmbox_test_ioctl(anon, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(0, kmbox_test_stat(anon, &st));
	EXPECT_EQ(KMBOX_STATE_SHUTDOWN, st.state);
	close(anon);

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED, st.state);
	ASSERT_EQ(0, kmbox_test_unlink(self->name));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED | KMBOX_STATE_UNLINKED, st.state);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(KMBOX_STATE_NAMED | KMBOX_STATE_UNLINKED |
		  KMBOX_STATE_SHUTDOWN, st.state);
	close(fd);
}

TEST_F(stat, owner_mode_flags)
{
	struct kmbox_attr a = { .mode = 0604, .flags = KMBOX_ATTR_HANGUP };
	struct kmbox_stat st;
	int fd = kmbox_test_create(NULL, &a, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(geteuid(), st.uid);
	EXPECT_EQ(getegid(), st.gid);
	EXPECT_EQ(0604, st.mode);
	EXPECT_EQ(KMBOX_ATTR_HANGUP, st.attr_flags);

	a = (struct kmbox_attr){ .mode = 0660, .max_msgs = 3 };
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	EXPECT_EQ(0660, st.mode);
	EXPECT_EQ(3, st.max_msgs);
	EXPECT_EQ(KMBOX_ATTR_HANGUP, st.attr_flags);
	close(fd);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * In a child that maps the creator's uid and gid to 100 and 200 in a new
 * user namespace: STAT, fdinfo and the list show 100 and 200.
 */
static int owner_in_userns(int fd)
{
	unsigned long long v;
	struct kmbox_stat st;
	unsigned int uid = geteuid(), gid = getegid();
	struct entry e;
	char map[64];

	if (unshare(CLONE_NEWUSER))
		return errno == EPERM || errno == EINVAL || errno == ENOSPC ?
			100 : 1;
	if (write_file("/proc/self/setgroups", "deny"))
		return 2;
	snprintf(map, sizeof(map), "100 %u 1\n", uid);
	if (write_file("/proc/self/uid_map", map))
		return 3;
	snprintf(map, sizeof(map), "200 %u 1\n", gid);
	if (write_file("/proc/self/gid_map", map))
		return 4;
	if (kmbox_test_stat(fd, &st) || st.uid != 100 || st.gid != 200)
		return 5;
	if (fdinfo_num(fd, "uid", &v) || v != 100)
		return 6;
	if (fdinfo_num(fd, "gid", &v) || v != 200)
		return 7;
	if (list_find(st.id, &e) || e.uid != 100 || e.gid != 200)
		return 8;
	return 0;
}

/* uid and gid are shown in the caller's user namespace. */
TEST_F(stat, owner_in_callers_user_ns)
{
	int fd = kmbox_test_create(NULL, NULL, 0), ret;

	ASSERT_GE(fd, 0);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0)
		_exit(owner_in_userns(fd));
	ret = kmbox_test_reap(self->child);
	self->child = 0;
	close(fd);
	if (ret == 100)
		SKIP(return, "cannot make a user namespace");
	EXPECT_EQ(0, ret);
}

/* STAT works on a descriptor of any role, and they all agree. */
TEST_F(stat, any_role)
{
	struct kmbox_stat st1, st2;
	int fd, s, r;

	fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	s = kmbox_test_open(self->name, KMBOX_SEND);
	ASSERT_GE(s, 0);
	r = kmbox_test_open(self->name, KMBOX_RECV);
	ASSERT_GE(r, 0);
	ASSERT_EQ(3, put(s, 3));
	ASSERT_EQ(0, kmbox_test_stat(s, &st1));
	ASSERT_EQ(0, kmbox_test_stat(r, &st2));
	EXPECT_EQ(0, memcmp(&st1, &st2, sizeof(st1)));
	EXPECT_EQ(1, st1.msgs);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st2));
	EXPECT_EQ(0, memcmp(&st1, &st2, sizeof(st1)));
	close(s);
	close(r);
	close(fd);
}

/* Output from a 0xAA-filled struct: padding and reserved come back 0. */
TEST_F(stat, prefilled_struct_cleared)
{
	struct kmbox_stat st;
	unsigned int i;
	size_t len = strlen(self->name);
	int fd = kmbox_test_create(self->name, NULL, KMBOX_EXCL);

	ASSERT_GE(fd, 0);
	memset(&st, 0xAA, sizeof(st));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_STAT, &st));
	EXPECT_EQ(0, st.pad);
	EXPECT_EQ(0, st.region_size);
	EXPECT_EQ(0, st.mappings);
	EXPECT_EQ(0, st.ring_producers);
	EXPECT_EQ(0, st.ring_consumers);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		EXPECT_EQ(0, st.reserved[i]);
	}
	for (i = len; i < sizeof(st.name); i++) {
		EXPECT_EQ(0, st.name[i]) {
			TH_LOG("name[%u]", i);
		}
	}
	close(fd);
}

TEST_F(stat, get_attr_prefilled)
{
	struct kmbox_attr in = { .max_msgs = 5, .max_msg_size = 12,
				 .max_bytes = 40, .mode = 0620,
				 .flags = KMBOX_ATTR_HANGUP };
	struct kmbox_attr a;
	int fd = kmbox_test_create(NULL, &in, 0);

	ASSERT_GE(fd, 0);
	memset(&a, 0xAA, sizeof(a));
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(5, a.max_msgs);
	EXPECT_EQ(12, a.max_msg_size);
	EXPECT_EQ(40, a.max_bytes);
	EXPECT_EQ(0620, a.mode);
	EXPECT_EQ(KMBOX_ATTR_HANGUP, a.flags);
	EXPECT_EQ(0, a.region_size);
	EXPECT_EQ(0, a.reserved[0]);
	EXPECT_EQ(0, a.reserved[1]);
	EXPECT_EQ(0, a.reserved[2]);
	close(fd);
}

TEST_F(stat, fdinfo_identity)
{
	static const struct {
		__u32 flags;
		const char *role;
	} t[] = {
		{ KMBOX_SEND, "send" },
		{ KMBOX_RECV, "recv" },
		{ 0, "send,recv" },
		{ KMBOX_SEND | KMBOX_RECV, "send,recv" },
	};
	char val[512];
	unsigned int i;
	int mb, fd;

	mb = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(mb, 0);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fd = kmbox_test_open(self->name, t[i].flags);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, fdinfo_get(fd, "kmbox-id", val, sizeof(val)));
		EXPECT_EQ(kmbox_test_id(mb), strtoull(val, NULL, 0));
		ASSERT_EQ(0, fdinfo_get(fd, "kmbox-name", val, sizeof(val)));
		EXPECT_STREQ(self->name, val);
		ASSERT_EQ(0, fdinfo_get(fd, "kmbox-role", val, sizeof(val)));
		EXPECT_STREQ(t[i].role, val);
		close(fd);
	}
	/* The usual lines come first. */
	ASSERT_EQ(0, fdinfo_get(mb, "pos", val, sizeof(val)));
	ASSERT_EQ(0, fdinfo_get(mb, "flags", val, sizeof(val)));
	close(mb);

	fd = kmbox_test_create(NULL, NULL, KMBOX_RECV);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fdinfo_get(fd, "kmbox-id", val, sizeof(val)));
	EXPECT_EQ(kmbox_test_id(fd), strtoull(val, NULL, 0));
	ASSERT_EQ(0, fdinfo_get(fd, "kmbox-role", val, sizeof(val)));
	EXPECT_STREQ("recv", val);
	EXPECT_EQ(0, fdinfo_get(fd, "kmbox-name", val, sizeof(val)));
	close(fd);
}

/* The figures of fdinfo are those of STAT. */
TEST_F(stat, fdinfo_figures)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kmbox_attr a = { .max_msgs = 9, .max_msg_size = 90,
				.max_bytes = 500, .region_size = 2 * page };
	unsigned long long v;
	struct kmbox_stat st;
	char buf[128];
	int fd, s, i;
	void *m;

	fd = kmbox_test_create(self->name, &a, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	s = kmbox_test_open(self->name, KMBOX_SEND);
	ASSERT_GE(s, 0);
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	ASSERT_TRUE(m != MAP_FAILED);
	for (i = 1; i <= 4; i++) {
		ASSERT_EQ(i * 10, put(s, i * 10));
	}
	ASSERT_EQ(10, kmbox_test_recv(fd, buf, sizeof(buf), KMBOX_DONTWAIT,
				      NULL));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));

#define CHECK_FIGURE(field) do {					\
	ASSERT_EQ(0, fdinfo_num(fd, #field, &v)) {			\
		TH_LOG("no fdinfo line for " #field);			\
	}								\
	EXPECT_EQ(st.field, v) {					\
		TH_LOG("fdinfo " #field);				\
	}								\
} while (0)
	CHECK_FIGURE(msgs);
	CHECK_FIGURE(bytes);
	CHECK_FIGURE(max_msgs);
	CHECK_FIGURE(max_msg_size);
	CHECK_FIGURE(max_bytes);
	CHECK_FIGURE(senders);
	CHECK_FIGURE(receivers);
	CHECK_FIGURE(blocked_senders);
	CHECK_FIGURE(blocked_receivers);
	CHECK_FIGURE(sent);
	CHECK_FIGURE(received);
	CHECK_FIGURE(high_water);
	CHECK_FIGURE(uid);
	CHECK_FIGURE(gid);
	CHECK_FIGURE(region_size);
	CHECK_FIGURE(mappings);
#undef CHECK_FIGURE
	EXPECT_EQ(2 * page, st.region_size);
	EXPECT_EQ(1, st.mappings);
	EXPECT_EQ(3, st.msgs);
	EXPECT_EQ(90, st.bytes);
	EXPECT_EQ(4, st.sent);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(4, st.high_water);
	EXPECT_EQ(2, st.senders);
	EXPECT_EQ(1, st.receivers);
	munmap(m, page);
	close(s);
	close(fd);
}

/* "One key:<tab>value a line": a name cannot add lines. */
TEST_F(stat, fdinfo_name_with_newline)
{
	char path[64], name[96], *plain_buf, *odd_buf;
	int plain, odd, plain_lines;

	plain = kmbox_test_create(self->name, NULL, KMBOX_EXCL);
	ASSERT_GE(plain, 0);
	snprintf(name, sizeof(name), "%s\nkmbox-id:\t12345\n", self->name);
	odd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(odd, 0);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", plain);
	plain_buf = read_all(path);
	ASSERT_TRUE(plain_buf != NULL);
	plain_lines = count_lines(plain_buf);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", odd);
	odd_buf = read_all(path);
	ASSERT_TRUE(odd_buf != NULL);
	EXPECT_EQ(plain_lines, count_lines(odd_buf));
	free(plain_buf);
	free(odd_buf);
	close(odd);
	close(plain);
}

TEST_F(stat, proc_list_named)
{
	struct kmbox_attr a = { .max_msgs = 6, .max_msg_size = 16,
				.max_bytes = 64, .mode = 0640 };
	struct kmbox_stat st;
	struct entry e;
	int fd, r;

	fd = kmbox_test_create(self->name, &a, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	r = kmbox_test_open(self->name, KMBOX_RECV);
	ASSERT_GE(r, 0);
	ASSERT_EQ(16, put(fd, 16));
	ASSERT_EQ(5, put(fd, 5));
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));

	ASSERT_EQ(0, list_find(st.id, &e));
	EXPECT_EQ(geteuid(), e.uid);
	EXPECT_EQ(getegid(), e.gid);
	EXPECT_EQ(0640, e.mode);
	EXPECT_EQ(2, e.msgs);
	EXPECT_EQ(21, e.bytes);
	EXPECT_EQ(6, e.max_msgs);
	EXPECT_EQ(64, e.max_bytes);
	EXPECT_EQ(1, e.senders);
	EXPECT_EQ(2, e.receivers);
	EXPECT_STREQ(self->name, e.name);

	close(r);
	close(fd);
	EXPECT_EQ(-1, list_find(st.id, &e));
}

TEST_F(stat, proc_list_anonymous)
{
	struct kmbox_stat st;
	struct entry e;
	int fd = kmbox_test_create(NULL, NULL, KMBOX_SEND);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_stat(fd, &st));
	ASSERT_EQ(0, list_find(st.id, &e));
	EXPECT_STREQ("-", e.name);
	EXPECT_EQ(0600, e.mode);
	EXPECT_EQ(1, e.senders);
	EXPECT_EQ(0, e.receivers);
	EXPECT_EQ(st.max_msgs, e.max_msgs);
	EXPECT_EQ(st.max_bytes, e.max_bytes);
	close(fd);
	EXPECT_EQ(-1, list_find(st.id, &e));
}

/* One mailbox a line, whatever bytes its name holds. */
TEST_F(stat, proc_list_name_with_newline)
{
	char name[96], *buf;
	int before, fd;

	snprintf(name, sizeof(name), "%s\n1 0 0 600 0 0 1 1 0 0 fake\n",
		 self->name);
	buf = read_all(PROC_LIST);
	ASSERT_TRUE(buf != NULL);
	before = count_lines(buf);
	free(buf);
	fd = kmbox_test_create(name, NULL, KMBOX_EXCL);
	ASSERT_GE(fd, 0);
	buf = read_all(PROC_LIST);
	ASSERT_TRUE(buf != NULL);
	EXPECT_EQ(before + 1, count_lines(buf));
	free(buf);
	close(fd);
}

/* Every mailbox is listed while it lives, and only then. */
TEST_F(stat, proc_list_many)
{
	struct entry e;
	int fds[40], i, found = 0;
	__u64 ids[40];

	for (i = 0; i < 40; i++) {
		fds[i] = kmbox_test_create(NULL, NULL, 0);
		ASSERT_GE(fds[i], 0);
		ids[i] = kmbox_test_id(fds[i]);
	}
	for (i = 0; i < 40; i++)
		found += list_find(ids[i], &e) == 0;
	EXPECT_EQ(40, found);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	found = 0;
	for (i = 0; i < 40; i++)
		found += list_find(ids[i], &e) == 0;
	EXPECT_EQ(0, found);
}

TEST_HARNESS_MAIN
