#include "dissectors/config.h"

#include <string.h>

void ms_config_default(ms_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ms_reasm_limits_default(&cfg->reasm);
	cfg->max_line = MS_MAX_LINE_DEFAULT;
	cfg->max_header = MS_MAX_HEADER_DEFAULT;
	cfg->max_pending = MS_MAX_PENDING_DEFAULT;
	cfg->max_literal = MS_MAX_LITERAL_DEFAULT;
	cfg->max_imap_messages = MS_MAX_IMAP_MESSAGES_DEFAULT;
	cfg->ports[25] = MS_PROTO_SMTP;
	cfg->ports[587] = MS_PROTO_SMTP;
	cfg->ports[465] = MS_PROTO_SMTP | MS_PORT_TLS;
	cfg->ports[24] = MS_PROTO_LMTP;
	cfg->ports[110] = MS_PROTO_POP3;
	cfg->ports[995] = MS_PROTO_POP3 | MS_PORT_TLS;
	cfg->ports[143] = MS_PROTO_IMAP;
	cfg->ports[993] = MS_PROTO_IMAP | MS_PORT_TLS;
}
