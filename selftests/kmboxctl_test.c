// SPDX-License-Identifier: GPL-2.0
/*
 * kmboxctl, the command-line tool: each command's output and exit code
 * (0 ok, 1 error, 2 usage, 3 timeout), every error path, and a 1 MiB
 * stream through two kmboxctl processes coming out byte for byte.
 *
 * The tool is the file "kmboxctl" next to this program, or $KMBOXCTL.
 * What a command did is checked through the raw ioctls, not the tool.
 */
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "kmbox_test.h"

#define OUT_SIZE	65536
#define ERR_SIZE	4096
#define RUN_TIMEOUT_NS	(20 * 1000000000ull)
#define STREAM_SIZE	(1 << 20)
#define NOBODY		65534
/*
 * Timeout of a subtest that runs the tool many times: an exec takes
 * about a second on the debug kernel.
 */
#define SLOW		90

struct ctl_run {
	int status;		/* exit code, 128 + signal, or -1 */
	__u64 ns;		/* how long it ran */
	size_t out_len;
	char out[OUT_SIZE];	/* stdout, NUL-terminated */
	char err[ERR_SIZE];	/* stderr, NUL-terminated */
};

FIXTURE(ctl) {
	bool hide_dev;		/* run the tool where /dev and /proc/driver
			 * have no kmbox */
	char ctl[PATH_MAX];
	char name[64];
	char name2[96];		/* another name a test makes, or "" */
	int fd;
	struct kmbox_test_kids kids;
	struct ctl_run r;
};

/* The tool: $KMBOXCTL, or "kmboxctl" in this program's folder. */
static int find_ctl(char *path, size_t size)
{
	const char *env = getenv("KMBOXCTL");
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(path, size, "%s", env);
	} else {
		n = readlink("/proc/self/exe", path, size - 16);
		if (n < 0)
			return -errno;
		path[n] = 0;
		slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "kmboxctl");
	}
	return access(path, X_OK) ? -errno : 0;
}

FIXTURE_SETUP(ctl)
{
	self->fd = -1;
	ASSERT_EQ(0, find_ctl(self->ctl, sizeof(self->ctl))) {
		TH_LOG("no kmboxctl at %s: build it next to this test or set KMBOXCTL",
		       self->ctl);
	}
	kmbox_test_name(self->name, sizeof(self->name), "ctl");
	/* Writing to a tool that has exited must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Runs kmboxctl @args with stdin @in, stdout @out and stderr @err (-1:
 * this process's own) as user @uid (0: as is): its pid, or -1.
 */
static pid_t spawn(FIXTURE_DATA(ctl) *self, const char *const *args, int in,
		   int out, int err, uid_t uid)
{
	const char *argv[32] = { "kmboxctl" };
	pid_t pid;
	int i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	pid = kmbox_test_spawn(&self->kids);
	if (pid)
		return pid;
	if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
	    (err >= 0 && dup2(err, 2) < 0))
		_exit(126);
	if (self->hide_dev &&
	    (unshare(CLONE_NEWNS) ||
	     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	     mount("tmpfs", "/dev", "tmpfs", 0, NULL) ||
	     mount("tmpfs", "/proc/driver", "tmpfs", 0, NULL)))
		_exit(126);
	if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)))
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execv(self->ctl, (char **)argv);
	_exit(127);
}

/* Reaps @pid as kmbox_test_reap(), and forgets it. */
static int reap(FIXTURE_DATA(ctl) *self, pid_t pid)
{
	int ret = kmbox_test_kids_reap(&self->kids, pid, NULL);

	return ret >= 1000 ? ret - 1000 + 128 : ret;
}

/* Appends what @fd has to @buf (@len so far, @size in all): 0 at EOF. */
static int drain(int fd, char *buf, size_t *len, size_t size)
{
	char sink[4096];
	ssize_t n;

	if (*len + 1 < size)
		n = read(fd, buf + *len, size - 1 - *len);
	else
		n = read(fd, sink, sizeof(sink));
	if (n > 0 && *len + 1 < size)
		*len += n;
	return n < 0 && errno == EINTR ? 1 : n;
}

/*
 * Runs kmboxctl @args as @uid with @in on its stdin, to the end: its
 * exit status; self->r gets its output.  Killed after 20 s.
 */
