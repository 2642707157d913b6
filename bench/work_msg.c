// SPDX-License-Identifier: GPL-2.0
/*
 * kmbox-bench: the messaging workloads, two or more processes.
 *
 *   rtt     round trip, blocking receive, two processes pinned on the same
 *           vCPU or on different vCPUs
 *   wake    one-way wake-up latency as rt-tests' pmqtest measures it (two
 *           threads, the receiver asleep, a pause between messages), with
 *           pmqtest itself run in the same repetitions
 *   stream  one-way streaming throughput, ends on different vCPUs
 *   fanin   N producers (all on vCPU 1) to one consumer (alone on vCPU 0):
 *           aggregate rate, each producer's share, latency from timestamps
 *           in the messages
 *
 * Every configuration is measured once per repetition and the
 * configurations are interleaved within a repetition (A B C A B C ...), so
 * that a slow moment of the machine spreads over all of them.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct variant V_MSG[] = {
	{ "kmbox-rw", &mech_kmbox_rw, 0 },
	{ "kmbox-ioctl", &mech_kmbox_ioctl, 0 },
	{ "kmbox-ring", &mech_kmbox_ring, 0 },
	{ "kmbox-ring-spin", &mech_kmbox_ring_spin, 0 },
	{ "pipe", &mech_pipe, 0 },
	{ "unix-seqpacket", &mech_unix_seqpacket, 0 },
	{ "unix-stream", &mech_unix_stream, 0 },
	{ "posix-mq", &mech_posix_mq, 0 },
	{ "sysv-msg", &mech_sysv_msg, 0 },
	{ "memfd-ring", &mech_memfd_ring, 0 },
	{ "memfd-ring-spin", &mech_memfd_ring_spin, 0 },
};
#define N_MSG (sizeof(V_MSG) / sizeof(V_MSG[0]))

/*
 * What the round trip and streaming groups measure, at which sizes: in the
 * VM everything above; natively (make bench-native, where the kmbox ring's
 * doorbells are the stand-in's) the ring, its reference and its peers,
 * ends on different CPUs only.
 */
#ifdef KMBOX_STANDIN
static const struct variant V_RUN[] = {
	{ "kmbox-ring", &mech_kmbox_ring, 0 },
	{ "kmbox-ring-spin", &mech_kmbox_ring_spin, 0 },
	{ "kmbox-ring-zc", &mech_kmbox_ring_zc, 0 },
	{ "kmbox-ring-zc-spin", &mech_kmbox_ring_zc_spin, 0 },
	{ "kmbox-ring-v/16", &mech_kmbox_ring_vec, 16 },
	{ "kmbox-ring-v-spin/16", &mech_kmbox_ring_vec_spin, 16 },
#ifdef KMBOX_RING11
	{ "kmbox-ring-1.1", &mech_ring11, 0 },
	{ "kmbox-ring-1.1-spin", &mech_ring11_spin, 0 },
#endif
	{ "spsc-ref", &mech_spsc_ref, 0 },
	{ "memfd-ring", &mech_memfd_ring, 0 },
	{ "memfd-ring-spin", &mech_memfd_ring_spin, 0 },
	{ "pipe", &mech_pipe, 0 },
	{ "unix-seqpacket", &mech_unix_seqpacket, 0 },
	{ "posix-mq", &mech_posix_mq, 0 },
};
static const size_t RTT_SIZES[] = { 64, 1024 };
static const size_t STREAM_SIZES[] = { 64, 1024, 65536 };
#define RTT_FIRST_PLACE	1
#else
#define V_RUN		V_MSG
static const size_t RTT_SIZES[] = { 64, 1 };
static const size_t STREAM_SIZES[] = { 64, 4096, 65536 };
#define RTT_FIRST_PLACE	0
#endif
#define N_RUN		(sizeof(V_RUN) / sizeof(V_RUN[0]))
#define N_RTT_SIZES	(sizeof(RTT_SIZES) / sizeof(RTT_SIZES[0]))
#define N_STREAM_SIZES	(sizeof(STREAM_SIZES) / sizeof(STREAM_SIZES[0]))

static const struct variant V_BATCH[] = {
	{ "kmbox-sendv/1", &mech_kmbox_vec, 1 },
	{ "kmbox-sendv/8", &mech_kmbox_vec, 8 },
	{ "kmbox-sendv/32", &mech_kmbox_vec, 32 },
	{ "kmbox-sendv/128", &mech_kmbox_vec, 128 },
};
#define N_BATCH (sizeof(V_BATCH) / sizeof(V_BATCH[0]))

