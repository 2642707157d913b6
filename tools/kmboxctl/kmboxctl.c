// SPDX-License-Identifier: GPL-2.0
/*
 * kmboxctl: list, make, remove, inspect and use kmbox mailboxes from the
 * shell, as ipcs(1), ipcmk(1) and ipcrm(1) do for System V IPC.
 *
 * "create" makes persistent mailboxes (KMBOX_ATTR_PERSISTENT), which
 * their name keeps until "rm" removes it.  See kmboxctl(1).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kmbox.h>

#ifndef KMBOXCTL_VERSION
#define KMBOXCTL_VERSION "1.2.0"
#endif

/* Exit codes, as documented in kmboxctl(1). */
#define EXIT_OK		0	/* success */
#define EXIT_FAIL	1	/* kmbox or the system refused */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_TIMEOUT	3	/* a wait timed out, or --nonblock would wait */

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define PROC_LIST	"/proc/driver/kmbox"
#define NSEC_PER_SEC	1000000000ull

struct command {
	const char *name;
	int (*run)(const struct command *cmd, int argc, char **argv);
	const char *synopsis;	/* after "kmboxctl NAME " */
	const char *summary;	/* one line */
	const char *options;	/* the option list of --help */
};

static const struct command *current;

/* "kmboxctl: " and the message, on stderr. */
static void __printf(1, 2) msg(const char *fmt, ...)
{
	va_list ap;

	fputs("kmboxctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * What to add to an ENOENT: whether it is the module that is missing,
 * not the mailbox.
 */
static const char *enoent_hint(int err)
{
	if (err != ENOENT || !access(KMBOX_DEVICE_PATH, F_OK))
		return "";
	return " (no " KMBOX_DEVICE_PATH ": the kmbox module is not loaded;"
	       " 'modprobe kmbox' or 'insmod kmbox.ko' as root)";
}

/* An error of the system or kmbox about mailbox @name: EXIT_FAIL. */
static int fail(const char *name, const char *what, int err)
{
	msg("mailbox \"%s\": %s: %s%s", name, what, strerror(err),
	    enoent_hint(err));
	return EXIT_FAIL;
}

/* A timeout, or a wait refused by --nonblock: EXIT_TIMEOUT. */
static int timed_out(const char *name, const char *what, int err)
{
	fail(name, what, err);
	return EXIT_TIMEOUT;
}

static void usage_line(FILE *f, const struct command *cmd)
{
	fprintf(f, "Usage: kmboxctl %s %s\n", cmd->name, cmd->synopsis);
}

/* A usage error: the message, the synopsis, EXIT_USAGE. */
static int __printf(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fputs("kmboxctl: ", stderr);
	if (current)
		fprintf(stderr, "%s: ", current->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (current) {
		usage_line(stderr, current);
		fprintf(stderr, "Try 'kmboxctl %s --help'.\n", current->name);
	} else {
		fputs("Usage: kmboxctl COMMAND [OPTION]... [ARG]...\n"
		      "Try 'kmboxctl --help'.\n", stderr);
	}
	return EXIT_USAGE;
}

/* getopt_long() returned ':' (missing argument) or '?' (unknown). */
static int bad_option(int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return usage("option '%s' needs an argument", opt);
	if (optopt && strncmp(opt, "--", 2))
		return usage("unknown option '-%c'", optopt);
	return usage("unknown option '%s'", opt);
}

static int print_help(const struct command *cmd)
{
	usage_line(stdout, cmd);
	printf("%s\n\n%s  -h, --help              show this help\n",
	       cmd->summary, cmd->options);
	printf("\nExit status: 0 ok, 1 error, 2 usage, 3 timeout.\n");
	return EXIT_OK;
}

/*
 * Parses a count or size: decimal, with an optional suffix k, M or G
 * (powers of 1024).  0 or a usage error.
 */
static int parse_u64(const char *opt, const char *s, __u64 min, __u64 max,
		     __u64 *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return usage("%s: not a number: '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		mul = 1ull << 10;
	else if (*end == 'm' || *end == 'M')
		mul = 1ull << 20;
	else if (*end == 'g' || *end == 'G')
		mul = 1ull << 30;
	if (mul > 1)
		end++;
	if (*end)
		return usage("%s: not a number: '%s'", opt, s);
	if (errno == ERANGE || v > ULLONG_MAX / mul)
		return usage("%s: too large: '%s'", opt, s);
	v *= mul;
	if (v < min || v > max)
		return usage("%s: %s: must be %llu to %llu", opt, s,
			     (unsigned long long)min,
			     (unsigned long long)max);
	*out = v;
	return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned int min,
		      unsigned int max, unsigned int *out)
{
	__u64 v;
	int ret = parse_u64(opt, s, min, max, &v);

	if (!ret)
		*out = v;
	return ret;
}

/* Seconds with up to 9 decimals ("2", "0.25") into nanoseconds. */
static int parse_seconds(const char *opt, const char *s, __u64 *ns)
{
	unsigned long long sec = 0, frac = 0, scale = NSEC_PER_SEC;
	const char *p = s;

	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit(p[1])))
		return usage("%s: not a number of seconds: '%s'", opt, s);
	for (; isdigit((unsigned char)*p); p++) {
		sec = sec * 10 + (*p - '0');
		if (sec > 1000000000ull)
			return usage("%s: too large: '%s'", opt, s);
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p)
		return usage("%s: not a number of seconds: '%s'", opt, s);
	*ns = sec * NSEC_PER_SEC + frac;
	return 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct timespec ns_to_ts(__u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	return ts;
}

/* Writes all of @buf to @fd: 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Reads up to @len bytes, short only at end of input: the count or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/*
 * KMBOX_IOC_STAT of mailbox @name, through a descriptor with no role:
 * it counts as neither sender nor receiver, so looking changes nothing
 * (not the figures, not the end of a hangup stream).
 */
static int stat_by_name(const char *name, struct kmbox_stat *st)
{
	int fd, ret;

	fd = kmbox_open(name, KMBOX_NOROLE | KMBOX_CLOEXEC);
	if (fd < 0)
		return fd;
	ret = kmbox_stat(fd, st);
	close(fd);
	return ret < 0 ? ret : 0;
}

/* ls, watch --all: /proc/driver/kmbox as a table. */

struct proc_entry {
	unsigned long long id, msgs, bytes, max_msgs, max_bytes;
	unsigned int uid, gid, mode, senders, receivers;
	const char *name;	/* escaped by the module, "-" if anonymous */
};

/* One line of /proc/driver/kmbox: 0, or -1 if it is not one. */
static int parse_proc_line(char *line, struct proc_entry *e)
{
	int end = -1;

	line[strcspn(line, "\n")] = 0;
	if (sscanf(line, "%llu %u %u %o %llu %llu %llu %llu %u %u %n",
		   &e->id, &e->uid, &e->gid, &e->mode, &e->msgs, &e->bytes,
		   &e->max_msgs, &e->max_bytes, &e->senders, &e->receivers,
		   &end) != 10 || end < 0 || !line[end])
		return -1;
	e->name = line + end;
	return 0;
}

/*
 * A name as the module escaped it (" \t\n\\" as \ooo) back into its
 * bytes, in place.
 */
static void unescape_name(char *name)
{
	char *in = name, *out = name;

	while (*in) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
		    in[3] <= '7') {
			*out++ = (in[1] - '0') << 6 | (in[2] - '0') << 3 |
				 (in[3] - '0');
			in += 4;
		} else {
			*out++ = *in++;
		}
	}
	*out = 0;
}

/* What ls prints: the table, or the names one a line or NUL-terminated. */
enum listing { LIST_TABLE, LIST_NAMES, LIST_NAMES_NUL };

/*
 * The list shows an anonymous mailbox as "-", and a mailbox named "-"
 * too: the id of the one named "-", 0 if there is none (or it cannot
 * be opened, and then it is not listed by name).
 */
static unsigned long long dash_id(void)
{
	struct kmbox_stat st;

	return stat_by_name("-", &st) ? 0 : st.id;
}

static int print_table(enum listing how)
{
	unsigned long long dash = 0;
	bool first = true, dash_known = false;
	struct proc_entry e;
	char *line = NULL;
	size_t size = 0;
	int ret = EXIT_OK;
	FILE *f;

	f = fopen(PROC_LIST, "re");
	if (!f) {
		msg("%s: %s%s", PROC_LIST, strerror(errno),
		    enoent_hint(errno));
		return EXIT_FAIL;
	}
	if (how == LIST_TABLE)
		printf("%8s %6s %6s %4s %8s %10s %8s %10s %5s %5s  %s\n",
		       "ID", "UID", "GID", "MODE", "MSGS", "BYTES", "MAX_MSGS",
		       "MAX_BYTES", "SEND", "RECV", "NAME");
	while (getline(&line, &size, f) > 0) {
		if (first) {	/* the module's header */
			first = false;
			continue;
		}
		if (parse_proc_line(line, &e)) {
			msg("%s: unexpected line: %s", PROC_LIST, line);
			ret = EXIT_FAIL;
			continue;
		}
		if (how == LIST_TABLE) {
			printf("%8llu %6u %6u %04o %8llu %10llu %8llu %10llu %5u %5u  %s\n",
			       e.id, e.uid, e.gid, e.mode, e.msgs, e.bytes,
			       e.max_msgs, e.max_bytes, e.senders, e.receivers,
			       e.name);
			continue;
		}
		if (!strcmp(e.name, "-")) {
			if (!dash_known) {
				dash = dash_id();
				dash_known = true;
			}
			if (e.id != dash)
				continue;	/* anonymous */
		}
		if (how == LIST_NAMES) {
			printf("%s\n", e.name);
			continue;
		}
		unescape_name((char *)e.name);
		fputs(e.name, stdout);
		putchar(0);
	}
	if (ferror(f)) {
		msg("%s: %s", PROC_LIST, strerror(errno));
		ret = EXIT_FAIL;
	}
	free(line);
	fclose(f);
	if (fflush(stdout)) {
		msg("standard output: %s", strerror(errno));
		ret = EXIT_FAIL;
	}
	return ret;
}

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ }
};

