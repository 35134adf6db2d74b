// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * prot.c - helpers for PROTSHM_PROT_* values.
 */
#include "internal.h"

PROTSHM_API const char *protshm_strprot(unsigned int prot)
{
	switch (prot) {
	case PROTSHM_PROT_NONE:
		return "none";
	case PROTSHM_PROT_READ:
		return "r";
	case PROTSHM_PROT_RW:
		return "rw";
	default:
		return "invalid";
	}
}
