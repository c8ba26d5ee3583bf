/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-ins for the kernel's kstrtos64() and kstrtobool(), so
 * that the module's own tunables.c runs under tests/unit/.  They accept
 * and refuse what lib/kstrtox.c does, including what the module has to
 * refuse itself (a leading '+', kstrtobool()'s "on", "t", "yes"), so that
 * the unit tests prove the module's filters and not the stand-ins'.
 * Base 10 only: the one the module uses.
 */
#ifndef SC_SHIM_KSTRTOX_H
#define SC_SHIM_KSTRTOX_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* kstrtoull() in base 10: '+', digits, at most one '\n', then the end. */
static inline int sc_shim_kstrtoull10(const char *s, unsigned long long *res)
{
	unsigned long long v = 0;
	bool overflow = false;
	const char *p;

	if (*s == '+')
		s++;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		unsigned int digit = *p - '0';

		/* like the kernel, keep reading digits after an overflow */
		if (v > (UINT64_MAX - digit) / 10)
			overflow = true;
		v = v * 10 + digit;
	}
	if (overflow)
		return -ERANGE;
	if (p == s)
		return -EINVAL;
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*res = v;
	return 0;
}

static inline int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long v;
	int r;

	if (base != 10)
		abort();
	if (*s == '-') {
		/* no second sign after the '-' */
		if (s[1] == '+')
			return -EINVAL;
		r = sc_shim_kstrtoull10(s + 1, &v);
		if (r)
			return r;
		if (v > (unsigned long long)INT64_MAX + 1)
			return -ERANGE;
		*res = v ? -(long long)(v - 1) - 1 : 0;
		return 0;
	}
	r = sc_shim_kstrtoull10(s, &v);
	if (r)
		return r;
	if (v > INT64_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

/* The kernel's s64 is a long long, as the one include/linux/types.h gives. */
static inline int kstrtos64(const char *s, unsigned int base, long long *res)
{
	return kstrtoll(s, base, res);
}

/*
 * As 6.1's lib/kstrtox.c: the first character decides, the second only
 * after 'o'; the rest is not read.  Later kernels may take more spellings
 * ("true", "false"), which the module's own filter refuses as well.
 */
static inline int kstrtobool(const char *s, bool *res)
{
	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*res = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
	}
	return -EINVAL;
}

#endif /* SC_SHIM_KSTRTOX_H */