static int run_as(FIXTURE_DATA(ctl) *self, uid_t uid, const char *in,
		  const char *const *args)
{
	int pin[2], pout[2], perr[2], open_fds = 2, n;
	size_t in_left = in ? strlen(in) : 0, err_len = 0;
	struct ctl_run *r = &self->r;
	struct pollfd p[3];
	__u64 start;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
	    pipe2(perr, O_CLOEXEC))
		return -1;
	start = kmbox_test_now_ns();
	pid = spawn(self, args, pin[0], pout[1], perr[1], uid);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (!in_left) {
		close(pin[1]);
		pin[1] = -1;
	}
	p[0] = (struct pollfd){ .fd = pout[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = perr[0], .events = POLLIN };
	while (pid > 0 && open_fds &&
	       kmbox_test_now_ns() - start < RUN_TIMEOUT_NS) {
		p[2] = (struct pollfd){ .fd = pin[1], .events = POLLOUT };
		if (poll(p, 3, 1000) <= 0)
			continue;
		if (p[2].revents) {
			n = write(pin[1], in, in_left);
			if (n > 0) {
				in += n;
				in_left -= n;
			}
			if (n <= 0 || !in_left) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
		if (p[0].revents && !drain(pout[0], r->out, &r->out_len,
					   sizeof(r->out))) {
			p[0].fd = -1;
			open_fds--;
		}
		if (p[1].revents && !drain(perr[0], r->err, &err_len,
					   sizeof(r->err))) {
			p[1].fd = -1;
			open_fds--;
		}
	}
	if (pin[1] >= 0)
		close(pin[1]);
	close(pout[0]);
	close(perr[0]);
	if (pid <= 0)
		return -1;
	if (open_fds)
		kill(pid, SIGKILL);
	r->status = reap(self, pid);
	r->ns = kmbox_test_now_ns() - start;
	if (r->status)
		ksft_print_msg("kmboxctl %s ...: exit %d: %s",
			       args[0] ? args[0] : "", r->status, r->err);
	return r->status;
}

#define ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })
/* kmboxctl ARGS, stdin empty: the exit status. */
#define CTL(...)	run_as(self, 0, NULL, ARGS(__VA_ARGS__))
/* kmboxctl ARGS, with string @in on stdin. */
#define CTL_IN(in, ...)	run_as(self, 0, in, ARGS(__VA_ARGS__))
/* kmboxctl ARGS as user @uid. */
#define CTL_AS(uid, ...) run_as(self, uid, NULL, ARGS(__VA_ARGS__))

/* The id of mailbox @name (opened for a moment), or 0. */
static __u64 id_of(const char *name)
{
	int fd = kmbox_test_open(name, KMBOX_RECV | KMBOX_CLOEXEC);
	__u64 id;

	if (fd < 0)
		return 0;
	id = kmbox_test_id(fd);
	close(fd);
	return id;
}

FIXTURE_TEARDOWN(ctl)
{
	kmbox_test_kill_kids(&self->kids);
	if (self->fd >= 0)
		close(self->fd);
	/* Remove what "create" made, if the test did not. */
	if (id_of(self->name))
		run_as(self, 0, NULL, ARGS("rm", self->name));
	if (self->name2[0] && id_of(self->name2))
		run_as(self, 0, NULL, ARGS("rm", self->name2));
}

/* Makes the fixture's mailbox with the raw ioctl; self->fd keeps it. */
static int make(FIXTURE_DATA(ctl) *self, __u64 max_msgs, __u64 size)
{
	struct kmbox_attr a = { .max_msgs = max_msgs, .max_msg_size = size };

	self->fd = kmbox_test_create(self->name, &a,
				     KMBOX_EXCL | KMBOX_CLOEXEC);
	return self->fd < 0 ? self->fd : 0;
}

/* Sends string @s on the fixture's descriptor: its length, or -errno. */
static int put(FIXTURE_DATA(ctl) *self, const char *s)
{
	return kmbox_test_send(self->fd, s, strlen(s), 0, KMBOX_DONTWAIT);
}

/* Receives a message as a string (not waiting): its length, or -errno. */
static int take(int fd, char *buf, size_t size, struct kmbox_msg *m)
{
	int n = kmbox_test_recv(fd, buf, size - 1, KMBOX_DONTWAIT, m);

	buf[n < 0 ? 0 : n] = 0;
	return n;
}

/* The value of line "@key: value" of stat's output, or "" if none. */
static const char *stat_value(const char *out, const char *key, char *val,
			      size_t size)
{
	size_t klen = strlen(key), n;
	const char *p;

	val[0] = 0;
	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		p += klen + 1;
		p += strspn(p, " ");
		n = strcspn(p, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(val, p, n);
		val[n] = 0;
		break;
	}
	return val;
}

/* Whether /proc/driver/kmbox lists a mailbox with id @id. */
static bool listed(__u64 id)
{
	unsigned long long got;
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/driver/kmbox", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu", &got) == 1 && got == id)
			found = true;
	fclose(f);
	return found;
}

struct ls_entry {
	unsigned long long id, msgs, bytes, max_msgs, max_bytes;
	unsigned int uid, gid, mode, senders, receivers;
};

/* The line of ls output @out for mailbox @name, parsed: 0, or -1. */
static int ls_entry(const char *out, const char *name, struct ls_entry *e)
{
	size_t len = strlen(name);
	const char *line, *end;

	for (line = out; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (end - line < (long)len + 2 ||
		    strncmp(end - len - 2, "  ", 2) ||
		    strncmp(end - len, name, len))
			continue;
		if (sscanf(line, "%llu %u %u %o %llu %llu %llu %llu %u %u",
			   &e->id, &e->uid, &e->gid, &e->mode, &e->msgs,
			   &e->bytes, &e->max_msgs, &e->max_bytes,
			   &e->senders, &e->receivers) == 10)
			return 0;
		if (!*end)
			break;
	}
	return -1;
}

static const char *const commands[] = {
	"ls", "create", "rm", "stat", "send", "recv", "watch",
};

#define NR_COMMANDS	ARRAY_SIZE(commands)

/* --help: a synopsis of every command, on stdout, exit 0. */
TEST_F(ctl, help)
{
	char want[32];
	size_t i;

	ASSERT_EQ(0, CTL("--help"));
	EXPECT_EQ(0, strncmp(self->r.out, "Usage: kmboxctl COMMAND", 23));
	EXPECT_STREQ("", self->r.err);
	for (i = 0; i < NR_COMMANDS; i++) {
		snprintf(want, sizeof(want), "\n  %s ", commands[i]);
		EXPECT_TRUE(strstr(self->r.out, want) != NULL) {
			TH_LOG("--help does not list %s", commands[i]);
		}
	}
	EXPECT_TRUE(strstr(self->r.out, "Exit status") != NULL);
	ASSERT_EQ(0, CTL("-h"));
}

/* COMMAND --help: that command's usage and options, exit 0. */
TEST_F_TIMEOUT(ctl, help_each_command, SLOW)
{
	char want[64];
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++) {
		EXPECT_EQ(0, CTL(commands[i], "--help"));
		snprintf(want, sizeof(want), "Usage: kmboxctl %s ",
			 commands[i]);
		EXPECT_EQ(0, strncmp(self->r.out, want, strlen(want))) {
			TH_LOG("%s --help: %s", commands[i], self->r.out);
		}
		EXPECT_TRUE(strstr(self->r.out, "--help") != NULL);
		EXPECT_STREQ("", self->r.err);
	}
}

/* --version: the tool's version and the module's ABI. */
TEST_F(ctl, version)
{
	char want[64];

	ASSERT_EQ(0, CTL("--version"));
	EXPECT_EQ(0, strncmp(self->r.out, "kmboxctl 1.", 11));
	snprintf(want, sizeof(want), "module ABI %d)", KMBOX_ABI_VERSION);
	EXPECT_TRUE(strstr(self->r.out, want) != NULL) {
		TH_LOG("--version: %s", self->r.out);
	}
	ASSERT_EQ(0, CTL("-V"));
}

