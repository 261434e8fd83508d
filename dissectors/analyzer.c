#include "dissectors/analyzer.h"

#include <stdlib.h>
#include <string.h>

#include "dissectors/session.h"

struct ms_analyzer {
	const ms_config *cfg;
	ms_emit_fn emit;
	void *user;
	ms_reasm *reasm;
	uint64_t next_id;
	ms_analyzer_stats stats;
};

static const ms_dissector_ops *ops_for(ms_proto p)
{
	switch (p) {
	case MS_PROTO_POP3:
		return &ms_pop3_ops;
	case MS_PROTO_SMTP:
	case MS_PROTO_LMTP:
		return &ms_smtp_ops;
	case MS_PROTO_IMAP:
		return &ms_imap_ops;
	default:
		return NULL;
	}
}

static void count_anomaly(ms_analyzer_stats *st, const char *code)
{
	for (size_t i = 0; i < st->anomaly_codes; i++)
		if (strcmp(st->anomaly_code[i], code) == 0) {
			st->anomaly_count[i]++;
			return;
		}
	if (st->anomaly_codes == MS_ANOMALY_CODES_MAX) {
		st->anomalies_uncounted++;
		return;
	}
	st->anomaly_code[st->anomaly_codes] = code;
	st->anomaly_count[st->anomaly_codes++] = 1;
}

/* Every event passes here on its way out, so the run's counters can
 * never disagree with the events. */
static void analyzer_emit(void *user, const ms_event *ev)
{
	ms_analyzer *a = user;

	if (ev->type == MS_EV_ANOMALY)
		count_anomaly(&a->stats, ev->u.anomaly.code);
	a->emit(a->user, ev);
}

static void endpoint_set(ms_endpoint *e, const ms_flow_info *fi,
                         const uint8_t *ip, uint16_t port)
{
	e->ip_version = fi->ip_version;
	memcpy(e->ip, ip, 16);
	e->port = port;
}

static void session_start(ms_session *s, const ms_flow_info *fi)
{
	ms_event ev;
	ms_ev_session_start *st = &ev.u.start;

	memset(&ev, 0, sizeof(ev));
	endpoint_set(&st->client, fi, fi->client_ip, fi->client_port);
	endpoint_set(&st->server, fi, fi->server_ip, fi->server_port);
	st->midstream = fi->midstream;
	st->vlan_count = fi->vlan_count;
	memcpy(st->vlan, fi->vlan, sizeof(st->vlan));
	ms_session_emit(s, &ev, MS_EV_SESSION_START, fi->ts);
	if (s->midstream)
		ms_session_anomaly(s, fi->ts, MS_DIR_TO_SERVER, "midstream",
		                   "capture began after the handshake");
}

static void on_message_data(void *user, const uint8_t *p, size_t n)
{
	ms_session *s = user;
	ms_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.u.data.p = p;
	ev.u.data.n = n;
	ms_session_emit(s, &ev, MS_EV_MESSAGE_DATA, s->last);
}

static void part_event(ms_session *s, ms_part_phase phase,
                       const ms_mime_part *part, const uint8_t *p, size_t n)
{
	ms_event ev;

	if (!s->cfg->emit_message_data)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.u.part.phase = phase;
	ev.u.part.part = part;
	ev.u.part.p = p;
	ev.u.part.n = n;
	ms_session_emit(s, &ev, MS_EV_PART, s->last);
}

static void on_part_begin(void *user, const ms_mime_part *part)
{
	part_event(user, MS_PART_BEGIN, part, NULL, 0);
}

static void on_part_data(void *user, const uint8_t *p, size_t n)
{
	part_event(user, MS_PART_DATA, NULL, p, n);
}

static void on_part_end(void *user, const ms_mime_part *part)
{
	part_event(user, MS_PART_END, part, NULL, 0);
}

/* The message stage's findings. Its messages travel to the server in
 * SMTP and to the client in POP3 (and in IMAP but for APPEND). */