/* One configuration and what its repetitions gathered. */
struct cfg {
	const struct variant *v;
	size_t size;
	int place;		/* 0 same vCPU, 1 different vCPUs, 2 unpinned */
	int n;			/* producers (fanin) */
	int failed;		/* for good: skipped from then on */
	int slice_bad;		/* this slice failed, or hung */
	int hangs;		/* slices stopped by the watchdog */
	struct samples lat;	/* per message (rtt, wake, fanin) */
	struct samples rate;	/* per repetition */
	struct samples csw;	/* per repetition, per message */
	struct samples share;	/* per repetition: min share x N (fanin) */
	struct samples mean;	/* per repetition (wake) */
	double max;		/* largest sample (wake) */
};

static const char *place_name[] = { "same-cpu", "cross-cpu", "unpinned" };

/*
 * A slice that fails is dropped.  One that hung (the watchdog stopped it)
 * is counted and reported, and the configuration goes on in the next
 * repetitions; any other failure ends the configuration.
 */
static void cfg_fail(struct cfg *c, const char *what, int err)
{
	if (c->slice_bad)
		return;
	c->slice_bad = 1;
	if (bench_hung) {
		c->hangs++;
		fprintf(stderr, "kmbox-bench: %s %zu B%s%.0d %s: %s: no progress for 20 s, stopped\n",
			c->v->label, c->size, c->n ? " N=" : "", c->n,
			place_name[c->place], what);
		return;
	}
	fprintf(stderr, "kmbox-bench: %s %zu B%s%.0d: %s: %s\n",
		c->v->label, c->size, c->n ? " N=" : "", c->n, what,
		strerror(-err));
	c->failed = 1;
}

static void out_hangs(const char *group, const struct cfg *c,
		      const char *param)
{
	if (c->hangs)
		out_result(group, c->v->label, c->size, place_name[c->place],
			   param, "hangs", "slices", c->hangs, NAN, NAN,
			   (size_t)opt.reps);
}

static void cfg_free(struct cfg *c)
{
	samples_free(&c->lat);
	samples_free(&c->rate);
	samples_free(&c->csw);
	samples_free(&c->share);
	samples_free(&c->mean);
}

static pid_t fork_or_die(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	return pid;
}

/* --- Round trip ---------------------------------------------------------- */

static void rtt_slice(struct cfg *cfg, double slice)
{
	const struct mech *m = cfg->v->m;
	struct chan a, b;
	struct ctl *ctl = ctl_new();
	void *buf = buf_new(cfg->size);
	uint64_t t0, t1, end;
	long csw0, csw1;
	size_t iters = 0;
	int ret, i;
	pid_t pid;

	cfg->slice_bad = 0;
	ret = chan_open(&a, cfg->v, cfg->size, 4);
	if (ret) {
		m->close(&a);
		cfg_fail(cfg, "open", ret);
		goto out_free;
	}
	ret = chan_open(&b, cfg->v, cfg->size, 4);
	if (ret) {
		m->close(&a);
		m->close(&b);
		cfg_fail(cfg, "open", ret);
		goto out_free;
	}
	abort_arm();
	watchdog(slice);
	pid = fork_or_die();
	if (pid == 0) {
		pin_cpu(CPU_B);
		if (m->side(&a, SIDE_RX) || m->side(&b, SIDE_TX)) {
			ctl->failed = 1;
			child_fail(1);
		}
		__atomic_add_fetch(&ctl->ready, 1, __ATOMIC_RELEASE);
		for (;;) {
			if (m->recv(&a, buf))
				child_fail(2);
			if (ctl->stop)
				break;
			if (m->send(&b, buf, 0))
				child_fail(3);
		}
		ctl->csw[0] = my_csw();
		_exit(0);
	}
	pin_cpu(cfg->place == 0 ? CPU_B : CPU_A);
	ret = m->side(&a, SIDE_TX);
	if (!ret)
		ret = m->side(&b, SIDE_RX);
	ctl_wait_ready(ctl, 1);
	if (ret || ctl->failed) {
		cfg_fail(cfg, "attach", ret ? ret : -EIO);
		kill(pid, SIGKILL);
		reap(pid);
		goto out;
	}
	for (i = 0; i < 16; i++) {
		if (m->send(&a, buf, 0) || m->recv(&b, buf)) {
			cfg_fail(cfg, "warm-up", -EIO);
			break;
		}
	}
	csw0 = my_csw();
	end = tick_now() + ns_to_ticks(slice);
	if (!cfg->slice_bad) {
		do {
			t0 = tick_now();
			ret = m->send(&a, buf, 0);
			if (!ret)
				ret = m->recv(&b, buf);
			t1 = tick_now();
			if (ret) {
				cfg_fail(cfg, "round trip", ret);
				break;
			}
			samples_add(&cfg->lat, tick_to_ns(t1 - t0));
			iters++;
		} while (t1 < end);
	}
	csw1 = my_csw();
	ctl->stop = 1;
	if (cfg->slice_bad || m->send(&a, buf, 0))
		kill(pid, SIGKILL);
	if (reap(pid))
		cfg_fail(cfg, "peer", -EIO);
	else if (iters)
		samples_add(&cfg->csw, (double)(csw1 - csw0 + ctl->csw[0]) /
			    (double)(iters + 16));
out:
	watchdog(0);
	m->close(&a);
	m->close(&b);
	ctl_free(ctl);
	buf_free(buf);
	pin_cpu(-1);
	return;
out_free:
	ctl_free(ctl);
	buf_free(buf);
}

