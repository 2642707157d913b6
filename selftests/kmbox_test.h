/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kmbox selftests.
 */
#ifndef KMBOX_TEST_H
#define KMBOX_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kmbox.h>

#define KMBOX_DEV "/dev/kmbox"
#define KMBOX_PARAM_DIR "/sys/module/kmbox/parameters/"

/*
 * ioctl() that returns -errno on failure, so ASSERT_EQ can name the errno,
 * and the ioctl's own result (a descriptor, a length) on success.
 */
static inline int kmbox_test_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* @cmd on /dev/kmbox, opened for the call: as kmbox_test_ioctl(). */
static inline int kmbox_test_dev_ioctl(unsigned long cmd, void *arg)
{
	int dev, ret;

	dev = open(KMBOX_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = kmbox_test_ioctl(dev, cmd, arg);
	close(dev);
	return ret;
}

/*
 * The raw ioctls, one helper each, independent of libkmbox so that the
 * kernel interface is tested on its own.  All return -errno on failure.
 */
static inline int kmbox_test_create(const char *name,
				    const struct kmbox_attr *attr, __u32 flags)
{
	struct kmbox_create c = {
		.name = (__u64)(unsigned long)name,
		.flags = flags,
	};

	if (attr)
		c.attr = *attr;
	return kmbox_test_dev_ioctl(KMBOX_IOC_CREATE, &c);
}

static inline int kmbox_test_open(const char *name, __u32 flags)
{
	struct kmbox_open o = {
		.name = (__u64)(unsigned long)name,
		.flags = flags,
	};

	return kmbox_test_dev_ioctl(KMBOX_IOC_OPEN, &o);
}

static inline int kmbox_test_unlink(const char *name)
{
	struct kmbox_unlink u = { .name = (__u64)(unsigned long)name };

	return kmbox_test_dev_ioctl(KMBOX_IOC_UNLINK, &u);
}

/* KMBOX_IOC_SEND of @len bytes at @prio; returns the length or -errno. */
static inline int kmbox_test_send(int fd, const void *buf, size_t len,
				  __u32 prio, __u32 flags)
{
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = len,
		.flags = flags,
		.priority = prio,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_SEND, &m);
}

/*
 * KMBOX_IOC_RECV into @buf; @m (may be NULL) gets the metadata.  Returns
 * the message length or -errno.
 */
static inline int kmbox_test_recv(int fd, void *buf, size_t len,
				  __u32 flags, struct kmbox_msg *m)
{
	struct kmbox_msg local;

	if (!m)
		m = &local;
	memset(m, 0, sizeof(*m));
	m->buf = (__u64)(unsigned long)buf;
	m->len = len;
	m->flags = flags;
	return kmbox_test_ioctl(fd, KMBOX_IOC_RECV, m);
}

static inline int kmbox_test_stat(int fd, struct kmbox_stat *st)
{
	memset(st, 0xAA, sizeof(*st));
	return kmbox_test_ioctl(fd, KMBOX_IOC_STAT, st);
}

/*
 * What a mailbox charges its owner's bytes_per_user, by the formula of
 * Documentation/admin-guide.rst ("Per-user limits"): the mailbox, each
 * message slot, max_bytes and the region.
 */
#define KMBOX_TEST_MAILBOX_CHARGE	2048
#define KMBOX_TEST_MSG_CHARGE		128

static inline __u64 kmbox_test_charge(__u64 max_msgs, __u64 max_bytes,
				      __u64 region)
{
	return KMBOX_TEST_MAILBOX_CHARGE + max_msgs * KMBOX_TEST_MSG_CHARGE +
	       max_bytes + region;
}

/* A name no other test, process or run uses: "<tag>-<pid>-<counter>". */
static inline const char *kmbox_test_name(char *buf, size_t size,
					  const char *tag)
{
	static unsigned int counter;

	snprintf(buf, size, "%s-%d-%u", tag, (int)getpid(), ++counter);
	return buf;
}

