// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "kvm_ioctl.h"
#include "util.h"

struct ioctl_entry {
	const char *name;
	uint32_t cmd;
};

/* vCPU ioctls come first: on shared values the vCPU name wins. */
static const struct ioctl_entry table[] = {
/* the uapi of the architecture pvtrace is built for: the values differ by struct sizes */
#if defined(__aarch64__)
#include "kvm_ioctl_table_arm64.h"
#else
#include "kvm_ioctl_table.h"
#endif
/* carried series (kernel-patches/), not in 6.12 uapi */
#include "kvm_ioctl_extra.h"
/* vhost (0xAF): the same values on every architecture pvtrace builds for */
#include "vhost_ioctl_table.h"
};

void ioctl_decode(uint32_t cmd, struct ioctl_fields *f)
{
	f->nr = cmd & 0xff;
	f->type = (cmd >> 8) & 0xff;
	f->size = (cmd >> 16) & 0x3fff;
	f->dir = cmd >> 30;
}

const char *ioctl_dir_name(unsigned int dir)
{
	static const char *names[] = { "none", "W", "R", "RW" };

	return names[dir & 3];
}

const char *ioctl_name(uint32_t cmd)
{
	unsigned int type = (cmd >> 8) & 0xff;

	if (type != IOCTL_TYPE_KVM && type != IOCTL_TYPE_VHOST)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].cmd == cmd)
			return table[i].name;
	return NULL;
}

void ioctl_format(uint32_t cmd, char *buf, size_t len)
{
	const char *name = ioctl_name(cmd);
	struct ioctl_fields f;

	if (name) {
		snprintf(buf, len, "%s", name);
		return;
	}
	ioctl_decode(cmd, &f);
	snprintf(buf, len, "0x%08x(dir=%s,type=0x%02x,nr=0x%02x,size=%u)", cmd,
		 ioctl_dir_name(f.dir), f.type, f.nr, f.size);
}

uint32_t ioctl_value(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].name, name))
			return table[i].cmd;
	return 0;
}

size_t ioctl_count(void)
{
	return ARRAY_SIZE(table);
}

const char *ioctl_entry(size_t i, uint32_t *cmd)
{
	if (i >= ARRAY_SIZE(table))
		return NULL;
	*cmd = table[i].cmd;
	return table[i].name;
}
