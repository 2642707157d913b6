// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: one-process workloads.
 *
 *   env      facts about the machine the figures come from
 *   floors   a null system call, no-op ioctls on /dev/kmbox, reading the
 *            clock, memcpy bandwidth
 *   scale    send + receive in one thread with 1, 1k and 64k messages
 *            already queued, priority 0 or random priorities
 *   mqperf   the loops of the kernel's mq_perf_tests (16-byte messages,
 *            queue empty, queue full with constant, increasing, decreasing
 *            and random priorities), time-sliced, for kmbox and POSIX mq
 *   objects  create/close and open/close rates, with 0 and 10k objects
 *   memory   kernel memory per empty mailbox and per queued 64 B message
 *            (deltas of /proc/meminfo and /proc/slabinfo)
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <kmbox.h>

#ifdef KMBOX_STANDIN
#include "doorbell_standin.h"
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* --- env ---------------------------------------------------------------- */

static void env_file(const char *key, const char *path)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	out_env(key, "%s", line[0] ? line : "?");
}

static void env_grep(const char *key, const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");
	size_t len = strlen(prefix);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, len)) {
			char *p = strchr(line, ':');

			p = p ? p + 1 : line + len;
			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\n")] = 0;
			for (char *q = p; *q; q++)
				if (*q == ',')
					*q = ';';
			out_env(key, "%s", p);
			break;
		}
	}
	fclose(f);
}

