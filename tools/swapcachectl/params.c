// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters, read and written in sysfs.  Values are checked
 * with the module's own rules (tunables.c, built into this tool) before
 * anything is written, so that a refusal can name the range and unit
 * where the kernel would only say EINVAL, and so that `set` with one bad
 * value of several writes none of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "ctl.h"

const char *sc_sysfs = "/sys";

static void param_path(char *buf, size_t len, enum sc_tunable id)
{
	snprintf(buf, len, "%s/module/swapcache/parameters/%s", sc_sysfs,
		 sc_tunables[id].name);
}

bool sc_module_loaded(void)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/module/swapcache/parameters",
		 sc_sysfs);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The commands that need the module say so the same way. */
int sc_need_module(void)
{
	if (sc_module_loaded())
		return 0;
	sc_err("the swapcache module is not loaded: load it with `modprobe swapcache` (or insmod swapcache.ko)");
	return -ENOENT;
}

int sc_param_read(enum sc_tunable id, int64_t *value)
{
	char path[4096], buf[64], *end;
	ssize_t n;
	int fd;

	param_path(path, sizeof(path), id);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n ? -errno : -EIO;
	buf[n] = '\0';
	errno = 0;
	*value = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && strcmp(end, "\n")))
		return -EIO;
	return 0;
}

int sc_params_read(int64_t values[SC_NR_TUNABLES])
{
	int id, r;

	for (id = 0; id < SC_NR_TUNABLES; id++) {
		r = sc_param_read(id, &values[id]);
		if (r) {
			sc_err("cannot read %s/module/swapcache/parameters/%s: %s",
			       sc_sysfs, sc_tunables[id].name, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* hysteresis's default is computed by the module at load, from RAM. */
int64_t sc_param_default(enum sc_tunable id)
{
	struct sysinfo si;

	if (sc_tunables[id].def != SC_HYSTERESIS_AUTO)
		return sc_tunables[id].def;
	if (sysinfo(&si))
		return -1;
	return sc_hysteresis_default((uint64_t)si.totalram * si.mem_unit /
				     SC_PAGE);
}

void sc_explain_refusal(FILE *f, enum sc_tunable id, const char *value)
{
	const struct sc_tunable_info *t = &sc_tunables[id];

	if (t->unit == SC_UNIT_BOOL)
		fprintf(f, "%s=%s refused: %s takes %s\n", t->name, value,
			t->name, sc_unit_name(t->unit));
	else
		fprintf(f, "%s=%s refused: %s takes %s, a decimal integer from %" PRId64 " to %" PRId64 "\n",
			t->name, value, t->name, sc_unit_name(t->unit),
			(int64_t)t->min, (int64_t)t->max);
}

/**
 * sc_param_write() - set one module parameter
 * Return: 0, -EINVAL (refused by the rules or the kernel: explained on
 * stderr), or another -errno, explained on stderr.
 */
int sc_param_write(enum sc_tunable id, const char *value)
{
	char path[4096];
	size_t len = strlen(value);
	s64 parsed;
	int fd, r = 0;

	if (sc_tunable_parse(id, value, &parsed)) {
		fputs("swapcachectl: ", stderr);
		sc_explain_refusal(stderr, id, value);
		return -EINVAL;
	}
	param_path(path, sizeof(path), id);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		r = -errno;
	} else {
		errno = 0;
		if (write(fd, value, len) != (ssize_t)len)
			r = errno ? -errno : -EIO;
		if (close(fd) && !r)
			r = -errno;
	}
	if (r == -EACCES || r == -EPERM)
		sc_err("cannot write %s: %s; the parameters are root's: run as root",
		       path, strerror(-r));
	else if (r == -EINVAL) {
		fputs("swapcachectl: the kernel refused ", stderr);
		sc_explain_refusal(stderr, id, value);
	} else if (r)
		sc_err("cannot write %s: %s", path, strerror(-r));
	return r;
}
