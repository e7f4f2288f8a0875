/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* KVM and vhost ioctl command names, matched on the full command value. */
#ifndef PVTRACE_KVM_IOCTL_H
#define PVTRACE_KVM_IOCTL_H

#include <stddef.h>
#include <stdint.h>

struct ioctl_fields {
	unsigned int dir; /* _IOC_NONE 0, _IOC_WRITE 1, _IOC_READ 2 */
	unsigned int type;
	unsigned int nr;
	unsigned int size;
};

#define IOCTL_TYPE_KVM	 0xAE /* KVMIO */
#define IOCTL_TYPE_VHOST 0xAF /* VHOST_VIRTIO */

void ioctl_decode(uint32_t cmd, struct ioctl_fields *f);
const char *ioctl_dir_name(unsigned int dir); /* "none", "W", "R", "RW" */

/* Name of a KVM or vhost ioctl with exactly this value, or NULL. */
const char *ioctl_name(uint32_t cmd);
/* Name, or "0x%08x(dir=RW,type=0xae,nr=0x..,size=N)" when unknown. */
void ioctl_format(uint32_t cmd, char *buf, size_t len);
/* Value of a KVM or vhost ioctl name; 0 when unknown. */
uint32_t ioctl_value(const char *name);
/* Number of table entries (for tests). */
size_t ioctl_count(void);
/* Entry i of the table (NULL past the end). */
const char *ioctl_entry(size_t i, uint32_t *cmd);

#endif