void work_env(void)
{
	struct utsname u;

	uname(&u);
	out_env("kernel", "%s", u.release);
	out_env("machine", "%s", u.machine);
	out_env("vcpus", "%d", ncpus);
	env_file("clocksource",
		 "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	env_grep("cpu", "/proc/cpuinfo", "model name");
	env_grep("memtotal", "/proc/meminfo", "MemTotal");
	out_env("tick_mhz", "%.1f", tick_mhz());
#ifdef KMBOX_STANDIN
	out_env("doorbell", "%s", STANDIN_NOTICE);
#endif
	out_env("kmbox_features", "0x%llx",
		(unsigned long long)bench_kmbox_features());
	out_env("reps", "%d", opt.reps);
	out_env("quick", "%d", opt.quick);
	env_file("mq_msg_max", "/proc/sys/fs/mqueue/msg_max");
	env_file("mq_msgsize_max", "/proc/sys/fs/mqueue/msgsize_max");
	env_file("unix_max_dgram_qlen", "/proc/sys/net/unix/max_dgram_qlen");
}

/* --- floors ------------------------------------------------------------- */

enum floor_kind {
	FL_SYSCALL, FL_VERSION, FL_ENOTTY, FL_CLOCK, FL_TICK, FL_MEMCPY,
};

struct floor {
	const char *label;
	enum floor_kind kind;
	size_t size;
	struct samples per_rep;	/* ns per operation */
};

static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

static double floor_slice(struct floor *fl, int dev, double slice)
{
	struct kmbox_version v;
	struct timespec ts;
	uint64_t t0 = tick_now(), end = t0 + ns_to_ticks(slice), t;
	unsigned char *src = NULL, *dst = NULL;
	size_t ops = 0, map_len = 0;
	int i;

	if (fl->kind == FL_MEMCPY) {
		/*
		 * Half a page apart modulo the page size: glibc's "rep movsb"
		 * copies crawl on some CPUs (AMD Zen, here 19 times slower at
		 * 64 KiB) when the destination lies just above the source
		 * modulo 4096, as two malloc()ed blocks of a page multiple do.
		 * The floor is memcpy at its best.
		 */
		map_len = 2 * fl->size + 3 * 4096;
		src = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (src == MAP_FAILED)
			die("out of memory");
		dst = src + ((fl->size + 4095) & ~(size_t)4095) + 2048;
		memset(src, 1, fl->size);
		memset(dst, 2, fl->size);
		memcpy_fn(dst, src, fl->size);
		t0 = tick_now();
		end = t0 + ns_to_ticks(slice);
	}
	do {
		for (i = 0; i < 16; i++) {
			switch (fl->kind) {
			case FL_SYSCALL:
				syscall(SYS_getppid);
				break;
			case FL_VERSION:
				ioctl(dev, KMBOX_IOC_VERSION, &v);
				break;
			case FL_ENOTTY:
				ioctl(dev, _IO(KMBOX_IOC_MAGIC, 0x7f));
				break;
			case FL_CLOCK:
				clock_gettime(CLOCK_MONOTONIC, &ts);
				break;
			case FL_TICK:
				(void)tick_now();
				break;
			case FL_MEMCPY:
				memcpy_fn(dst, src, fl->size);
				__asm__ __volatile__("" : : "r"(dst) : "memory");
				break;
			}
		}
		ops += 16;
		t = tick_now();
	} while (t < end);
	if (src)
		munmap(src, map_len);
	return tick_to_ns(t - t0) / (double)ops;
}

/*
 * Round trips between two processes pinned to different CPUs, the floors
 * of any shared-memory mechanism: the parent stores a counter in one
 * cache line and spins (with a pause, as every spinning mechanism here
 * does) until the child has stored it back in another.  With @size, each
 * round trip also hands @size bytes across: the parent copies them from
 * a hot buffer into shared memory before its store, the child reads
 * every 8-byte word of them before its answer.  The two lines are 128
 * bytes apart (adjacent lines are fetched in pairs: two writers of one
 * pair measured 2 times slower).  Each round trip is timed on its own
 * and added to @s, as the rtt group does, so that medians compare.
 */
struct handoff {
	uint64_t ping __attribute__((aligned(128)));	/* written by the parent */
	uint64_t pong __attribute__((aligned(128)));	/* by the child */
	unsigned char data[] __attribute__((aligned(128)));
};

static void handoff_slice(size_t size, double slice, struct samples *s)
{
	size_t len = sizeof(struct handoff) + size;
	uint64_t i, t0, t1, end, last = 0, v, sum = 0;
	unsigned char *src = NULL;
	struct handoff *h;
	size_t w;
	pid_t pid;

	if (ncpus < 2)
		return;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (h == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (size) {
		src = buf_new(size);
		memset(h->data, 0, size);
	}
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		pin_cpu(CPU_B);
		for (;;) {
			v = __atomic_load_n(&h->ping, __ATOMIC_ACQUIRE);
			if (v == last) {
				cpu_relax();
				continue;
			}
			for (w = 0; w < size / 8; w++)
				sum += ((const uint64_t *)h->data)[w];
			__asm__ __volatile__("" : : "r"(sum));
			__atomic_store_n(&h->pong, v, __ATOMIC_RELEASE);
			if (v == UINT64_MAX)
				_exit(0);
			last = v;
		}
	}
	pin_cpu(CPU_A);
	end = tick_now() + ns_to_ticks(slice);
	for (i = 1;; i++) {
		t0 = tick_now();
		if (size)
			memcpy(h->data, src, size);
		__atomic_store_n(&h->ping, i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&h->pong, __ATOMIC_ACQUIRE) != i)
			cpu_relax();
		t1 = tick_now();
		if (i > 100)		/* after a warm-up */
			samples_add(s, tick_to_ns(t1 - t0));
		if (t1 >= end && i > 100)
			break;
	}
	__atomic_store_n(&h->ping, UINT64_MAX, __ATOMIC_RELEASE);
	reap(pid);
	buf_free(src);
	munmap(h, len);
	pin_cpu(CPU_B);
}

