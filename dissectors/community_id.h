/* community_id.h: Community ID v1 flow hashes (corelight/community-id-spec),
 * so mailscope's sessions join with Zeek's and Suricata's logs. */
#ifndef MS_COMMUNITY_ID_H
#define MS_COMMUNITY_ID_H

#include <stdint.h>

/* "1:" + 28 base64 characters + NUL */
#define MS_COMMUNITY_ID_LEN 31

/* TCP flow; addresses are 4 (ip_version 4) or 16 bytes, network order.
 * The result does not depend on which endpoint is passed first. */
void ms_community_id_tcp(uint16_t seed, int ip_version, const uint8_t *saddr,
                         uint16_t sport, const uint8_t *daddr, uint16_t dport,
                         char out[MS_COMMUNITY_ID_LEN]);

#endif
