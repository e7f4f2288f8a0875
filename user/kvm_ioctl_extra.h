/* KVM ioctls added by the carried kernel series (kernel-patches/). */
/* clang-format off */
/* clang-format on */
