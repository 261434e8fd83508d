#!/bin/sh
# Install the Debian 12 packages mailscope needs to build, test and record
# samples. Idempotent: a no-op when everything is present. Servers are
# installed with policy-rc.d denying service starts, so no daemon ever runs
# in the host namespace (see ../shared/docs/real-servers.md).
set -eu

BUILD="build-essential cmake pkg-config libpcap-dev libjson-c-dev check \
libssl-dev zlib1g-dev python3"
TEST="tcpdump iproute2 python3-scapy python3-jsonschema"
SERVERS="dovecot-core dovecot-pop3d dovecot-imapd dovecot-submissiond dovecot-lmtpd postfix swaks isync curl openssl"

want=""
for p in $BUILD $TEST $SERVERS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		want="$want $p"
done
[ -z "$want" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$want (run as root to install)" >&2
	exit 1
fi
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
echo "deps.sh: installing$want" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $want >/dev/null
