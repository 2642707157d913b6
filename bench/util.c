// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: time, statistics, output, processes and buffers.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmbox.h>
#include "kmbox.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

struct bench_opts opt = { .reps = 11, .scale = 1.0 };
int ncpus = 1;

double slice_ns(double full_ms, double quick_ms)
{
	return (opt.quick ? quick_ms : full_ms) * opt.scale * 1e6;
}

int wanted(const char *label)
{
	const char *p = opt.only;
	size_t len = strlen(label);

	if (!p || !*p)
		return 1;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && !strncmp(p, label, n))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* --- Time -------------------------------------------------------------- */

static double ns_per_tick = 1.0;

double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

uint64_t tick_now(void)
{
#ifdef HAVE_TSC
	return __rdtsc();
#else
	return (uint64_t)mono_ns();
#endif
}

void tick_init(void)
{
	double n0, n1;
	uint64_t t0, t1;

#ifdef HAVE_TSC
	n0 = mono_ns();
	t0 = tick_now();
	do
		n1 = mono_ns();
	while (n1 - n0 < 200e6);
	t1 = tick_now();
	ns_per_tick = (n1 - n0) / (double)(t1 - t0);
#else
	(void)n0; (void)n1; (void)t0; (void)t1;
#endif
}

double tick_to_ns(uint64_t ticks)
{
	return (double)ticks * ns_per_tick;
}

uint64_t ns_to_ticks(double ns)
{
	return (uint64_t)(ns / ns_per_tick);
}

double tick_mhz(void)
{
	return 1e3 / ns_per_tick;
}

/* --- Statistics -------------------------------------------------------- */

void samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			die("out of memory for samples");
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	s->sorted = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (pct 50 is the median). */
double samples_pct(struct samples *s, double pct)
{
	size_t i;

	if (!s->n)
		return NAN;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), cmp_double);
		s->sorted = 1;
	}
	if (pct == 50.0 && s->n % 2 == 0)
		return (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
	i = (size_t)ceil(pct / 100.0 * (double)s->n);
	if (i > 0)
		i--;
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i];
}

double samples_mean(const struct samples *s)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : NAN;
}

void samples_reset(struct samples *s)
{
	s->n = 0;
	s->sorted = 0;
}

void samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* --- Output ------------------------------------------------------------ */

static void out_num(double v)
{
	if (isnan(v))
		fputs(",", stdout);
	else
		printf(",%.6g", v);
}

void out_result(const char *group, const char *mech, size_t size,
		const char *place, const char *param, const char *metric,
		const char *unit, double median, double p99, double p999,
		size_t n)
{
	printf("KB,%s,%s,%zu,%s,%s,%s,%s", group, mech, size,
	       place ? place : "-", param ? param : "-", metric, unit);
	out_num(median);
	out_num(p99);
	out_num(p999);
	printf(",%zu\n", n);
	fflush(stdout);
}

void out_samples(const char *group, const char *mech, size_t size,
		 const char *place, const char *param, const char *metric,
		 const char *unit, struct samples *s)
{
	out_result(group, mech, size, place, param, metric, unit,
		   samples_pct(s, 50), samples_pct(s, 99), samples_pct(s, 99.9),
		   s->n);
}

void out_env(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("KB,env,%s,", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench [%5.0fs] ", mono_ns() / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("kmbox-bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* --- Processes --------------------------------------------------------- */

void pin_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	if (cpu < 0 || cpu >= ncpus) {
		for (i = 0; i < ncpus; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

void cpu_relax(void)
{
#ifdef HAVE_TSC
	_mm_pause();
#endif
}

struct ctl *ctl_new(void)
{
	struct ctl *ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (ctl == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	return ctl;
}

void ctl_free(struct ctl *ctl)
{
	munmap(ctl, sizeof(*ctl));
}

void ctl_wait_ready(struct ctl *ctl, int n)
{
	while (__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE) < n &&
	       !ctl->failed)
		sched_yield();
}

void ctl_wait_go(struct ctl *ctl)
{
	while (!__atomic_load_n(&ctl->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

long my_csw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

volatile int bench_abort, bench_hung;

static void on_abort(int sig)
{
	if (sig == SIGALRM)
		bench_hung = 1;
	bench_abort = 1;
}

void abort_arm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_abort;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	bench_abort = 0;
	bench_hung = 0;
}

void watchdog(double slice)
{
	alarm(slice > 0 ? (unsigned int)(slice / 1e9) + 20 : 0);
}

void child_fail(int code)
{
	kill(getppid(), SIGUSR1);
	_exit(code);
}

int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

void *buf_new(size_t size)
{
	unsigned char *p = aligned_alloc(64, size + BUF_HEADROOM + 64);

	if (!p)
		die("out of memory for a %zu-byte buffer", size);
	memset(p, 0x5a, size + BUF_HEADROOM + 64);
	return p + BUF_HEADROOM;
}

void buf_free(void *buf)
{
	if (buf)
		free((unsigned char *)buf - BUF_HEADROOM);
}

/* --- Channels ---------------------------------------------------------- */

/* The module's feature bits (libkmbox's kmbox_features()), 0 without it. */
uint64_t bench_kmbox_features(void)
{
	static int done;
	static __u64 features;

	if (!done && kmbox_features(&features) < 0)
		features = 0;
	done = 1;
	return features;
}

int variant_usable(const struct variant *v)
{
	uint64_t f;

	if (!(v->m->flags & MF_KMBOX))
		return 1;
#ifdef KMBOX_STANDIN
	/* Natively, the ring's doorbells are the stand-in's; nothing else. */
	return !!(v->m->flags & MF_RING);
#endif
	f = bench_kmbox_features();
	if (!(f & KMBOX_FEATURE_MAILBOX))
		return 0;
	if ((v->m->flags & MF_BATCH) && !(f & KMBOX_FEATURE_BATCH))
		return 0;
	if ((v->m->flags & MF_RING) &&
	    (f & (KMBOX_FEATURE_REGION | KMBOX_FEATURE_RING)) !=
	    (KMBOX_FEATURE_REGION | KMBOX_FEATURE_RING))
		return 0;
	return 1;
}

int chan_open(struct chan *c, const struct variant *v, size_t size,
	      unsigned int cap)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 4; i++)
		c->fd[i] = -1;
	c->m = v->m;
	c->size = size;
	c->cap = cap;
	c->batch = v->batch ? v->batch : 1;
	return c->m->open(c);
}

int chan_send(struct chan *c, void *const *bufs, unsigned int n)
{
	unsigned int i;
	int ret;

	if (c->m->sendv)
		return c->m->sendv(c, bufs, n);
	for (i = 0; i < n; i++) {
		ret = c->m->send(c, bufs[i], 0);
		if (ret)
			return ret;
	}
	return 0;
}

int chan_recv(struct chan *c, void *const *bufs, unsigned int n)
{
	int ret;

	if (c->m->recvv)
		return c->m->recvv(c, bufs, n);
	ret = c->m->recv(c, bufs[0]);
	return ret ? ret : 1;
}
