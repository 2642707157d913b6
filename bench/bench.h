/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox-bench: kmbox against pipes, sockets, POSIX and System V message
 * queues and shared-memory rings, measured side by side in one boot.
 *
 * A mechanism moves fixed-size messages through a channel (struct chan)
 * with one interface (struct mech); the workloads in work_*.c drive every
 * mechanism the same way, interleaved (A B A B ...), and print one
 * machine-readable line per figure (see out_result()).
 */
#ifndef KMBOX_BENCH_H
#define KMBOX_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- Options ----------------------------------------------------------- */

struct bench_opts {
	int quick;		/* BENCH_QUICK: short slices, smaller matrix */
	int reps;		/* repetitions of every configuration */
	double scale;		/* multiplies every slice length */
	const char *only;	/* comma-separated mechanism labels, or NULL */
	const char *pmqtest;	/* path of rt-tests' pmqtest, or NULL */
};
extern struct bench_opts opt;

/* Length of one measurement slice of a group, in nanoseconds. */
double slice_ns(double full_ms, double quick_ms);
int wanted(const char *label);

/* --- Time -------------------------------------------------------------- */

/*
 * Ticks: the TSC on x86 (about 10 ns to read in the guest, where
 * clock_gettime() is a system call reading the HPET, about 1 us), else
 * CLOCK_MONOTONIC nanoseconds.  tick_init() calibrates against
 * CLOCK_MONOTONIC.
 */
void tick_init(void);
uint64_t tick_now(void);
double tick_to_ns(uint64_t ticks);
uint64_t ns_to_ticks(double ns);
double tick_mhz(void);
double mono_ns(void);

/* --- Statistics -------------------------------------------------------- */

struct samples {
	double *v;
	size_t n, cap;
	int sorted;
};
void samples_add(struct samples *s, double v);
double samples_pct(struct samples *s, double pct);	/* 0..100 */
double samples_mean(const struct samples *s);
void samples_reset(struct samples *s);
void samples_free(struct samples *s);

/* --- Output ------------------------------------------------------------ */

/*
 * One figure: "KB,group,mech,size,place,param,metric,unit,median,p99,p999,n".
 * place and param are free words ("-" when unused); p99/p999 may be NAN.
 */
void out_result(const char *group, const char *mech, size_t size,
		const char *place, const char *param, const char *metric,
		const char *unit, double median, double p99, double p999,
		size_t n);
/* Summary of samples: median, p99, p99.9. */
void out_samples(const char *group, const char *mech, size_t size,
		 const char *place, const char *param, const char *metric,
		 const char *unit, struct samples *s);