void work_rtt(void)
{
	const size_t *sizes = RTT_SIZES;
	struct cfg cfgs[N_RTT_SIZES * 2 * N_RUN];
	double slice = slice_ns(150, 15);
	size_t nc = 0, i, s, v;
	int place, rep;

	memset(cfgs, 0, sizeof(cfgs));
	for (s = 0; s < N_RTT_SIZES; s++) {
		for (place = RTT_FIRST_PLACE; place < 2; place++) {
			for (v = 0; v < N_RUN; v++) {
				const struct variant *var = &V_RUN[v];

				if (!wanted(var->label) || !variant_usable(var))
					continue;
				/* spinning on one vCPU only burns its slice */
				if (place == 0 && (var->m->flags & MF_SPIN))
					continue;
				/* a round trip is one message at a time */
				if (var->batch > 1)
					continue;
				if (opt.quick && sizes[s] == 1 &&
				    !(var->m->flags & MF_KMBOX) &&
				    var->m != &mech_pipe &&
				    var->m != &mech_posix_mq)
					continue;
				cfgs[nc].v = var;
				cfgs[nc].size = sizes[s];
				cfgs[nc].place = place;
				nc++;
			}
		}
	}
	for (rep = 0; rep < opt.reps; rep++) {
		progress("rtt: repetition %d/%d (%zu configurations)", rep + 1,
			 opt.reps, nc);
		for (i = 0; i < nc; i++)
			if (!cfgs[i].failed)
				rtt_slice(&cfgs[i], slice);
	}
	for (i = 0; i < nc; i++) {
		struct cfg *c = &cfgs[i];

		if (c->failed) {
			out_result("rtt", c->v->label, c->size,
				   place_name[c->place], "-", "failed", "-",
				   NAN, NAN, NAN, 0);
		} else {
			out_samples("rtt", c->v->label, c->size,
				    place_name[c->place], "-", "rtt", "ns",
				    &c->lat);
			out_result("rtt", c->v->label, c->size,
				   place_name[c->place], "-", "csw",
				   "per-rtt", samples_pct(&c->csw, 50),
				   NAN, NAN, c->csw.n);
		}
		out_hangs("rtt", c, "-");
		cfg_free(c);
	}
}

/* --- Wake-up latency, as pmqtest -------------------------------------- */

struct wake_ctx {
	struct cfg *cfg;
	struct chan test, sync;
	volatile int stop;
	volatile uint64_t sent;
	uint64_t end;
	int err;
	int cpu_tx, cpu_rx;
	double interval_ns;
};

static void pin_thread(int cpu)
{
	pin_cpu(cpu);
}

static void *wake_sender(void *arg)
{
	struct wake_ctx *w = arg;
	void *buf = buf_new(8);
	int ret;

	pin_thread(w->cpu_tx);
	memcpy(buf, "Testing", 8);
	while (!w->stop) {
		w->sent = tick_now();
		ret = w->test.m->send(&w->test, buf, 0);
		if (!ret)
			ret = w->sync.m->recv(&w->sync, buf);
		if (ret) {
			w->err = ret;
			w->stop = 1;
			break;
		}
	}
	buf_free(buf);
	return NULL;
}