void work_floors(void)
{
	struct floor fls[] = {
		{ "null-syscall", FL_SYSCALL, 0, { 0 } },
		{ "kmbox-version-ioctl", FL_VERSION, 0, { 0 } },
		{ "kmbox-enotty-ioctl", FL_ENOTTY, 0, { 0 } },
		{ "clock_gettime", FL_CLOCK, 0, { 0 } },
		{ "tsc-read", FL_TICK, 0, { 0 } },
		{ "memcpy", FL_MEMCPY, 64, { 0 } },
		{ "memcpy", FL_MEMCPY, 1024, { 0 } },
		{ "memcpy", FL_MEMCPY, 4096, { 0 } },
		{ "memcpy", FL_MEMCPY, 65536, { 0 } },
		{ "memcpy", FL_MEMCPY, 16 << 20, { 0 } },
	};
	size_t n = sizeof(fls) / sizeof(fls[0]), i;
	double slice = slice_ns(40, 10);
	int dev = open("/dev/kmbox", O_RDWR | O_CLOEXEC), rep;
	struct samples line_rtt = { 0 }, handoff = { 0 };

	pin_cpu(CPU_B);
	for (rep = 0; rep < opt.reps; rep++) {
		progress("floors: repetition %d/%d", rep + 1, opt.reps);
		handoff_slice(0, slice, &line_rtt);
		handoff_slice(65536, slice, &handoff);
		for (i = 0; i < n; i++) {
			if ((fls[i].kind == FL_VERSION ||
			     fls[i].kind == FL_ENOTTY) && dev < 0)
				continue;
			samples_add(&fls[i].per_rep,
				    floor_slice(&fls[i], dev,
						fls[i].size > 65536 ?
						3 * slice : slice));
		}
	}
	for (i = 0; i < n; i++) {
		struct samples *s = &fls[i].per_rep;

		if (!s->n)
			continue;
		if (fls[i].kind == FL_MEMCPY) {
			double med = samples_pct(s, 50), slow = samples_pct(s, 99);

			out_result("floors", fls[i].label, fls[i].size, "-", "-",
				   "bw", "MB/s", fls[i].size / med * 1e3,
				   fls[i].size / slow * 1e3, NAN, s->n);
		}
		out_result("floors", fls[i].label, fls[i].size, "-", "-", "op",
			   "ns", samples_pct(s, 50), samples_pct(s, 99), NAN,
			   s->n);
		samples_free(s);
	}
	if (line_rtt.n)
		out_samples("floors", "cacheline-rtt", 64, "cross-cpu", "-",
			    "rtt", "ns", &line_rtt);
	if (handoff.n)
		out_samples("floors", "handoff", 65536, "cross-cpu", "-", "rtt",
			    "ns", &handoff);
	samples_free(&line_rtt);
	samples_free(&handoff);
	if (dev >= 0)
		close(dev);
	pin_cpu(-1);
}

/* --- scale and mqperf: send + receive in one thread at a depth ---------- */

enum prio_pat { PAT_ZERO, PAT_RAND, PAT_INC, PAT_DEC };
static const char *pat_name[] = { "prio0", "random-prio", "inc-prio",
				  "dec-prio" };

struct sq {
	const struct variant *v;
	enum prio_pat pat;
	unsigned int prio_max;	/* priorities 0..prio_max-1 */
	unsigned int depth;	/* messages queued before measuring */
	struct chan c;
	int ok;
	unsigned int prio;
	struct samples pair, send, recv;
};

static unsigned int next_prio(struct sq *q)
{
	switch (q->pat) {
	case PAT_RAND:
		return rng() % q->prio_max;
	case PAT_INC:
		q->prio = (q->prio + 1) % q->prio_max;
		return q->prio;
	case PAT_DEC:
		q->prio = (q->prio + q->prio_max - 1) % q->prio_max;
		return q->prio;
	default:
		return 0;
	}
}

static int sq_fill(struct sq *q, size_t size, unsigned int cap,
		   unsigned int depth)
{
	void *buf = buf_new(size);
	unsigned int i;
	int ret;

	ret = chan_open(&q->c, q->v, size, cap);
	if (ret) {
		fprintf(stderr, "kmbox-bench: %s: cannot make a queue of %u: %s\n",
			q->v->label, cap, strerror(-ret));
		q->c.m->close(&q->c);
		buf_free(buf);
		return ret;
	}
	for (i = 0; i < depth; i++) {
		ret = q->c.m->send(&q->c, buf, next_prio(q));
		if (ret) {
			fprintf(stderr, "kmbox-bench: %s: fill %u/%u: %s\n",
				q->v->label, i, depth, strerror(-ret));
			q->c.m->close(&q->c);
			buf_free(buf);
			return ret;
		}
	}
	buf_free(buf);
	q->ok = 1;
	return 0;
}

static void sq_slice(struct sq *q, double slice)
{
	void *buf = buf_new(q->c.size);
	uint64_t t0, t1, t2, end = tick_now() + ns_to_ticks(slice);
	int ret;

	do {
		unsigned int prio = next_prio(q);

		t0 = tick_now();
		ret = q->c.m->send(&q->c, buf, prio);
		t1 = tick_now();
		if (!ret)
			ret = q->c.m->recv(&q->c, buf);
		t2 = tick_now();
		if (ret) {
			fprintf(stderr, "kmbox-bench: %s: %s\n", q->v->label,
				strerror(-ret));
			q->ok = 0;
			break;
		}
		samples_add(&q->pair, tick_to_ns(t2 - t0));
		samples_add(&q->send, tick_to_ns(t1 - t0));
		samples_add(&q->recv, tick_to_ns(t2 - t1));
	} while (t2 < end);
	buf_free(buf);
}

