// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process identity: the VM name from a QEMU command line, the process table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "procinfo.h"

/* argv as /proc/PID/cmdline has it: NUL after each argument */
static size_t cmdline(char *buf, size_t len, const char *const *argv)
{
	size_t o = 0;

	for (; *argv; argv++) {
		size_t n = strlen(*argv) + 1;

		if (o + n > len)
			break;
		memcpy(buf + o, *argv, n);
		o += n;
	}
	return o;
}

static const char *name_of(const char *const *argv)
{
	static char name[192];
	char buf[1024];
	size_t n = cmdline(buf, sizeof(buf), argv);

	return vmm_vm_name(buf, n, name, sizeof(name)) ? name : NULL;
}

static void test_vm_name(void **state)
{
	(void)state;
	/* libvirt's form */
	assert_string_equal(
		name_of((const char *const[]){ "/usr/bin/qemu-system-x86_64", "-name",
					       "guest=web01,debug-threads=on", "-S", NULL }),
		"web01");
	/* the implied key, and a name with an escaped comma */
	assert_string_equal(name_of((const char *const[]){ "qemu", "-name", "db,,2", NULL }),
			    "db,2");
	assert_string_equal(
		name_of((const char *const[]){ "qemu", "--name", "mail,debug-threads=on", NULL }),
		"mail");
	/* guest= anywhere among the items; process= is not the guest name */
	assert_string_equal(
		name_of((const char *const[]){ "qemu", "-name", "process=qp,guest=g", NULL }), "g");
	assert_null(name_of((const char *const[]){ "qemu", "-name", "process=qp", NULL }));
	/* the last -name wins, as in QEMU */
	assert_string_equal(
		name_of((const char *const[]){ "qemu", "-name", "a", "-name", "b", NULL }), "b");
	/* no -name, or -name as the last argument without a value */
	assert_null(name_of((const char *const[]){ "qemu", "-m", "1G", NULL }));
	assert_null(name_of((const char *const[]){ "qemu", "-name", NULL }));
	/* "-name" as a value of another option is still read as QEMU would: next argv */
	assert_string_equal(name_of((const char *const[]){ "qemu", "-name", "-name", NULL }),
			    "-name");
}

static void test_vm_name_truncated(void **state)
{
	char buf[64] = "qemu\0-name\0guest=abc"; /* the value lacks its NUL: cut cmdline */
	char name[32];

	(void)state;
	assert_false(vmm_vm_name(buf, 20, name, sizeof(name)));
	assert_true(vmm_vm_name(buf, 21, name, sizeof(name)));
	assert_string_equal(name, "abc");
}

static void test_table(void **state)
{
	struct proc_table t = { 0 };
	struct proc_ident *p, *self;
	char label[256];

	(void)state;
	/* many entries: growth and removal keep every lookup working */
	for (uint32_t i = 1; i <= 300; i++) {
		p = proc_table_get(&t, 0x40000000u + i, "x", 0);
		assert_non_null(p);
		assert_true(p->exited); /* no such process */
	}
	for (uint32_t i = 1; i <= 300; i += 2)
		proc_table_remove(&t, 0x40000000u + i);
	for (uint32_t i = 1; i <= 300; i++)
		assert_true((proc_table_find(&t, 0x40000000u + i) != NULL) == !(i & 1));
	assert_int_equal(t.n, 150);
	/* this process: alive, its name from BPF, VMs numbered in order of sight */
	self = proc_table_get(&t, getpid(), "qemu-system-x86", 0);
	assert_false(self->exited);
	assert_string_equal(self->comm, "qemu-system-x86");
	assert_int_equal(proc_vm_index(self, 0xffff1000), 0);
	assert_int_equal(proc_vm_index(self, 0xffff2000), 1);
	assert_int_equal(proc_vm_index(self, 0xffff1000), 0);
	/* devices: numbered per dev_t, apart from the VMs and from other devices */
	assert_int_equal(proc_dev_index(self, 0xa000ee, 0xffff1000), 0);
	assert_int_equal(proc_dev_index(self, 0xa000ee, 0xffff3000), 1);
	assert_int_equal(proc_dev_index(self, 0xe600000, 0xffff3000), 0);
	assert_int_equal(proc_dev_index(self, 0xa000ee, 0xffff1000), 0);
	assert_int_equal(proc_dev_index(self, 0xa000ee, 0xffff3000), 1);
	assert_int_equal(proc_dev_index(self, 0xa000ee, 0xffff4000), 2);
	assert_int_equal(self->nvms, 2);
	/* --device: the name alone keeps every open of it, NAME#N that one */
	assert_true(proc_dev_label_matches("vhost-net", "vhost-net"));
	assert_true(proc_dev_label_matches("vhost-net#1", "vhost-net"));
	assert_true(proc_dev_label_matches("vhost-net#1", "vhost-net#1"));
	assert_false(proc_dev_label_matches("vhost-net", "vhost-net#1"));
	assert_false(proc_dev_label_matches("vhost-vdpa-10", "vhost-vdpa-1"));
	assert_false(proc_dev_label_matches("vhost-net#2", "vhost-net#1"));
	proc_vm_label(self, 1, label, sizeof(label));
	snprintf(label + 200, 56, "qemu-system-x86/%d#1", (int)getpid());
	assert_string_equal(label, label + 200);
	/* a start time that is not this process's: a reused pid, so "exited" */
	proc_table_remove(&t, getpid());
	self = proc_table_get(&t, getpid(), "x",
			      (proc_start_ticks(getpid()) + 5) *
				      (1000000000ULL / sysconf(_SC_CLK_TCK)));
	assert_true(self->exited);
	assert_true(proc_start_ticks(getpid()) > 0);
	proc_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_name),
		cmocka_unit_test(test_vm_name_truncated),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("procinfo", tests, NULL, NULL);
}
