/* extract.c: every message written as a .eml file, its decoded MIME parts
 * in a folder beside it, and manifest.json listing them all.
 *
 * The message bytes are the ones the core hashed (MS_EV_MESSAGE_DATA) and
 * the parts' bytes those the core's MIME decoder produced (MS_EV_PART),
 * streamed to disk as they arrive, so every file's SHA-256 equals the one
 * its event reports. Safety: the directory is opened once and every file
 * is made with openat(O_CREAT | O_EXCL | O_NOFOLLOW) under it, then
 * renamed with RENAME_NOREPLACE, so neither a planted symlink nor an
 * existing file is ever written through or replaced. Message file names
 * come from mailscope's own fields; part names come from the traffic and
 * are made safe (safe_name) before use.
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

#include "dissectors/mime.h"
#include "output/format.h"
#include "output/sink.h"

#define MAX_OPEN       256 /* messages in transfer at once */
#define MAX_PART_FILES 256 /* parts written per message */
#define NAME_MAX_BYTES 100 /* of a part's file name */

/* A decoded part, written under a temporary name until its message ends
 * and its folder is made. */
typedef struct part_file {
	char tmp[32];
	uint32_t index;
} part_file;

typedef struct open_msg {
	uint64_t session; /* 0: slot free */
	int fd, part_fd;
	bool failed;
	char tmp[32];
	part_file parts[MAX_PART_FILES];
	size_t nparts;
} open_msg;

typedef struct extract {
	ms_sink base;
	int dirfd;
	const char *dir;
	uint64_t tmp_seq;
	open_msg *open; /* MAX_OPEN */
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

/* A file that must not exist yet: never written through a symlink,
 * never replacing what is there. */
static int open_excl(const extract *x, const char *name)
{
	return openat(x->dirfd, name,
	              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	              0644);
}

/* A new file under a fresh temporary name. Whatever already has a name
 * (a file, a planted symlink) is left alone and the next one tried. */
static int create_tmp(extract *x, char *name, size_t cap)
{
	int fd = -1;

	for (int try = 0; try < 100 && fd < 0; try++) {
		snprintf(name, cap, "tmp-%llu.part",
		         (unsigned long long)++x->tmp_seq);
		fd = open_excl(x, name);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		warn(x, "cannot create", name);
	return fd;
}

static open_msg *find_open(extract *x, uint64_t session, bool create)
{
	open_msg *slot = NULL;

	for (size_t i = 0; i < MAX_OPEN; i++) {
		if (x->open[i].session == session)
			return &x->open[i];
		if (!x->open[i].session && !slot)
			slot = &x->open[i];
	}
	if (!create || !slot)
		return NULL;
	slot->session = session;
	slot->nparts = 0;
	slot->part_fd = -1;
	slot->fd = create_tmp(x, slot->tmp, sizeof(slot->tmp));
	slot->failed = slot->fd < 0;
	return slot;
}

static bool write_all(extract *x, int fd, const char *name, const uint8_t *p,
                      size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			warn(x, "write failed", name);
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* ---- names ---------------------------------------------------------- */

static const char *ext_of(const ms_mime_part *p)
{
	static const struct {
		const char *type, *ext;
	} known[] = {{"text/plain", "txt"},
	             {"text/html", "html"},
	             {"message/rfc822", "eml"},
	             {"application/pdf", "pdf"}};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].type) == p->content_type.len &&
		    memcmp(known[i].type, p->content_type.p,
		           p->content_type.len) == 0)
			return known[i].ext;
	return "bin";
}

/* A file name from the traffic, made safe to create: path separators,
 * control bytes (NUL included) and DEL become '_'; leading dots and
 * spaces go (no hidden files, no "." or ".."); at most NAME_MAX_BYTES
 * bytes, cut at a UTF-8 character boundary. An empty result means the
 * caller names the part itself. */
static void safe_name(ms_str in, char out[NAME_MAX_BYTES + 1])
{
	size_t o = 0, limit = NAME_MAX_BYTES;

	for (size_t i = 0; i < in.len && o < limit; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (o == 0 && (c == '.' || c == ' '))
			continue;
		out[o++] = c < 0x20 || c == 0x7f || c == '/' || c == '\\'
		                   ? '_'
		                   : (char)c;
	}
	if (o == limit) /* do not end inside a UTF-8 sequence */
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
	if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;
	out[o] = '\0';
}

/* Renames from into dir/name, or a "-2", "-3"... variant of it before
 * its extension when the name is taken. */