static void on_mime_anomaly(void *user, const char *code, const char *detail)
{
	ms_session *s = user;
	ms_dir dir = s->proto == MS_PROTO_SMTP || s->proto == MS_PROTO_LMTP
	                     ? MS_DIR_TO_SERVER
	                     : MS_DIR_TO_CLIENT;

	ms_session_anomaly(s, s->last, dir, code, "%s", detail);
}

static const ms_mime_callbacks mime_callbacks = {
        .part_begin = on_part_begin,
        .part_data = on_part_data,
        .part_end = on_part_end,
        .anomaly = on_mime_anomaly,
};

static ms_session *session_new(ms_analyzer *a, const ms_flow_info *fi,
                               uint8_t port_entry)
{
	ms_session *s = calloc(1, sizeof(*s));
	ms_proto proto = (ms_proto)(port_entry & MS_PORT_PROTO_MASK);

	if (!s)
		return NULL;
	s->cfg = a->cfg;
	s->proto = proto;
	s->ops = ops_for(proto);
	s->emit = analyzer_emit;
	s->emit_user = a;
	s->start = s->last = fi->ts;
	s->midstream = fi->midstream;
	if (ms_message_init(&s->msg, a->cfg->max_header)) {
		ms_message_free(&s->msg);
		free(s);
		return NULL;
	}
	s->msg.part_cb = &mime_callbacks;
	s->msg.part_user = s;
	if (a->cfg->emit_message_data) {
		s->msg.on_data = on_message_data;
		s->msg.on_data_user = s;
	}
	s->id = ++a->next_id;
	a->stats.sessions[proto]++;
	ms_community_id_tcp(a->cfg->community_id_seed, fi->ip_version,
	                    fi->client_ip, fi->client_port, fi->server_ip,
	                    fi->server_port, s->community_id);
	session_start(s, fi);
	/* Ports 465, 995 and 993 are TLS from the first byte. */
	if (port_entry & MS_PORT_TLS)
		ms_session_start_tls(s, fi->ts, "implicit");
	return s;
}

static void *on_open(void *user, const ms_flow_info *fi, bool *swap)
{
	ms_analyzer *a = user;
	const uint8_t *ports = a->cfg->ports;

	*swap = false;
	if (fi->midstream && !ports[fi->server_port] && ports[fi->client_port])
		*swap = true;
	if (*swap) {
		ms_flow_info f = *fi;
		memcpy(f.client_ip, fi->server_ip, 16);
		memcpy(f.server_ip, fi->client_ip, 16);
		f.client_port = fi->server_port;
		f.server_port = fi->client_port;
		return session_new(a, &f, ports[f.server_port]);
	}
	if (!ports[fi->server_port])
		return NULL;
	return session_new(a, fi, ports[fi->server_port]);
}

/* The protocol's state, made with the session's first byte: a flood of
 * connections that never carry data costs only the small ms_session. A
 * session whose state cannot be had is counted, no longer parsed. */
static bool parsing(ms_session *s, ms_time ts)
{
	if (s->tls || !s->ops)
		return false;
	if (!s->state && !(s->state = s->ops->create(s))) {
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "out_of_memory",
		                   "the session is counted, not parsed");
		s->ops = NULL;
	}
	return s->state != NULL;
}

static void on_data(void *app, int dir, const uint8_t *p, size_t n, ms_time ts)
{
	ms_session *s = app;

	s->bytes[dir] += n;
	s->last = ts;
	if (dir == MS_DIR_TO_SERVER && s->tls_pending)
		ms_session_check_tls(s, p, n, ts);
	if (s->tls)
		s->tls_bytes += n;
	else if (parsing(s, ts)) /* protocols without a dissector: counted */
		s->ops->data(s, s->state, (ms_dir)dir, p, n, ts);
}

static void on_gap(void *app, int dir, uint64_t n, ms_time ts)
{
	ms_session *s = app;

	s->gaps++;
	s->gap_bytes += n;
	s->last = ts;
	ms_session_anomaly(s, ts, (ms_dir)dir, "gap", "%llu bytes missing",
	                   (unsigned long long)n);
	if (parsing(s, ts))
		s->ops->gap(s, s->state, (ms_dir)dir, n, ts);
}