/* "KB,env,key,value" */
void out_env(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A progress line on stderr, stamped with the seconds since boot. */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* --- Processes --------------------------------------------------------- */

#define CPU_A	0	/* first end, when the ends are on different vCPUs */
#define CPU_B	1	/* second end; also both ends when on the same vCPU */
extern int ncpus;
void pin_cpu(int cpu);	/* -1: any vCPU */
void cpu_relax(void);

#define MAX_PROD 16

/* Shared by the processes of one slice (MAP_SHARED, made before fork). */
struct ctl {
	volatile int stop;
	volatile int go;
	volatile int ready;
	volatile int failed;
	volatile uint64_t sent_tick;	/* wake-up test: sender's timestamp */
	volatile long csw[MAX_PROD + 1];	/* context switches of children */
};
struct ctl *ctl_new(void);
void ctl_free(struct ctl *ctl);
void ctl_wait_ready(struct ctl *ctl, int n);
void ctl_wait_go(struct ctl *ctl);
long my_csw(void);	/* voluntary + involuntary context switches so far */
int reap(pid_t pid);	/* waitpid; 0 if it exited with 0 */
/*
 * A child that fails calls child_fail(): it interrupts the parent
 * (SIGUSR1, no SA_RESTART; the mechanisms stop retrying EINTR once
 * bench_abort is set) so that a parent blocked in a receive does not wait
 * for ever, and exits with @code.  watchdog() does the same for a
 * parent whose children are stuck (bench_hung tells it was the clock).
 */
extern volatile int bench_abort, bench_hung;
void abort_arm(void);
/* SIGALRM 20 s after the slice should have ended (0: cancel) */
void watchdog(double slice_ns);
void child_fail(int code) __attribute__((noreturn));

/* Message buffers have BUF_HEADROOM writable bytes before them (SysV mtype). */
#define BUF_HEADROOM	64
void *buf_new(size_t size);
void buf_free(void *buf);

/* The header that workloads put at the start of a message (>= 24 bytes). */
struct bmsg {
	uint32_t id;		/* producer */
	uint32_t flags;		/* BMSG_END */
	uint64_t seq;
	uint64_t tick;		/* tick_now() at sending */
};
#define BMSG_END	1u

/* --- Mechanisms -------------------------------------------------------- */

enum { SIDE_TX = 1, SIDE_RX = 2 };

struct chan {
	const struct mech *m;
	size_t size;		/* size of every message */
	unsigned int cap;	/* capacity, in messages */
	unsigned int batch;	/* messages per call, batched mechanisms */
	int fd[4];
	void *priv;
};

struct mech {
	const char *name;
	unsigned int flags;	/* MF_* */
	/* make the channel, before fork: both ends exist in the maker */
	int (*open)(struct chan *c);
	/* after fork: keep the end of @side only (and attach to it) */
	int (*side)(struct chan *c, int side);
	/* one message of c->size bytes; returns 0 or -errno */
	int (*send)(struct chan *c, const void *buf, unsigned int prio);
	/* one message into buf (c->size bytes); returns 0 or -errno */
	int (*recv)(struct chan *c, void *buf);
	/* @n messages; returns 0 or -errno (MF_BATCH only) */
	int (*sendv)(struct chan *c, void *const *bufs, unsigned int n);
	/* up to @n messages, waiting for the first; returns how many */
	int (*recvv)(struct chan *c, void *const *bufs, unsigned int n);
	/* release what this process holds */
	void (*close)(struct chan *c);
	/* optional: describe the channel's state (after a hang) */
	void (*diag)(struct chan *c, char *buf, size_t len);
};

#define MF_MULTI	(1u << 0)	/* several producers may share the send end */
#define MF_SPIN		(1u << 1)	/* spins: the ends belong on different vCPUs */
#define MF_PRIO		(1u << 2)	/* send honours priorities */
#define MF_BATCH	(1u << 3)	/* sendv/recvv */
#define MF_THREADS	(1u << 4)	/* both ends usable from threads of one process */
#define MF_KMBOX	(1u << 5)
#define MF_RING		(1u << 6)	/* needs KMBOX_FEATURE_RING */

extern const struct mech mech_kmbox_rw, mech_kmbox_ioctl, mech_kmbox_vec,
	mech_kmbox_ring, mech_kmbox_ring_spin, mech_kmbox_ring_zc,
	mech_kmbox_ring_zc_spin, mech_kmbox_ring_vec, mech_kmbox_ring_vec_spin;
extern const struct mech mech_pipe, mech_unix_seqpacket, mech_unix_stream,
	mech_posix_mq, mech_sysv_msg;
extern const struct mech mech_memfd_ring, mech_memfd_ring_spin, mech_spsc_ref;
/* The data area of a kmbox ring for @cap messages of @size bytes. */
size_t ring_data_size(size_t size, unsigned int cap);
/* After fork: closes the file of the other side of a ring channel made
 * by mech_kmbox.c, sets *@end to the ring end of @side, returns the file. */
int ring_chan_side(struct chan *c, int side, unsigned int *end);
#ifdef KMBOX_RING11
extern const struct mech mech_ring11, mech_ring11_spin;	/* mech_ring11.c */
#endif

/* A mechanism as measured: a label, and the batch for MF_BATCH ones. */
struct variant {
	const char *label;
	const struct mech *m;
	unsigned int batch;
};

/* Opens @c for @v; returns 0 or -errno. */
int chan_open(struct chan *c, const struct variant *v, size_t size,
	      unsigned int cap);
int chan_send(struct chan *c, void *const *bufs, unsigned int n);
int chan_recv(struct chan *c, void *const *bufs, unsigned int n);
int variant_usable(const struct variant *v);

/* kmbox module features (KMBOX_IOC_VERSION), 0 when not loaded. */
uint64_t bench_kmbox_features(void);

/* --- Workloads (work_*.c) ---------------------------------------------- */

void work_env(void);
void work_floors(void);
void work_rtt(void);
void work_wake(void);
void work_stream(void);
void work_fanin(void);
void work_scale(void);
void work_mqperf(void);
void work_objects(void);
void work_memory(void);
void work_profile(const char *kind, const char *label, double seconds);

#endif /* KMBOX_BENCH_H */
