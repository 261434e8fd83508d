/* extract.c: every message written as a .eml file, plus manifest.json.
 *
 * The bytes are the ones the core hashed (MS_EV_MESSAGE_DATA), streamed
 * to disk as they arrive, so each file's SHA-256 equals its message
 * event's. Safety: the directory is opened once and every file is made
 * with openat(O_CREAT | O_EXCL | O_NOFOLLOW) under it, then renamed with
 * RENAME_NOREPLACE, so neither a planted symlink nor an existing file is
 * ever written through or replaced. File names come from mailscope's own
 * fields (session, protocol, command, index), never from the traffic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/format.h"
#include "output/sink.h"

#define MAX_OPEN 256 /* messages in transfer at once, across sessions */

typedef struct open_msg {
	uint64_t session; /* 0: slot free */
	int fd;
	bool failed;
	char tmp[64];
} open_msg;

typedef struct extract {
	ms_sink base;
	int dirfd;
	const char *dir;
	uint64_t tmp_seq;
	open_msg open[MAX_OPEN];
	json_object *manifest;
	bool warned;
} extract;

static void warn(extract *x, const char *what, const char *name)
{
	if (x->warned)
		return;
	x->warned = true; /* once: a full disk would repeat forever */
	fprintf(stderr, "mailscope: --extract %s/%s: %s: %s\n", x->dir, name,
	        what, strerror(errno));
}

