// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include "kvm_task.h"
#include "output.h"
#include "procinfo.h"

/* One -name value: the implied first key is "guest"; ",," is a literal comma. */
static bool parse_name_opt(const char *v, char *name, size_t namelen)
{
	bool found = false, first = true;

	while (*v) {
		char item[512];
		size_t n = 0;

		/* one item up to a single comma */
		while (*v && n + 1 < sizeof(item)) {
			if (*v == ',' && v[1] == ',') {
				item[n++] = ',';
				v += 2;
				continue;
			}
			if (*v == ',')
				break;
			item[n++] = *v++;
		}
		item[n] = 0;
		while (*v && *v != ',') /* an over-long item: skip its rest */
			v++;
		if (*v == ',')
			v++;
		if (!strncmp(item, "guest=", 6)) {
			snprintf(name, namelen, "%s", item + 6);
			found = true;
		} else if (first && !strchr(item, '=') && item[0]) {
			snprintf(name, namelen, "%s", item);
			found = true;
		}
		first = false;
	}
	return found;
}

bool vmm_vm_name(const char *cmdline, size_t len, char *name, size_t namelen)
{
	const char *p = cmdline, *end = cmdline + len;
	bool found = false;

	while (p < end) {
		size_t n = strnlen(p, end - p);
		const char *next = p + n + 1;

		if ((!strcmp(p, "-name") || !strcmp(p, "--name")) && next < end) {
			char tmp[512];

			/* the value must be NUL-terminated inside the buffer */
			if (strnlen(next, end - next) < (size_t)(end - next) &&
			    parse_name_opt(next, tmp, sizeof(tmp))) {
				snprintf(name, namelen, "%s", tmp);
				found = true;
			}
			p = next + strnlen(next, end - next) + 1;
			continue;
		}
		p = next;
	}
	return found;
}

static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1 && (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return total;
}

uint64_t proc_start_ticks(pid_t pid)
{
	char buf[1024], *p;
	unsigned long long v = 0;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* field 3 (state) follows; starttime is field 22 */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return v;
}

uint64_t boottime_ns_to_ticks(uint64_t ns)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? ns / (1000000000ULL / (uint64_t)hz) : 0;
}

static size_t hash_tgid(uint32_t tgid, size_t cap)
{
	return (size_t)(tgid * 2654435761u) & (cap - 1);
}

void proc_table_free(struct proc_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slot[i]) {
			free(t->slot[i]->vms);
			free(t->slot[i]->devs);
			free(t->slot[i]);
		}
	}
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static struct proc_ident **find_slot(struct proc_table *t, uint32_t tgid)
{
	size_t i = hash_tgid(tgid, t->cap);

	while (t->slot[i] && t->slot[i]->tgid != tgid)
		i = (i + 1) & (t->cap - 1);
	return &t->slot[i];
}

struct proc_ident *proc_table_find(struct proc_table *t, uint32_t tgid)
{
	return t->cap ? *find_slot(t, tgid) : NULL;
}

static int grow(struct proc_table *t)
{
	struct proc_table n = { .cap = t->cap ? t->cap * 2 : 64 };

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			*find_slot(&n, t->slot[i]->tgid) = t->slot[i];
	n.n = t->n;
	free(t->slot);
	*t = n;
	return 0;
}