static int cmd_ls(const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "names", no_argument, NULL, 'n' },
		{ "null", no_argument, NULL, '0' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	enum listing how = LIST_TABLE;
	int c;

	while ((c = getopt_long(argc, argv, ":n0h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (how == LIST_TABLE)
				how = LIST_NAMES;
			break;
		case '0':
			how = LIST_NAMES_NUL;
			break;
		case 'h':
			return print_help(cmd);
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc)
		return usage("unexpected argument '%s'", argv[optind]);
	return print_table(how);
}

/* create: a persistent mailbox, which its name keeps until rm. */

static int cmd_create(const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-msgs", required_argument, NULL, 'n' },
		{ "max-msg-size", required_argument, NULL, 's' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ "region-size", required_argument, NULL, 'r' },
		{ "hangup", no_argument, NULL, 'H' },
		{ "excl", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct kmbox_attr attr = { 0 };
	bool excl = false;
	const char *name;
	int c, fd, ret;
	__u64 mode;
	char *end;

	while ((c = getopt_long(argc, argv, ":n:s:b:m:r:Hxh", opts,
				NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'n':
			ret = parse_u64("--max-msgs", optarg, 0, UINT64_MAX,
					&attr.max_msgs);
			break;
		case 's':
			ret = parse_u64("--max-msg-size", optarg, 0,
					UINT64_MAX, &attr.max_msg_size);
			break;
		case 'b':
			ret = parse_u64("--max-bytes", optarg, 0, UINT64_MAX,
					&attr.max_bytes);
			break;
		case 'm':
			errno = 0;
			mode = strtoull(optarg, &end, 8);
			if (!isdigit((unsigned char)*optarg) || *end ||
			    errno || mode > 0777)
				return usage("--mode: not an octal mode of 0 to 0777: '%s'",
					     optarg);
			attr.mode = mode;
			break;
		case 'r':
			ret = parse_u64("--region-size", optarg, 0,
					UINT64_MAX, &attr.region_size);
			break;
		case 'H':
			attr.flags |= KMBOX_ATTR_HANGUP;
			break;
		case 'x':
			excl = true;
			break;
		case 'h':
			return print_help(cmd);
		default:
			return bad_option(c, argv);
		}
		if (ret)
			return ret;
	}
	if (argc - optind != 1)
		return usage(optind == argc ? "missing NAME" :
			     "one NAME at a time");
	name = argv[optind];

	/* No role: a sender or receiver would count for hangup. */
	attr.flags |= KMBOX_ATTR_PERSISTENT;
	fd = kmbox_create(name, &attr,
			  KMBOX_NOROLE | KMBOX_EXCL | KMBOX_CLOEXEC);
	if (fd == -EEXIST && !excl)
		return EXIT_OK;		/* it exists: nothing to do */
	if (fd < 0)
		return fail(name, "create", -fd);
	close(fd);
	return EXIT_OK;
}

/* rm: the name; the mailbox goes with the last descriptor, if any. */

static int cmd_rm(const struct command *cmd, int argc, char **argv)
{
	int c, i, err, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":h", help_only, NULL)) != -1) {
		if (c == 'h')
			return print_help(cmd);
		return bad_option(c, argv);
	}
	if (optind == argc)
		return usage("missing NAME");
	for (i = optind; i < argc; i++) {
		err = kmbox_unlink(argv[i]);
		if (err)
			ret = fail(argv[i], "remove", -err);
	}
	return ret;
}

/* stat */

static void print_flags(const char *key, unsigned int v, bool attr)
{
	printf("%-20s%#x", key, v);
	if (attr && v)
		printf(" (%s%s%s)", v & KMBOX_ATTR_HANGUP ? "hangup" : "",
		       v & KMBOX_ATTR_HANGUP && v & KMBOX_ATTR_PERSISTENT ?
		       "," : "",
		       v & KMBOX_ATTR_PERSISTENT ? "persistent" : "");
	if (!attr && v)
		printf(" (%s%s%s)", v & KMBOX_STATE_NAMED ? "named" : "anonymous",
		       v & KMBOX_STATE_UNLINKED ? ",unlinked" : "",
		       v & KMBOX_STATE_SHUTDOWN ? ",shutdown" : "");
	putchar('\n');
}

static int cmd_stat(const struct command *cmd, int argc, char **argv)
{
	struct kmbox_stat st;
	int c, err;

	while ((c = getopt_long(argc, argv, ":h", help_only, NULL)) != -1) {
		if (c == 'h')
			return print_help(cmd);
		return bad_option(c, argv);
	}
	if (argc - optind != 1)
		return usage(optind == argc ? "missing NAME" :
			     "one NAME at a time");
	err = stat_by_name(argv[optind], &st);
	if (err)
		return fail(argv[optind], "stat", -err);
#define U64(f) printf("%-20s%llu\n", #f ":", (unsigned long long)st.f)
	printf("%-20s%s\n", "name:", st.name);
	U64(id);
	U64(msgs);
	U64(bytes);
	U64(max_msgs);
	U64(max_msg_size);
	U64(max_bytes);
	U64(senders);
	U64(receivers);
	U64(blocked_senders);
	U64(blocked_receivers);
	U64(sent);
	U64(received);
	U64(high_water);
	U64(uid);
	U64(gid);
	printf("%-20s%04o\n", "mode:", st.mode);
	print_flags("attr_flags:", st.attr_flags, true);
	print_flags("state:", st.state, false);
	U64(region_size);
	U64(mappings);
	U64(ring_producers);
	U64(ring_consumers);
	U64(charge);
#undef U64
	return EXIT_OK;
}

/* send and recv: options they share. */

struct xfer {
	const char *name;
	__u64 timeout_ns;
	bool timeout, nonblock, stream, shutdown;
	unsigned int prio, count;
	int fd;
	char *buf;
	size_t size;
};

/* What is left of a wait of @x, from @start: 0 nonblocking, -1 forever. */
static long long remaining_ns(const struct xfer *x, __u64 start)
{
	__u64 spent = now_ns() - start;

	if (x->nonblock)
		return 0;
	if (!x->timeout)
		return -1;
	return spent >= x->timeout_ns ? 0 : x->timeout_ns - spent;
}

/* Sends one message: EXIT_OK, or reports the error. */
static int send_one(struct xfer *x, const void *buf, size_t len)
{
	struct kmbox_msg m = {
		.buf = (__u64)(unsigned long)buf,
		.len = len,
		.priority = x->prio,
		.flags = KMBOX_NOSIGNAL,
	};
	ssize_t ret;

	if (x->nonblock) {
		m.flags |= KMBOX_DONTWAIT;
	} else if (x->timeout) {
		m.flags |= KMBOX_TIMEOUT;
		m.timeout_ns = x->timeout_ns;
	}
	do {
		ret = kmbox_send_msg(x->fd, &m);
	} while (ret == -EINTR);
	if (ret >= 0)
		return EXIT_OK;
	if (ret == -ETIMEDOUT || ret == -EAGAIN)
		return timed_out(x->name, "send", -ret);
	if (ret == -EMSGSIZE) {
		msg("mailbox \"%s\": send: %s: %zu bytes, more than max_msg_size %zu",
		    x->name, strerror(EMSGSIZE), len, x->size);
		return EXIT_FAIL;
	}
	if (ret == -EPIPE) {
		msg("mailbox \"%s\": send: %s (shut down, or no receiver left)",
		    x->name, strerror(EPIPE));
		return EXIT_FAIL;
	}
	return fail(x->name, "send", -ret);
}

/* Standard input, one message a line (without its newline). */
static int send_lines(struct xfer *x)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;
	int ret = EXIT_OK;

	while (ret == EXIT_OK && (n = getline(&line, &size, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		ret = send_one(x, line, n);
	}
	if (ret == EXIT_OK && ferror(stdin))
		ret = fail(x->name, "standard input", errno);
	free(line);
	return ret;
}

/* Standard input as a stream, in messages of max_msg_size. */
static int send_stream(struct xfer *x)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = read_full(0, x->buf, x->size);
		if (n < 0)
			return fail(x->name, "standard input", -n);
		if (n == 0)
			return EXIT_OK;
		ret = send_one(x, x->buf, n);
		if (ret)
			return ret;
	}
}