/* No command, an unknown command or option: exit 2 and usage. */
TEST_F(ctl, no_or_unknown_command)
{
	ASSERT_EQ(2, run_as(self, 0, NULL, (const char *const []){ NULL }));
	EXPECT_TRUE(strstr(self->r.err, "Usage: kmboxctl") != NULL);
	EXPECT_STREQ("", self->r.out);
	ASSERT_EQ(2, CTL("frobnicate"));
	EXPECT_TRUE(strstr(self->r.err, "frobnicate") != NULL);
	EXPECT_TRUE(strstr(self->r.err, "Usage: kmboxctl") != NULL);
	ASSERT_EQ(2, CTL("--frobnicate"));
	EXPECT_TRUE(strstr(self->r.err, "--frobnicate") != NULL);
}

/* An unknown option of each command: exit 2 with that command's usage. */
TEST_F_TIMEOUT(ctl, bad_option_each_command, SLOW)
{
	char want[64];
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++) {
		EXPECT_EQ(2, CTL(commands[i], "--bogus", self->name));
		snprintf(want, sizeof(want), "Usage: kmboxctl %s ",
			 commands[i]);
		EXPECT_TRUE(strstr(self->r.err, want) != NULL) {
			TH_LOG("%s --bogus: %s", commands[i], self->r.err);
		}
		EXPECT_TRUE(strstr(self->r.err, "--bogus") != NULL);
		EXPECT_STREQ("", self->r.out);
		EXPECT_EQ(2, CTL(commands[i], "-Z", self->name));
	}
	/* send's options are not recv's, and the other way round. */
	EXPECT_EQ(2, CTL("recv", "--prio", "1", self->name));
	EXPECT_TRUE(strstr(self->r.err, "--prio") != NULL);
	EXPECT_EQ(2, CTL("send", "--count", "1", self->name));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
}

/* Missing or extra arguments: exit 2, and nothing is done. */
TEST_F_TIMEOUT(ctl, bad_arguments, SLOW)
{
	ASSERT_EQ(0, make(self, 0, 0));
	EXPECT_EQ(2, CTL("create"));
	EXPECT_TRUE(strstr(self->r.err, "missing NAME") != NULL);
	EXPECT_EQ(2, CTL("create", "a", "b"));
	EXPECT_EQ(2, CTL("rm"));
	EXPECT_EQ(2, CTL("stat"));
	EXPECT_EQ(2, CTL("stat", self->name, "b"));
	EXPECT_EQ(2, CTL("send"));
	EXPECT_EQ(2, CTL("recv"));
	EXPECT_EQ(2, CTL("recv", self->name, "extra"));
	EXPECT_EQ(2, CTL("ls", "extra"));
	EXPECT_EQ(2, CTL("watch"));
	EXPECT_EQ(2, CTL("watch", "--all", self->name));
	EXPECT_EQ(2, CTL("send", "--stream", self->name, "message"));
	EXPECT_EQ(2, CTL("send", self->name, "--timeout"));
	EXPECT_TRUE(strstr(self->r.err, "needs an argument") != NULL);
	EXPECT_EQ(2, CTL("recv", self->name, "--timeout", "1",
			 "--nonblock"));
	/* Nothing was sent by any of them. */
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
}

