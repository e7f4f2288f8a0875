/* KVM ioctls added by the carried kernel series (kernel-patches/, uapi v2: user/kvm/many_regs.h). */
/* clang-format off */
	{ "KVM_GET_MANY_REGS", 0x4020aedeU },
	{ "KVM_SET_MANY_REGS", 0x4020aedfU },
/* clang-format on */
