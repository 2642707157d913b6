/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 helpers for the kmbox selftests that check memory cgroup
 * charges: read and write a cgroup's files, and find (or mount) a cgroup2
 * hierarchy with the memory controller enabled for its children.
 */
#ifndef KMBOX_CGROUP_H
#define KMBOX_CGROUP_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "kmbox_test.h"

#define KMBOX_CG_ROOT	"/sys/fs/cgroup"

/* The number in @file of cgroup @dir (or on its line @key), or -1. */
static inline long long kmbox_cg_read(const char *dir, const char *file,
				      const char *key)
{
	char path[PATH_MAX + 64], buf[1024], *p;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return strtoll(buf, NULL, 10);
	len = strlen(key);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	}
	return -1;
}

/* Writes @val to @file of cgroup @dir: 0 or -errno. */
static inline int kmbox_cg_write(const char *dir, const char *file,
				 const char *val)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return kmbox_test_write_file(path, val);
}

/* Does @file of cgroup @dir list the word @word? */
static inline int kmbox_cg_has(const char *dir, const char *file,
			       const char *word)
{
	char path[PATH_MAX + 64], buf[512], *tok, *save;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (kmbox_test_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(tok, word))
			return 1;
	}
	return 0;
}

/*
 * The root of a cgroup2 hierarchy with the memory controller enabled for
 * its children, into *@root: 0, or -1 with a reason to skip in *@why.
 * If cgroup2 is not mounted at /sys/fs/cgroup, it is mounted on a new
 * folder named in @mnt (of @size bytes), which the caller unmounts and
 * removes when @mnt[0] is set; else @mnt is left "".
 */
static inline int kmbox_cg_memory_root(char *mnt, size_t size,
				       const char **root, const char **why)
{
	struct statfs sf;

	mnt[0] = 0;
	*root = KMBOX_CG_ROOT;
	if (statfs(KMBOX_CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(mnt, size, "/tmp/kmbox-cgroup2-%d", (int)getpid());
		if (mkdir(mnt, 0700)) {
			mnt[0] = 0;
			*why = "cannot make a cgroup2 mount point";
			return -1;
		}
		if (mount("none", mnt, "cgroup2", 0, NULL)) {
			rmdir(mnt);
			mnt[0] = 0;
			*why = "no cgroup2 (CONFIG_CGROUPS)";
			return -1;
		}
		*root = mnt;
	}
	if (!kmbox_cg_has(*root, "cgroup.controllers", "memory")) {
		*why = "no memory controller in cgroup2 (CONFIG_MEMCG)";
		return -1;
	}
	if (!kmbox_cg_has(*root, "cgroup.subtree_control", "memory") &&
	    kmbox_cg_write(*root, "cgroup.subtree_control", "+memory")) {
		*why = "cannot enable the memory controller";
		return -1;
	}
	return 0;
}

#endif /* KMBOX_CGROUP_H */
