/* libpcap's headers use u_int and u_char, which glibc hides under the
 * strict _POSIX_C_SOURCE the build sets. */
#define _DEFAULT_SOURCE

#include "capture/source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/pcapng.h"

#define DEFAULT_SNAPLEN    262144
#define DEFAULT_TIMEOUT_MS 200

/* A BPF program compiled for one link type, for the own pcapng reader
 * whose interfaces may each have another. */
typedef struct link_filter {
	int linktype;
	struct bpf_program prog;
} link_filter;

struct ms_source {
	pcap_t *pcap;  /* NULL once the own pcapng reader took over */
	ms_pcapng *ng; /* the own reader, or NULL */
	FILE *fp;      /* offline input; stdin for "-" */
	char *path;    /* for messages and for re-opening */
	char *filter;  /* NULL when none */
	int live, failed;
	int fd;             /* live: to wait on; -1 when libpcap gives none */
	int timeout_ms;     /* live */
	uint64_t total;     /* file size, 0 when unknown */
	uint64_t delivered; /* frames libpcap handed out */
	uint64_t skip;      /* of those, still to skip in the own reader */
	link_filter *lf;
	size_t nlf;
	volatile sig_atomic_t stop;
	char err[PCAP_ERRBUF_SIZE + 512];
};

/* Messages end up on one terminal line or in one JSON string. */
static void vformat_line(char *buf, size_t len, const char *fmt, va_list ap)
{
	char *p;

	if (buf == NULL || len == 0)
		return;
	vsnprintf(buf, len, fmt, ap);
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	while (p > buf && p[-1] == ' ')
		*--p = '\0';
}

static void format_line(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat_line(buf, len, fmt, ap);
	va_end(ap);
}

static ms_source_status set_error(ms_source *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat_line(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->failed = 1;
	return MS_SOURCE_ERROR;
}

static const char *display_name(const ms_source *s)
{
	return s->live || strcmp(s->path, "-") != 0 ? s->path : "stdin";
}

static void free_filters(ms_source *s)
{
	size_t i;

	for (i = 0; i < s->nlf; i++)
		pcap_freecode(&s->lf[i].prog);
	free(s->lf);
	s->lf = NULL;
	s->nlf = 0;
}

void ms_source_close(ms_source *s)
{
	if (s == NULL)
		return;
	if (s->pcap != NULL)
		pcap_close(s->pcap); /* closes fp too, unless it is stdin */
	else if (s->fp != NULL && s->fp != stdin)
		fclose(s->fp);
	ms_pcapng_free(s->ng);
	free_filters(s);
	free(s->path);
	free(s->filter);
	free(s);
}

static ms_source *source_new(const ms_source_options *opt)
{
	ms_source *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->live = opt->file == NULL;
	s->fd = -1;
	s->path = strdup(s->live ? opt->iface : opt->file);
	s->filter = opt->filter != NULL ? strdup(opt->filter) : NULL;
	if (s->path == NULL || (opt->filter != NULL && s->filter == NULL)) {
		ms_source_close(s);
		return NULL;
	}
	return s;
}

static int apply_filter(ms_source *s, bpf_u_int32 netmask)
{
	struct bpf_program prog;
	int rc;

	if (s->filter == NULL)
		return 0;
	if (pcap_compile(s->pcap, &prog, s->filter, 1, netmask) < 0) {
		set_error(s, "%s: filter \"%s\": %s", display_name(s),
		          s->filter, pcap_geterr(s->pcap));
		return -1;
	}
	rc = pcap_setfilter(s->pcap, &prog);
	pcap_freecode(&prog);
	if (rc < 0)
		set_error(s, "%s: filter \"%s\": %s", display_name(s),
		          s->filter, pcap_geterr(s->pcap));
	return rc < 0 ? -1 : 0;
}

/* libpcap 1.10.3 reads only pcapng files whose interfaces all share the
 * first one's link type and snapshot length, in one byte order. */
static int needs_own_reader(const char *msg)
{
	return strstr(msg, "different from the type of the first interface") ||
	       strstr(msg, "different from the snapshot length of the first") ||
	       strstr(msg, "sections with different byte orders");
}

static uint64_t regular_size(FILE *fp)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	return 0;
}