/* create's numbers that are not numbers, or out of range: exit 2. */
TEST_F_TIMEOUT(ctl, create_bad_numbers, SLOW)
{
	static const char *const bad[][2] = {
		{ "--max-msgs", "abc" }, { "--max-msgs", "-1" },
		{ "--max-msgs", "12x" }, { "--max-msgs", "" },
		{ "--max-msgs", "99999999999999999999999" },
		{ "--max-bytes", "20000000000G" }, { "--max-msg-size", "1.5" },
		{ "--region-size", "0x1000" },
		{ "--mode", "8" }, { "--mode", "01000" }, { "--mode", "rw" },
		{ "--mode", "" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(2, CTL("create", self->name, bad[i][0], bad[i][1])) {
			TH_LOG("create %s '%s'", bad[i][0], bad[i][1]);
		}
		EXPECT_TRUE(strstr(self->r.err, bad[i][0]) != NULL);
		EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
	}
}

/* send's, recv's and watch's bad numbers: exit 2, nothing sent. */
TEST_F_TIMEOUT(ctl, bad_numbers, SLOW)
{
	ASSERT_EQ(0, make(self, 0, 0));
	EXPECT_EQ(2, CTL("send", "--prio", "32", self->name, "x"));
	EXPECT_EQ(2, CTL("send", "--prio", "-1", self->name, "x"));
	EXPECT_EQ(2, CTL("send", "--timeout", "soon", self->name, "x"));
	EXPECT_EQ(2, CTL("send", "--timeout", "-1", self->name, "x"));
	EXPECT_EQ(2, CTL("send", "--timeout", "1.2.3", self->name, "x"));
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
	EXPECT_EQ(2, CTL("recv", "--count", "0", self->name));
	EXPECT_EQ(2, CTL("recv", "--count", "many", self->name));
	EXPECT_EQ(2, CTL("watch", "--interval", "0", self->name));
	EXPECT_EQ(2, CTL("watch", "--count", "x", self->name));
}

/*
 * create: the mailbox with the attributes asked for, still there after
 * the command has exited; ls lists it, ls --names names it.
 */
TEST_F(ctl, create_and_ls)
{
	struct kmbox_attr a;
	struct ls_entry e;
	char want[512];
	int fd;

	ASSERT_EQ(0, CTL("create", self->name, "--max-msgs", "7",
			 "--max-msg-size", "100", "--max-bytes", "700",
			 "--mode", "640"));
	EXPECT_STREQ("", self->r.out);
	EXPECT_STREQ("", self->r.err);
	fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(7, a.max_msgs);
	EXPECT_EQ(100, a.max_msg_size);
	EXPECT_EQ(700, a.max_bytes);
	EXPECT_EQ(0640, a.mode);
	EXPECT_EQ(KMBOX_ATTR_PERSISTENT, a.flags);
	close(fd);

	ASSERT_EQ(0, CTL("ls"));
	EXPECT_EQ(0, strncmp(self->r.out, "      ID    UID    GID MODE", 27));
	ASSERT_EQ(0, ls_entry(self->r.out, self->name, &e)) {
		TH_LOG("ls:\n%s", self->r.out);
	}
	EXPECT_EQ(id_of(self->name), e.id);
	EXPECT_EQ(getuid(), e.uid);
	EXPECT_EQ(0640, e.mode);
	EXPECT_EQ(0, e.msgs);
	EXPECT_EQ(7, e.max_msgs);
	EXPECT_EQ(700, e.max_bytes);
	/* Persistent: its name keeps it, no process does. */
	EXPECT_EQ(0, e.senders);
	EXPECT_EQ(0, e.receivers);
	ASSERT_EQ(0, CTL("ls", "--names"));
	snprintf(want, sizeof(want), "\n%s\n", self->name);
	EXPECT_TRUE(!strncmp(self->r.out, want + 1, strlen(want + 1)) ||
		    strstr(self->r.out, want)) {
		TH_LOG("ls --names:\n%s", self->r.out);
	}
	EXPECT_TRUE(strstr(self->r.out, "MODE") == NULL);
}

/*
 * ls --null: the names as they are, each ended by a NUL, for xargs -0;
 * anonymous mailboxes left out, but not one named "-".
 */
TEST_F(ctl, ls_null)
{
	char names[4][96];
	int fds[4], anon, i;
	const char *p, *end;
	bool seen[4] = { false };

	snprintf(names[0], sizeof(names[0]), "%s a b", self->name);
	snprintf(names[1], sizeof(names[1]), "%s\nline\ttab", self->name);
	snprintf(names[2], sizeof(names[2]), "%s\\040 not an escape",
		 self->name);
	snprintf(names[3], sizeof(names[3]), "-");
	anon = kmbox_test_create(NULL, NULL, KMBOX_CLOEXEC);
	ASSERT_GE(anon, 0);
	for (i = 0; i < 4; i++) {
		fds[i] = kmbox_test_create(names[i], NULL,
					   KMBOX_EXCL | KMBOX_CLOEXEC);
		ASSERT_GE(fds[i], 0) {
			TH_LOG("create \"%s\": %s", names[i], strerror(-fds[i]));
		}
	}
	ASSERT_EQ(0, CTL("ls", "--null"));
	EXPECT_STREQ("", self->r.err);
	EXPECT_EQ(0, self->r.out_len ? self->r.out[self->r.out_len - 1] : 0);
	for (p = self->r.out; p < self->r.out + self->r.out_len; p = end + 1) {
		end = p + strlen(p);
		for (i = 0; i < 4; i++)
			if (!strcmp(p, names[i]))
				seen[i] = true;
	}
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(seen[i]) {
			TH_LOG("ls --null left out \"%s\"", names[i]);
		}
	/* Exactly one "-": the named one, not the anonymous mailbox. */
	for (i = 0, p = self->r.out; p < self->r.out + self->r.out_len;
	     p += strlen(p) + 1)
		i += !strcmp(p, "-");
	EXPECT_EQ(1, i);
	ASSERT_EQ(0, CTL("ls", "-0"));
	close(fds[3]);
	ASSERT_EQ(0, CTL("ls", "--null"));
	for (p = self->r.out; p < self->r.out + self->r.out_len;
	     p += strlen(p) + 1)
		EXPECT_STRNE("-", p);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(anon);
}

/*
 * Without /dev/kmbox, each command says the module is not loaded, not
 * only "No such file or directory".
 */
TEST_F_TIMEOUT(ctl, module_not_loaded, SLOW)
{
	static const char *const hint = "the kmbox module is not loaded";
	char *const cmds[][4] = {
		{ "create", self->name }, { "send", self->name, "x" },
		{ "recv", self->name }, { "stat", self->name },
		{ "rm", self->name }, { "ls" },
	};
	size_t i;

	self->hide_dev = true;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(1, run_as(self, 0, NULL, (const char *const *)cmds[i]));
		EXPECT_TRUE(strstr(self->r.err, hint) != NULL) {
			TH_LOG("kmboxctl %s: %s", cmds[i][0], self->r.err);
		}
	}
	EXPECT_EQ(0, CTL("--version"));
	EXPECT_TRUE(strstr(self->r.out, hint) != NULL);
	/* With the module there, a missing mailbox is only that. */
	self->hide_dev = false;
	EXPECT_EQ(1, CTL("stat", self->name));
	EXPECT_TRUE(strstr(self->r.err, hint) == NULL);
}

/* Sizes take k, M and G suffixes (powers of 1024). */
TEST_F(ctl, create_suffixes)
{
	struct kmbox_attr a;
	int fd;

	ASSERT_EQ(0, CTL("create", self->name, "--max-msg-size", "2k",
			 "--max-bytes", "1M", "--region-size", "8K"));
	fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(2048, a.max_msg_size);
	EXPECT_EQ(1 << 20, a.max_bytes);
	EXPECT_EQ(8192, a.region_size);
	close(fd);
}

/* An existing name: nothing to do, unless --excl makes it an error. */
TEST_F(ctl, create_existing)
{
	struct kmbox_attr a;
	char val[32];

	ASSERT_EQ(0, CTL("create", self->name, "--max-msgs", "5"));
	ASSERT_EQ(0, CTL("create", self->name, "--max-msgs", "9"));
	ASSERT_EQ(1, CTL("create", "--excl", self->name));
	EXPECT_TRUE(strstr(self->r.err, self->name) != NULL);
	EXPECT_TRUE(strstr(self->r.err, strerror(EEXIST)) != NULL);
	self->fd = kmbox_test_open(self->name, KMBOX_RECV | KMBOX_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_GET_ATTR, &a));
	EXPECT_EQ(5, a.max_msgs);
	/* No descriptor of the commands is left: only this one. */
	EXPECT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ("1", stat_value(self->r.out, "receivers", val,
				     sizeof(val)));
}