static void *wake_receiver(void *arg)
{
	struct wake_ctx *w = arg;
	void *buf = buf_new(8);
	struct timespec ts = {
		.tv_sec = 0, .tv_nsec = (long)w->interval_ns,
	};
	uint64_t now;
	double sum = 0, max = 0, lat;
	size_t n = 0;
	int ret;

	pin_thread(w->cpu_rx);
	for (;;) {
		ret = w->test.m->recv(&w->test, buf);
		now = tick_now();
		if (ret) {
			w->err = ret;
			w->stop = 1;
			break;
		}
		lat = tick_to_ns(now - w->sent);
		if (n++ > 0) {	/* the first one found the receiver awake */
			samples_add(&w->cfg->lat, lat);
			sum += lat;
			if (lat > max)
				max = lat;
		}
		if (now >= w->end)
			w->stop = 1;
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		if (w->sync.m->send(&w->sync, buf, 0)) {
			w->stop = 1;
			break;
		}
		if (w->stop)
			break;
	}
	if (n > 1) {
		samples_add(&w->cfg->mean, sum / (double)(n - 1));
		if (max > w->cfg->max)
			w->cfg->max = max;
	}
	buf_free(buf);
	return NULL;
}

static void wake_slice(struct cfg *cfg, double slice)
{
	struct wake_ctx w;
	pthread_t tx, rx;
	int ret;

	cfg->slice_bad = 0;
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.interval_ns = 1000e3;
	w.cpu_tx = cfg->place == 0 ? CPU_B : cfg->place == 1 ? CPU_A : -1;
	w.cpu_rx = cfg->place == 2 ? -1 : CPU_B;
	ret = chan_open(&w.test, cfg->v, 8, 1);
	if (ret) {
		w.test.m->close(&w.test);
		cfg_fail(cfg, "open", ret);
		return;
	}
	ret = chan_open(&w.sync, cfg->v, 8, 1);
	if (ret) {
		w.test.m->close(&w.test);
		w.sync.m->close(&w.sync);
		cfg_fail(cfg, "open", ret);
		return;
	}
	w.end = tick_now() + ns_to_ticks(slice);
	pthread_create(&rx, NULL, wake_receiver, &w);
	pthread_create(&tx, NULL, wake_sender, &w);
	pthread_join(rx, NULL);
	/* the sender waits for a sync message that will not come */
	w.stop = 1;
	{
		void *buf = buf_new(8);

		w.sync.m->send(&w.sync, buf, 0);
		pthread_join(tx, NULL);
		buf_free(buf);
	}
	if (w.err)
		cfg_fail(cfg, "wake-up", w.err);
	w.test.m->close(&w.test);
	w.sync.m->close(&w.sync);
}

/* pmqtest -l LOOPS -i 1000 -q [-a CPU]: "#1 -> #0, Min x, Cur y, Avg z, Max w" */
static void pmqtest_slice(struct cfg *cfg, double slice)
{
	char cmd[512], line[512];
	int loops = (int)(slice / 1.1e6);
	int min, cur, avg, max, got = 0;
	FILE *p;

	cfg->slice_bad = 0;
	if (loops < 20)
		loops = 20;
	snprintf(cmd, sizeof(cmd), "%s -q -i 1000 -l %d %s 2>&1", opt.pmqtest,
		 loops, cfg->place == 0 ? "-a 1" : "");
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p) {
		cfg_fail(cfg, "popen", -errno);
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "#1 -> #0, Min %d, Cur %d, Avg %d, Max %d",
			   &min, &cur, &avg, &max) == 4)
			got = 1;
	}
	if (pclose(p) != 0 || !got) {
		cfg_fail(cfg, "pmqtest run", -EIO);
		return;
	}
	samples_add(&cfg->mean, avg * 1e3);
	samples_add(&cfg->lat, min * 1e3);	/* min per run */
	if (max * 1e3 > cfg->max)
		cfg->max = max * 1e3;
}

static const struct variant V_PMQTEST = { "pmqtest", NULL, 0 };