static const struct variant SV_KMBOX = { "kmbox-ioctl", &mech_kmbox_ioctl, 0 };
static const struct variant SV_MQ = { "posix-mq", &mech_posix_mq, 0 };
static const struct variant SV_SYSV = { "sysv-msg", &mech_sysv_msg, 0 };
static const struct variant SV_PIPE = { "pipe", &mech_pipe, 0 };
static const struct variant SV_KRW = { "kmbox-rw", &mech_kmbox_rw, 0 };

/*
 * Fills every queue to its own depth first, then interleaves the slices
 * of all of them, whatever their depth, so that a slow moment of the host
 * does not land on one depth only.
 */
static void sq_run(const char *group, struct sq *qs, size_t nq, size_t size,
		   unsigned int cap, double slice)
{
	char param[32];
	size_t i;
	int rep;

	for (i = 0; i < nq; i++)
		if (wanted(qs[i].v->label) && variant_usable(qs[i].v))
			sq_fill(&qs[i], size, cap, qs[i].depth);
	for (rep = 0; rep < opt.reps; rep++) {
		progress("%s: repetition %d/%d", group, rep + 1, opt.reps);
		for (i = 0; i < nq; i++)
			if (qs[i].ok)
				sq_slice(&qs[i], slice);
	}
	for (i = 0; i < nq; i++) {
		struct sq *q = &qs[i];

		snprintf(param, sizeof(param), "depth%u", q->depth);
		if (q->pair.n) {
			out_samples(group, q->v->label, size, pat_name[q->pat],
				    param, "pair", "ns", &q->pair);
			out_result(group, q->v->label, size, pat_name[q->pat],
				   param, "send", "ns", samples_pct(&q->send, 50),
				   samples_pct(&q->send, 99), NAN, q->send.n);
			out_result(group, q->v->label, size, pat_name[q->pat],
				   param, "recv", "ns", samples_pct(&q->recv, 50),
				   samples_pct(&q->recv, 99), NAN, q->recv.n);
		} else if (wanted(q->v->label) && variant_usable(q->v)) {
			out_result(group, q->v->label, size, pat_name[q->pat],
				   param, "failed", "-", NAN, NAN, NAN, 0);
		}
		if (q->ok || q->c.m)
			q->c.m->close(&q->c);
		samples_free(&q->pair);
		samples_free(&q->send);
		samples_free(&q->recv);
		q->ok = 0;
		memset(&q->c, 0, sizeof(q->c));
	}
}

#define SQ(var, p, pm, d) { .v = (var), .pat = (p), .prio_max = (pm), .depth = (d) }

void work_scale(void)
{
	static const unsigned int depths[] = { 1, 1024, 65535 };
	struct sq qs[3 * 7];
	double slice = slice_ns(50, 8);
	size_t d, n = 0;

	memset(qs, 0, sizeof(qs));
	for (d = 0; d < 3; d++) {
		const struct sq row[] = {
			SQ(&SV_KMBOX, PAT_ZERO, 32, depths[d]),
			SQ(&SV_KMBOX, PAT_RAND, 32, depths[d]),
			SQ(&SV_MQ, PAT_ZERO, 32, depths[d]),
			SQ(&SV_MQ, PAT_RAND, 32, depths[d]),
			SQ(&SV_SYSV, PAT_ZERO, 1, depths[d]),
			SQ(&SV_KRW, PAT_ZERO, 1, depths[d]),
			SQ(&SV_PIPE, PAT_ZERO, 1, depths[d]),
		};

		memcpy(qs + n, row, sizeof(row));
		n += sizeof(row) / sizeof(row[0]);
	}
	pin_cpu(CPU_B);
	progress("scale: filling %zu queues to 1, 1024 and 65535 messages", n);
	sq_run("scale", qs, n, 64, 65536, slice);
	pin_cpu(-1);
}

