// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters' rules.  Names, units and defaults are those of
 * DragonFly's vm.swapcache.* sysctls; the ranges are ours, because a sysctl
 * took any integer and a Linux administrator expects EINVAL for nonsense.
 */
#include "tunables.h"

const struct sc_tunable_info sc_tunables[SC_NR_TUNABLES] = {
	[SC_READ_ENABLE] = { "read_enable", SC_UNIT_BOOL, 0, 0, 1 },
	[SC_DATA_ENABLE] = { "data_enable", SC_UNIT_BOOL, 0, 0, 1 },
	[SC_META_ENABLE] = { "meta_enable", SC_UNIT_BOOL, 0, 0, 1 },
	[SC_USE_CHFLAGS] = { "use_chflags", SC_UNIT_BOOL, 1, 0, 1 },
	[SC_MAXFILESIZE] = { "maxfilesize", SC_UNIT_BYTES, 0, 0, SC_BYTES_MAX },
	[SC_MAXLAUNDER] = { "maxlaunder", SC_UNIT_PAGES, 256, 1, SC_MAXLAUNDER_MAX },
	[SC_MAXSWAPPCT] = { "maxswappct", SC_UNIT_PERCENT, 75, 1, 100 },
	[SC_HYSTERESIS] = { "hysteresis", SC_UNIT_PAGES, SC_HYSTERESIS_AUTO, 0, S64_MAX },
	[SC_ACCRATE] = { "accrate", SC_UNIT_BYTES_PER_SEC, 100000, 0, SC_BYTES_MAX },
	[SC_MINBURST] = { "minburst", SC_UNIT_BYTES, 10000000, 0, SC_BYTES_MAX },
	[SC_CURBURST] = { "curburst", SC_UNIT_BYTES, 4000000000LL, 0, SC_BYTES_MAX },
	[SC_MAXBURST] = { "maxburst", SC_UNIT_BYTES, 2000000000LL, 0, SC_BYTES_MAX },
	[SC_WRITE_COUNT] = { "write_count", SC_UNIT_BYTES, 0, 0, SC_BYTES_MAX },
};

/* Booleans also take the y/n spellings that Linux's own bool params print. */
static int parse_bool(const char *text, size_t len, s64 *value)
{
	if (len != 1)
		return -EINVAL;
	switch (text[0]) {
	case '0': case 'n': case 'N':
		*value = 0;
		return 0;
	case '1': case 'y': case 'Y':
		*value = 1;
		return 0;
	}
	return -EINVAL;
}

/*
 * Strict decimal: an optional '-', then digits only.  kstrtoll would do in
 * the kernel, but this runs in user space too and its rules are the
 * contract, so they live here, once.
 */
static int parse_decimal(const char *text, size_t len, s64 *value)
{
	bool negative = false;
	u64 magnitude = 0;
	size_t i = 0;

	if (len && text[0] == '-') {
		negative = true;
		i = 1;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned int digit = (unsigned char)text[i] - '0';

		if (digit > 9)
			return -EINVAL;
		if (magnitude > ((u64)S64_MAX - digit) / 10)
			return -EINVAL;
		magnitude = magnitude * 10 + digit;
	}
	*value = negative ? -(s64)magnitude : (s64)magnitude;
	return 0;
}

/**
 * sc_tunable_parse() - validate a write to a module parameter
 * @id: which tunable
 * @text: what was written, as sysfs or the module loader hands it over:
 *	NUL-terminated, possibly with one trailing newline (echo adds one)
 * @value: where the parsed value goes; left alone on error
 *
 * Pure; may be called from any context.
 *
 * Return: 0, or -EINVAL when @text is not a well-formed value of the
 * tunable's unit or lies outside [min, max].
 */
int sc_tunable_parse(enum sc_tunable id, const char *text, s64 *value)
{
	const struct sc_tunable_info *info;
	size_t len = 0;
	s64 parsed;
	int err;

	if ((unsigned int)id >= SC_NR_TUNABLES || !text)
		return -EINVAL;
	info = &sc_tunables[id];
	while (text[len])
		len++;
	if (len && text[len - 1] == '\n')
		len--;

	if (info->unit == SC_UNIT_BOOL)
		err = parse_bool(text, len, &parsed);
	else
		err = parse_decimal(text, len, &parsed);
	if (err)
		return err;
	if (parsed < info->min || parsed > info->max)
		return -EINVAL;
	*value = parsed;
	return 0;
}

/**
 * sc_hysteresis_default() - the hysteresis the module sets at load
 * @ram_pages: total RAM in pages
 *
 * DragonFly used half the pageout daemon's inactive target, which is about
 * an eighth of free memory.  Linux has no such target, so we take the same
 * proportion of RAM: 1/16 of it, in pages.  Pure.
 *
 * Return: the number of pages to wait for between full scan passes.
 */
s64 sc_hysteresis_default(u64 ram_pages)
{
	return (s64)(ram_pages / 16);
}