void work_wake(void)
{
	static const struct variant *vs[] = {
		&V_MSG[1],	/* kmbox-ioctl */
		&V_MSG[0],	/* kmbox-rw */
		&V_MSG[7],	/* posix-mq */
		&V_MSG[4],	/* pipe */
		&V_PMQTEST,
	};
#define N_WAKE (sizeof(vs) / sizeof(vs[0]))
	struct cfg cfgs[3 * N_WAKE];
	double slice = slice_ns(200, 40);
	size_t nc = 0, i, v;
	int place, rep;

	memset(cfgs, 0, sizeof(cfgs));
	for (place = 0; place < 3; place++) {
		for (v = 0; v < N_WAKE; v++) {
			if (vs[v] == &V_PMQTEST) {
				/* pmqtest pins both threads to one CPU or none */
				if (!opt.pmqtest || place == 1)
					continue;
			} else if (!wanted(vs[v]->label) ||
				   !variant_usable(vs[v])) {
				continue;
			}
			cfgs[nc].v = vs[v];
			cfgs[nc].size = 8;
			cfgs[nc].place = place;
			nc++;
		}
	}
	for (rep = 0; rep < opt.reps; rep++) {
		progress("wake: repetition %d/%d", rep + 1, opt.reps);
		for (i = 0; i < nc; i++) {
			if (cfgs[i].failed)
				continue;
			if (cfgs[i].v == &V_PMQTEST)
				pmqtest_slice(&cfgs[i], slice);
			else
				wake_slice(&cfgs[i], slice);
		}
	}
	for (i = 0; i < nc; i++) {
		struct cfg *c = &cfgs[i];
		const char *pl = place_name[c->place];

		if (c->failed) {
			out_result("wake", c->v->label, 8, pl, "-", "failed",
				   "-", NAN, NAN, NAN, 0);
		} else if (c->v == &V_PMQTEST) {
			out_result("wake", c->v->label, 8, pl, "-", "avg", "ns",
				   samples_pct(&c->mean, 50), NAN, NAN,
				   c->mean.n);
			out_result("wake", c->v->label, 8, pl, "-", "min", "ns",
				   samples_pct(&c->lat, 50), NAN, NAN,
				   c->lat.n);
			out_result("wake", c->v->label, 8, pl, "-", "max", "ns",
				   c->max, NAN, NAN, c->mean.n);
		} else {
			out_samples("wake", c->v->label, 8, pl, "-", "lat",
				    "ns", &c->lat);
			out_result("wake", c->v->label, 8, pl, "-", "avg", "ns",
				   samples_pct(&c->mean, 50), NAN, NAN,
				   c->mean.n);
			out_result("wake", c->v->label, 8, pl, "-", "min", "ns",
				   samples_pct(&c->lat, 0), NAN, NAN, c->lat.n);
			out_result("wake", c->v->label, 8, pl, "-", "max", "ns",
				   c->max, NAN, NAN, c->lat.n);
		}
		cfg_free(c);
	}
}

/* --- Streaming ------------------------------------------------------------ */

/*
 * Messages in flight at most: 4 MiB of them in the VM; natively 256 KiB,
 * so that a ring of 64 KiB messages stays in the caches as a ring that
 * is used that way would (3 messages of 64 KiB).
 */
static unsigned int stream_cap(size_t size)
{
#ifdef KMBOX_STANDIN
	size_t cap = (256u << 10) / (size + 8);

	return cap > 256 ? 256 : cap < 2 ? 2 : (unsigned int)cap;
#else
	size_t cap = (4u << 20) / size;

	return cap > 256 ? 256 : (unsigned int)cap;
#endif
}

/* Producer loop: as fast as it goes until told to stop, then an END. */
static void produce(struct chan *c, struct ctl *ctl, unsigned int id,
		    unsigned int batch, int stamp)
{
	void *bufs[1024];
	unsigned int i;
	uint64_t seq = 0;

	for (i = 0; i < batch; i++) {
		struct bmsg *h;

		bufs[i] = buf_new(c->size);
		h = bufs[i];
		h->id = id;
		h->flags = 0;
	}
	__atomic_add_fetch(&ctl->ready, 1, __ATOMIC_RELEASE);
	ctl_wait_go(ctl);
	while (!ctl->stop) {
		uint64_t now = stamp ? tick_now() : 0;

		for (i = 0; i < batch; i++) {
			struct bmsg *h = bufs[i];

			h->seq = seq++;
			h->tick = now;
		}
		if (chan_send(c, bufs, batch))
			child_fail(2);
	}
	((struct bmsg *)bufs[0])->flags = BMSG_END;
	if (chan_send(c, bufs, 1))
		child_fail(3);
	ctl->csw[id + 1] = my_csw();
	_exit(0);
}