static inline __u64 kmbox_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Reads file @path into @buf, NUL-terminated: its length, or -1. */
static inline int kmbox_test_read_file(const char *path, char *buf,
				       size_t size)
{
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* Writes string @val to file @path in one write(): 0 or -errno. */
static inline int kmbox_test_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Wait until task @tid sleeps (state S in /proc/<tid>/stat), so that a
 * test acts on a waiter that is really waiting.  Returns 0, or -1 after
 * about 10 s.
 */
static inline int kmbox_test_wait_sleeping(int tid)
{
	char path[64], buf[512], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	for (i = 0; i < 10000; i++) {
		if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * Wait until task @tid sleeps (state S) inside system call @nr whose
 * second argument is @arg1, as /proc/<tid>/syscall shows it: proof that a
 * waiter is asleep in that very call (an ioctl and its command, a futex
 * and its operation), not somewhere before it.  Where the kernel has no
 * /proc/<tid>/syscall, the state alone.  Returns 0, or -1 after ~10 s.
 */
static inline int kmbox_test_wait_in_syscall(int tid, long nr,
					     unsigned long arg1)
{
	char path[64], buf[512], *p;
	unsigned long long a0, a1;
	long got;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	if (access(path, R_OK))
		return kmbox_test_wait_sleeping(tid);
	for (i = 0; i < 10000; i++) {
		if (kmbox_test_wait_sleeping(tid))
			return -1;
		if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		if (sscanf(buf, "%ld 0x%llx 0x%llx", &got, &a0, &a1) == 3 &&
		    got == nr && a1 == arg1) {
			/* Still asleep after the look at its system call? */
			snprintf(path, sizeof(path), "/proc/%d/stat", tid);
			if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
				return -1;
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return 0;
			snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
		}
		usleep(1000);
	}
	return -1;
}

/*
 * Value of the line "@key:<tab>value" of /proc/self/fdinfo/@fd into @val
 * (truncated to @size), without the newline: 0, or -1 if there is none.
 */
static inline int kmbox_test_fdinfo(int fd, const char *key, char *val,
				    size_t size)
{
	char path[64], line[512], *v;
	size_t len = strlen(key), n;
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, len) || line[len] != ':' ||
		    line[len + 1] != '\t')
			continue;
		v = line + len + 2;
		n = strcspn(v, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(val, v, n);
		val[n] = 0;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* KMBOX_IOC_CREATE with only region_size set: a descriptor or -errno. */
static inline int kmbox_test_create_region(const char *name, __u64 size,
					   __u32 flags)
{
	struct kmbox_attr attr = { .region_size = size };

	return kmbox_test_create(name, &attr, flags);
}

/*
 * Two pages, the second PROT_NONE: returns a pointer @len bytes before the
 * guard, so an access of more than @len bytes faults.  NULL on failure.
 */
static inline void *kmbox_test_guarded(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page, page, PROT_NONE)) {
		munmap(p, 2 * page);
		return NULL;
	}
	return p + page - len;
}

/* An address that is certainly not mapped: a page that was unmapped. */
static inline void *kmbox_test_unmapped(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page);
	return p;
}

/* An address in the kernel's part of the address space. */
static inline void *kmbox_test_kernel_ptr(void)
{
	return (void *)(sizeof(void *) < 8 ? 0xc0000000UL :
			0xffffffff81000000UL);
}

/* read() that returns -errno on failure. */
static inline int kmbox_test_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : (int)n;
}

/* write() that returns -errno on failure. */
static inline int kmbox_test_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : (int)n;
}

/* SEND or RECV @cmd with a timeout; *@elapsed gets the time it took. */
static inline int kmbox_test_timed(int fd, unsigned long cmd,
				   const void *buf, size_t len, __u32 flags,
				   __u64 timeout_ns, __u64 *elapsed)
{
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = len,
		.timeout_ns = timeout_ns,
		.flags = flags,
	};
	__u64 start = kmbox_test_now_ns();
	int ret = kmbox_test_ioctl(fd, cmd, &m);

	if (elapsed)
		*elapsed = kmbox_test_now_ns() - start;
	return ret;
}