/* --hangup and --region-size reach the mailbox; stat shows them. */
TEST_F(ctl, create_hangup_region)
{
	char val[64];

	ASSERT_EQ(0, CTL("create", "--hangup", "--region-size", "4096",
			 self->name));
	ASSERT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ("0x3 (hangup,persistent)",
		     stat_value(self->r.out, "attr_flags", val, sizeof(val)));
	EXPECT_STREQ("4096",
		     stat_value(self->r.out, "region_size", val, sizeof(val)));
}

/* Attributes the module refuses: exit 1 with its error, no mailbox. */
TEST_F(ctl, create_refused)
{
	ASSERT_EQ(1, CTL("create", self->name, "--max-msg-size", "100",
			 "--max-bytes", "10"));
	EXPECT_TRUE(strstr(self->r.err, self->name) != NULL);
	EXPECT_TRUE(strstr(self->r.err, strerror(EINVAL)) != NULL);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
	ASSERT_EQ(1, CTL("create", self->name, "--region-size", "100"));
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
}

/* rm: the name goes, and with it the mailbox, which no one has open. */
TEST_F(ctl, rm_ends_mailbox)
{
	__u64 id;

	ASSERT_EQ(0, CTL("create", self->name));
	id = id_of(self->name);
	ASSERT_NE(0, id);
	ASSERT_TRUE(listed(id));
	ASSERT_EQ(0, CTL("rm", self->name));
	EXPECT_STREQ("", self->r.err);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
	EXPECT_FALSE(listed(id));
	ASSERT_EQ(0, CTL("ls", "--names"));
	EXPECT_TRUE(strstr(self->r.out, self->name) == NULL);
}

/* A name with a space and a tab: listed escaped, removed by rm. */
TEST_F(ctl, rm_escaped_name)
{
	char *name = self->name2, esc[128];
	__u64 id;

	snprintf(name, sizeof(self->name2), "%s a\tb", self->name);
	snprintf(esc, sizeof(esc), "%s\\040a\\011b\n", self->name);
	ASSERT_EQ(0, CTL("create", name));
	id = id_of(name);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, CTL("ls"));
	EXPECT_TRUE(strstr(self->r.out, esc) != NULL) {
		TH_LOG("ls:\n%s", self->r.out);
	}
	ASSERT_EQ(0, CTL("rm", name));
	EXPECT_FALSE(listed(id));
	EXPECT_EQ(-ENOENT, kmbox_test_open(name, KMBOX_CLOEXEC));
}

/* rm of a missing name: exit 1 naming it; the other names still go. */
TEST_F(ctl, rm_missing)
{
	char missing[80];

	snprintf(missing, sizeof(missing), "%s-missing", self->name);
	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(1, CTL("rm", missing, self->name));
	EXPECT_TRUE(strstr(self->r.err, missing) != NULL);
	EXPECT_TRUE(strstr(self->r.err, strerror(ENOENT)) != NULL);
	EXPECT_EQ(-ENOENT, kmbox_test_open(self->name, KMBOX_CLOEXEC));
}

/* stat: every figure, leaving out the tool's own descriptor. */
TEST_F(ctl, stat_figures)
{
	char val[300], want[32];
	struct kmbox_stat st;
	char buf[64];

	ASSERT_EQ(0, make(self, 8, 64));
	ASSERT_EQ(3, put(self, "abc"));
	ASSERT_EQ(2, put(self, "de"));
	ASSERT_EQ(3, take(self->fd, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));

	ASSERT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ(self->name, stat_value(self->r.out, "name", val, 300));
	snprintf(want, sizeof(want), "%llu", (unsigned long long)st.id);
	EXPECT_STREQ(want, stat_value(self->r.out, "id", val, 300));
	EXPECT_STREQ("1", stat_value(self->r.out, "msgs", val, 300));
	EXPECT_STREQ("2", stat_value(self->r.out, "bytes", val, 300));
	EXPECT_STREQ("8", stat_value(self->r.out, "max_msgs", val, 300));
	EXPECT_STREQ("64", stat_value(self->r.out, "max_msg_size", val, 300));
	EXPECT_STREQ("512", stat_value(self->r.out, "max_bytes", val, 300));
	EXPECT_STREQ("1", stat_value(self->r.out, "senders", val, 300));
	EXPECT_STREQ("1", stat_value(self->r.out, "receivers", val, 300));
	EXPECT_STREQ("0", stat_value(self->r.out, "blocked_senders", val,
				     300));
	EXPECT_STREQ("0", stat_value(self->r.out, "blocked_receivers", val,
				     300));
	EXPECT_STREQ("2", stat_value(self->r.out, "sent", val, 300));
	EXPECT_STREQ("1", stat_value(self->r.out, "received", val, 300));
	EXPECT_STREQ("2", stat_value(self->r.out, "high_water", val, 300));
	snprintf(want, sizeof(want), "%u", st.uid);
	EXPECT_STREQ(want, stat_value(self->r.out, "uid", val, 300));
	snprintf(want, sizeof(want), "%u", st.gid);
	EXPECT_STREQ(want, stat_value(self->r.out, "gid", val, 300));
	EXPECT_STREQ("0600", stat_value(self->r.out, "mode", val, 300));
	EXPECT_STREQ("0", stat_value(self->r.out, "attr_flags", val, 300));
	EXPECT_STREQ("0x1 (named)", stat_value(self->r.out, "state", val,
					       300));
	EXPECT_STREQ("0", stat_value(self->r.out, "region_size", val, 300));
	EXPECT_STREQ("0", stat_value(self->r.out, "mappings", val, 300));
	EXPECT_STREQ("0", stat_value(self->r.out, "ring_producers", val,
				     300));
	EXPECT_STREQ("0", stat_value(self->r.out, "ring_consumers", val,
				     300));
	snprintf(want, sizeof(want), "%llu", (unsigned long long)st.charge);
	EXPECT_STREQ(want, stat_value(self->r.out, "charge", val, 300));
	/* The state follows a shutdown. */
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ("0x5 (named,shutdown)",
		     stat_value(self->r.out, "state", val, 300));
}