static void stream_slice(struct cfg *cfg, double slice)
{
	const struct mech *m = cfg->v->m;
	unsigned int batch = cfg->v->batch ? cfg->v->batch : 1;
	struct ctl *ctl = ctl_new();
	struct chan c;
	void *bufs[1024];
	uint64_t first = 0, stop_at = 0, now, end_ticks = ns_to_ticks(slice);
	uint64_t counted = 0, total = 0;
	long csw0 = 0, csw1 = 0;
	unsigned int i;
	int ret, n, done = 0;
	pid_t pid;

	cfg->slice_bad = 0;
	for (i = 0; i < batch; i++)
		bufs[i] = buf_new(cfg->size);
	ret = chan_open(&c, cfg->v, cfg->size, stream_cap(cfg->size));
	if (ret) {
		m->close(&c);
		cfg_fail(cfg, "open", ret);
		goto out_bufs;
	}
	abort_arm();
	watchdog(slice);
	pid = fork_or_die();
	if (pid == 0) {
		pin_cpu(CPU_B);
		if (m->side(&c, SIDE_TX)) {
			ctl->failed = 1;
			child_fail(1);
		}
		produce(&c, ctl, 0, batch, 0);
	}
	pin_cpu(CPU_A);
	ret = m->side(&c, SIDE_RX);
	ctl_wait_ready(ctl, 1);
	if (ret || ctl->failed) {
		cfg_fail(cfg, "attach", ret ? ret : -EIO);
		kill(pid, SIGKILL);
		reap(pid);
		goto out;
	}
	ctl->go = 1;
	while (!done) {
		n = chan_recv(&c, bufs, batch);
		if (n <= 0) {
			cfg_fail(cfg, "receive", n < 0 ? n : -EIO);
			if (bench_hung && m->diag) {
				char d[512];

				m->diag(&c, d, sizeof(d));
				fprintf(stderr, "kmbox-bench: %s state: %s (counted %llu, stop %d)\n",
					cfg->v->label, d,
					(unsigned long long)total, ctl->stop);
			}
			ctl->stop = 1;
			kill(pid, SIGKILL);
			break;
		}
		now = tick_now();
		for (i = 0; i < (unsigned int)n; i++) {
			if (((struct bmsg *)bufs[i])->flags & BMSG_END) {
				done = 1;
				break;
			}
		}
		if (!first) {
			first = now;	/* the clock starts at the first message */
			csw0 = my_csw();
			continue;
		}
		total += (uint64_t)n;
		if (!stop_at) {
			counted = total;
			if (now - first >= end_ticks) {
				stop_at = now;
				csw1 = my_csw();
				ctl->stop = 1;
			}
		}
	}
	if (cfg->slice_bad)
		kill(pid, SIGKILL);
	if (reap(pid) == 0 && stop_at && counted) {
		double secs = tick_to_ns(stop_at - first) / 1e9;

		samples_add(&cfg->rate, (double)counted / secs);
		/* the producer's switches cover its whole run: scale them */
		samples_add(&cfg->csw, ((double)(csw1 - csw0) +
					(double)ctl->csw[1] * counted / total) /
				       (double)counted);
	} else if (!cfg->slice_bad) {
		cfg_fail(cfg, "producer", -EIO);
	}
out:
	watchdog(0);
	m->close(&c);
out_bufs:
	for (i = 0; i < batch; i++)
		buf_free(bufs[i]);
	ctl_free(ctl);
	pin_cpu(-1);
}