static bool place_as(extract *x, int todir, const char *from, char *name,
                     size_t cap)
{
	char base[NAME_MAX_BYTES + 1], ext[NAME_MAX_BYTES + 1] = "";
	char *dot;

	snprintf(base, sizeof(base), "%s", name);
	dot = strrchr(base, '.');
	if (dot && dot != base) {
		snprintf(ext, sizeof(ext), "%s", dot);
		*dot = '\0';
	}
	for (unsigned try = 1; try < 1000; try++) {
		if (try > 1)
			snprintf(name, cap, "%s-%u%s", base, try, ext);
		if (renameat2(x->dirfd, from, todir, name, RENAME_NOREPLACE) ==
		    0)
			return true;
		if (errno != EEXIST)
			break;
	}
	warn(x, "cannot name", name);
	unlinkat(x->dirfd, from, 0);
	return false;
}

/* ---- the manifest --------------------------------------------------- */

static json_object *manifest_entry(const char *file, const char *sha256,
                                   uint64_t size, const ms_event *ev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "sha256", json_object_new_string(sha256));
	json_object_object_add(o, "size", json_object_new_uint64(size));
	json_object_object_add(o, "session",
	                       json_object_new_uint64(ev->session));
	json_object_object_add(
	        o, "proto", json_object_new_string(ms_proto_name(ev->proto)));
	json_object_object_add(o, "community_id",
	                       json_object_new_string(ev->community_id));
	json_object_object_add(o, "message",
	                       json_object_new_uint64(ev->u.message.index));
	return o;
}

static void add_message_entry(extract *x, const ms_event *ev, const char *name)
{
	const ms_ev_message *m = &ev->u.message;
	json_object *o = manifest_entry(name, m->sha256, m->size, ev);

	json_object_object_add(o, "via", json_object_new_string(m->via));
	json_object_object_add(o, "complete",
	                       json_object_new_boolean(m->complete));
	if (m->partial)
		json_object_object_add(o, "partial",
		                       json_object_new_boolean(true));
	json_object_array_add(x->manifest, o);
}

static void add_part_entry(extract *x, const ms_event *ev, const char *name,
                           const ms_mime_part *p)
{
	json_object *o = manifest_entry(name, p->sha256, p->size, ev);

	json_object_object_add(o, "part", json_object_new_uint64(p->index));
	json_object_object_add(
	        o, "content_type",
	        json_object_new_string_len(p->content_type.p,
	                                   (int)p->content_type.len));
	json_object_object_add(o, "complete",
	                       json_object_new_boolean(p->complete));
	json_object_array_add(x->manifest, o);
}

/* ---- messages and parts --------------------------------------------- */

static const ms_mime_part *part_of(const ms_ev_message *m, uint32_t index)
{
	for (size_t i = 0; i < m->part_count; i++)
		if (m->parts[i].index == index)
			return &m->parts[i];
	return NULL;
}

