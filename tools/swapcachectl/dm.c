// SPDX-License-Identifier: GPL-2.0
/*
 * The swapcache targets, found with the device-mapper ioctls that dmsetup
 * uses (DM_LIST_DEVICES, DM_TABLE_STATUS), so that the tool needs no
 * libdevmapper.  Each swapcache target of each table is one entry: a
 * table may hold several.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/dm-ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl.h"

#define DM_CONTROL "/dev/mapper/control"

/* A zeroed request of @size bytes for the device @name (or none). */
static struct dm_ioctl *dm_request(size_t size, const char *name,
				   uint32_t flags)
{
	struct dm_ioctl *io = calloc(1, size);

	if (!io)
		return NULL;
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = size;
	io->data_start = sizeof(*io);
	io->flags = flags;
	if (name)
		snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

/*
 * One ioctl into a buffer that grows until the answer fits.  Returns the
 * buffer (free() it) or NULL with errno set.
 */
static struct dm_ioctl *dm_call(int fd, unsigned long cmd, const char *name,
				uint32_t flags)
{
	size_t size = 16384;

	for (;;) {
		struct dm_ioctl *io = dm_request(size, name, flags);

		if (!io)
			return NULL;
		if (ioctl(fd, cmd, io)) {
			int e = errno;

			free(io);
			errno = e;
			return NULL;
		}
		if (!(io->flags & DM_BUFFER_FULL_FLAG))
			return io;
		free(io);
		if (size >= 64 << 20) {
			errno = E2BIG;
			return NULL;
		}
		size *= 4;
	}
}

static int add_targets(int fd, const char *name, dev_t dev,
		       struct sc_target **out, size_t *n)
{
	struct dm_ioctl *status, *table;
	char why[160];
	unsigned int i, segments = 0, segment = 0;
	size_t off_s, off_t;
	int r = 0;

	status = dm_call(fd, DM_TABLE_STATUS, name, DM_NOFLUSH_FLAG);
	if (!status)
		return errno == ENXIO ? 0 : -errno;	/* removed meanwhile */
	table = dm_call(fd, DM_TABLE_STATUS, name, DM_STATUS_TABLE_FLAG);
	if (!table) {
		r = errno == ENXIO ? 0 : -errno;
		free(status);
		return r;
	}
	for (i = 0, off_s = 0; i < status->target_count; i++) {
		struct dm_target_spec *s = (void *)((char *)status +
						    status->data_start + off_s);

		segments += !strcmp(s->target_type, "swapcache");
		off_s = s->next;
	}
	for (i = 0, off_s = 0, off_t = 0;
	     i < status->target_count && i < table->target_count; i++) {
		struct dm_target_spec *s = (void *)((char *)status +
						    status->data_start + off_s);
		struct dm_target_spec *t = (void *)((char *)table +
						    table->data_start + off_t);
		struct sc_target *tg, *grown;

		off_s = s->next;
		off_t = t->next;
		if (strcmp(s->target_type, "swapcache"))
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		*out = grown;
		tg = &grown[*n];
		memset(tg, 0, sizeof(*tg));
		snprintf(tg->name, sizeof(tg->name), "%s", name);
		tg->dev = dev;
		tg->segment = segment++;
		tg->segments = segments;
		tg->start = s->sector_start;
		tg->length = s->length;
		snprintf(tg->line, sizeof(tg->line), "%s", (char *)(s + 1));
		snprintf(tg->table, sizeof(tg->table), "%s", (char *)(t + 1));
		/* One target this tool cannot read must not hide the others. */
		if (sc_status_parse(tg->line, &tg->st, why, sizeof(why))) {
			sc_warn("%s: left out: cannot read its status line '%s': %s (is swapcachectl older than the module?)",
				name, tg->line, why);
			continue;
		}
		(*n)++;
	}
	free(status);
	free(table);
	return r;
}

/**
 * sc_targets() - every swapcache target, in the kernel's order of devices
 * @targets: an array to free(), or NULL when there is none
 * @n: its length
 * @err, @errlen: what failed, with what to do
 *
 * Return: 0 or -errno.
 */
int sc_targets(struct sc_target **targets, size_t *n, char *err, size_t errlen)
{
	struct dm_ioctl *list;
	size_t off = 0;
	int fd, r = 0;

	*targets = NULL;
	*n = 0;
	fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -EACCES || r == -EPERM)
			snprintf(err, errlen, "cannot open %s: %s; reading the targets' status needs root: run as root",
				 DM_CONTROL, strerror(-r));
		else
			snprintf(err, errlen, "cannot open %s: %s; is device-mapper available (modprobe dm-mod)?",
				 DM_CONTROL, strerror(-r));
		return r;
	}
	list = dm_call(fd, DM_LIST_DEVICES, NULL, 0);
	if (!list) {
		r = -errno;
		snprintf(err, errlen, "cannot list the device-mapper devices: %s%s",
			 strerror(-r), r == -EPERM || r == -EACCES ?
			 "; run as root" : "");
		close(fd);
		return r;
	}
	if (list->data_size > list->data_start) {
		for (;;) {
			struct dm_name_list *nl = (void *)((char *)list +
							   list->data_start + off);

			if (!nl->dev && !nl->next && !nl->name[0])
				break;		/* no devices at all */
			r = add_targets(fd, nl->name, (dev_t)nl->dev, targets, n);
			if (r) {
				snprintf(err, errlen, "cannot read the table of %s: %s",
					 nl->name, strerror(-r));
				break;
			}
			if (!nl->next)
				break;
			off += nl->next;
		}
	}
	free(list);
	close(fd);
	if (r) {
		free(*targets);
		*targets = NULL;
		*n = 0;
	}
	return r;
}