/* stat, send, recv and watch of a missing mailbox: exit 1, named. */
TEST_F_TIMEOUT(ctl, missing_mailbox, SLOW)
{
	static const char *const cmds[] = { "stat", "send", "recv", "watch" };
	char want[96];
	size_t i;

	snprintf(want, sizeof(want), "mailbox \"%s\"", self->name);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(1, CTL(cmds[i], self->name)) {
			TH_LOG("%s of a missing mailbox", cmds[i]);
		}
		EXPECT_TRUE(strstr(self->r.err, want) != NULL);
		EXPECT_TRUE(strstr(self->r.err, strerror(ENOENT)) != NULL);
	}
}

/* send NAME MESSAGE...: one message each, in order, priority 0. */
TEST_F(ctl, send_arguments)
{
	struct kmbox_msg m;
	char buf[64];

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, CTL("send", self->name, "hello", "", "world"));
	EXPECT_STREQ("", self->r.out);
	EXPECT_EQ(5, take(self->fd, buf, sizeof(buf), &m));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(0, m.priority);
	EXPECT_NE(0, m.sender_pid);
	EXPECT_NE(getpid(), m.sender_pid);
	EXPECT_EQ(0, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(5, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("world", buf);
	EXPECT_EQ(-EAGAIN, take(self->fd, buf, sizeof(buf), NULL));
}

/* --prio: the messages' priority. */
TEST_F(ctl, send_prio)
{
	struct kmbox_msg m;
	char buf[64];

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, CTL("send", self->name, "low"));
	ASSERT_EQ(0, CTL("send", "-p", "31", self->name, "high"));
	EXPECT_EQ(4, take(self->fd, buf, sizeof(buf), &m));
	EXPECT_STREQ("high", buf);
	EXPECT_EQ(31, m.priority);
}

/* Standard input: one message a line, empty lines too, no newline. */
TEST_F(ctl, send_lines)
{
	char buf[64];

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, CTL_IN("one\ntwo\n\nthree", "send", self->name));
	EXPECT_EQ(3, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("one", buf);
	EXPECT_EQ(3, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("two", buf);
	EXPECT_EQ(0, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(5, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_STREQ("three", buf);
	EXPECT_EQ(-EAGAIN, take(self->fd, buf, sizeof(buf), NULL));
}

/* A message longer than max_msg_size: exit 1, EMSGSIZE, nothing sent. */
TEST_F(ctl, send_too_long)
{
	ASSERT_EQ(0, make(self, 0, 4));
	ASSERT_EQ(1, CTL("send", self->name, "hello"));
	EXPECT_TRUE(strstr(self->r.err, strerror(EMSGSIZE)) != NULL);
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
	ASSERT_EQ(1, CTL_IN("ok\ntoo long\n", "send", self->name));
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
}

/* A full mailbox: --timeout expires (exit 3), --nonblock does not wait. */
TEST_F(ctl, send_timeout)
{
	ASSERT_EQ(0, make(self, 1, 0));
	ASSERT_EQ(1, put(self, "x"));
	ASSERT_EQ(3, CTL("send", "--timeout", "0.3", self->name, "y"));
	EXPECT_GE(self->r.ns, 300000000ull);
	EXPECT_TRUE(strstr(self->r.err, strerror(ETIMEDOUT)) != NULL);
	ASSERT_EQ(3, CTL("send", "--nonblock", self->name, "y"));
	EXPECT_TRUE(strstr(self->r.err, strerror(EAGAIN)) != NULL);
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
}

/* A shut down mailbox: exit 1 with EPIPE, not death by SIGPIPE. */
TEST_F(ctl, send_after_shutdown)
{
	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(1, CTL("send", self->name, "x"));
	EXPECT_TRUE(strstr(self->r.err, strerror(EPIPE)) != NULL);
	ASSERT_EQ(1, CTL_IN("data", "send", "--stream", self->name));
}

/* --shutdown: the messages, then end-of-stream for the receivers. */
TEST_F(ctl, send_shutdown)
{
	struct kmbox_stat st;
	char buf[64];

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, CTL("send", "--shutdown", self->name, "last"));
	ASSERT_EQ(0, kmbox_test_stat(self->fd, &st));
	EXPECT_TRUE(st.state & KMBOX_STATE_SHUTDOWN);
	EXPECT_EQ(4, take(self->fd, buf, sizeof(buf), NULL));
	EXPECT_EQ(-EPIPE, take(self->fd, buf, sizeof(buf), NULL));
}

/* recv: one message a line until end-of-stream, then exit 0. */
TEST_F(ctl, recv_lines)
{
	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(1, put(self, "a"));
	ASSERT_EQ(2, put(self, "bb"));
	ASSERT_EQ(0, put(self, ""));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SHUTDOWN, NULL));
	ASSERT_EQ(0, CTL("recv", self->name));
	EXPECT_STREQ("a\nbb\n\n", self->r.out);
	EXPECT_STREQ("", self->r.err);
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
}

/* --count N: N messages, the rest stays queued. */
TEST_F(ctl, recv_count)
{
	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(2, put(self, "m1"));
	ASSERT_EQ(2, put(self, "m2"));
	ASSERT_EQ(2, put(self, "m3"));
	ASSERT_EQ(0, CTL("recv", "--count", "2", self->name));
	EXPECT_STREQ("m1\nm2\n", self->r.out);
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
	ASSERT_EQ(0, CTL("recv", "-c", "1", self->name));
	EXPECT_STREQ("m3\n", self->r.out);
}

/* --timeout on an empty mailbox: exit 3, not before the time. */
TEST_F(ctl, recv_timeout)
{
	char want[96];

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(3, CTL("recv", "--timeout", "0.3", self->name));
	EXPECT_GE(self->r.ns, 300000000ull);
	EXPECT_LT(self->r.ns, 30000000000ull);
	EXPECT_STREQ("", self->r.out);
	snprintf(want, sizeof(want), "mailbox \"%s\"", self->name);
	EXPECT_TRUE(strstr(self->r.err, want) != NULL);
	/* The timeout is per message: what was queued comes first. */
	ASSERT_EQ(1, put(self, "x"));
	ASSERT_EQ(3, CTL("recv", "-t", ".1", self->name));
	EXPECT_STREQ("x\n", self->r.out);
}

