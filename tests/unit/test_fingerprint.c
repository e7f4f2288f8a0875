// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* FNV-1a 64 against the vectors of its specification, the config hash, hypervisor names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>
#include "fingerprint.h"
#include "fnv.h"

/* draft-eastlake-fnv / the FNV reference test suite (test_fnv.c), FNV-1a 64 */
static void test_fnv_vectors(void **state)
{
	static const struct {
		const char *in;
		uint64_t want;
	} v[] = {
		{ "", 0xcbf29ce484222325ULL },	  { "a", 0xaf63dc4c8601ec8cULL },
		{ "b", 0xaf63df4c8601f1a5ULL },	  { "c", 0xaf63de4c8601eff2ULL },
		{ "foo", 0xdcb27518fed9d577ULL }, { "foobar", 0x85944171f73967e8ULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(fnv1a64(v[i].in, strlen(v[i].in)), v[i].want);
	/* the empty input is the offset basis */
	assert_int_equal(fnv1a64("", 0), FNV1A64_INIT);
}

static void test_fnv_incremental(void **state)
{
	const char *s = "CONFIG_KVM=m\nCONFIG_KVM_AMD=m\n# CONFIG_KVM_WERROR is not set\n";
	size_t n = strlen(s);
	uint64_t whole = fnv1a64(s, n);

	(void)state;
	for (size_t cut = 0; cut <= n; cut++)
		assert_int_equal(
			fnv1a64_update(fnv1a64_update(FNV1A64_INIT, s, cut), s + cut, n - cut),
			whole);
	/* one bit differs: another hash; a NUL byte counts */
	assert_int_not_equal(fnv1a64("CONFIG_KVM=y", 12), fnv1a64("CONFIG_KVM=m", 12));
	assert_int_not_equal(fnv1a64("a\0", 2), fnv1a64("a", 1));
}

static void write_file(const char *path, const char *text, bool gz)
{
	if (gz) {
		gzFile z = gzopen(path, "wb");

		assert_non_null(z);
		assert_int_equal(gzwrite(z, text, strlen(text)), (int)strlen(text));
		assert_int_equal(gzclose(z), Z_OK);
	} else {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
}

/* The plain and the gzip file of one text hash alike: the text is hashed, not the file. */
static void test_config_hash(void **state)
{
	const char *text = "CONFIG_64BIT=y\nCONFIG_KVM=m\n";
	char dir[] = "/tmp/pvtrace-fp-XXXXXX", plain[64], gz[64], h1[32], h2[32], want[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(plain, sizeof(plain), "%s/config", dir);
	snprintf(gz, sizeof(gz), "%s/config.gz", dir);
	write_file(plain, text, false);
	write_file(gz, text, true);
	assert_int_equal(fingerprint_config_hash(plain, h1, sizeof(h1)), 0);
	assert_int_equal(fingerprint_config_hash(gz, h2, sizeof(h2)), 0);
	snprintf(want, sizeof(want), "fnv1a64:%016llx",
		 (unsigned long long)fnv1a64(text, strlen(text)));
	assert_string_equal(h1, want);
	assert_string_equal(h2, want);
	unlink(plain);
	unlink(gz);
	rmdir(dir);
	assert_int_not_equal(fingerprint_config_hash(plain, h1, sizeof(h1)), 0);
}

static void test_hypervisor_names(void **state)
{
	char b[32];
	bool emu;

	(void)state;
	fingerprint_hypervisor_name("KVMKVMKVM\0\0\0", b, sizeof(b), &emu);
	assert_string_equal(b, "KVM");
	assert_false(emu);
	fingerprint_hypervisor_name("TCGTCGTCGTCG", b, sizeof(b), &emu);
	assert_string_equal(b, "TCG");
	assert_true(emu);
	fingerprint_hypervisor_name("Microsoft Hv", b, sizeof(b), &emu);
	assert_string_equal(b, "Hyper-V");
	fingerprint_hypervisor_name("VMwareVMware", b, sizeof(b), &emu);
	assert_string_equal(b, "VMware");
	assert_false(emu);
	/* unknown: as itself, non-printable bytes shown as '?', padding dropped */
	fingerprint_hypervisor_name("NewHv\x01"
				    "ab\0\0  ",
				    b, sizeof(b), &emu);
	assert_string_equal(b, "NewHv?ab");
	fingerprint_hypervisor_name("\0\0\0\0\0\0\0\0\0\0\0\0", b, sizeof(b), &emu);
	assert_string_equal(b, "unknown");
}

static void test_midr_emulated(void **state)
{
	(void)state;
	assert_true(fingerprint_midr_emulated("processor\t: 0\nBogoMIPS\t: 125.00\n"
					      "CPU implementer\t: 0x00\nCPU part\t: 0x051\n"));
	assert_false(fingerprint_midr_emulated("processor\t: 0\nCPU implementer\t: 0x41\n"
					       "CPU part\t: 0xd0c\n"));
	assert_false(fingerprint_midr_emulated("model name\t: AMD EPYC\n"));
	assert_false(fingerprint_midr_emulated(""));
}

static void test_midr_model(void **state)
{
	char b[96];

	(void)state;
	fingerprint_midr_model("processor\t: 0\nCPU implementer\t: 0x00\nCPU part\t: 0x051\n", b,
			       sizeof(b));
	assert_string_equal(b, "QEMU TCG (MIDR implementer 0x00, part 0x051)");
	fingerprint_midr_model("CPU implementer\t: 0x41\nCPU architecture: 8\n"
			       "CPU variant\t: 0x3\nCPU part\t: 0xd0c\n",
			       b, sizeof(b));
	assert_string_equal(b, "ARM Neoverse-N1 (MIDR implementer 0x41, part 0xd0c)");
	/* not in the table: the numbers */
	fingerprint_midr_model("CPU implementer\t: 0x43\nCPU part\t: 0x0af\n", b, sizeof(b));
	assert_string_equal(b, "MIDR implementer 0x43, part 0x0af");
	/* x86: nothing */
	fingerprint_midr_model("model name\t: AMD EPYC\n", b, sizeof(b));
	assert_string_equal(b, "");
	/* truncated to the buffer */
	fingerprint_midr_model("CPU implementer\t: 0x41\nCPU part\t: 0xd0c\n", b, 8);
	assert_string_equal(b, "ARM Neo");
}

static void test_read(void **state)
{
	struct fingerprint f;

	(void)state;
	fingerprint_read(&f);
	assert_true(f.cpus >= 1);
	assert_true(*f.kernel_release);
	assert_true(*f.hypervisor);
	assert_string_equal(f.attach_mode, "none");
	/* a build id is hex */
	for (const char *p = f.build_id; *p; p++)
		assert_non_null(strchr("0123456789abcdef", *p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv_vectors),   cmocka_unit_test(test_fnv_incremental),
		cmocka_unit_test(test_config_hash),   cmocka_unit_test(test_hypervisor_names),
		cmocka_unit_test(test_midr_emulated), cmocka_unit_test(test_midr_model),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
