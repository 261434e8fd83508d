/* imap_token.c: the tokens of a logical IMAP line (see imap.h). */
#include <string.h>
#include <strings.h>

#include "dissectors/imap.h"

int ms_imap_marker_parse(const char *p, size_t n, ms_imap_marker *m)
{
	size_t i = n, end;
	uint64_t v = 0;

	memset(m, 0, sizeof(*m));
	if (i < 3 || p[i - 1] != '}')
		return 0;
	i--;
	/* RFC 7888: "{n+}" needs no "+" from the server */
	if (p[i - 1] == '+') {
		m->nonsync = true;
		i--;
	}
	end = i;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || p[i - 1] != '{')
		return 0;
	for (size_t k = i; k < end; k++) {
		uint64_t d = (uint64_t)(p[k] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	m->size = v;
	m->at = i - 1;
	/* RFC 3516 §4.2: "~{n}" is a literal8 */
	if (m->at > 0 && p[m->at - 1] == '~') {
		m->binary = true;
		m->at--;
	}
	return 1;
}

void ms_imap_cursor_init(ms_imap_cursor *c, const char *buf, size_t len,
                         const ms_imap_lit *lits, size_t nlits)
{
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	c->lits = lits;
	c->nlits = nlits;
}

/* The literal whose marker starts at pos, if any; literals are in line
 * order, so the cursor only moves forward through them. */
static const ms_imap_lit *lit_at(ms_imap_cursor *c, size_t pos)
{
	while (c->next_lit < c->nlits && c->lits[c->next_lit].mark < pos)
		c->next_lit++;
	if (c->next_lit < c->nlits && c->lits[c->next_lit].mark == pos)
		return &c->lits[c->next_lit++];
	return NULL;
}

/* RFC 3501 §9 atom-specials end an atom; '[' opens a section that may
 * hold spaces and lists ("BODY[HEADER.FIELDS (FROM)]"), so it runs to
 * its ']'. Anything else is taken leniently: a passive observer must
 * not lose the line over a server's liberties. */
static size_t atom_end(const char *b, size_t i, size_t len)
{
	int brackets = 0;

	for (; i < len; i++) {
		char ch = b[i];
		if (ch == '[')
			brackets++;
		else if (ch == ']' && brackets > 0)
			brackets--;
		else if (brackets == 0 && (ch == ' ' || ch == '(' ||
		                           ch == ')' || ch == '"' || ch == '{'))
			break;
	}
	return i;
}

static size_t quoted_end(const char *b, size_t i, size_t len)
{
	for (; i < len; i++) {
		if (b[i] == '\\' && i + 1 < len)
			i++;
		else if (b[i] == '"')
			return i;
	}
	return len;
}

static void next_literal(ms_imap_cursor *c, ms_imap_token *t,
                         const ms_imap_lit *l)
{
	t->type = MS_IMAP_LITERAL;
	t->lit = l;
	t->p = c->buf + l->data;
	t->len = l->kept;
	c->pos = l->data + l->kept;
}

static void next_atom(ms_imap_cursor *c, ms_imap_token *t)
{
	size_t e = atom_end(c->buf, c->pos + 1, c->len);

	t->type = MS_IMAP_ATOM;
	t->p = c->buf + c->pos;
	t->len = e - c->pos;
	if (t->len == 3 && strncasecmp(t->p, "NIL", 3) == 0)
		t->type = MS_IMAP_NIL;
	c->pos = e;
}

void ms_imap_next(ms_imap_cursor *c, ms_imap_token *t)
{
	const ms_imap_lit *l;
	char ch;

	memset(t, 0, sizeof(*t));
	while (c->pos < c->len && c->buf[c->pos] == ' ')
		c->pos++;
	t->off = c->pos;
	t->depth = c->depth;
	if (c->pos >= c->len) {
		t->type = MS_IMAP_EOL;
		return;
	}
	if ((l = lit_at(c, c->pos))) {
		next_literal(c, t, l);
		return;
	}
	ch = c->buf[c->pos];
	if (ch == '(' || ch == ')') {
		t->type = ch == '(' ? MS_IMAP_LIST_OPEN : MS_IMAP_LIST_CLOSE;
		t->p = c->buf + c->pos++;
		t->len = 1;
		if (ch == '(')
			c->depth++;
		else if (c->depth > 0)
			t->depth = --c->depth;
		return;
	}
	if (ch == '"') {
		size_t e = quoted_end(c->buf, c->pos + 1, c->len);
		t->type = MS_IMAP_QUOTED;
		t->p = c->buf + c->pos + 1;
		t->len = e - c->pos - 1;
		c->pos = e < c->len ? e + 1 : e;
		return;
	}
	next_atom(c, t);
}

size_t ms_imap_tokenize(const char *buf, size_t len, const ms_imap_lit *lits,
                        size_t nlits, ms_imap_token *t, size_t max)
{
	ms_imap_cursor c;
	size_t n = 0;

	ms_imap_cursor_init(&c, buf, len, lits, nlits);
	while (n < max) {
		ms_imap_next(&c, &t[n]);
		if (t[n].type == MS_IMAP_EOL)
			break;
		n++;
	}
	return n;
}

size_t ms_imap_string(const ms_imap_token *t, char *out, size_t cap)
{
	size_t o = 0;

	if (t->type != MS_IMAP_QUOTED) {
		if (t->type == MS_IMAP_NIL || t->type == MS_IMAP_EOL)
			return 0;
		o = t->len < cap ? t->len : cap;
		memcpy(out, t->p, o);
		return o;
	}
	for (size_t i = 0; i < t->len && o < cap; i++) {
		if (t->p[i] == '\\' && i + 1 < t->len)
			i++;
		out[o++] = t->p[i];
	}
	return o;
}

bool ms_imap_is(const ms_imap_token *t, const char *kw)
{
	return t->type == MS_IMAP_ATOM && strlen(kw) == t->len &&
	       strncasecmp(t->p, kw, t->len) == 0;
}