void work_stream(void)
{
	const size_t *sizes = STREAM_SIZES;
	struct cfg cfgs[N_STREAM_SIZES * (N_RUN + N_BATCH)];
	double slice = slice_ns(200, 20);
	size_t nc = 0, i, s, v;
	int rep;

	memset(cfgs, 0, sizeof(cfgs));
	for (s = 0; s < N_STREAM_SIZES; s++) {
		for (v = 0; v < N_RUN + N_BATCH; v++) {
			const struct variant *var = v < N_RUN ? &V_RUN[v] :
						    &V_BATCH[v - N_RUN];

			if (!wanted(var->label) || !variant_usable(var))
				continue;
			if (opt.quick && sizes[s] != 64 &&
			    var->m == &mech_kmbox_vec && var->batch != 32)
				continue;
			cfgs[nc].v = var;
			cfgs[nc].size = sizes[s];
			cfgs[nc].place = 1;
			nc++;
		}
	}
	for (rep = 0; rep < opt.reps; rep++) {
		progress("stream: repetition %d/%d (%zu configurations)",
			 rep + 1, opt.reps, nc);
		for (i = 0; i < nc; i++)
			if (!cfgs[i].failed)
				stream_slice(&cfgs[i], slice);
	}
	for (i = 0; i < nc; i++) {
		struct cfg *c = &cfgs[i];
		char param[16];

		snprintf(param, sizeof(param), "cap%u", stream_cap(c->size));
		if (c->failed) {
			out_result("stream", c->v->label, c->size, "cross-cpu",
				   param, "failed", "-", NAN, NAN, NAN, 0);
		} else {
			double med = samples_pct(&c->rate, 50);
			double low = samples_pct(&c->rate, 1);

			out_result("stream", c->v->label, c->size, "cross-cpu",
				   param, "rate", "msg/s", med, low, NAN,
				   c->rate.n);
			out_result("stream", c->v->label, c->size, "cross-cpu",
				   param, "bw", "MB/s", med * c->size / 1e6,
				   low * c->size / 1e6, NAN, c->rate.n);
			out_result("stream", c->v->label, c->size, "cross-cpu",
				   param, "csw", "per-msg",
				   samples_pct(&c->csw, 50), NAN, NAN,
				   c->csw.n);
		}
		out_hangs("stream", c, param);
		cfg_free(c);
	}
}

/* --- Fan-in ----------------------------------------------------------- */

static void fanin_slice(struct cfg *cfg, double slice)
{
	const struct mech *m = cfg->v->m;
	struct ctl *ctl = ctl_new();
	struct chan c;
	void *buf = buf_new(cfg->size);
	uint64_t count[MAX_PROD] = { 0 };
	uint64_t first = 0, stop_at = 0, now, end_ticks = ns_to_ticks(slice);
	uint64_t total = 0, minc;
	pid_t pids[MAX_PROD];
	int ret, i, ends = 0, bad = 0;

	cfg->slice_bad = 0;
	ret = chan_open(&c, cfg->v, cfg->size, 256);
	if (ret) {
		m->close(&c);
		cfg_fail(cfg, "open", ret);
		goto out_free;
	}
	abort_arm();
	watchdog(slice);
	for (i = 0; i < cfg->n; i++) {
		pids[i] = fork_or_die();
		if (pids[i] == 0) {
			pin_cpu(CPU_B);
			if (m->side(&c, SIDE_TX)) {
				ctl->failed = 1;
				child_fail(1);
			}
			produce(&c, ctl, (unsigned int)i, 1, 1);
		}
	}
	pin_cpu(CPU_A);
	ret = m->side(&c, SIDE_RX);
	ctl_wait_ready(ctl, cfg->n);
	if (ret || ctl->failed) {
		cfg_fail(cfg, "attach", ret ? ret : -EIO);
		for (i = 0; i < cfg->n; i++)
			kill(pids[i], SIGKILL);
		goto out;
	}
	ctl->go = 1;
	while (ends < cfg->n) {
		struct bmsg *h = buf;

		ret = m->recv(&c, buf);
		now = tick_now();
		if (ret) {
			cfg_fail(cfg, "receive", ret);
			ctl->stop = 1;
			for (i = 0; i < cfg->n; i++)
				kill(pids[i], SIGKILL);
			break;
		}
		if (h->flags & BMSG_END) {
			ends++;
			continue;
		}
		if (h->id >= (uint32_t)cfg->n) {
			bad++;
			continue;
		}
		if (!first) {
			first = now;
			continue;
		}
		if (stop_at)
			continue;
		count[h->id]++;
		total++;
		samples_add(&cfg->lat,
			    now > h->tick ? tick_to_ns(now - h->tick) : 0);
		if (now - first >= end_ticks) {
			stop_at = now;
			ctl->stop = 1;
		}
	}
out:
	pin_cpu(-1);
	for (i = 0; i < cfg->n; i++) {
		if (cfg->slice_bad)
			kill(pids[i], SIGKILL);
		if (reap(pids[i]))
			cfg_fail(cfg, "producer", -EIO);
	}
	watchdog(0);
	if (!cfg->slice_bad && stop_at && total) {
		minc = count[0];
		for (i = 1; i < cfg->n; i++)
			if (count[i] < minc)
				minc = count[i];
		samples_add(&cfg->rate, (double)total /
			    (tick_to_ns(stop_at - first) / 1e9));
		samples_add(&cfg->share, (double)minc * cfg->n / (double)total);
	}
	if (bad)
		fprintf(stderr, "kmbox-bench: fanin %s: %d garbled messages\n",
			cfg->v->label, bad);
	m->close(&c);
out_free:
	buf_free(buf);
	ctl_free(ctl);
}