void work_mqperf(void)
{
	/* mq_perf_tests raises msg_max by 10s up to 65536: 65530, filled to 65529 */
	struct sq qs[] = {
		SQ(&SV_KMBOX, PAT_ZERO, 32, 0),
		SQ(&SV_MQ, PAT_ZERO, 32, 0),
		SQ(&SV_KMBOX, PAT_ZERO, 32, 65529),
		SQ(&SV_MQ, PAT_ZERO, 32, 65529),
		SQ(&SV_KMBOX, PAT_INC, 32, 65529),
		SQ(&SV_MQ, PAT_INC, 32, 65529),
		SQ(&SV_KMBOX, PAT_DEC, 32, 65529),
		SQ(&SV_MQ, PAT_DEC, 32, 65529),
		SQ(&SV_KMBOX, PAT_RAND, 32, 65529),
		SQ(&SV_MQ, PAT_RAND, 32, 65529),
	};
	double slice = slice_ns(50, 8);

	pin_cpu(CPU_B);
	progress("mqperf: filling queues (65529 messages)");
	sq_run("mqperf", qs, sizeof(qs) / sizeof(qs[0]), 16, 65530, slice);
	pin_cpu(-1);
}

/* --- objects ------------------------------------------------------------ */

static void raise_nofile(void)
{
	struct rlimit r = { 1 << 17, 1 << 17 };

	setrlimit(RLIMIT_NOFILE, &r);
}

enum obj_op { OP_K_CREATE, OP_K_OPEN, OP_MQ_CREATE, OP_MQ_OPEN };
static const char *obj_label[] = { "kmbox", "kmbox", "posix-mq", "posix-mq" };
static const char *obj_param[] = { "create+close", "open+close",
				   "create+close+unlink", "open+close" };

static struct mq_attr small_mq = { .mq_maxmsg = 1, .mq_msgsize = 64 };

static int obj_once(enum obj_op op, unsigned long i, unsigned int pop)
{
	char name[64];
	int fd;

	switch (op) {
	case OP_K_CREATE:
		snprintf(name, sizeof(name), "kb-new-%lu", i);
		fd = kmbox_create(name, NULL, KMBOX_EXCL);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	case OP_K_OPEN:
		/* a random member: the newest name may sit first in its chain */
		if (pop)
			snprintf(name, sizeof(name), "kb-pop-%u", rng() % pop);
		else
			snprintf(name, sizeof(name), "kb-target");
		fd = kmbox_open(name, 0);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	case OP_MQ_CREATE:
		snprintf(name, sizeof(name), "/kb-new-%lu", i);
		fd = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &small_mq);
		if (fd < 0)
			return -errno;
		close(fd);
		mq_unlink(name);
		return 0;
	case OP_MQ_OPEN:
		if (pop)
			snprintf(name, sizeof(name), "/kb-pop-%u", rng() % pop);
		else
			snprintf(name, sizeof(name), "/kb-target");
		fd = mq_open(name, O_RDWR);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return -EINVAL;
}

static void populate(unsigned int pop, int *kfds)
{
	char name[64];
	unsigned int i;
	int fd;

	for (i = 0; i < pop; i++) {
		snprintf(name, sizeof(name), "kb-pop-%u", i);
		kfds[i] = kmbox_create(name, NULL, KMBOX_EXCL);
		if (kfds[i] < 0)
			die("objects: kmbox_create %s: %s", name,
			    strerror(-kfds[i]));
		snprintf(name, sizeof(name), "/kb-pop-%u", i);
		fd = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &small_mq);
		if (fd < 0)
			die("objects: mq_open %s: %s", name, strerror(errno));
		close(fd);
	}
}

static void depopulate(unsigned int pop, int *kfds)
{
	char name[64];
	unsigned int i;

	for (i = 0; i < pop; i++) {
		close(kfds[i]);
		snprintf(name, sizeof(name), "/kb-pop-%u", i);
		mq_unlink(name);
	}
}

/*
 * Each repetition measures with no object, then makes the population,
 * measures again and removes it: the two states are interleaved.
 */
