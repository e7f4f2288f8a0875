// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vhostdrv: a minimal driver of a vhost device, for the exact counts of pvtrace's vhost
 * tests. Its split virtqueues live in its own memory (identity-mapped: an address is its
 * own IOVA or guest physical address), with an eventfd each to kick and to be called.
 *
 *   --dev /dev/vhost-vdpa-N  a vDPA net device (vdpa_sim_net loops TX back to RX):
 *       owner, backend features (IOTLB_MSG_V2), status ACKNOWLEDGE|DRIVER, features
 *       VERSION_1|ACCESS_PLATFORM, FEATURES_OK, one IOTLB update for all its memory
 *       (written as a vhost_msg_v2), vrings 0 (RX) and 1 (TX), enable, DRIVER_OK; then
 *       PACKETS broadcast frames, one TX kick each, each waited for on RX.
 *   --dev /dev/vhost-net     vhost-net with a tap backend (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR,
 *       brought up): owner, features 0, memory table, vrings 0 and 1, backend; PACKETS
 *       frames sent on TX, one kick each, each waited for in TX's used ring.
 *
 *   --log (vhost-net only; vhost-vdpa refuses a log base): dirty logging as a migrating
 *       VMM turns it on, VHOST_SET_LOG_BASE (a bitmap of its own, offset so that its
 *       memory's first page is bit 0) and VHOST_F_LOG_ALL; after the TX frames PACKETS
 *       receive buffers, one kick, and PACKETS frames sent into the tap through an AF_PACKET
 *       socket, which vhost-net receives into them and logs.
 *
 *   --guest direct|relay (x86, /dev/kvm): TX's kicks come from a KVM guest and its calls
 *       go to the guest's interrupt, as with QEMU. A one-vCPU real-mode guest (in-kernel
 *       irqchip) writes port 0x10, a KVM ioeventfd, once per frame, then port 0x11, which
 *       exits to vhostdrv, which waits for the frame to be used (and, relayed, its kick
 *       and its call relayed) and posts the next. Each vq's call eventfd feeds a KVM irqfd (GSI 5 + vq).
 *       direct: the ioeventfd is TX's kick eventfd and the irqfds are the call eventfds
 *       themselves. relay: as QEMU's shadow virtqueue, a thread ("relay") reads the
 *       ioeventfd's eventfd and writes TX's kick eventfd, reads each call eventfd and
 *       writes that vq's irqfd eventfd.
 *
 * --repeat N issues VHOST_GET_FEATURES N more times, for a count of its own. It prints
 * every ioctl it issued, by name, and what it saw:
 *   ioctl NAME COUNT
 *   vq V kicks K calls C used U
 *   log writes W bytes B pages P bits N   (--log: from RX's used ring, what vhost must have
 *       logged: a write per used buffer, its used length, the pages it spans; and the bits
 *       set in the bitmap, pages written twice counted once)
 *   guest MODE notifies N                 (--guest: the guest's port writes to the ioeventfd)
 *   guest MODE vq V kicks K calls C signals S   (relay: K kick writes, C irqfd writes, S
 *       the call eventfd's counts read; direct: K the port writes for TX, C and S "-":
 *       the irqfd takes the call eventfd's counts)
 * (calls: the call eventfd's counter, read at the end: how often the device signalled).
 * Exit status 0 iff every packet went through and every ioctl succeeded (1 otherwise,
 * 2 usage, 77 where it cannot run: no such device, no vhost here).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include "cli.h"
#include "kvm_ioctl.h"
#include "util.h"
#include "workload.h"
#include "workload_arch.h"

#define QSIZE	 64
#define BUF_SIZE 2048
#define NVQ	 2 /* 0: RX, 1: TX */
#define MEM_SIZE (1u << 20)
#define FRAME	 64 /* ethernet frame bytes after the virtio-net header */

static const char *dev = "/dev/vhost-vdpa-0";
static uint64_t npackets = 10, nrepeat;
static bool logging;
static enum { GUEST_NONE, GUEST_DIRECT, GUEST_RELAY } guest;

static const struct cli_opt opts[] = {
	{ "dev", 'd', "PATH", "The vhost device (default /dev/vhost-vdpa-0)" },
	{ "packets", 'n', "N", "Frames to send (default 10)" },
	{ "repeat", 'r', "N", "VHOST_GET_FEATURES this many more times (default 0)" },
	{ "log", 'l', NULL, "vhost-net: dirty logging on, frames received and logged" },
	{ "guest", 'g', "MODE", "TX kicks from a KVM guest, calls to it: direct or relay" },
	{ NULL, 0, NULL, NULL },
};

struct vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t *bufs;
	int kick, call;
	uint64_t kicks;
	uint16_t avail_idx;
};

static struct {
	int fd;
	bool vdpa;
	uint8_t *mem;
	struct vq vq[NVQ];
	struct {
		uint32_t cmd, count;
	} ioctls[64]; /* each command issued, in order of first use */
	unsigned int nioctls;
	int failed;
	char ifname[IFNAMSIZ];
	uint8_t logmap[MEM_SIZE / 4096 / 8 + 8]; /* the dirty bitmap, from d.mem's page */
} d;

/* One ioctl, counted by command; failures reported and remembered. */
static int vioctl(unsigned long cmd, void *arg, const char *what)
{
	int r = ioctl(d.fd, cmd, arg);
	unsigned int i;

	for (i = 0; i < d.nioctls && d.ioctls[i].cmd != (uint32_t)cmd; i++)
		;
	if (i < 64) {
		d.ioctls[i].cmd = (uint32_t)cmd;
		d.ioctls[i].count++;
		d.nioctls += i == d.nioctls;
	}
	if (r < 0) {
		fprintf(stderr, "vhostdrv: %s: %s\n", what, strerror(errno));
		d.failed = 1;
	}
	return r;
}

static void vq_layout(int i)
{
	struct vq *q = &d.vq[i];
	uint8_t *base = d.mem + (size_t)i * (MEM_SIZE / NVQ);

	q->desc = (struct vring_desc *)base;
	q->avail = (struct vring_avail *)(base + QSIZE * sizeof(struct vring_desc));
	q->used = (struct vring_used *)(base + 4096);
	q->bufs = base + 8192;
	q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* Post descriptor slot (one buffer of len bytes, device-writable or not) and kick. */
static void vq_post(int i, uint16_t slot, uint32_t len, bool devwrite, bool kick)
{
	struct vq *q = &d.vq[i];
	uint64_t one = 1;

	q->desc[slot].addr = (uint64_t)(uintptr_t)(q->bufs + (size_t)slot * BUF_SIZE);
	q->desc[slot].len = len;
	q->desc[slot].flags = devwrite ? VRING_DESC_F_WRITE : 0;
	q->desc[slot].next = 0;
	q->avail->ring[q->avail_idx % QSIZE] = slot;
	__atomic_store_n(&q->avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
	if (kick) {
		if (write(q->kick, &one, sizeof(one)) != sizeof(one))
			d.failed = 1;
		q->kicks++;
	}
}

static uint16_t used_idx(int i)
{
	return __atomic_load_n(&d.vq[i].used->idx, __ATOMIC_ACQUIRE);
}

/* Wait (up to 5 s) for vq i's used index to reach want. */
static int wait_used(int i, uint16_t want)
{
	for (int t = 0; t < 5000 && used_idx(i) != want; t++) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	if (used_idx(i) == want)
		return 0;
	fprintf(stderr, "vhostdrv: vq %d: used %u, expected %u\n", i, used_idx(i), want);
	return -1;
}

static void vring_setup(int i)
{
	struct vq *q = &d.vq[i];
	struct vhost_vring_state num = { .index = i, .num = QSIZE };
	struct vhost_vring_state base = { .index = i, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = i,
		.desc_user_addr = (uint64_t)(uintptr_t)q->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)q->avail,
		.used_user_addr = (uint64_t)(uintptr_t)q->used,
	};
	struct vhost_vring_file kick = { .index = i, .fd = q->kick };
	struct vhost_vring_file call = { .index = i, .fd = q->call };

	vioctl(VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM");
	vioctl(VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
	vioctl(VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE");
	vioctl(VHOST_SET_VRING_KICK, &kick, "VHOST_SET_VRING_KICK");
	vioctl(VHOST_SET_VRING_CALL, &call, "VHOST_SET_VRING_CALL");
}

static void set_status(uint8_t s)
{
	vioctl(VHOST_VDPA_SET_STATUS, &s, "VHOST_VDPA_SET_STATUS");
}

static int vdpa_start(void)
{
	uint64_t features = 0, backend = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	uint32_t id = 0;
	uint16_t vnum = 0;
	uint8_t status = 0;
	struct vhost_msg_v2 msg = { .type = VHOST_IOTLB_MSG_V2 };

	vioctl(VHOST_VDPA_GET_DEVICE_ID, &id, "VHOST_VDPA_GET_DEVICE_ID");
	if (id != 1) {
		fprintf(stderr, "vhostdrv: %s: device id %u, not a net device (1)\n", dev, id);
		return -1;
	}
	vioctl(VHOST_SET_BACKEND_FEATURES, &backend, "VHOST_SET_BACKEND_FEATURES");
	set_status(0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vioctl(VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	features &= (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM);
	vioctl(VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK);
	vioctl(VHOST_VDPA_GET_STATUS, &status, "VHOST_VDPA_GET_STATUS");
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		fprintf(stderr, "vhostdrv: %s: FEATURES_OK not accepted (status 0x%x)\n", dev,
			status);
		return -1;
	}
	vioctl(VHOST_VDPA_GET_VRING_NUM, &vnum, "VHOST_VDPA_GET_VRING_NUM");
	if (vnum < QSIZE) {
		fprintf(stderr, "vhostdrv: %s: vrings of %u, %d needed\n", dev, vnum, QSIZE);
		return -1;
	}
	/* all of its memory, IOVA = address */
	msg.iotlb.iova = (uint64_t)(uintptr_t)d.mem;
	msg.iotlb.size = MEM_SIZE;
	msg.iotlb.uaddr = (uint64_t)(uintptr_t)d.mem;
	msg.iotlb.perm = VHOST_ACCESS_RW;
	msg.iotlb.type = VHOST_IOTLB_UPDATE;
	if (write(d.fd, &msg, sizeof(msg)) != sizeof(msg)) {
		fprintf(stderr, "vhostdrv: %s: IOTLB update: %s\n", dev, strerror(errno));
		return -1;
	}
	for (int i = 0; i < NVQ; i++) {
		struct vhost_vring_state on = { .index = i, .num = 1 };

		vring_setup(i);
		vioctl(VHOST_VDPA_SET_VRING_ENABLE, &on, "VHOST_VDPA_SET_VRING_ENABLE");
	}
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return d.failed ? -1 : 0;
}

/* No IPv6 on the tap: no router solicitations of its own to receive (best effort). */
static void tap_no_ipv6(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "vhostdrv: %s: %s\n", path, strerror(errno));
		close(fd);
	}
}

/* A tap device, up, with a virtio-net header on each frame; -1 on failure. */
static int tap_open(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), s;

	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "vhostdrv: tap: %s\n", strerror(errno));
		return -1;
	}
	tap_no_ipv6(ifr.ifr_name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr.ifr_flags = IFF_UP;
	if (s < 0 || ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		fprintf(stderr, "vhostdrv: tap %s up: %s\n", ifr.ifr_name, strerror(errno));
		return -1;
	}
	close(s);
	snprintf(d.ifname, sizeof(d.ifname), "%s", ifr.ifr_name);
	return fd;
}

/* Dirty logging as a migrating VMM turns it on: the log base, then VHOST_F_LOG_ALL. */
static void log_start(void)
{
	uint64_t m0 = (uint64_t)(uintptr_t)d.mem >> 12;
	uint64_t base = (uint64_t)(uintptr_t)d.logmap - m0 / 8, features = 1ULL << VHOST_F_LOG_ALL;

	vioctl(VHOST_SET_LOG_BASE, &base, "VHOST_SET_LOG_BASE");
	vioctl(VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
}

static uint64_t span(uint64_t addr, uint64_t len)
{
	return len ? ((addr & 4095) + len + 4095) >> 12 : 0;
}

/* RX buffers, one kick, frames sent into the tap from outside: vhost-net receives them. */
static int run_rx(void)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	uint8_t f[FRAME];
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	to.sll_ifindex = (int)if_nametoindex(d.ifname);
	if (s < 0 || !to.sll_ifindex) {
		fprintf(stderr, "vhostdrv: packet socket on %s: %s\n", d.ifname, strerror(errno));
		return -1;
	}
	for (uint16_t i = 0; i < npackets; i++)
		vq_post(0, i, BUF_SIZE, true, (uint64_t)i + 1 == npackets);
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
	f[12] = 0x88, f[13] = 0xb5;
	memset(to.sll_addr, 0xff, ETH_ALEN);
	for (uint16_t i = 0; i < npackets; i++) {
		memcpy(f + 14, &i, sizeof(i));
		if (sendto(s, f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(f)) {
			fprintf(stderr, "vhostdrv: send on %s: %s\n", d.ifname, strerror(errno));
			close(s);
			return -1;
		}
	}
	close(s);
	/* at least the frames sent (a frame of the kernel's own may come too) */
	for (int t = 0; t < 5000 && used_idx(0) < npackets; t++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (used_idx(0) < npackets) {
		fprintf(stderr, "vhostdrv: rx: used %u, expected %llu\n", used_idx(0),
			(unsigned long long)npackets);
		return -1;
	}
	return 0;
}

/* What vhost must have logged, from RX's used ring, and the bits its bitmap has. */
static void log_report(void)
{
	struct vq *q = &d.vq[0];
	uint64_t writes = 0, bytes = 0, pages = 0, bits = 0;
	uint16_t n = used_idx(0);

	for (uint16_t i = 0; i < n && i < QSIZE; i++) {
		const struct vring_used_elem *u = &q->used->ring[i];

		writes++;
		bytes += u->len;
		pages += span(q->desc[u->id % QSIZE].addr, u->len);
	}
	for (size_t i = 0; i < sizeof(d.logmap); i++)
		bits += (uint64_t)__builtin_popcount(d.logmap[i]);
	printf("log writes %llu bytes %llu pages %llu bits %llu\n", (unsigned long long)writes,
	       (unsigned long long)bytes, (unsigned long long)pages, (unsigned long long)bits);
}

static int net_start(int tap)
{
	struct vhost_memory *mem = calloc(1, sizeof(*mem) + sizeof(mem->regions[0]));
	uint64_t features = 0;

	if (!mem)
		return -1;
	vioctl(VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	features = 0;
	vioctl(VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = (uint64_t)(uintptr_t)d.mem;
	mem->regions[0].memory_size = MEM_SIZE;
	mem->regions[0].userspace_addr = (uint64_t)(uintptr_t)d.mem;
	vioctl(VHOST_SET_MEM_TABLE, mem, "VHOST_SET_MEM_TABLE");
	free(mem);
	if (logging)
		log_start();
	for (int i = 0; i < NVQ; i++) {
		struct vhost_vring_file be = { .index = i, .fd = tap };

		vring_setup(i);
		vioctl(VHOST_NET_SET_BACKEND, &be, "VHOST_NET_SET_BACKEND");
	}
	return d.failed ? -1 : 0;
}

/* A broadcast frame after a zeroed virtio-net header of hdr bytes, in TX slot s. */
static uint32_t frame(uint16_t s, size_t hdr)
{
	uint8_t *b = d.vq[1].bufs + (size_t)s * BUF_SIZE;

	memset(b, 0, hdr + FRAME);
	memset(b + hdr, 0xff, 6);			    /* destination: broadcast */
	memcpy(b + hdr + 6, "\x02\x00\x00\x00\x00\x01", 6); /* source: local */
	b[hdr + 12] = 0x88, b[hdr + 13] = 0xb5;		    /* local experimental ethertype */
	memcpy(b + hdr + 14, &s, sizeof(s));
	return (uint32_t)(hdr + FRAME);
}

static int run_packets(void)
{
	/* vDPA negotiated VERSION_1 (12-byte header); vhost-net features 0: tap's 10 bytes */
	size_t hdr = d.vdpa ? sizeof(struct virtio_net_hdr_v1) : sizeof(struct virtio_net_hdr);

	if (d.vdpa) {
		/* every receive buffer first, one kick for them all */
		for (uint16_t s = 0; s < npackets; s++)
			vq_post(0, s, BUF_SIZE, true, (uint64_t)s + 1 == npackets);
	}
	for (uint16_t s = 0; s < npackets; s++) {
		vq_post(1, s, frame(s, hdr), false, true);
		if (wait_used(1, s + 1) || (d.vdpa && wait_used(0, s + 1)))
			return -1;
	}
	return 0;
}

#if defined(__x86_64__)
#define PORT_NOTIFY 0x10 /* the guest's notification: a KVM ioeventfd */
#define PORT_NEXT   0x11 /* exits to vhostdrv: the next frame */
#define GUEST_GSI   5	 /* the irqfd of vq V is GSI 5 + V */

static const char *const guest_names[] = { "none", "direct", "relay" };

static struct {
	struct kvm_vm vm;
	int notify;   /* the ioeventfd's eventfd (relay; direct: TX's kick) */
	int irq[NVQ]; /* the irqfds' eventfds (relay; direct: the calls) */
	int stop;     /* ends the relay thread */
	pthread_t th;
	uint64_t notifies;	    /* relay: the ioeventfd's counts read */
	uint64_t kicks, calls[NVQ]; /* relay: kick writes, irqfd writes per vq */
	uint64_t signals[NVQ];	    /* relay: the call eventfds' counts read */
} g = { .notify = -1, .irq = { -1, -1 }, .stop = -1 };

/* as QEMU's shadow virtqueue: each eventfd read, then the next one written */
static void *relay_thread(void *arg)
{
	struct pollfd p[2 + NVQ] = { { .fd = g.stop, .events = POLLIN },
				     { .fd = g.notify, .events = POLLIN } };
	uint64_t n, one = 1;

	(void)arg;
	prctl(PR_SET_NAME, "relay");
	for (int v = 0; v < NVQ; v++)
		p[2 + v] = (struct pollfd){ .fd = d.vq[v].call, .events = POLLIN };
	while (poll(p, 2 + NVQ, -1) >= 0 || errno == EINTR) {
		if (p[0].revents)
			break;
		if ((p[1].revents & POLLIN) && read(g.notify, &n, sizeof(n)) == sizeof(n)) {
			__atomic_add_fetch(&g.notifies, n, __ATOMIC_RELAXED);
			if (write(d.vq[1].kick, &one, sizeof(one)) == sizeof(one))
				__atomic_add_fetch(&g.kicks, 1, __ATOMIC_RELEASE);
		}
		for (int v = 0; v < NVQ; v++) {
			if (!(p[2 + v].revents & POLLIN) ||
			    read(d.vq[v].call, &n, sizeof(n)) != sizeof(n))
				continue;
			__atomic_add_fetch(&g.signals[v], n, __ATOMIC_RELAXED);
			if (write(g.irq[v], &one, sizeof(one)) == sizeof(one))
				__atomic_add_fetch(&g.calls[v], 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

/* Wait (up to 5 s) for *n to reach want. */
static int wait_count(const uint64_t *n, uint64_t want, const char *what)
{
	for (int t = 0; t < 5000 && __atomic_load_n(n, __ATOMIC_ACQUIRE) < want; t++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (__atomic_load_n(n, __ATOMIC_ACQUIRE) >= want)
		return 0;
	fprintf(stderr, "vhostdrv: relay: %s %llu, expected %llu\n", what, (unsigned long long)*n,
		(unsigned long long)want);
	return -1;
}

/* The VM, its ioeventfd and irqfds, and in relay mode the relay thread; 77: no KVM. */
static int guest_start(void)
{
	struct kvm_ioeventfd io = { .addr = PORT_NOTIFY,
				    .len = 1,
				    .flags = KVM_IOEVENTFD_FLAG_PIO };
	char err[256];

	if (kvm_vm_open_flags(&g.vm, 1, KVM_VM_IRQCHIP, err, sizeof(err))) {
		fprintf(stderr, "vhostdrv: --guest: %s\n", err);
		return 77;
	}
	if (guest == GUEST_RELAY) {
		g.notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		g.stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		for (int v = 0; v < NVQ; v++)
			g.irq[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	io.fd = guest == GUEST_RELAY ? g.notify : d.vq[1].kick;
	if (io.fd < 0 || ioctl(g.vm.fd, KVM_IOEVENTFD, &io)) {
		fprintf(stderr, "vhostdrv: KVM_IOEVENTFD: %s\n", strerror(errno));
		return 1;
	}
	for (int v = 0; v < NVQ; v++) {
		struct kvm_irqfd irqfd = { .gsi = GUEST_GSI + v };

		irqfd.fd = (__u32)(guest == GUEST_RELAY ? g.irq[v] : d.vq[v].call);
		if ((int)irqfd.fd < 0 || ioctl(g.vm.fd, KVM_IRQFD, &irqfd)) {
			fprintf(stderr, "vhostdrv: KVM_IRQFD: %s\n", strerror(errno));
			return 1;
		}
	}
	if (guest == GUEST_RELAY && pthread_create(&g.th, NULL, relay_thread, NULL)) {
		fprintf(stderr, "vhostdrv: relay thread: cannot start\n");
		g.stop = -1;
		return 1;
	}
	return 0;
}

/* One KVM_RUN until the guest's write to PORT_NEXT; anything else is an error. */
static int guest_step(void)
{
	struct kvm_run *run = g.vm.v[0].run;

	for (;;) {
		if (ioctl(g.vm.v[0].fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "vhostdrv: KVM_RUN: %s\n", strerror(errno));
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT_NEXT)
			return 0;
		fprintf(stderr, "vhostdrv: guest: exit reason %u (port 0x%x)\n", run->exit_reason,
			run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
		return -1;
	}
}

/*
 * The guest, at 0:WL_GUEST_CODE in real mode: 1: out PORT_NOTIFY,al; out PORT_NEXT,al;
 * jmp 1b. Per frame: posted (no kick of vhostdrv's own), one guest step (its kick),
 * then used, and relayed its call.
 */
static int run_guest(void)
{
	static const uint8_t code[] = { 0xe6, PORT_NOTIFY, 0xe6, PORT_NEXT, 0xeb, 0xfa };
	size_t hdr = d.vdpa ? sizeof(struct virtio_net_hdr_v1) : sizeof(struct virtio_net_hdr);
	struct kvm_regs regs = { .rip = WL_GUEST_CODE, .rflags = 2 };
	struct kvm_sregs sregs;

	if (!g.vm.v[0].run)
		return -1;
	memcpy((uint8_t *)g.vm.mem + WL_GUEST_CODE, code, sizeof(code));
	if (ioctl(g.vm.v[0].fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(g.vm.v[0].fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(g.vm.v[0].fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	if (d.vdpa)
		for (uint16_t s = 0; s < npackets; s++)
			vq_post(0, s, BUF_SIZE, true, (uint64_t)s + 1 == npackets);
	for (uint16_t s = 0; s < npackets; s++) {
		vq_post(1, s, frame(s, hdr), false, false);
		if (guest_step() || wait_used(1, s + 1) || (d.vdpa && wait_used(0, s + 1)))
			return -1;
		/* the relay done both ways before the next notification: none coalesce */
		if (guest == GUEST_RELAY && (wait_count(&g.kicks, s + 1U, "TX kicks") ||
					     wait_count(&g.calls[1], s + 1U, "TX calls")))
			return -1;
	}
	return 0;
}

static void guest_report(void)
{
	uint64_t one = 1;

	if (g.stop >= 0) {
		if (write(g.stop, &one, sizeof(one)) == sizeof(one))
			pthread_join(g.th, NULL);
	}
	printf("guest %s notifies %llu\n", guest_names[guest],
	       (unsigned long long)(guest == GUEST_RELAY ? g.notifies : npackets));
	for (int v = 0; v < NVQ; v++) {
		if (guest == GUEST_RELAY)
			printf("guest relay vq %d kicks %llu calls %llu signals %llu\n", v,
			       (unsigned long long)(v == 1 ? g.kicks : 0),
			       (unsigned long long)g.calls[v], (unsigned long long)g.signals[v]);
		else
			printf("guest direct vq %d kicks %llu calls - signals -\n", v,
			       (unsigned long long)(v == 1 ? npackets : 0));
	}
}

static void guest_close(void)
{
	if (g.vm.fd > 0)
		kvm_vm_close(&g.vm);
	if (g.notify >= 0)
		close(g.notify);
	for (int v = 0; v < NVQ; v++)
		if (g.irq[v] >= 0)
			close(g.irq[v]);
	if (g.stop >= 0)
		close(g.stop);
}
#else
static int guest_start(void)
{
	fprintf(stderr, "vhostdrv: --guest: x86 only\n");
	return 77;
}

static int run_guest(void)
{
	return -1;
}

static void guest_report(void)
{
}

static void guest_close(void)
{
}
#endif

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t *dst;

	(void)ctx;
	switch (key) {
	case 'd':
		dev = arg;
		return 0;
	case 'n':
		dst = &npackets;
		break;
	case 'r':
		dst = &nrepeat;
		break;
	case 'l':
		logging = true;
		return 0;
	case 'g':
		if (!strcmp(arg, "direct") || !strcmp(arg, "relay")) {
			guest = arg[0] == 'd' ? GUEST_DIRECT : GUEST_RELAY;
			return 0;
		}
		snprintf(err, len, "invalid --guest '%s' (direct or relay)", arg);
		return -1;
	default:
		return -1;
	}
	if (!parse_u64(arg, dst) || *dst > (key == 'n' ? QSIZE : 100000)) {
		snprintf(err, len, "invalid count '%s' (0..%d)", arg, key == 'n' ? QSIZE : 100000);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cli cli = {
		.name = "vhostdrv",
		.usage = "[OPTIONS]",
		.doc = "Drive a vhost device with a known number of ioctls and "
		       "packets.",
		.opts = opts,
		.opt = parse_opt
	};
	int ret = cli_parse(&cli, argc, argv, NULL), tap = -1;
	uint64_t features;

	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	d.vdpa = strstr(dev, "vhost-vdpa") != NULL;
	if (logging && d.vdpa) {
		fprintf(stderr, "vhostdrv: --log: vhost-vdpa refuses a log base; vhost-net only\n");
		return 2;
	}
	if (logging && guest) {
		fprintf(stderr, "vhostdrv: --log and --guest: one at a time\n");
		return 2;
	}
	d.fd = open(dev, O_RDWR | O_CLOEXEC);
	if (d.fd < 0) {
		fprintf(stderr, "vhostdrv: %s: %s\n", dev, strerror(errno));
		return errno == ENOENT || errno == ENODEV ? 77 : 1;
	}
	d.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d.mem == MAP_FAILED || mlock(d.mem, MEM_SIZE)) {
		fprintf(stderr, "vhostdrv: memory: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < NVQ; i++)
		vq_layout(i);
	vioctl(VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	for (uint64_t i = 0; i < nrepeat; i++)
		vioctl(VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	if (!d.vdpa && (tap = tap_open()) < 0)
		return 1;
	ret = d.vdpa ? vdpa_start() : net_start(tap);
	if (!ret && guest) {
		ret = guest_start();
		if (ret == 77) {
			close(d.fd);
			return 77;
		}
		if (!ret)
			ret = run_guest();
	} else if (!ret) {
		ret = run_packets();
	}
	if (!ret && logging)
		ret = run_rx();
	if (d.vdpa) {
		set_status(0); /* reset: the device stops */
	} else {
		for (int i = 0; i < NVQ; i++) {
			struct vhost_vring_file be = { .index = i, .fd = -1 };

			vioctl(VHOST_NET_SET_BACKEND, &be, "VHOST_NET_SET_BACKEND");
		}
	}
	for (unsigned int i = 0; i < d.nioctls; i++) {
		char name[96];

		ioctl_format(d.ioctls[i].cmd, name, sizeof(name));
		printf("ioctl %s %u\n", name, d.ioctls[i].count);
	}
	for (int i = 0; i < NVQ; i++) {
		uint64_t calls = 0;

		if (read(d.vq[i].call, &calls, sizeof(calls)) != sizeof(calls))
			calls = 0; /* EAGAIN: never signalled */
		printf("vq %d kicks %llu calls %llu used %u\n", i,
		       (unsigned long long)d.vq[i].kicks, (unsigned long long)calls, used_idx(i));
	}
	if (logging)
		log_report();
	if (guest) {
		guest_report();
		guest_close();
	}
	close(d.fd);
	if (tap >= 0)
		close(tap);
	return ret || d.failed ? 1 : 0;
}