/* Messages queued in the mailbox of @fd, or -1 if STAT fails. */
static inline long long kmbox_test_queued(int fd)
{
	struct kmbox_stat st;

	if (kmbox_test_stat(fd, &st))
		return -1;
	return st.msgs;
}

/* The id of the mailbox of @fd, or ~0 if STAT fails. */
static inline __u64 kmbox_test_id(int fd)
{
	struct kmbox_stat st;

	return kmbox_test_stat(fd, &st) ? ~0ull : st.id;
}

/* Queues @n one-byte messages "0", "1", ... without waiting; 0 or -1. */
static inline int kmbox_test_fill(int fd, int n)
{
	char c;
	int i;

	for (i = 0; i < n; i++) {
		c = '0' + i;
		if (kmbox_test_send(fd, &c, 1, 0, KMBOX_DONTWAIT) != 1)
			return -1;
	}
	return 0;
}

/* Creates @name, opened as *@rw (both roles), *@snd, *@rcv: 0 or -errno. */
static inline int kmbox_test_open3(const char *name, __u64 max_msgs,
				   __u64 msg_size, int *rw, int *snd, int *rcv)
{
	struct kmbox_attr attr = {
		.max_msgs = max_msgs,
		.max_msg_size = msg_size,
	};

	*rw = *snd = *rcv = -1;
	*rw = kmbox_test_create(name, &attr, KMBOX_EXCL | KMBOX_CLOEXEC);
	if (*rw < 0)
		return *rw;
	*snd = kmbox_test_open(name, KMBOX_SEND | KMBOX_CLOEXEC);
	if (*snd < 0)
		return *snd;
	*rcv = kmbox_test_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	return *rcv < 0 ? *rcv : 0;
}

/* Closes those of @rw, @snd and @rcv that are open; unlinks @name if set. */
static inline void kmbox_test_close3(const char *name, int rw, int snd,
				     int rcv)
{
	if (rw >= 0)
		close(rw);
	if (snd >= 0)
		close(snd);
	if (rcv >= 0)
		close(rcv);
	if (name)
		kmbox_test_unlink(name);
}