static void on_note(void *app, int dir, ms_reasm_note note, uint64_t value,
                    ms_time ts)
{
	static const char *const codes[] = {
	        [MS_NOTE_OVERLAP_CONFLICT] = "overlap_conflict",
	        [MS_NOTE_LIMIT_PER_FLOW] = "limit_per_flow_bytes",
	        [MS_NOTE_LIMIT_GLOBAL] = "limit_global_bytes",
	};

	ms_session_anomaly(app, ts, (ms_dir)dir, codes[note], "%llu bytes",
	                   (unsigned long long)value);
}

static const char *close_reason(ms_close_reason r)
{
	static const char *const names[] = {
	        [MS_CLOSE_FIN] = "fin",
	        [MS_CLOSE_RST] = "rst",
	        [MS_CLOSE_TIMEOUT] = "timeout",
	        [MS_CLOSE_EVICTED] = "evicted",
	        [MS_CLOSE_END_OF_CAPTURE] = "end_of_capture",
	};
	return names[r];
}

static void on_close(void *app, ms_close_reason reason, ms_time ts)
{
	ms_session *s = app;
	ms_event ev;
	ms_ev_session_end *e = &ev.u.end;

	if (reason == MS_CLOSE_EVICTED)
		ms_session_anomaly(s, ts, MS_DIR_TO_SERVER, "limit_flows",
		                   "evicted: more than %u flows at once",
		                   (unsigned)s->cfg->reasm.max_flows);
	memset(&ev, 0, sizeof(ev));
	e->state = s->tls ? "TLS" : "";
	if (s->state)
		s->ops->end(s, s->state, e, ts);
	/* A goodbye the protocol saw explains a FIN better than "fin". */
	e->reason = s->end_reason && reason == MS_CLOSE_FIN
	                    ? s->end_reason
	                    : close_reason(reason);
	e->duration_s = ms_time_diff_ms(s->start, ts) / 1e3;
	e->bytes[0] = s->bytes[0];
	e->bytes[1] = s->bytes[1];
	e->tls_bytes = s->tls_bytes;
	e->commands = s->commands;
	e->messages = s->messages;
	e->gaps = s->gaps;
	e->gap_bytes = s->gap_bytes;
	e->anomalies = s->anomalies;
	e->user = (ms_str){s->user, s->user_len};
	if (!s->bytes[MS_DIR_TO_SERVER] != !s->bytes[MS_DIR_TO_CLIENT])
		e->one_sided = ms_dir_name(s->bytes[MS_DIR_TO_SERVER]
		                                   ? MS_DIR_TO_SERVER
		                                   : MS_DIR_TO_CLIENT);
	ms_session_emit(s, &ev, MS_EV_SESSION_END, ts);
	ms_session_release(s);
	free(s);
}

static const ms_stream_ops stream_ops = {
        .open = on_open,
        .data = on_data,
        .gap = on_gap,
        .note = on_note,
        .close = on_close,
};

ms_analyzer *ms_analyzer_new(const ms_config *cfg, ms_emit_fn emit, void *user)
{
	ms_analyzer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = cfg;
	a->emit = emit;
	a->user = user;
	a->reasm = ms_reasm_new(&cfg->reasm, &stream_ops, a);
	if (!a->reasm) {
		free(a);
		return NULL;
	}
	a->stats.reasm = ms_reasm_stats_get(a->reasm);
	return a;
}

void ms_analyzer_add_segment(ms_analyzer *a, const ms_segment *seg)
{
	ms_reasm_add_segment(a->reasm, seg);
}

void ms_analyzer_tick(ms_analyzer *a, ms_time now)
{
	ms_reasm_advance(a->reasm, now);
}

void ms_analyzer_finish(ms_analyzer *a, ms_time ts)
{
	ms_reasm_finish(a->reasm, ts);
}

const ms_analyzer_stats *ms_analyzer_stats_get(const ms_analyzer *a)
{
	return &a->stats;
}

void ms_analyzer_free(ms_analyzer *a)
{
	if (!a)
		return;
	ms_reasm_free(a->reasm);
	free(a);
}
