/* KVM ioctls added by the carried kernel series (kernel-patches/). */
/* clang-format off */
	{ "KVM_GET_MANY_REGS", 0xc008aedeU },
	{ "KVM_SET_MANY_REGS", 0xc008aedfU },
/* clang-format on */
