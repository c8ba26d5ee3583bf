// SPDX-License-Identifier: GPL-2.0
/*
 * swapcachectl: the commands, their usage and the messages.  A wrong
 * command line prints the usage to stderr and exits 2; a failure says
 * what failed and what to do, and exits 1.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void sc_usage(FILE *f)
{
	fputs("usage: swapcachectl COMMAND [ARGS]\n"
	      "  cache PATH...        opt files and directory trees in (user.swapcache=1)\n"
	      "  nocache PATH...      veto caching of files and trees (trusted.noswapcache=1, root)\n"
	      "  clear PATH...        remove both attributes\n"
	      "  explain PATH...      whether each file would be cached, rule by rule (exit 0: yes)\n"
	      "  status [--json] [NAME...]\n"
	      "                       each target, the write budget, the parameters changed\n"
	      "  stat [-i SECONDS] [-c COUNT] [--json] [NAME...]\n"
	      "                       a line per target and interval: reads/s, hit %, SSD writes\n"
	      "  metrics              the figures in the Prometheus text format\n"
	      "  set KNOB=VALUE...    set module parameters, all checked before any is written\n"
	      "  warm [-n|--dry-run] [--json] PATH...\n"
	      "                       load files and trees into the SSD now, from their extents\n"
	      "  help                 this text\n"
	      "See swapcachectl(8).\n", f);
}

static void vmsg(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "swapcachectl: %s", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void sc_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int sc_bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	sc_usage(stderr);
	return EXIT_USAGE;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "cache", cmd_flags },
	{ "nocache", cmd_flags },
	{ "clear", cmd_flags },
	{ "explain", cmd_explain },
	{ "status", cmd_status },
	{ "stat", cmd_stat },
	{ "metrics", cmd_metrics },
	{ "set", cmd_set },
	{ "warm", cmd_warm },
};

int main(int argc, char **argv)
{
	const char *sysfs = getenv("SWAPCACHECTL_SYSFS");
	size_t i;

	if (sysfs && *sysfs)
		sc_sysfs = sysfs;
	if (argc < 2)
		return sc_bad_usage("no command given");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		if (argc > 2)
			return sc_bad_usage("help takes no arguments");
		sc_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return sc_bad_usage("unknown command '%s'", argv[1]);
}