/*
 * Keep the targets of the mapped devices named; a name that matches none
 * is an error that names it.
 */
int sc_targets_select(struct sc_target **targets, size_t *n, char **names,
		      int nnames)
{
	struct sc_target *all = *targets, *kept;
	size_t i, k = 0;
	int j, r = 0;

	if (!nnames)
		return 0;
	kept = calloc(*n ? *n : 1, sizeof(*kept));
	if (!kept)
		return -ENOMEM;
	for (j = 0; j < nnames; j++) {
		bool found = false;

		for (i = 0; i < *n; i++)
			if (!strcmp(all[i].name, names[j])) {
				kept[k++] = all[i];
				found = true;
			}
		if (!found) {
			sc_err("no swapcache target named '%s'%s", names[j],
			       *n ? ": see `swapcachectl status` for the targets there are" :
			       ": there is none; create one with dmsetup create (see swapcachectl(8))");
			r = -ENOENT;
		}
	}
	free(all);
	*targets = kept;
	*n = k;
	return r;
}

/* The first target of @dev, the mapped device a filesystem is on. */
const struct sc_target *sc_target_of(const struct sc_target *targets,
				     size_t n, dev_t dev)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (targets[i].dev == dev)
			return &targets[i];
	return NULL;
}

/* A device's major:minor, from a sysfs "dev" file; 0 if unreadable. */
static dev_t sysfs_dev(const char *path)
{
	unsigned int major, minor;
	char devno[32];
	FILE *f = fopen(path, "re");
	dev_t dev = 0;

	if (!f)
		return 0;
	if (fgets(devno, sizeof(devno), f) &&
	    sscanf(devno, "%u:%u", &major, &minor) == 2)
		dev = makedev(major, minor);
	fclose(f);
	return dev;
}

static const struct sc_target *below(const struct sc_target *targets,
				     size_t n, const char *sysdir, int depth)
{
	char path[PATH_MAX + 32];
	const struct sc_target *t = NULL;
	struct dirent *d;
	DIR *dir;

	if (depth > 8)
		return NULL;
	snprintf(path, sizeof(path), "%s/partition", sysdir);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/../dev", sysdir);
		t = sc_target_of(targets, n, sysfs_dev(path));
		if (t)
			return t;
	}
	snprintf(path, sizeof(path), "%s/slaves", sysdir);
	dir = opendir(path);
	if (!dir)
		return NULL;
	while (!t && (d = readdir(dir))) {
		char sub[PATH_MAX];

		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/slaves/%s", sysdir, d->d_name);
		snprintf(path, sizeof(path), "%s/dev", sub);
		t = sc_target_of(targets, n, sysfs_dev(path));
		if (!t)
			t = below(targets, n, sub, depth + 1);
	}
	closedir(dir);
	return t;
}

/*
 * sc_target_below() - a target somewhere below @dev (a partition, LVM or
 * dm-crypt over it): sysfs's slaves/ links, followed down, and a
 * partition's disk.  Return: the target, or NULL.
 */
const struct sc_target *sc_target_below(const struct sc_target *targets,
					size_t n, dev_t dev)
{
	char sys[64];

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	return below(targets, n, sys, 0);
}

/**
 * sc_target_message() - send a message to one target, as `dmsetup message`
 * @t: the target; the message goes to the one holding its first sector
 * @text: the message
 *
 * Return: 0, or -errno: the target's answer (EINVAL, EIO, EBUSY, EINTR
 * for warm), ENXIO when the device is gone, EPERM without CAP_SYS_ADMIN.
 */
int sc_target_message(const struct sc_target *t, const char *text)
{
	size_t size = sizeof(struct dm_ioctl) + sizeof(struct dm_target_msg) +
		      strlen(text) + 1;
	struct dm_target_msg *msg;
	struct dm_ioctl *io;
	int fd, r = 0;

	fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	io = dm_request(size, t->name, 0);
	if (!io) {
		close(fd);
		return -ENOMEM;
	}
	msg = (void *)((char *)io + io->data_start);
	msg->sector = t->start;
	memcpy(msg->message, text, strlen(text) + 1);
	if (ioctl(fd, DM_TARGET_MSG, io))
		r = -errno;
	free(io);
	close(fd);
	return r;
}

/* A target as the tool names it: NAME, or NAME:N in a table of several. */
void sc_target_label(char *buf, size_t len, const struct sc_target *t)
{
	if (t->segments > 1)
		snprintf(buf, len, "%s:%u", t->name, t->segment);
	else
		snprintf(buf, len, "%s", t->name);
}