/* Restarts the file from its first byte with the own reader. A pipe or
 * stdin cannot be rewound: what libpcap consumed is gone, so there the
 * libpcap error stands. */
static int switch_to_own_reader(ms_source *s, const char *why)
{
	if (strcmp(s->path, "-") == 0 || s->total == 0) {
		set_error(s,
		          "%s: %s (cannot re-read a non-seekable input "
		          "with the built-in pcapng reader)",
		          display_name(s), why);
		return -1;
	}
	if (s->pcap != NULL) {
		pcap_close(s->pcap);
		s->pcap = NULL;
	}
	s->fp = fopen(s->path, "rb");
	if (s->fp == NULL) {
		set_error(s, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	s->total = regular_size(s->fp);
	s->ng = ms_pcapng_new(s->fp, s->total);
	if (s->ng == NULL) {
		set_error(s, "%s: out of memory", s->path);
		return -1;
	}
	s->skip = s->delivered;
	return 0;
}

static int open_offline(ms_source *s)
{
	char pe[PCAP_ERRBUF_SIZE] = "";

	s->fp = strcmp(s->path, "-") == 0 ? stdin : fopen(s->path, "rb");
	if (s->fp == NULL) {
		set_error(s, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	s->total = regular_size(s->fp);
	s->pcap = pcap_fopen_offline_with_tstamp_precision(
	        s->fp, PCAP_TSTAMP_PRECISION_MICRO, pe);
	if (s->pcap != NULL)
		return apply_filter(s, PCAP_NETMASK_UNKNOWN);
	if (s->fp != stdin)
		fclose(s->fp);
	s->fp = NULL;
	if (needs_own_reader(pe))
		return switch_to_own_reader(s, pe);
	if (strcmp(pe, "unknown file format") == 0)
		set_error(s,
		          "%s: unknown file format (not a pcap or pcapng "
		          "capture)",
		          display_name(s));
	else
		set_error(s, "%s: %s", display_name(s), pe);
	return -1;
}

static const char *activate_reason(int rc)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return "no such capture device";
	case PCAP_ERROR_PERM_DENIED:
		return "permission denied (capturing needs root or "
		       "CAP_NET_RAW)";
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return "permission denied for promiscuous mode";
	case PCAP_ERROR_IFACE_NOT_UP:
		return "interface is not up";
	case PCAP_WARNING_PROMISC_NOTSUP:
		return "warning: promiscuous mode not supported";
	default:
		return pcap_statustostr(rc);
	}
}

/* errbuf gets the warning of a successful activation, if any. */
static int activate(ms_source *s, char *errbuf, size_t errlen)
{
	int rc = pcap_activate(s->pcap);
	const char *detail = pcap_geterr(s->pcap);
	int has = detail[0] != '\0';

	if (rc < 0) {
		set_error(s, "%s: %s%s%s%s", s->path, activate_reason(rc),
		          has ? " (" : "", detail, has ? ")" : "");
		return -1;
	}
	if (rc > 0)
		format_line(errbuf, errlen, "%s: %s%s%s%s", s->path,
		            activate_reason(rc), has ? " (" : "", detail,
		            has ? ")" : "");
	return 0;
}

static int open_live(ms_source *s, const ms_source_options *opt, char *errbuf,
                     size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;

	s->pcap = pcap_create(s->path, pe);
	if (s->pcap == NULL) {
		set_error(s, "%s: %s", s->path, pe);
		return -1;
	}
	pcap_set_snaplen(s->pcap,
	                 opt->snaplen > 0 ? opt->snaplen : DEFAULT_SNAPLEN);
	pcap_set_promisc(s->pcap, opt->promisc != 0);
	s->timeout_ms =
	        opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
	pcap_set_timeout(s->pcap, s->timeout_ms);
	/* Frames must not wait for a full kernel buffer: a quiet link
	 * would otherwise show nothing for seconds. */
	pcap_set_immediate_mode(s->pcap, 1);
	if (activate(s, errbuf, errlen) < 0)
		return -1;
	/* libpcap's read timeout may never fire while no packet arrives
	 * (pcap_set_timeout(3PCAP); seen on Linux 6.x loopback), so next()
	 * polls the descriptor with the timeout itself. */
	s->fd = pcap_get_selectable_fd(s->pcap);
	if (s->fd >= 0 && pcap_setnonblock(s->pcap, 1, pe) < 0)
		s->fd = -1;
	/* The netmask only matters for "ip broadcast" filters. */
	if (pcap_lookupnet(s->path, &net, &mask, pe) < 0)
		mask = PCAP_NETMASK_UNKNOWN;
	return apply_filter(s, mask);
}

ms_source *ms_source_open(const ms_source_options *opt, char *errbuf,
                          size_t errlen)
{
	ms_source *s;
	int rc;

	format_line(errbuf, errlen, "%s", "");
	if (opt == NULL || (opt->file == NULL && opt->iface == NULL)) {
		format_line(errbuf, errlen, "no input: no file, no interface");
		return NULL;
	}
	s = source_new(opt);
	if (s == NULL) {
		format_line(errbuf, errlen, "out of memory");
		return NULL;
	}
	rc = s->live ? open_live(s, opt, errbuf, errlen) : open_offline(s);
	if (rc < 0) {
		format_line(errbuf, errlen, "%s", s->err);
		ms_source_close(s);
		return NULL;
	}
	return s;
}

static void fill_frame(ms_frame *out, ms_time ts, int linktype,
                       const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	out->ts = ts;
	out->linktype = linktype;
	out->data = data;
	out->caplen = caplen;
	out->wirelen = wirelen;
}

/* pcap_datalink() speaks DLT_, files speak LINKTYPE_; the two differ for
 * a few old values, raw IP (101 vs 12 on Linux) being the one that
 * matters here. The rest libpcap maps one to one. */
static int linktype_to_dlt(uint32_t lt)
{
	switch (lt) {
	case 100:
		return DLT_ATM_RFC1483;
	case 101:
		return DLT_RAW;
	case 102:
		return DLT_SLIP_BSDOS;
	case 103:
		return DLT_PPP_BSDOS;
	default:
		return (int)lt;
	}
}

static const struct bpf_program *filter_for(ms_source *s, int linktype)
{
	link_filter *nl;
	pcap_t *dead;
	size_t i;
	int rc;

	for (i = 0; i < s->nlf; i++)
		if (s->lf[i].linktype == linktype)
			return &s->lf[i].prog;
	nl = realloc(s->lf, (s->nlf + 1) * sizeof(*nl));
	if (nl == NULL)
		return NULL;
	s->lf = nl;
	dead = pcap_open_dead(linktype, DEFAULT_SNAPLEN);
	if (dead == NULL)
		return NULL;
	rc = pcap_compile(dead, &nl[s->nlf].prog, s->filter, 1,
	                  PCAP_NETMASK_UNKNOWN);
	if (rc < 0)
		set_error(s, "%s: filter \"%s\" for link type %d: %s", s->path,
		          s->filter, linktype, pcap_geterr(dead));
	pcap_close(dead);
	if (rc < 0)
		return NULL;
	nl[s->nlf].linktype = linktype;
	return &nl[s->nlf++].prog;
}

/* 1 when the packet passes the filter, 0 when not, -1 on error. */
static int own_filter(ms_source *s, const ms_frame *f)
{
	const struct bpf_program *prog;
	struct pcap_pkthdr h;

	if (s->filter == NULL)
		return 1;
	prog = filter_for(s, f->linktype);
	if (prog == NULL) {
		if (!s->failed)
			set_error(s, "%s: out of memory", s->path);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.caplen = f->caplen;
	h.len = f->wirelen;
	return pcap_offline_filter(prog, &h, f->data) != 0;
}

static ms_source_status next_own(ms_source *s, ms_frame *out)
{
	ms_pcapng_packet pk;

	while (!s->stop) {
		ms_pcapng_status st = ms_pcapng_next(s->ng, &pk);
		int pass;

		if (st == MS_PCAPNG_END)
			return MS_SOURCE_END;
		if (st == MS_PCAPNG_ERROR)
			return set_error(s, "%s: %s", s->path,
			                 ms_pcapng_error(s->ng));
		fill_frame(out, pk.ts, linktype_to_dlt(pk.linktype), pk.data,
		           pk.caplen, pk.wirelen);
		pass = own_filter(s, out);
		if (pass < 0)
			return MS_SOURCE_ERROR;
		if (pass == 0)
			continue;
		/* libpcap already delivered these before it gave up. */
		if (s->skip > 0) {
			s->skip--;
			continue;
		}
		return MS_SOURCE_FRAME;
	}
	return MS_SOURCE_END;
}

/* Live and non-blocking: one read, and when it finds nothing, one wait
 * of at most the timeout and a second read. A signal ends the wait. */
static int read_packet(ms_source *s, struct pcap_pkthdr **h,
                       const u_char **data)
{
	struct pollfd pfd;
	int rc = pcap_next_ex(s->pcap, h, data);

	if (rc != 0 || s->fd < 0 || s->stop)
		return rc;
	pfd.fd = s->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, s->timeout_ms) <= 0 || s->stop)
		return s->stop ? PCAP_ERROR_BREAK : 0;
	return pcap_next_ex(s->pcap, h, data);
}

static ms_source_status next_pcap(ms_source *s, ms_frame *out)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	ms_time ts;
	char msg[PCAP_ERRBUF_SIZE];

	switch (read_packet(s, &h, &data)) {
	case 1:
		ts.sec = h->ts.tv_sec;
		ts.usec = (int32_t)h->ts.tv_usec;
		fill_frame(out, ts, pcap_datalink(s->pcap), data, h->caplen,
		           h->len);
		s->delivered++;
		return MS_SOURCE_FRAME;
	case 0:
		return MS_SOURCE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return MS_SOURCE_END;
	default:
		break;
	}
	/* A copy: switching readers closes the handle that holds it. */
	snprintf(msg, sizeof(msg), "%s", pcap_geterr(s->pcap));
	if (s->live || !needs_own_reader(msg))
		return set_error(s, "%s: %s", display_name(s), msg);
	if (switch_to_own_reader(s, msg) < 0)
		return MS_SOURCE_ERROR;
	return next_own(s, out);
}