static open_msg *find_open(extract *x, uint64_t session, bool create)
{
	open_msg *free_slot = NULL;

	for (size_t i = 0; i < MAX_OPEN; i++) {
		if (x->open[i].session == session)
			return &x->open[i];
		if (!x->open[i].session && !free_slot)
			free_slot = &x->open[i];
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->session = session;
	free_slot->failed = false;
	free_slot->fd = -1;
	/* Whatever already has the name (a file, a planted symlink) is
	 * left alone: the next name is tried. */
	for (int try = 0; try < 100 && free_slot->fd < 0; try++) {
		snprintf(free_slot->tmp, sizeof(free_slot->tmp),
		         "tmp-%llu.part", (unsigned long long)++x->tmp_seq);
		free_slot->fd = openat(x->dirfd, free_slot->tmp,
		                       O_WRONLY | O_CREAT | O_EXCL |
		                               O_NOFOLLOW | O_CLOEXEC,
		                       0644);
		if (free_slot->fd < 0 && errno != EEXIST)
			break;
	}
	if (free_slot->fd < 0) {
		warn(x, "cannot create", free_slot->tmp);
		free_slot->failed = true;
	}
	return free_slot;
}

static void write_all(extract *x, open_msg *m, const uint8_t *p, size_t n)
{
	while (!m->failed && n > 0) {
		ssize_t w = write(m->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			warn(x, "write failed", m->tmp);
			m->failed = true;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void lower(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < cap; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32
		                                               : src[i]);
	dst[i] = '\0';
}

/* "s000003-smtp-data-001.eml"; a partial fetch or a message with bytes
 * missing says so in its name. A name already taken gets "-2", "-3"... */
static bool place(extract *x, open_msg *m, const ms_event *ev, char *name,
                  size_t cap)
{
	const ms_ev_message *msg = &ev->u.message;
	char via[16];

	lower(via, sizeof(via), msg->via ? msg->via : "msg");
	for (unsigned try = 1; try < 1000; try++) {
		char suffix[16] = "";
		if (try > 1)
			snprintf(suffix, sizeof(suffix), "-%u", try);
		snprintf(name, cap, "s%06llu-%s-%s-%03u%s%s%s.eml",
		         (unsigned long long)ev->session,
		         ms_proto_name(ev->proto), via, msg->index,
		         msg->partial ? "-partial" : "",
		         msg->complete ? "" : "-incomplete", suffix);
		if (renameat2(x->dirfd, m->tmp, x->dirfd, name,
		              RENAME_NOREPLACE) == 0)
			return true;
		if (errno != EEXIST)
			break;
	}
	warn(x, "cannot name", name);
	unlinkat(x->dirfd, m->tmp, 0);
	return false;
}

static void add_to_manifest(extract *x, const ms_event *ev, const char *name)
{
	const ms_ev_message *m = &ev->u.message;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(name));
	json_object_object_add(o, "sha256", json_object_new_string(m->sha256));
	json_object_object_add(o, "size", json_object_new_uint64(m->size));
	json_object_object_add(o, "session",
	                       json_object_new_uint64(ev->session));
	json_object_object_add(
	        o, "proto", json_object_new_string(ms_proto_name(ev->proto)));
	json_object_object_add(o, "community_id",
	                       json_object_new_string(ev->community_id));
	json_object_object_add(o, "via", json_object_new_string(m->via));
	json_object_object_add(o, "index", json_object_new_uint64(m->index));
	json_object_object_add(o, "complete",
	                       json_object_new_boolean(m->complete));
	if (m->partial)
		json_object_object_add(o, "partial",
		                       json_object_new_boolean(true));
	json_object_array_add(x->manifest, o);
}

static void finish_message(extract *x, const ms_event *ev)
{
	open_msg *m = find_open(x, ev->session, true);
	char name[128];

	if (!m)
		return;
	if (m->fd >= 0 && close(m->fd) != 0 && !m->failed) {
		warn(x, "write failed", m->tmp);
		m->failed = true;
	}
	if (!m->failed && place(x, m, ev, name, sizeof(name)))
		add_to_manifest(x, ev, name);
	else if (m->fd >= 0)
		unlinkat(x->dirfd, m->tmp, 0);
	m->session = 0;
}

static void extract_event(ms_sink *s, const ms_event *ev)
{
	extract *x = (extract *)s;
	open_msg *m;

	switch (ev->type) {
	case MS_EV_MESSAGE_DATA:
		m = find_open(x, ev->session, true);
		if (m)
			write_all(x, m, ev->u.data.p, ev->u.data.n);
		else if (!x->warned) {
			x->warned = true;
			fprintf(stderr,
			        "mailscope: --extract: more than %d messages "
			        "in transfer at once; some are not written\n",
			        MAX_OPEN);
		}
		break;
	case MS_EV_MESSAGE:
		finish_message(x, ev);
		break;
	default:
		break;
	}
}

static void extract_stats(ms_sink *s, const ms_run_stats *st)
{
	(void)s;
	(void)st;
}

static void extract_flush(ms_sink *s)
{
	(void)s;
}

static int write_manifest(extract *x)
{
	const char *text = json_object_to_json_string_ext(
	        x->manifest,
	        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char name[32] = "manifest.json";
	int fd = -1;

	for (unsigned try = 2; try < 1000 && fd < 0; try++) {
		fd = openat(x->dirfd, name,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                    O_CLOEXEC,
		            0644);
		if (fd < 0 && errno != EEXIST)
			break;
		if (fd < 0)
			snprintf(name, sizeof(name), "manifest-%u.json", try);
	}
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1) {
		warn(x, "cannot write", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

static int extract_close(ms_sink *s)
{
	extract *x = (extract *)s;
	int rc;

	for (size_t i = 0; i < MAX_OPEN; i++)
		if (x->open[i].session && x->open[i].fd >= 0) {
			close(x->open[i].fd);
			unlinkat(x->dirfd, x->open[i].tmp, 0);
		}
	rc = write_manifest(x);
	json_object_put(x->manifest);
	close(x->dirfd);
	free(x);
	return rc;
}

static const ms_sink_ops extract_ops = {
        .event = extract_event,
        .stats = extract_stats,
        .flush = extract_flush,
        .close = extract_close,
};

ms_sink *ms_extract_sink_new(const char *dir, const ms_sink_options *opt,
                             char *err, size_t errlen)
{
	extract *x;
	int fd;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x || !(x->manifest = json_object_new_array())) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		free(x);
		return NULL;
	}
	x->base.ops = &extract_ops;
	x->base.out = NULL;
	x->base.opt = *opt;
	x->dirfd = fd;
	x->dir = dir;
	return &x->base;
}