void work_objects(void)
{
	unsigned int pops[] = { 0, opt.quick ? 2000 : 10000 };
	struct samples lat[2][4], rate[2][4];
	int failed[2][4];
	double slice = slice_ns(50, 10);
	unsigned long seq = 0;
	int *kfds = calloc(pops[1] + 1, sizeof(int));
	int op, rep, p, ktarget, fd;

	if (!kfds)
		die("out of memory");
	memset(lat, 0, sizeof(lat));
	memset(rate, 0, sizeof(rate));
	memset(failed, 0, sizeof(failed));
	raise_nofile();
	pin_cpu(CPU_B);
	ktarget = kmbox_create("kb-target", NULL, KMBOX_EXCL);
	fd = mq_open("/kb-target", O_RDWR | O_CREAT | O_EXCL, 0600, &small_mq);
	if (fd >= 0)
		close(fd);
	for (rep = 0; rep < opt.reps; rep++) {
		progress("objects: repetition %d/%d", rep + 1, opt.reps);
		for (p = 0; p < 2; p++) {
			unsigned int pop = pops[p];

			populate(pop, kfds);
			for (op = 0; op < 4; op++) {
				uint64_t t0, t1 = 0, start = tick_now(),
					 end = start + ns_to_ticks(slice);
				size_t ops = 0;
				int ret;

				if (failed[p][op])
					continue;
				do {
					t0 = tick_now();
					ret = obj_once(op, seq++, pop);
					t1 = tick_now();
					if (ret) {
						fprintf(stderr, "kmbox-bench: objects %s %s: %s\n",
							obj_label[op], obj_param[op],
							strerror(-ret));
						failed[p][op] = 1;
						break;
					}
					samples_add(&lat[p][op], tick_to_ns(t1 - t0));
					ops++;
				} while (t1 < end);
				if (!failed[p][op])
					samples_add(&rate[p][op], (double)ops /
						    (tick_to_ns(t1 - start) / 1e9));
			}
			depopulate(pop, kfds);
		}
	}
	for (p = 0; p < 2; p++) {
		for (op = 0; op < 4; op++) {
			char param[64];

			snprintf(param, sizeof(param), "%s@%u", obj_param[op],
				 pops[p]);
			if (failed[p][op] || !rate[p][op].n) {
				out_result("objects", obj_label[op], 0, "-", param,
					   "failed", "-", NAN, NAN, NAN, 0);
			} else {
				out_result("objects", obj_label[op], 0, "-", param,
					   "rate", "op/s",
					   samples_pct(&rate[p][op], 50),
					   samples_pct(&rate[p][op], 1), NAN,
					   rate[p][op].n);
				out_samples("objects", obj_label[op], 0, "-", param,
					    "op", "ns", &lat[p][op]);
			}
			samples_free(&lat[p][op]);
			samples_free(&rate[p][op]);
		}
	}
	if (ktarget >= 0)
		close(ktarget);
	mq_unlink("/kb-target");
	free(kfds);
	pin_cpu(-1);
}

/* --- memory ------------------------------------------------------------- */

#define MAX_CACHES 512

struct memsnap {
	long slab_kb, free_kb;
	int ncache;
	char name[MAX_CACHES][64];
	long bytes[MAX_CACHES];
};

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

static void snap(struct memsnap *s)
{
	char line[512], name[64];
	long active, num, objsize;
	FILE *f;

	/* let RCU-freed objects and per-CPU slab caches settle */
	usleep(200000);
	s->slab_kb = meminfo_kb("Slab");
	s->free_kb = meminfo_kb("MemFree");
	s->ncache = 0;
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && s->ncache < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num,
			   &objsize) != 4)
			continue;
		snprintf(s->name[s->ncache], sizeof(s->name[0]), "%s", name);
		s->bytes[s->ncache] = active * objsize;
		s->ncache++;
	}
	fclose(f);
}

/* Prints the deltas per object: Slab, MemFree, and the top slab caches. */
static void mem_report(const char *mech, const char *what,
		       const struct memsnap *a, const struct memsnap *b,
		       unsigned int n, struct samples *slab,
		       struct samples *total, int last)
{
	long delta[MAX_CACHES];
	int i, j, k;

