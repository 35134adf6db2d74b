/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "protshm" generic netlink family: registration and the event hooks
 * called by the rest of the module.  See netlink.c.
 */
#ifndef PROTSHM_NETLINK_H
#define PROTSHM_NETLINK_H

#include <linux/types.h>

struct protshm_attachment;
struct protshm_seg;
struct pid;

int protshm_nl_init(void);
void protshm_nl_exit(void);

void protshm_nl_seg_event(struct protshm_seg *seg, u8 cmd);
void protshm_nl_attach_event_locked(struct protshm_attachment *a, u8 cmd);
void protshm_nl_inherit_event_locked(struct protshm_attachment *a,
				     struct pid *forker);
void protshm_nl_restrict_event_locked(struct protshm_attachment *a, u32 old);
void protshm_nl_lease_event_locked(struct protshm_seg *seg, struct pid *old);

#endif /* PROTSHM_NETLINK_H */