/* revents of a poll() for @events of up to @ms, 0 if none, or -errno. */
static inline int kmbox_test_poll(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

/* revents of a poll() for @events that does not wait, or -errno. */
static inline int kmbox_test_revents(int fd, short events)
{
	return kmbox_test_poll(fd, events, 0);
}

/* Blocks signal @sig in the calling thread, so that it stays pending. */
static inline int kmbox_test_block_signal(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Takes a pending @sig (*@info, if set, gets it): 1, 0 if none, -1. */
static inline int kmbox_test_take_signal(int sig, siginfo_t *info)
{
	struct timespec zero = { 0 };
	sigset_t set;
	int n;

	sigemptyset(&set);
	sigaddset(&set, sig);
	n = sigtimedwait(&set, info, &zero);
	if (n == sig)
		return 1;
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

/* Waits until @pid sleeps, then 0 if STAT counts @recvs and @sends asleep. */
static inline int kmbox_test_sleeping(int fd, pid_t pid, unsigned int recvs,
				      unsigned int sends)
{
	struct kmbox_stat st;

	if (kmbox_test_wait_sleeping(pid))
		return -1;
	if (kmbox_test_stat(fd, &st))
		return -2;
	if (st.blocked_receivers != recvs || st.blocked_senders != sends) {
		fprintf(stderr, "# blocked: %u receivers, %u senders\n",
			st.blocked_receivers, st.blocked_senders);
		return -3;
	}
	return 0;
}

/* Exit code of a child whose call returned something unexpected. */
#define KMBOX_TEST_BAD	200

/* A child's exit code: 0 if @ret is @want, else its errno or BAD + 1. */
static inline int kmbox_test_verdict(int ret, int want)
{
	if (ret == want)
		return 0;
	return ret < 0 ? -ret : KMBOX_TEST_BAD + 1;
}

/* In a child process: report a failed check and exit non-zero. */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: child: check failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		_exit(1);						\
	}								\
} while (0)

/* Waits for @pid (-1: any child): exit code, 1000 + signal, or -1. */
static inline int kmbox_test_wait(pid_t pid, pid_t *who)
{
	int status;

	pid = waitpid(pid, &status, 0);
	if (pid < 0)
		return -1;
	if (who)
		*who = pid;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : -1;
}

/* Exit status of child @pid, 128 + signal if it was killed, -1 on error. */
static inline int kmbox_test_reap(pid_t pid)
{
	int ret = kmbox_test_wait(pid, NULL);

	return ret >= 1000 ? ret - 1000 + 128 : ret;
}

/* Waits for child *@pid and forgets it: as kmbox_test_wait(). */
static inline int kmbox_test_reap_kid(pid_t *pid)
{
	int ret = kmbox_test_wait(*pid, NULL);

	*pid = 0;
	return ret;
}

/* Kills child *@pid, if there is one, reaps it and forgets it. */
static inline void kmbox_test_kill(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* How many children a struct kmbox_test_kids can hold. */
#define KMBOX_TEST_MAX_KIDS	8

/* Children a fixture forks, so that its teardown can kill and reap them. */
struct kmbox_test_kids {
	pid_t pid[KMBOX_TEST_MAX_KIDS];
};

/* fork(), remembering the child in @k; -1 if @k is full. */
static inline pid_t kmbox_test_spawn(struct kmbox_test_kids *k)
{
	pid_t pid;
	int i;

	for (i = 0; i < KMBOX_TEST_MAX_KIDS && k->pid[i]; i++)
		;
	if (i == KMBOX_TEST_MAX_KIDS)
		return -1;
	pid = fork();
	if (pid > 0)
		k->pid[i] = pid;
	return pid;
}

/* Waits for @pid (-1: any) and forgets it in @k: as kmbox_test_wait(). */
static inline int kmbox_test_kids_reap(struct kmbox_test_kids *k, pid_t pid,
				       pid_t *who)
{
	int i, ret = kmbox_test_wait(pid, &pid);

	for (i = 0; ret >= 0 && i < KMBOX_TEST_MAX_KIDS; i++) {
		if (k->pid[i] == pid)
			k->pid[i] = 0;
	}
	if (who)
		*who = pid;
	return ret;
}

/* Kills and reaps every child still in @k. */
static inline void kmbox_test_kill_kids(struct kmbox_test_kids *k)
{
	int i;

	for (i = 0; i < KMBOX_TEST_MAX_KIDS; i++)
		kmbox_test_kill(&k->pid[i]);
}

/* Value of module parameter @name, or -1 if it cannot be read. */
static inline long long kmbox_test_param_read(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), KMBOX_PARAM_DIR "%s", name);
	if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

/* Writes @val to module parameter @name as it is: 0 or -errno. */
static inline int kmbox_test_param_write_str(const char *name,
					     const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), KMBOX_PARAM_DIR "%s", name);
	return kmbox_test_write_file(path, val);
}

/* Sets module parameter @name; 0 or -errno. */
static inline int kmbox_test_param_write(const char *name, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", val);
	return kmbox_test_param_write_str(name, buf);
}

/* The effective and permitted capabilities (raw capget); 0 or -errno. */
static inline int kmbox_test_caps_get(__u64 *eff, __u64 *perm)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	*eff = *perm = 0;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = data[0].effective | (__u64)data[1].effective << 32;
	*perm = data[0].permitted | (__u64)data[1].permitted << 32;
	return 0;
}

/* Sets the effective and permitted capabilities (raw capset); 0 or -errno. */
static inline int kmbox_test_caps_set(__u64 eff, __u64 perm)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = eff, .permitted = perm },
		{ .effective = eff >> 32, .permitted = perm >> 32 },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* The most descriptors kmbox_test_send_fds() and _recv_fds() pass. */