/* --nonblock: what is queued, then exit 3 instead of waiting. */
TEST_F(ctl, recv_nonblock)
{
	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(3, CTL("recv", "--nonblock", self->name));
	EXPECT_STREQ("", self->r.out);
	ASSERT_EQ(1, put(self, "1"));
	ASSERT_EQ(1, put(self, "2"));
	ASSERT_EQ(3, CTL("recv", "-N", self->name));
	EXPECT_STREQ("1\n2\n", self->r.out);
	ASSERT_EQ(1, put(self, "3"));
	ASSERT_EQ(0, CTL("recv", "-N", "-c", "1", self->name));
}

/* recv blocks until a message comes. */
TEST_F(ctl, recv_blocks)
{
	char out[64] = "";
	int p[2], n;
	pid_t pid;

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = spawn(self, ARGS("recv", "--count", "1", self->name), -1, p[1],
		    -1, 0);
	ASSERT_GT(pid, 0);
	close(p[1]);
	ASSERT_EQ(0, kmbox_test_wait_sleeping(pid));
	usleep(100000);
	ASSERT_EQ(0, kill(pid, 0));	/* still waiting */
	ASSERT_EQ(4, put(self, "late"));
	EXPECT_EQ(0, reap(self, pid));
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	ASSERT_EQ(5, n);
	EXPECT_STREQ("late\n", out);
}

/*
 * A message of max_msg_size, and one longer than a max_msg_size shrunk
 * since it was queued: both come out whole.
 */
TEST_F(ctl, recv_long_messages)
{
	struct kmbox_attr a = { .max_msg_size = 10 };
	char msg[101];

	ASSERT_EQ(0, make(self, 0, 100));
	memset(msg, 'x', 100);
	msg[100] = 0;
	ASSERT_EQ(100, put(self, msg));
	ASSERT_EQ(100, put(self, msg));
	ASSERT_EQ(0, CTL("recv", "-c", "1", self->name));
	ASSERT_EQ(101, self->r.out_len);
	EXPECT_EQ(0, memcmp(self->r.out, msg, 100));
	ASSERT_EQ(0, kmbox_test_ioctl(self->fd, KMBOX_IOC_SET_ATTR, &a));
	ASSERT_EQ(0, CTL("recv", "-c", "1", self->name));
	ASSERT_EQ(101, self->r.out_len);
	EXPECT_EQ('\n', self->r.out[100]);
}

/*
 * stdout's reader gone: recv stops, exit 0, without taking a message
 * (nothing is lost) and without dying of SIGPIPE.
 */
TEST_F(ctl, recv_stdout_gone)
{
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(4, put(self, "kept"));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	close(p[0]);
	pid = spawn(self, ARGS("recv", self->name), -1, p[1], -1, 0);
	ASSERT_GT(pid, 0);
	close(p[1]);
	EXPECT_EQ(0, reap(self, pid));
	EXPECT_EQ(1, kmbox_test_queued(self->fd));
}

/* Another user: EACCES to open, EPERM to remove; exit 1 each. */
TEST_F_TIMEOUT(ctl, permission_denied, SLOW)
{
	static const char *const cmds[] = { "stat", "send", "recv", "watch" };
	size_t i;

	if (geteuid() != 0)
		SKIP(return, "needs root to run the tool as another user");
	ASSERT_EQ(0, make(self, 0, 0));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(1, CTL_AS(NOBODY, cmds[i], self->name)) {
			TH_LOG("%s as another user", cmds[i]);
		}
		EXPECT_TRUE(strstr(self->r.err, strerror(EACCES)) != NULL);
		EXPECT_TRUE(strstr(self->r.err, self->name) != NULL);
	}
	EXPECT_EQ(1, CTL_AS(NOBODY, "rm", self->name));
	EXPECT_TRUE(strstr(self->r.err, strerror(EPERM)) != NULL);
	EXPECT_EQ(0, kmbox_test_queued(self->fd));
	/* The name stayed. */
	EXPECT_EQ(kmbox_test_id(self->fd), id_of(self->name));
}

/* watch NAME --count N: a header and N lines of figures. */
TEST_F(ctl, watch_name)
{
	char *line, *save;
	int lines = 0;
	unsigned long long t, id, msgs;

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(1, put(self, "1"));
	ASSERT_EQ(1, put(self, "2"));
	ASSERT_EQ(0, CTL("watch", "--count", "3", "--interval", "0.05",
			 self->name));
	EXPECT_GE(self->r.ns, 100000000ull);
	line = strtok_r(self->r.out, "\n", &save);
	ASSERT_TRUE(line != NULL);
	EXPECT_TRUE(strstr(line, "MSGS") != NULL);
	while ((line = strtok_r(NULL, "\n", &save))) {
		double secs;

		lines++;
		ASSERT_EQ(3, sscanf(line, "%lf %llu %llu", &secs, &id, &msgs));
		EXPECT_EQ(kmbox_test_id(self->fd), id);
		EXPECT_EQ(2, msgs);
		t = secs * 1000;
		EXPECT_GE(t, (lines - 1) * 40);
	}
	EXPECT_EQ(3, lines);
}

/* watch --all --count N: the table N times. */
TEST_F(ctl, watch_all)
{
	const char *p;
	int seen = 0;

	ASSERT_EQ(0, make(self, 0, 0));
	ASSERT_EQ(0, CTL("watch", "--all", "-c", "2", "-i", "0.05"));
	for (p = self->r.out; (p = strstr(p, self->name)); p++)
		seen++;
	EXPECT_EQ(2, seen);
	EXPECT_TRUE(strchr(self->r.out, '\033') == NULL);
}

/* Starts "recv --stream" of the fixture's mailbox, its stdout a pipe. */
static pid_t stream_reader(FIXTURE_DATA(ctl) *self, int *out)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = spawn(self, ARGS("recv", "--stream", self->name), -1, p[1], -1,
		    0);
	close(p[1]);
	*out = p[0];
	return pid;
}

/*
 * Streams the same @size random bytes through "send --stream" and
 * "recv --stream", two processes; the sender reads a pipe that a
 * writer fills in odd pieces if @pieces, else a memfd.  Checks that the
 * bytes come out identical.
 */
