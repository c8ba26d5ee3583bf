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

/*
 * The length of the valid UTF-8 sequence at @s (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), 0 when there is none.  A
 * sequence cut short by the string's end is invalid: its NUL is no
 * continuation byte.
 */
static size_t utf8_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A quoted string for JSON (RFC 8259) or a Prometheus label value: quote,
 * backslash and newline escaped, and for JSON the other control characters
 * too.  Both formats are UTF-8, and names from the kernel (a mapped
 * device's) are bytes: each byte that is not part of a valid sequence is
 * written as U+FFFD, never passed on to break the reader's parser.
 */
static void put_quoted(FILE *f, const char *str, bool json)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_seq(s);

		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (json && *s == '\t')
			fputs("\\t", f);
		else if (json && *s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else if (!n)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
	fputc('"', f);
}

void sc_json_string(FILE *f, const char *s)
{
	put_quoted(f, s, true);
}

void sc_prom_label(FILE *f, const char *s)
{
	put_quoted(f, s, false);
}

/*
 * @s as one word for a POSIX shell: as it is when it holds only characters
 * no shell treats specially, else in single quotes (a quote inside as '\'').
 */
void sc_shell_word(FILE *f, const char *s)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz"
				    "0123456789._+:,@%/=-";
	const char *c;

	if (*s && !s[strspn(s, plain)]) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (c = s; *c; c++) {
		if (*c == '\'')
			fputs("'\\''", f);
		else
			fputc(*c, f);
	}
	fputc('\'', f);
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
