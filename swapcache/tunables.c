// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters' rules.  Names, units and defaults are those of
 * DragonFly's vm.swapcache.* sysctls; the ranges are ours, because a sysctl
 * took any integer and a Linux administrator expects EINVAL for nonsense.
 */
#include <linux/kstrtox.h>
#include <linux/string.h>

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

/*
 * A boolean is one of the admin guide's six spellings, then at most a
 * newline.  kstrtobool() alone would do too much: it reads only the first
 * character or two, so "yes", "1 " and "1\n\n" would pass, and it takes
 * spellings the guide does not offer ("t", "on").
 */
static int sc_parse_bool(const char *text, s64 *value)
{
	bool b;

	if (!text[0] || (text[1] && strcmp(&text[1], "\n")) ||
	    !strchr("01nNyY", text[0]) || kstrtobool(text, &b))
		return -EINVAL;
	*value = b;
	return 0;
}

/*
 * A number is decimal: kstrtos64() refuses spaces, a second newline, hex
 * and trailing junk, but takes a leading '+', which the guide does not.
 * Its -ERANGE (too many digits) is, to the administrator, one more
 * malformed value.
 */
static int sc_parse_decimal(const char *text, s64 *value)
{
	if (text[0] == '+' || kstrtos64(text, 10, value))
		return -EINVAL;
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
	s64 parsed;
	int err;

	if ((unsigned int)id >= SC_NR_TUNABLES || !text)
		return -EINVAL;
	info = &sc_tunables[id];
	if (info->unit == SC_UNIT_BOOL)
		err = sc_parse_bool(text, &parsed);
	else
		err = sc_parse_decimal(text, &parsed);
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
