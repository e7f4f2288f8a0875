// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfioreq: hold a PCI device bound to vfio-pci and answer (or not) the
 * kernel's device requests, for pvtrace's vfio tests. Binds nothing itself.
 *
 *   vfioreq --bdf 0000:00:01.0 [--ignore N] [--delay MS] [--no-eventfd] [--timeout S]
 *
 * Opens the container, group and device (type1 IOMMU), registers an eventfd on
 * VFIO_PCI_REQ_IRQ_INDEX (unless --no-eventfd), prints "ready", then:
 *   - with the eventfd: on request N+1 (after ignoring N), waits MS and closes
 *     the device fd;
 *   - without it: waits for SIGUSR1 (sent once the unbind has begun), then MS,
 *     and closes the device fd.
 * Every line is "<event> <CLOCK_MONOTONIC ns> [detail]": ready, request (with the
 * number of requests seen, from 0), signal, close_begin, close_end, exit.
 * Exit status: 0 ok, 1 error or timeout, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void say(const char *ev, const char *detail)
{
	printf("%s %" PRIu64 "%s%s\n", ev, mono_ns(), detail ? " " : "", detail ? detail : "");
	fflush(stdout);
}

static int die(const char *what)
{
	fprintf(stderr, "vfioreq: %s: %s\n", what, strerror(errno));
	return 1;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* IOMMU group number of the device, from its sysfs iommu_group link. */
static int group_of(const char *bdf, char *out, size_t len)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	snprintf(out, len, "/dev/vfio/%s", basename(target));
	return 0;
}

static int set_req_eventfd(int dev, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, set);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "delay", required_argument, NULL, 'd' },
		{ "no-eventfd", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bdf = NULL;
	unsigned ignore = 0, delay_ms = 0, timeout_s = 120, seen = 0;
	bool use_eventfd = true;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char group_path[300], detail[32];
	int c, container, group, dev, efd = -1;
	uint64_t deadline;
	sigset_t usr1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			bdf = optarg;
			break;
		case 'i':
			ignore = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			delay_ms = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			use_eventfd = false;
			break;
		case 't':
			timeout_s = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: vfioreq --bdf BDF [--ignore N] [--delay MS] "
					"[--no-eventfd] [--timeout S]\n");
			return 2;
		}
	}
	if (!bdf || optind != argc) {
		fprintf(stderr, "vfioreq: --bdf BDF is required\n");
		return 2;
	}
	/* SIGUSR1 is taken synchronously (no-eventfd mode) */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
		fprintf(stderr, "vfioreq: no type1 IOMMU support\n");
		return 1;
	}
	if (group_of(bdf, group_path, sizeof(group_path)))
		return die("iommu_group link");
	group = open(group_path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		return die(group_path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "vfioreq: group %s not viable (all its devices bound to vfio?)\n",
			group_path);
		return 1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		return die("VFIO_SET_IOMMU");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		return die("VFIO_GROUP_GET_DEVICE_FD");
	if (use_eventfd) {
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			return die("eventfd");
		if (set_req_eventfd(dev, efd))
			return die("VFIO_DEVICE_SET_IRQS (request eventfd)");
	}
	say("ready", use_eventfd ? "eventfd" : "no-eventfd");
	deadline = mono_ns() + timeout_s * 1000000000ULL;

	if (use_eventfd) {
		for (;;) {
			struct pollfd p = { .fd = efd, .events = POLLIN };
			uint64_t now = mono_ns(), v;
			int r;

			if (now >= deadline) {
				fprintf(stderr, "vfioreq: no request after %u s\n", timeout_s);
				return 1;
			}
			r = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
			if (r < 0 && errno != EINTR)
				return die("poll");
			if (r <= 0)
				continue;
			if (read(efd, &v, sizeof(v)) != sizeof(v))
				return die("read eventfd");
			snprintf(detail, sizeof(detail), "%u", seen);
			say("request", detail);
			if (seen++ >= ignore)
				break;
		}
	} else {
		struct timespec ts = { timeout_s, 0 };

		if (sigtimedwait(&usr1, NULL, &ts) != SIGUSR1) {
			fprintf(stderr, "vfioreq: no SIGUSR1 after %u s\n", timeout_s);
			return 1;
		}
		say("signal", NULL);
	}
	sleep_ms(delay_ms);
	say("close_begin", NULL);
	close(dev);
	say("close_end", NULL);
	if (efd >= 0)
		close(efd);
	close(group);
	close(container);
	say("exit", NULL);
	return 0;
}