#define KMBOX_TEST_MAX_FDS	4

/* Sends @n descriptors and @len bytes over @sock (SCM_RIGHTS); 0 or -errno. */
static inline int kmbox_test_send_fds(int sock, const int *fds, int n,
				      const void *data, size_t len)
{
	char ctl[CMSG_SPACE(KMBOX_TEST_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	if (n < 1 || n > KMBOX_TEST_MAX_FDS)
		return -EINVAL;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -errno;
}

/* Receives @len bytes and up to @max descriptors: how many, or -errno. */
static inline int kmbox_test_recv_fds(int sock, int *fds, int max,
				      void *data, size_t len)
{
	char ctl[CMSG_SPACE(KMBOX_TEST_MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;
	ssize_t got;
	int n;

	got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (got != (ssize_t)len)
		return got < 0 ? -errno : -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS)
		return 0;
	n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (n > max)
		return -EMSGSIZE;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return n;
}

/* KMBOX_IOC_RING_JOIN as @side: 0 or -errno. */
static inline int kmbox_test_ring_join(int fd, __u32 side)
{
	struct kmbox_ring_join j = { .side = side };

	return kmbox_test_ioctl(fd, KMBOX_IOC_RING_JOIN, &j);
}

/* KMBOX_IOC_RING_WAIT on the word at @uaddr: 0 or -errno. */
static inline int kmbox_test_ring_wait(int fd, const void *uaddr,
				       __u32 value, __u32 flags,
				       __u64 timeout_ns)
{
	struct kmbox_ring_wait w = {
		.uaddr = (__u64)(unsigned long)uaddr,
		.value = value,
		.flags = flags,
		.timeout_ns = timeout_ns,
	};

	return kmbox_test_ioctl(fd, KMBOX_IOC_RING_WAIT, &w);
}

/* KMBOX_IOC_RING_WAKE: 0 or -errno. */
static inline int kmbox_test_ring_wake(int fd)
{
	return kmbox_test_ioctl(fd, KMBOX_IOC_RING_WAKE, NULL);
}

/* FNV-1a of @len bytes: the checksum test messages carry. */
static inline __u32 kmbox_test_fnv1a(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	__u32 h = 2166136261u;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/*
 * Fills @len bytes at @pay with the payload of message @seq of producer
 * @producer: a xorshift stream seeded from both, so that a receiver can
 * tell a message from any other by its checksum.
 */
static inline void kmbox_test_payload(unsigned char *pay, __u32 len,
				      __u32 producer, __u32 seq)
{
	__u32 i, x = producer * 2654435761u ^ seq * 40503u ^ 0x9e3779b9u;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pay[i] = x;
	}
}

/*
 * Seconds a stress subtest (race, soak, fuzz) runs: KMBOX_STRESS_SECS,
 * 2 if unset or invalid, at most an hour.  make check leaves it unset;
 * make stress raises it.
 */
static inline unsigned int kmbox_test_stress_secs(void)
{
	const char *s = getenv("KMBOX_STRESS_SECS");
	long v = s ? strtol(s, NULL, 10) : 0;

	if (v <= 0)
		return 2;
	return v > 3600 ? 3600 : v;
}

/*
 * The 6.1 harness takes a subtest's timeout from a constant in its
 * metadata object (_<fixture>_<test>_object); this rewrites it before
 * main() runs so that it follows KMBOX_STRESS_SECS: the timed loop, then
 * a minute for the work after it on a slow debug kernel.
 */
#define KMBOX_TEST_STRESS_TIMEOUT(fixture, test)			\
static void __attribute__((constructor))				\
kmbox_stress_timeout_##fixture##_##test(void)				\
{									\
	_##fixture##_##test##_object.timeout =				\
		60 + 2 * kmbox_test_stress_secs();			\
}

#endif /* KMBOX_TEST_H */