static void read_identity(struct proc_ident *p)
{
	char buf[8192], name[192];
	ssize_t n;

	if (!p->comm[0] && read_proc(p->tgid, "comm", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = 0;
		utf8_sanitize(p->comm, sizeof(p->comm), buf, strlen(buf));
	}
	n = read_proc(p->tgid, "cmdline", buf, sizeof(buf));
	if (n > 0 && vmm_vm_name(buf, n, name, sizeof(name)))
		utf8_sanitize(p->vm, sizeof(p->vm), name, strlen(name));
}

struct proc_ident *proc_table_get(struct proc_table *t, uint32_t tgid, const char *comm,
				  uint64_t start_ns)
{
	struct proc_ident **s, *p;
	uint64_t live;

	p = proc_table_find(t, tgid);
	if (p)
		return p;
	if ((t->n + 1) * 2 > t->cap && grow(t))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	if (comm && comm[0])
		utf8_sanitize(p->comm, sizeof(p->comm), comm, strnlen(comm, 16));
	p->start_ticks = start_ns ? boottime_ns_to_ticks(start_ns) : 0;
	live = proc_start_ticks(tgid);
	if (live && (!p->start_ticks || live == p->start_ticks)) {
		p->start_ticks = live;
		read_identity(p);
	} else {
		p->exited = true; /* gone before it was first looked at */
	}
	if (!p->comm[0])
		snprintf(p->comm, sizeof(p->comm), "?");
	s = find_slot(t, tgid);
	*s = p;
	t->n++;
	return p;
}

void proc_table_remove(struct proc_table *t, uint32_t tgid)
{
	struct proc_ident **s;
	size_t i, j;

	if (!t->cap)
		return;
	s = find_slot(t, tgid);
	if (!*s)
		return;
	free((*s)->vms);
	free((*s)->devs);
	free(*s);
	*s = NULL;
	t->n--;
	/* re-place the rest of the cluster so lookups still find them */
	i = (size_t)(s - t->slot);
	for (j = (i + 1) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		struct proc_ident *p = t->slot[j];

		t->slot[j] = NULL;
		*find_slot(t, p->tgid) = p;
	}
}

int proc_vm_index(struct proc_ident *p, uint64_t vm)
{
	uint64_t *v;

	for (size_t i = 0; i < p->nvms; i++)
		if (p->vms[i] == vm)
			return (int)i;
	v = realloc(p->vms, (p->nvms + 1) * sizeof(*v));
	if (!v)
		return 0;
	p->vms = v;
	v[p->nvms] = vm;
	return (int)p->nvms++;
}

int proc_dev_index(struct proc_ident *p, uint32_t rdev, uint64_t id)
{
	struct proc_dev *d;
	int same = 0;

	for (size_t i = 0; i < p->ndevs; i++) {
		if (p->devs[i].rdev != rdev)
			continue;
		if (p->devs[i].id == id)
			return same;
		same++;
	}
	d = realloc(p->devs, (p->ndevs + 1) * sizeof(*d));
	if (!d)
		return 0;
	p->devs = d;
	d[p->ndevs++] = (struct proc_dev){ .rdev = rdev, .id = id };
	return same;
}

bool proc_dev_label_matches(const char *label, const char *want)
{
	size_t n = strlen(want);

	return !strcmp(label, want) ||
	       (!strchr(want, '#') && !strncmp(label, want, n) && label[n] == '#');
}

void proc_vm_label(const struct proc_ident *p, int index, char *buf, size_t len)
{
	int n;

	if (p->vm[0])
		n = snprintf(buf, len, "%s", p->vm);
	else
		n = snprintf(buf, len, "%s/%u", p->comm, p->tgid);
	if (index > 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "#%d", index);
}

void proc_table_check_alive(struct proc_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct proc_ident *p = t->slot[i];

		if (p && !p->exited && proc_start_ticks(p->tgid) != p->start_ticks)
			p->exited = true;
	}
}

void proc_table_mark_reap(struct proc_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			t->slot[i]->reap = t->slot[i]->exited;
}

struct proc_ident *proc_table_get_bpf(struct proc_table *t, int procs_fd, uint32_t tgid)
{
	struct proc_ident *p = proc_table_find(t, tgid);
	struct kvm_proc bp = { 0 };

	if (p)
		return p;
	bpf_map_lookup_elem(procs_fd, &tgid, &bp);
	bp.comm[15] = 0;
	return proc_table_get(t, tgid, bp.comm, bp.start_boottime);
}

void proc_table_scan_bpf(struct proc_table *t, int procs_fd)
{
	uint32_t key, next, *prev = NULL;

	while (!bpf_map_get_next_key(procs_fd, prev, &next)) {
		key = next;
		prev = &key;
		proc_table_get_bpf(t, procs_fd, key);
	}
}

void proc_table_reap_bpf(struct proc_table *t, int procs_fd)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct proc_ident *p = t->slot[i];

		if (p && p->reap) {
			uint32_t tgid = p->tgid;

			bpf_map_delete_elem(procs_fd, &tgid);
			proc_table_remove(t, tgid);
			i--; /* the slot may hold a moved entry now */
		}
	}
}

int proc_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}
