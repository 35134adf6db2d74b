/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink differences between kernels, for netlink.c only (see
 * compat.h for the rest).
 */
#ifndef PROTSHM_COMPAT_GENL_H
#define PROTSHM_COMPAT_GENL_H

#include <net/genetlink.h>

/* The parsed attributes of a dump request moved into a struct genl_info. */
static inline struct nlattr **protshm_genl_dump_attrs(struct netlink_callback *cb)
{
#ifdef PROTSHM_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* PROTSHM_COMPAT_GENL_H */
