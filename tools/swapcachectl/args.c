// SPDX-License-Identifier: GPL-2.0
/* The command line's values: strict, so that a typo is refused, not guessed. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* A positive number of seconds, at least 0.1 and at most a day. */
int sc_parse_interval(const char *text, double *seconds)
{
	char *end;
	double v;

	if (!*text || strspn(text, "0123456789.") != strlen(text))
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || !isfinite(v) || v < 0.1 || v > 86400)
		return -EINVAL;
	*seconds = v;
	return 0;
}

/* A count of at least 1, decimal digits only. */
int sc_parse_count(const char *text, long *count)
{
	char *end;
	long v;

	if (!*text || strspn(text, "0123456789") != strlen(text))
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < 1)
		return -EINVAL;
	*count = v;
	return 0;
}

int sc_tunable_lookup(const char *name, size_t len)
{
	int id;

	for (id = 0; id < SC_NR_TUNABLES; id++)
		if (strlen(sc_tunables[id].name) == len &&
		    !memcmp(sc_tunables[id].name, name, len))
			return id;
	return -1;
}

/*
 * KNOB=VALUE: the knob must be a parameter's name; the value is checked
 * later, by the module's own rules.
 */
int sc_parse_assignment(const char *arg, enum sc_tunable *id,
			const char **value, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	int found;

	if (!eq || eq == arg) {
		snprintf(err, errlen, "'%s' is not KNOB=VALUE", arg);
		return -EINVAL;
	}
	found = sc_tunable_lookup(arg, eq - arg);
	if (found < 0) {
		snprintf(err, errlen, "no parameter '%.*s'", (int)(eq - arg),
			 arg);
		return -EINVAL;
	}
	*id = found;
	*value = eq + 1;
	return 0;
}
