// SPDX-License-Identifier: GPL-2.0
/*
 * A small hash table of objects keyed by a kernel pointer (a struct pid, an
 * mm), for the per-segment lookups of attach.c: a lookup costs the same
 * whatever the number of entries.  It doubles when it holds more entries
 * than buckets; if the bigger bucket array cannot be allocated it keeps the
 * one it has (longer chains), so adding an entry never fails.  It never
 * shrinks.  No lock of its own: the owner serialises every call (for a
 * segment's tables, seg->lock).
 */
#include <linux/hash.h>
#include <linux/slab.h>

#include "internal.h"

#define PROTSHM_KTAB_MAX_BITS	20

/**
 * protshm_ktab_init() - an empty table with one bucket
 * @t: the table
 */
void protshm_ktab_init(struct protshm_ktab *t)
{
	INIT_HLIST_HEAD(&t->one);
	t->heads = &t->one;
	t->bits = 0;
	t->nr = 0;
}

/**
 * protshm_ktab_destroy() - free the bucket array of an empty table
 * @t: the table
 */
void protshm_ktab_destroy(struct protshm_ktab *t)
{
	WARN_ON(t->nr);
	if (t->heads != &t->one)
		kvfree(t->heads);
}

static struct hlist_head *protshm_ktab_bucket(const struct hlist_head *heads,
					      unsigned int bits,
					      const void *key)
{
	return (struct hlist_head *)&heads[bits ? hash_ptr(key, bits) : 0];
}

/**
 * protshm_ktab_head() - the chain that holds the entries keyed by @key
 * @t: the table
 * @key: the key
 *
 * Return: the chain, to walk with protshm_ktab_for_each_possible().
 */
struct hlist_head *protshm_ktab_head(const struct protshm_ktab *t,
				     const void *key)
{
	return protshm_ktab_bucket(t->heads, t->bits, key);
}

/* Twice the buckets, the entries moved; nothing changes if out of memory. */
static void protshm_ktab_grow(struct protshm_ktab *t)
{
	unsigned int bits = t->bits + 1, i;
	struct protshm_knode *kn;
	struct hlist_head *heads;
	struct hlist_node *tmp;

	if (bits > PROTSHM_KTAB_MAX_BITS)
		return;
	heads = kvmalloc_array(1U << bits, sizeof(*heads),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!heads)
		return;
	for (i = 0; i < (1U << bits); i++)
		INIT_HLIST_HEAD(&heads[i]);
	for (i = 0; i < (1U << t->bits); i++)
		hlist_for_each_entry_safe(kn, tmp, &t->heads[i], node)
			hlist_add_head(&kn->node,
				       protshm_ktab_bucket(heads, bits, kn->key));
	if (t->heads != &t->one)
		kvfree(t->heads);
	t->heads = heads;
	t->bits = bits;
}

/**
 * protshm_ktab_add() - add an entry
 * @t: the table
 * @kn: the entry's node, not in any table
 * @key: its key
 *
 * Context: may sleep (to grow the table).
 */
void protshm_ktab_add(struct protshm_ktab *t, struct protshm_knode *kn,
		      const void *key)
{
	kn->key = key;
	if (++t->nr > (1U << t->bits))
		protshm_ktab_grow(t);
	hlist_add_head(&kn->node, protshm_ktab_head(t, key));
}

/**
 * protshm_ktab_del() - remove an entry
 * @t: the table
 * @kn: the entry's node, in @t
 */
void protshm_ktab_del(struct protshm_ktab *t, struct protshm_knode *kn)
{
	hlist_del_init(&kn->node);
	t->nr--;
}