	samples_add(slab, (double)(b->slab_kb - a->slab_kb) * 1024 / n);
	samples_add(total, (double)(a->free_kb - b->free_kb) * 1024 / n);
	if (!last)
		return;
	out_result("memory", mech, 64, what, "-", "slab", "B/object",
		   samples_pct(slab, 50), NAN, NAN, slab->n);
	out_result("memory", mech, 64, what, "-", "memfree", "B/object",
		   samples_pct(total, 50), NAN, NAN, total->n);
	for (i = 0; i < b->ncache; i++) {
		delta[i] = b->bytes[i];
		for (j = 0; j < a->ncache; j++)
			if (!strcmp(a->name[j], b->name[i]))
				delta[i] -= a->bytes[j];
	}
	/* the four slab caches that grew most, in the last run */
	for (k = 0; k < 4; k++) {
		int bi = -1;

		for (i = 0; i < b->ncache; i++)
			if (bi < 0 || delta[i] > delta[bi])
				bi = i;
		if (bi < 0 || delta[bi] * 10 < (long)n)	/* < 0.1 B/object */
			break;
		out_result("memory", mech, 64, what, b->name[bi], "cache",
			   "B/object", (double)delta[bi] / n, NAN, NAN, 1);
		delta[bi] = -1;
	}
}

void work_memory(void)
{
	unsigned int nbox = opt.quick ? 2000 : 10000, nmsg = 65536, i;
	struct memsnap *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct samples slab[4], total[4];
	int *fds = calloc(nbox, sizeof(int));
	void *buf = buf_new(64);
	int runs = opt.quick ? 1 : 3, run;
	char name[64];

	if (!a || !b || !fds)
		die("out of memory");
	memset(slab, 0, sizeof(slab));
	memset(total, 0, sizeof(total));
	raise_nofile();
	pin_cpu(CPU_B);
	for (run = 0; run < runs; run++) {
		int last = run == runs - 1;
		struct kmbox_attr ka;
		struct mq_attr ma;
		int fd;

		progress("memory: run %d/%d", run + 1, runs);
		/* empty mailboxes, default attributes, one descriptor each */
		snap(a);
		for (i = 0; i < nbox; i++) {
			fds[i] = kmbox_create(NULL, NULL, 0);
			if (fds[i] < 0)
				die("memory: kmbox_create: %s", strerror(-fds[i]));
		}
		snap(b);
		mem_report("kmbox", "empty", a, b, nbox, &slab[0], &total[0],
			   last);
		for (i = 0; i < nbox; i++)
			close(fds[i]);

		/* empty POSIX queues, default attributes, one descriptor each */
		snap(a);
		for (i = 0; i < nbox; i++) {
			snprintf(name, sizeof(name), "/kb-mem-%u", i);
			fds[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600,
					 NULL);
			if (fds[i] < 0)
				die("memory: mq_open: %s", strerror(errno));
		}
		snap(b);
		mem_report("posix-mq", "empty", a, b, nbox, &slab[1], &total[1],
			   last);
		for (i = 0; i < nbox; i++) {
			close(fds[i]);
			snprintf(name, sizeof(name), "/kb-mem-%u", i);
			mq_unlink(name);
		}

		/* 64 B messages queued in one mailbox */
		memset(&ka, 0, sizeof(ka));
		ka.max_msgs = nmsg;
		ka.max_msg_size = 64;
		ka.max_bytes = 64ull * nmsg;
		fd = kmbox_create(NULL, &ka, 0);
		if (fd < 0)
			die("memory: kmbox_create: %s", strerror(-fd));
		snap(a);
		for (i = 0; i < nmsg; i++)
			if (kmbox_send(fd, buf, 64, 0) != 64)
				die("memory: kmbox_send failed");
		snap(b);
		mem_report("kmbox", "per-64B-msg", a, b, nmsg, &slab[2],
			   &total[2], last);
		close(fd);

		memset(&ma, 0, sizeof(ma));
		ma.mq_maxmsg = nmsg;
		ma.mq_msgsize = 64;
		fd = mq_open("/kb-mem-msgs", O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
		if (fd < 0) {
			fprintf(stderr, "kmbox-bench: memory: mq_open of %u: %s\n",
				nmsg, strerror(errno));
			continue;
		}
		mq_unlink("/kb-mem-msgs");
		snap(a);
		for (i = 0; i < nmsg; i++)
			if (mq_send(fd, buf, 64, 0))
				die("memory: mq_send: %s", strerror(errno));
		snap(b);
		mem_report("posix-mq", "per-64B-msg", a, b, nmsg, &slab[3],
			   &total[3], last);
		close(fd);
	}
	for (i = 0; i < 4; i++) {
		samples_free(&slab[i]);
		samples_free(&total[i]);
	}
	buf_free(buf);
	free(fds);
	free(a);
	free(b);
	pin_cpu(-1);
}