ms_source_status ms_source_next(ms_source *s, ms_frame *out)
{
	if (s->failed)
		return MS_SOURCE_ERROR;
	if (s->stop)
		return MS_SOURCE_END;
	return s->ng != NULL ? next_own(s, out) : next_pcap(s, out);
}

const char *ms_source_error(const ms_source *s)
{
	return s->err;
}

int ms_source_is_live(const ms_source *s)
{
	return s->live;
}

void ms_source_progress(const ms_source *s, uint64_t *done, uint64_t *total)
{
	long pos = s->fp != NULL ? ftell(s->fp) : -1;

	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = s->total;
}

int ms_source_stats_get(ms_source *s, ms_source_stats *st)
{
	struct pcap_stat ps;

	memset(st, 0, sizeof(*st));
	if (!s->live || pcap_stats(s->pcap, &ps) < 0)
		return -1;
	st->received = ps.ps_recv;
	st->dropped = ps.ps_drop;
	st->if_dropped = ps.ps_ifdrop;
	return 0;
}

void ms_source_break(ms_source *s)
{
	s->stop = 1;
	/* Offline reads never block and next() checks the flag first; only
	 * a live read can be sitting in poll(), and a live handle is never
	 * closed before ms_source_close(), so this cannot race a close. */
	if (s->live)
		pcap_breakloop(s->pcap);
}