/*
 * Options of send and recv: 0 when parsed, a usage error, or -1 after
 * --help.
 */
static int parse_xfer(int argc, char **argv, struct xfer *x, bool sending)
{
	static const struct option opts[] = {
		{ "prio", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "stream", no_argument, NULL, 's' },
		{ "shutdown", no_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *shorts = sending ? ":p:t:NsSh" : ":t:Nsc:h";
	int c, ret, idx;

	while ((c = getopt_long(argc, argv, shorts, opts, &idx)) != -1) {
		ret = 0;
		if (c == '?' || c == ':')
			return bad_option(c, argv);
		if (!strchr(shorts, c))	/* the other command's option */
			return usage("--%s is not an option of %s",
				     opts[idx].name, current->name);
		switch (c) {
		case 'p':
			ret = parse_uint("--prio", optarg, 0, KMBOX_PRIO_MAX,
					 &x->prio);
			break;
		case 't':
			ret = parse_seconds("--timeout", optarg,
					    &x->timeout_ns);
			x->timeout = true;
			break;
		case 'N':
			x->nonblock = true;
			break;
		case 's':
			x->stream = true;
			break;
		case 'S':
			x->shutdown = true;
			break;
		case 'c':
			ret = parse_uint("--count", optarg, 1, UINT_MAX,
					 &x->count);
			break;
		case 'h':
			print_help(current);
			return -1;
		}
		if (ret)
			return ret;
	}
	if (optind == argc)
		return usage("missing NAME");
	x->name = argv[optind++];
	if (x->nonblock && x->timeout)
		return usage("--nonblock and --timeout exclude each other");
	return 0;
}

/* Opens the mailbox and a buffer of its max_msg_size. */
static int xfer_open(struct xfer *x, unsigned int role)
{
	struct kmbox_attr attr;
	int ret;

	x->fd = kmbox_open(x->name, role | KMBOX_CLOEXEC);
	if (x->fd < 0)
		return fail(x->name, "open", -x->fd);
	ret = kmbox_getattr(x->fd, &attr);
	if (ret)
		return fail(x->name, "attributes", -ret);
	/* One more byte: recv's newline. */
	x->size = attr.max_msg_size;
	x->buf = malloc(x->size + 1);
	if (!x->buf)
		return fail(x->name, "buffer", ENOMEM);
	return EXIT_OK;
}

/*
 * In a hangup mailbox, a stream's ends wait for each other as the ends
 * of a FIFO do in open():
 *  - receiving (!@send): end-of-stream stays once the last sender has
 *    closed, until a new one opens, so a receiver that starts before the
 *    next sender would see the end of the previous stream: wait for a
 *    sender (or a message, or a shutdown);
 *  - sending: once its receivers have all gone, sending fails with EPIPE
 *    until a new one opens: wait for a receiver (or a shutdown).
 * 1 to go on, or an exit code.
 */
static int wait_for_other_end(struct xfer *x, __u64 start, bool send)
{
	struct pollfd p = { .fd = x->fd, .events = send ? POLLOUT : POLLIN };
	struct kmbox_attr attr;
	struct kmbox_stat st;
	struct timespec ts;
	long long left;
	bool there;
	int err;

	err = kmbox_getattr(x->fd, &attr);
	if (err)
		return fail(x->name, "attributes", -err);
	if (!(attr.flags & KMBOX_ATTR_HANGUP))
		return 1;
	for (;;) {
		err = kmbox_stat(x->fd, &st);
		if (err)
			return fail(x->name, "stat", -err);
		there = send ? st.receivers : st.msgs || st.senders;
		if (there || (st.state & KMBOX_STATE_SHUTDOWN))
			return 1;
		/*
		 * Sending: no receiver yet ever, sending works.  Receiving:
		 * not at end-of-stream, the kernel waits for a sender.
		 */
		if (poll(&p, 1, 0) >= 0 &&
		    !(p.revents & (send ? POLLERR : POLLHUP)))
			return 1;
		left = remaining_ns(x, start);
		if (left == 0)
			return timed_out(x->name, send ? "send" : "recv",
					 x->nonblock ? EAGAIN : ETIMEDOUT);
		if (left < 0 || left > 20000000)
			left = 20000000;
		ts = ns_to_ts(left);
		nanosleep(&ts, NULL);
	}
}

static int cmd_send(const struct command *cmd, int argc, char **argv)
{
	struct kmbox_attr attr;
	struct xfer x = { .fd = -1 };
	bool eof_shutdown;
	int ret, err;

	(void)cmd;
	ret = parse_xfer(argc, argv, &x, true);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (x.stream && optind != argc)
		return usage("--stream takes no MESSAGE");
	ret = xfer_open(&x, KMBOX_SEND);
	if (ret)
		goto out;
	ret = wait_for_other_end(&x, now_ns(), true);
	if (ret != 1)
		goto out;
	ret = EXIT_OK;
	if (optind != argc) {
		for (; optind < argc && !ret; optind++)
			ret = send_one(&x, argv[optind], strlen(argv[optind]));
	} else if (x.stream) {
		ret = send_stream(&x);
	} else {
		ret = send_lines(&x);
	}
	/*
	 * End of a stream: closing is enough in a hangup mailbox (and
	 * leaves it usable for the next stream); otherwise only a shutdown
	 * tells the receivers.
	 */
	eof_shutdown = x.shutdown;
	if (ret == EXIT_OK && x.stream && !x.shutdown) {
		err = kmbox_getattr(x.fd, &attr);
		if (err)
			ret = fail(x.name, "attributes", -err);
		else
			eof_shutdown = !(attr.flags & KMBOX_ATTR_HANGUP);
	}
	if (ret == EXIT_OK && eof_shutdown) {
		err = kmbox_shutdown(x.fd);
		if (err)
			ret = fail(x.name, "shutdown", -err);
	}
out:
	if (x.fd >= 0)
		close(x.fd);
	free(x.buf);
	return ret;
}

/*
 * Waits until the mailbox has a message or stdout's reader is gone:
 * 1 readable (or at its end), 0 stdout gone, or an exit code.
 */
static int recv_wait(struct xfer *x, __u64 start)
{
	struct pollfd p[2] = {
		{ .fd = x->fd, .events = POLLIN },
		{ .fd = 1, .events = 0 },
	};
	struct timespec ts;
	long long left;
	int n;

	for (;;) {
		left = remaining_ns(x, start);
		if (left >= 0)
			ts = ns_to_ts(left);
		n = ppoll(p, 2, left >= 0 ? &ts : NULL, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(x->name, "poll", errno);
		if (p[1].revents & POLLNVAL)
			return fail(x->name, "standard output", EBADF);
		if (p[1].revents & (POLLERR | POLLHUP))
			return 0;
		if (p[0].revents)
			return 1;
		return timed_out(x->name, "recv",
				 x->nonblock ? EAGAIN : ETIMEDOUT);
	}
}

/*
 * Takes one message into x->buf, growing it if the message is longer
 * (max_msg_size may have shrunk since it was queued): its length, or
 * -errno (-EAGAIN if another receiver was first).
 */
static ssize_t recv_one(struct xfer *x)
{
	struct kmbox_msg m;
	ssize_t n;
	char *p;

	for (;;) {
		memset(&m, 0, sizeof(m));
		m.buf = (__u64)(unsigned long)x->buf;
		m.len = x->size;
		m.flags = KMBOX_DONTWAIT;
		n = kmbox_recv_msg(x->fd, &m);
		if (n != -EMSGSIZE)
			return n;
		p = realloc(x->buf, m.msg_len + 1);
		if (!p)
			return -ENOMEM;
		x->buf = p;
		x->size = m.msg_len;
	}
}

static int cmd_recv(const struct command *cmd, int argc, char **argv)
{
	struct xfer x = { .fd = -1 };
	unsigned int got = 0;
	__u64 start;
	ssize_t n;
	int ret;

	(void)cmd;
	ret = parse_xfer(argc, argv, &x, false);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (optind != argc)
		return usage("unexpected argument '%s'", argv[optind]);
	ret = xfer_open(&x, KMBOX_RECV);
	if (ret == EXIT_OK) {
		ret = wait_for_other_end(&x, now_ns(), false);
		if (ret != 1)
			goto out;
		ret = EXIT_OK;
	}
	/*
	 * poll() first, then a receive that does not wait: a reader of
	 * stdout that went away is seen before a message is taken, never
	 * after (so "kmboxctl recv NAME | head -1" loses nothing).
	 */
	while (ret == EXIT_OK && (!x.count || got < x.count)) {
		start = now_ns();
		do {
			ret = recv_wait(&x, start);
			if (ret != 1)
				goto out;
			n = recv_one(&x);
		} while (n == -EAGAIN && !x.nonblock);
		if (n == -EPIPE) {	/* end of stream */
			ret = EXIT_OK;
			break;
		}
		if (n == -EAGAIN) {
			ret = timed_out(x.name, "recv", EAGAIN);
			break;
		}
		if (n < 0) {
			ret = fail(x.name, "recv", -n);
			break;
		}
		if (!x.stream)
			x.buf[n++] = '\n';	/* room: see xfer_open() */
		ret = write_all(1, x.buf, n);
		if (ret) {
			msg("mailbox \"%s\": standard output: %s (a message was lost)",
			    x.name, strerror(-ret));
			ret = EXIT_FAIL;
			break;
		}
		got++;
	}
out:
	if (x.fd >= 0)
		close(x.fd);
	free(x.buf);
	return ret;
}

/* watch */

static int cmd_watch(const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct kmbox_stat st, prev = { 0 };
	__u64 interval = NSEC_PER_SEC, start, next, t, prev_t = 0;
	unsigned int count = 0, i;
	bool all = false, tty = isatty(1);
	const char *name = NULL;
	struct timespec ts;
	double dt;
	int c, err, ret;

	while ((c = getopt_long(argc, argv, ":ai:c:h", opts, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'i':
			ret = parse_seconds("--interval", optarg, &interval);
			if (!ret && interval < NSEC_PER_SEC / 100)
				return usage("--interval: at least 0.01 s");
			break;
		case 'c':
			ret = parse_uint("--count", optarg, 1, UINT_MAX, &count);
			break;
		case 'h':
			return print_help(cmd);
		default:
			return bad_option(c, argv);
		}
		if (ret)
			return ret;
	}
	if (all ? optind != argc : optind == argc)
		return usage(all ? "--all takes no NAME" : "missing NAME or --all");
	if (argc - optind > 1)
		return usage("one NAME at a time");
	if (!all)
		name = argv[optind];
	start = now_ns();
	next = start;
	for (i = 0; !count || i < count; i++) {
		if (i) {
			next += interval;
			ts = ns_to_ts(next);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					       &ts, NULL) == EINTR)
				;
		}
		if (all) {
			if (tty)
				fputs("\033[H\033[2J", stdout);
			else if (i)
				putchar('\n');
			printf("kmboxctl watch --all: %.1f s\n",
			       (now_ns() - start) / 1e9);
			ret = print_table(LIST_TABLE);
			fflush(stdout);
			if (ret)
				return ret;
			continue;
		}
		t = now_ns();
		err = stat_by_name(name, &st);
		if (err)
			return fail(name, "stat", -err);
		if (i == 0)
			printf("%8s %6s %8s %10s %5s %5s %5s %5s %10s %10s %9s %9s\n",
			       "TIME", "ID", "MSGS", "BYTES", "SEND", "RECV",
			       "BSEND", "BRECV", "SENT", "RECEIVED", "SENT/S",
			       "RECV/S");
		printf("%8.1f %6llu %8llu %10llu %5u %5u %5u %5u %10llu %10llu",
		       (t - start) / 1e9, (unsigned long long)st.id,
		       (unsigned long long)st.msgs,
		       (unsigned long long)st.bytes, st.senders, st.receivers,
		       st.blocked_senders, st.blocked_receivers,
		       (unsigned long long)st.sent,
		       (unsigned long long)st.received);
		dt = (t - prev_t) / 1e9;
		if (i && st.id == prev.id && dt > 0)
			printf(" %9.0f %9.0f\n", (st.sent - prev.sent) / dt,
			       (st.received - prev.received) / dt);
		else
			printf(" %9s %9s\n", "-", "-");
		fflush(stdout);
		prev = st;
		prev_t = t;
	}
	return EXIT_OK;
}

static const struct command commands[] = {
	{ "ls", cmd_ls, "[--names|--null]",
	  "List every mailbox (from " PROC_LIST ").",
	  "  -n, --names             only the names, one a line (anonymous\n"
	  "                          mailboxes left out), escaped as in the table\n"
	  "  -0, --null              only the names, as they are, each ended by a\n"
	  "                          NUL byte: for xargs -0 (as find -print0)\n" },
	{ "create", cmd_create, "NAME [OPTION]...",
	  "Make mailbox NAME and keep it until 'kmboxctl rm NAME'.",
	  "      --max-msgs N        capacity in messages\n"
	  "      --max-msg-size N    largest message, in bytes\n"
	  "      --max-bytes N       capacity in bytes\n"
	  "      --mode OCTAL        permission bits (default 0600)\n"
	  "      --region-size N     shared region, a multiple of the page size\n"
	  "      --hangup            end-of-stream when the last sender closes,\n"
	  "                          EPIPE when the last receiver does\n"
	  "      --excl              fail if NAME exists (else: nothing to do)\n"
	  "  N takes a suffix k, M or G; 0 or absent: the module's default.\n" },
	{ "rm", cmd_rm, "NAME...",
	  "Remove the names; each mailbox goes when its last user closes it.",
	  "" },
	{ "stat", cmd_stat, "NAME",
	  "Show every figure of KMBOX_IOC_STAT for mailbox NAME.",
	  "" },
	{ "send", cmd_send, "NAME [OPTION]... [MESSAGE]...",
	  "Send each MESSAGE, or each line of standard input, or with --stream\n"
	  "all of standard input in messages of max_msg_size bytes.",
	  "  -p, --prio N            priority 0 to 31 (default 0)\n"
	  "  -t, --timeout SECONDS   wait at most this long for room, per message\n"
	  "  -N, --nonblock          do not wait for room\n"
	  "  -s, --stream            standard input as raw bytes; at its end,\n"
	  "                          close (hangup mailbox) or shut NAME down\n"
	  "  -S, --shutdown          shut NAME down after the last message\n" },
	{ "recv", cmd_recv, "NAME [OPTION]...",
	  "Receive messages to standard output, one a line, until end-of-stream.",
	  "  -c, --count N           stop after N messages\n"
	  "  -t, --timeout SECONDS   wait at most this long for each message\n"
	  "  -N, --nonblock          do not wait for a message\n"
	  "  -s, --stream            write the raw bytes, no newlines\n" },
	{ "watch", cmd_watch, "NAME|--all [OPTION]...",
	  "Show the figures of NAME (or the table of every mailbox), again and\n"
	  "again.",
	  "  -a, --all               every mailbox, as 'ls'\n"
	  "  -i, --interval SECONDS  time between samples (default 1)\n"
	  "  -c, --count N           stop after N samples\n" },
};

#define NR_COMMANDS ARRAY_SIZE(commands)

static int main_help(void)
{
	size_t i;

	printf("Usage: kmboxctl COMMAND [OPTION]... [ARG]...\n"
	       "List, make, remove, inspect and use kmbox mailboxes.\n\n"
	       "Commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %-7s %s\n", commands[i].name, commands[i].synopsis);
	printf("\n'kmboxctl COMMAND --help' tells more.  Options:\n"
	       "  -h, --help     show this help\n"
	       "  -V, --version  show the version\n"
	       "\nExit status: 0 ok, 1 error, 2 usage, 3 timeout.\n");
	return EXIT_OK;
}

static int main_version(void)
{
	int v = kmbox_version();

	printf("kmboxctl %s (built for kmbox ABI %d; ", KMBOXCTL_VERSION,
	       KMBOX_ABI_VERSION);
	if (v >= 0)
		printf("module ABI %d)\n", v);
	else
		printf("module: %s%s)\n", strerror(-v), enoent_hint(-v));
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	size_t i;

	/* EPIPE, not death, for a pipe whose reader is gone. */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	if (argc < 2)
		return usage("missing COMMAND");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return main_help();
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return main_version();
	if (argv[1][0] == '-')
		return usage("unknown option '%s'", argv[1]);
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		current = &commands[i];
		return current->run(current, argc - 1, argv + 1);
	}
	return usage("unknown command '%s'", argv[1]);
}
