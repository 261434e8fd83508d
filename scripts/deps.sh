#!/bin/sh
# Install the Debian 12 packages mailscope needs to build and test.
# Idempotent: a no-op when everything is present. Mail servers are not
# needed (the tests use the committed captures); samples/make-samples.sh
# installs its own, with policy-rc.d denying service starts, so no daemon
# ever runs in the host namespace (see ../shared/docs/real-servers.md).
set -eu

BUILD="build-essential cmake pkg-config libpcap-dev libjson-c-dev check \
libssl-dev zlib1g-dev python3"
TEST="iproute2 python3-scapy python3-jsonschema libgmime-3.0-dev"

want=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		want="$want $p"
done
[ -z "$want" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$want (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing$want" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $want >/dev/null
