// SPDX-License-Identifier: GPL-2.0
/*
 * Units and escaping.  Sizes are binary (KiB, MiB, GiB: what a disk's
 * partition table and `lsblk` use), rates decimal (MB/s: what iostat and
 * fio print), so each column compares with the tool an administrator
 * already has open beside it.
 */
#include <math.h>
#include <string.h>

#include "ctl.h"

void sc_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB" };
	unsigned int u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", bytes);
	else
		snprintf(buf, len, "%.1f %s", bytes, units[u]);
}

void sc_fmt_rate(char *buf, size_t len, double bytes_per_s)
{
	if (bytes_per_s >= 1e9)
		snprintf(buf, len, "%.1f GB/s", bytes_per_s / 1e9);
	else if (bytes_per_s >= 1e6)
		snprintf(buf, len, "%.1f MB/s", bytes_per_s / 1e6);
	else
		snprintf(buf, len, "%.1f kB/s", bytes_per_s / 1e3);
}

void sc_fmt_duration(char *buf, size_t len, double seconds)
{
	unsigned long long s;

	if (!isfinite(seconds) || seconds < 0 || seconds > 1e12) {
		snprintf(buf, len, "never");
		return;
	}
	s = (unsigned long long)(seconds + 0.5);
	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum %02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh %02llum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%llud %02lluh", s / 86400, s / 3600 % 24);
}

/* RFC 8259: quote, backslash and control characters escaped; the rest as is. */
void sc_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The exposition format's label values: backslash, quote and newline. */
void sc_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

const char *sc_unit_name(enum sc_unit unit)
{
	switch (unit) {
	case SC_UNIT_BOOL:
		return "a boolean (0 or 1, also y/n/Y/N)";
	case SC_UNIT_BYTES:
		return "bytes";
	case SC_UNIT_BYTES_PER_SEC:
		return "bytes per second";
	case SC_UNIT_PAGES:
		return "4 KiB pages";
	case SC_UNIT_PERCENT:
		return "a percentage of the cache device";
	}
	return "?";
}