/* The parts into "NAME.parts/" beside NAME.eml. */
static void place_parts(extract *x, open_msg *om, const ms_event *ev,
                        const char *eml)
{
	char dir[160], name[NAME_MAX_BYTES + 16];
	int dfd;

	snprintf(dir, sizeof(dir), "%.*s.parts", (int)(strlen(eml) - 4), eml);
	if (mkdirat(x->dirfd, dir, 0755) != 0 ||
	    (dfd = openat(x->dirfd, dir,
	                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	            0) {
		warn(x, "cannot make", dir);
		for (size_t i = 0; i < om->nparts; i++)
			unlinkat(x->dirfd, om->parts[i].tmp, 0);
		return;
	}
	for (size_t i = 0; i < om->nparts; i++) {
		const ms_mime_part *p =
		        part_of(&ev->u.message, om->parts[i].index);
		char file[sizeof(dir) + sizeof(name) + 1];

		if (!p) {
			unlinkat(x->dirfd, om->parts[i].tmp, 0);
			continue;
		}
		safe_name(p->filename, name);
		if (!*name)
			snprintf(name, sizeof(name), "part-%u.%s", p->index,
			         ext_of(p));
		if (!place_as(x, dfd, om->parts[i].tmp, name, sizeof(name)))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, name);
		add_part_entry(x, ev, file, p);
	}
	close(dfd);
}

/* "s000003-smtp-data-001.eml"; a partial fetch or a message with bytes
 * missing says so in its name. */
static void finish_message(extract *x, const ms_event *ev)
{
	const ms_ev_message *m = &ev->u.message;
	open_msg *om = find_open(x, ev->session, true);
	char via[16], name[128];
	size_t i = 0;

	if (!om)
		return;
	for (; m->via && m->via[i] && i + 1 < sizeof(via); i++)
		via[i] = (char)(m->via[i] >= 'A' && m->via[i] <= 'Z'
		                        ? m->via[i] + 32
		                        : m->via[i]);
	via[i] = '\0';
	snprintf(name, sizeof(name), "s%06llu-%s-%s-%03u%s%s.eml",
	         (unsigned long long)ev->session, ms_proto_name(ev->proto), via,
	         m->index, m->partial ? "-partial" : "",
	         m->complete ? "" : "-incomplete");
	if (om->fd >= 0 && close(om->fd) != 0 && !om->failed) {
		warn(x, "write failed", om->tmp);
		om->failed = true;
	}
	if (om->failed)
		unlinkat(x->dirfd, om->tmp, 0);
	if (!om->failed && place_as(x, x->dirfd, om->tmp, name, sizeof(name))) {
		add_message_entry(x, ev, name);
		place_parts(x, om, ev, name);
	} else {
		for (size_t k = 0; k < om->nparts; k++)
			unlinkat(x->dirfd, om->parts[k].tmp, 0);
	}
	om->session = 0;
}

static void on_part(extract *x, const ms_event *ev)
{
	const ms_ev_part *pe = &ev->u.part;
	open_msg *om = find_open(x, ev->session, true);
	part_file *pf;

	if (!om || om->failed)
		return;
	pf = om->nparts ? &om->parts[om->nparts - 1] : NULL;
	switch (pe->phase) {
	case MS_PART_BEGIN:
		if (om->nparts == MAX_PART_FILES)
			return;
		pf = &om->parts[om->nparts];
		om->part_fd = create_tmp(x, pf->tmp, sizeof(pf->tmp));
		if (om->part_fd >= 0) {
			pf->index = pe->part->index;
			om->nparts++;
		}
		break;
	case MS_PART_DATA:
		if (om->part_fd >= 0 && pf &&
		    !write_all(x, om->part_fd, pf->tmp, pe->p, pe->n)) {
			close(om->part_fd);
			om->part_fd = -1;
		}
		break;
	case MS_PART_END:
		if (om->part_fd >= 0)
			close(om->part_fd);
		om->part_fd = -1;
		break;
	}
}

static void extract_event(ms_sink *s, const ms_event *ev)
{
	extract *x = (extract *)s;
	open_msg *om;

	switch (ev->type) {
	case MS_EV_MESSAGE_DATA:
		om = find_open(x, ev->session, true);
		if (om && !om->failed &&
		    !write_all(x, om->fd, om->tmp, ev->u.data.p, ev->u.data.n))
			om->failed = true;
		else if (!om && !x->warned) {
			x->warned = true;
			fprintf(stderr,
			        "mailscope: --extract: more than %d messages "
			        "in transfer at once; some are not written\n",
			        MAX_OPEN);
		}
		break;
	case MS_EV_PART:
		on_part(x, ev);
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
		fd = open_excl(x, name);
		if (fd < 0 && errno != EEXIST)
			break;
		if (fd < 0)
			snprintf(name, sizeof(name), "manifest-%u.json", try);
	}
	if (fd < 0 ||
	    !write_all(x, fd, name, (const uint8_t *)text, strlen(text)) ||
	    !write_all(x, fd, name, (const uint8_t *)"\n", 1)) {
		if (fd >= 0)
			close(fd);
		else
			warn(x, "cannot write", name);
		return -1;
	}
	return close(fd);
}

static int extract_close(ms_sink *s)
{
	extract *x = (extract *)s;
	int rc;

	for (size_t i = 0; i < MAX_OPEN; i++) {
		open_msg *om = &x->open[i];
		if (!om->session)
			continue;
		if (om->fd >= 0)
			close(om->fd);
		if (om->part_fd >= 0)
			close(om->part_fd);
		unlinkat(x->dirfd, om->tmp, 0);
		for (size_t k = 0; k < om->nparts; k++)
			unlinkat(x->dirfd, om->parts[k].tmp, 0);
	}
	rc = write_manifest(x);
	json_object_put(x->manifest);
	close(x->dirfd);
	free(x->open);
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
	if (!x || !(x->open = calloc(MAX_OPEN, sizeof(*x->open))) ||
	    !(x->manifest = json_object_new_array())) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		if (x)
			free(x->open);
		free(x);
		return NULL;
	}
	x->base.ops = &extract_ops;
	x->base.opt = *opt;
	x->dirfd = fd;
	x->dir = dir;
	return &x->base;
}
