/* imap.h: the IMAP wire grammar's tokens (RFC 3501 §4, §9; RFC 9051 §4,
 * §9), for imap.c and its tests.
 *
 * imap.c frames a command or response as a "logical line": the text of
 * its physical lines with, after each literal marker, the bytes of that
 * literal it kept (a literal that goes to the message stage, or one too
 * big to keep, keeps none or only its start). Each literal is described
 * by an ms_imap_lit, so the tokenizer never looks inside literal bytes:
 * it jumps over them by count.
 */
#ifndef MS_IMAP_H
#define MS_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A literal of the logical line (RFC 3501 §4.3, RFC 7888 {n+},
 * RFC 3516 ~{n}). */
typedef struct ms_imap_lit {
	size_t mark; /* offset of its marker ('{' or '~') in the line */
	size_t data; /* offset of its kept bytes */
	size_t kept; /* bytes kept, at most size */
	uint64_t size;
	bool message; /* its bytes went to the message stage */
} ms_imap_lit;

/* A literal marker ending a physical line: "{n}", "{n+}", "~{n}". */
typedef struct ms_imap_marker {
	uint64_t size;
	size_t at; /* offset of '{' or '~' */
	bool binary, nonsync;
} ms_imap_marker;

/* Returns 1 when p[0..n) ends with a marker, 0 when not, -1 when it does
 * but the size does not fit in 64 bits. */
int ms_imap_marker_parse(const char *p, size_t n, ms_imap_marker *m);

typedef enum ms_imap_tok_type {
	MS_IMAP_EOL,
	MS_IMAP_ATOM, /* also "BODY[HEADER.FIELDS (A B)]<0>" and "\Seen" */
	MS_IMAP_QUOTED,
	MS_IMAP_LITERAL,
	MS_IMAP_NIL,
	MS_IMAP_LIST_OPEN,
	MS_IMAP_LIST_CLOSE,
} ms_imap_tok_type;

typedef struct ms_imap_token {
	ms_imap_tok_type type;
	/* ATOM, NIL: the text; QUOTED: between the quotes, escapes kept;
	 * LITERAL: the kept bytes */
	const char *p;
	size_t len;
	size_t off; /* where the token starts in the line */
	int depth;  /* parenthesis depth it is at (a list's own '(': outer) */
	const ms_imap_lit *lit; /* LITERAL only */
} ms_imap_token;

typedef struct ms_imap_cursor {
	const char *buf;
	size_t len, pos;
	const ms_imap_lit *lits;
	size_t nlits, next_lit;
	int depth;
} ms_imap_cursor;

void ms_imap_cursor_init(ms_imap_cursor *c, const char *buf, size_t len,
                         const ms_imap_lit *lits, size_t nlits);
void ms_imap_next(ms_imap_cursor *c, ms_imap_token *t);
/* Tokenizes the whole line into t[0..max); returns how many (EOL not
 * counted). */
size_t ms_imap_tokenize(const char *buf, size_t len, const ms_imap_lit *lits,
                        size_t nlits, ms_imap_token *t, size_t max);
/* The string value of an atom, quoted string (escapes removed, RFC 3501
 * §4.3) or literal, copied into out (bounded); NIL is empty. */
size_t ms_imap_string(const ms_imap_token *t, char *out, size_t cap);
/* Case-insensitive comparison of an atom with a keyword. */
bool ms_imap_is(const ms_imap_token *t, const char *kw);

#endif