static void stream(struct __test_metadata *_metadata,
		   FIXTURE_DATA(ctl) *self, size_t size, bool pieces)
{
	unsigned int seed = kmbox_test_now_ns();
	unsigned char *in, *buf;
	int out, inp[2], src, n;
	pid_t rx, tx, writer = 0;
	size_t got = 0, i, off;
	__u64 start;

	in = malloc(size);
	buf = malloc(size + 1);
	ASSERT_TRUE(in && buf);
	for (i = 0; i < size; i++)
		in[i] = rand_r(&seed) >> 7;

	rx = stream_reader(self, &out);
	ASSERT_GT(rx, 0);
	if (pieces) {
		ASSERT_EQ(0, pipe2(inp, O_CLOEXEC));
		writer = kmbox_test_spawn(&self->kids);
		ASSERT_GE(writer, 0);
		if (writer == 0) {
			close(inp[0]);
			for (off = 0; off < size; off += n) {
				n = 1 + rand_r(&seed) % 3000;
				if (n > (int)(size - off))
					n = size - off;
				n = write(inp[1], in + off, n);
				if (n <= 0)
					_exit(1);
			}
			_exit(0);
		}
		close(inp[1]);
		src = inp[0];
	} else {
		src = memfd_create("kmboxctl_test", MFD_CLOEXEC);
		ASSERT_GE(src, 0);
		ASSERT_EQ(size, write(src, in, size));
		ASSERT_EQ(0, lseek(src, 0, SEEK_SET));
	}
	tx = spawn(self, ARGS("send", "--stream", self->name), src, -1, -1, 0);
	ASSERT_GT(tx, 0);
	close(src);

	start = kmbox_test_now_ns();
	while (kmbox_test_now_ns() - start < RUN_TIMEOUT_NS) {
		if (kmbox_test_poll(out, POLLIN, 1000) <= 0)
			continue;
		n = read(out, buf + got, size + 1 - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(out);
	ksft_print_msg("%zu bytes streamed in %llu ms\n", got,
		       (kmbox_test_now_ns() - start) / 1000000);
	EXPECT_EQ(0, reap(self, tx));
	EXPECT_EQ(0, reap(self, rx));
	if (writer)
		EXPECT_EQ(0, reap(self, writer));
	EXPECT_EQ(size, got);
	for (i = 0; i < got && i < size && in[i] == buf[i]; i++)
		;
	EXPECT_EQ(size, i) {
		TH_LOG("the streams differ at byte %zu", i);
	}
	free(in);
	free(buf);
}

/*
 * 1 MiB through a mailbox without hangup, in messages of 1000 bytes:
 * send --stream shuts it down at the end, recv --stream stops there.
 */
TEST_F_TIMEOUT(ctl, stream_shutdown_1mib, SLOW)
{
	char val[64];

	ASSERT_EQ(0, CTL("create", self->name, "--max-msg-size", "1000"));
	stream(_metadata, self, STREAM_SIZE, false);
	ASSERT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ("0x5 (named,shutdown)",
		     stat_value(self->r.out, "state", val, sizeof(val)));
	EXPECT_STREQ("0", stat_value(self->r.out, "msgs", val, sizeof(val)));
}

/*
 * 1 MiB through a hangup mailbox, written to the sender in odd pieces:
 * the end is the sender closing, and the mailbox stays usable.
 */
TEST_F_TIMEOUT(ctl, stream_hangup_1mib, SLOW)
{
	char val[64];

	ASSERT_EQ(0, CTL("create", self->name, "--hangup", "--max-msg-size",
			 "4k", "--max-msgs", "16"));
	stream(_metadata, self, STREAM_SIZE, true);
	ASSERT_EQ(0, CTL("stat", self->name));
	EXPECT_STREQ("0x1 (named)",
		     stat_value(self->r.out, "state", val, sizeof(val)));
	/* A second stream, short, through the same mailbox. */
	stream(_metadata, self, 10000, false);
}

/* An empty stream: the waiting receiver sees its end, writes nothing. */
TEST_F(ctl, stream_empty)
{
	char buf[16];
	int out;
	pid_t rx;

	ASSERT_EQ(0, CTL("create", self->name, "--hangup"));
	rx = stream_reader(self, &out);
	ASSERT_GT(rx, 0);
	ASSERT_EQ(0, kmbox_test_wait_sleeping(rx));
	ASSERT_EQ(0, CTL_IN("", "send", "--stream", self->name));
	EXPECT_EQ(0, reap(self, rx));
	EXPECT_EQ(0, read(out, buf, sizeof(buf)));
	close(out);
}

/*
 * A hangup mailbox whose stream has ended: its rest is drained, then a
 * receiver that comes before the next sender waits for it (as a FIFO
 * reader does), instead of taking the old end for the new stream's.
 */
TEST_F(ctl, recv_waits_for_next_sender)
{
	char buf[16] = "";
	int out;
	pid_t rx;

	ASSERT_EQ(0, CTL("create", self->name, "--hangup"));
	ASSERT_EQ(0, CTL_IN("first", "send", "--stream", self->name));
	ASSERT_EQ(0, CTL("recv", "--stream", self->name));
	EXPECT_STREQ("first", self->r.out);
	ASSERT_EQ(3, CTL("recv", "--stream", "--timeout", "0.2", self->name));
	EXPECT_GE(self->r.ns, 200000000ull);
	ASSERT_EQ(3, CTL("recv", "--nonblock", self->name));

	rx = stream_reader(self, &out);
	ASSERT_GT(rx, 0);
	ASSERT_EQ(0, kmbox_test_wait_sleeping(rx));
	usleep(100000);
	ASSERT_EQ(0, kill(rx, 0));	/* still waiting */
	ASSERT_EQ(0, CTL_IN("second", "send", "--stream", self->name));
	EXPECT_EQ(0, reap(self, rx));
	EXPECT_EQ(6, read(out, buf, sizeof(buf) - 1));
	EXPECT_STREQ("second", buf);
	close(out);
}

TEST_HARNESS_MAIN