void work_fanin(void)
{
	static const int ns[] = { 1, 2, 4, 8 };
	static const struct variant *vs[] = {
		&V_MSG[0], &V_MSG[1], &V_MSG[4], &V_MSG[5], &V_MSG[7],
		&V_MSG[8],
	};
	struct cfg cfgs[4 * 6];
	double slice = slice_ns(250, 25);
	size_t nc = 0, i, v, k;
	int rep;

	memset(cfgs, 0, sizeof(cfgs));
	for (k = 0; k < 4; k++) {
		for (v = 0; v < 6; v++) {
			if (!wanted(vs[v]->label) || !variant_usable(vs[v]))
				continue;
			cfgs[nc].v = vs[v];
			cfgs[nc].size = 64;
			cfgs[nc].place = 1;
			cfgs[nc].n = ns[k];
			nc++;
		}
	}
	for (rep = 0; rep < opt.reps; rep++) {
		progress("fanin: repetition %d/%d (%zu configurations)",
			 rep + 1, opt.reps, nc);
		for (i = 0; i < nc; i++)
			if (!cfgs[i].failed)
				fanin_slice(&cfgs[i], slice);
	}
	for (i = 0; i < nc; i++) {
		struct cfg *c = &cfgs[i];
		char param[16];

		snprintf(param, sizeof(param), "N%d", c->n);
		if (c->failed) {
			out_result("fanin", c->v->label, 64, "cross-cpu", param,
				   "failed", "-", NAN, NAN, NAN, 0);
		} else {
			out_result("fanin", c->v->label, 64, "cross-cpu", param,
				   "rate", "msg/s", samples_pct(&c->rate, 50),
				   samples_pct(&c->rate, 1), NAN, c->rate.n);
			out_result("fanin", c->v->label, 64, "cross-cpu", param,
				   "minshare", "x-fair",
				   samples_pct(&c->share, 50),
				   samples_pct(&c->share, 1), NAN,
				   c->share.n);
			out_samples("fanin", c->v->label, 64, "cross-cpu", param,
				    "lat", "ns", &c->lat);
		}
		out_hangs("fanin", c, param);
		cfg_free(c);
	}
}

/* --- Profile helper: one long run of one configuration (under perf) --- */

void work_profile(const char *kind, const char *label, double seconds)
{
	struct cfg cfg;
	size_t v;

	memset(&cfg, 0, sizeof(cfg));
	for (v = 0; v < N_MSG + N_BATCH; v++) {
		const struct variant *var = v < N_MSG ? &V_MSG[v] :
					    &V_BATCH[v - N_MSG];

		if (!strcmp(var->label, label))
			cfg.v = var;
	}
	if (!cfg.v)
		die("profile: unknown mechanism %s", label);
	cfg.size = 64;
	if (!strcmp(kind, "rtt")) {
		cfg.place = 0;
		rtt_slice(&cfg, seconds * 1e9);
		out_samples("profile", label, 64, "same-cpu", "-", "rtt", "ns",
			    &cfg.lat);
	} else if (!strcmp(kind, "stream")) {
		cfg.place = 1;
		stream_slice(&cfg, seconds * 1e9);
		out_result("profile", label, 64, "cross-cpu", "-", "rate",
			   "msg/s", samples_pct(&cfg.rate, 50), NAN, NAN,
			   cfg.rate.n);
	} else {
		die("profile: rtt or stream, not %s", kind);
	}
	cfg_free(&cfg);
}
