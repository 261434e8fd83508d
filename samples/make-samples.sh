#!/usr/bin/env bash
# make-samples.sh -- record real mail-protocol sample captures for mailscope.
#
# Usage (as root, Debian 12):  samples/make-samples.sh [GROUP...]
#   Usage: samples/make-samples.sh [pop3|smtp|imap|all]...
#   no argument = all protocol groups; e.g. `make-samples.sh smtp imap`
#   records only those two groups and leaves the other captures alone.
#
# Real Dovecot (POP3, IMAP, LMTP) and, for the smtp group, real Postfix
# (SMTP on 25 and 587, Dovecot SASL, delivery over LMTP to Dovecot on 24)
# run inside a private network namespace that has only `lo`; clients
# (python3 poplib/imaplib/smtplib and raw sockets via samples_helper.py,
# samples_smtp.py and samples_imap.py; curl; mbsync) run in the same
# namespace and tcpdump captures on its `lo`.  No traffic leaves the
# machine, nothing is started on the host (policy-rc.d is kept), and an EXIT
# trap stops every PID this script started (TERM, 10 s, KILL), checks the
# namespace is empty, deletes it and removes the temporary run directory.
#
# Outputs (overwritten) next to this script: <name>.pcap, <name>.truth.json
# (ground truth written by the client helpers) and <name>.keylog for the
# STLS/STARTTLS sessions (for `tshark -o tls.keylog_file:<name>.keylog`).
# The recipe and its traps: /work/shared/docs/real-servers.md.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$SCRIPT_DIR
HELPER=$SCRIPT_DIR/samples_helper.py
SMTP_HELPER=$SCRIPT_DIR/samples_smtp.py
IMAP_HELPER=$SCRIPT_DIR/samples_imap.py
USERS=(alice bob carol)
POSTFIX_MASTER_PID=
PY=/usr/bin/python3          # not `python3` from PATH (may be a pyenv interpreter)
MAILHOST=mail.example.test
NS=mailscope-samples-$$
NS_CREATED=0
RUN=
PIDS=()                      # every background PID we started and have not reaped

log() { printf '[make-samples] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ----------------------------------------------------------------------------
# Process handling and cleanup
# ----------------------------------------------------------------------------

alive() { # PID: running and not a zombie
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop_pid() { # PID: TERM, wait up to 10 s, KILL
    local pid=$1 i
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    log "PID $pid still running after 10 s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? i left pid
    set +e
    trap - EXIT INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
    done
    wait 2>/dev/null
    if ((NS_CREATED)); then
        left=
        for ((i = 0; i < 100; i++)); do
            left=$(ip netns pids "$NS" 2>/dev/null)
            [[ -z $left ]] && break
            sleep 0.1
        done
        if [[ -n $left ]]; then
            # Only children of our own Dovecot can be in our private namespace.
            log "processes left in namespace $NS: $(echo "$left" | tr '\n' ' ')"
            for pid in $left; do stop_pid "$pid"; done
            left=$(ip netns pids "$NS" 2>/dev/null)
            [[ -n $left ]] && log "WARNING: still in namespace: $left" && rc=1
        fi
        ip netns del "$NS" || rc=1
    fi
    if [[ -n $RUN && -d $RUN ]]; then
        if [[ -f $RUN/log/dovecot.log ]]; then
            if ((rc != 0)); then
                log "last lines of dovecot.log:"
                tail -n 20 "$RUN/log/dovecot.log" >&2
            else
                grep -E 'Warning|Error|Fatal|Panic' "$RUN/log/dovecot.log" >&2 || true
            fi
        fi
        if ((rc != 0)) && [[ -f $RUN/log/postfix.log ]]; then
            log "last lines of postfix.log:"
            tail -n 20 "$RUN/log/postfix.log" >&2
        fi
        rm -rf -- "$RUN"
    fi
    if ((rc == 0)); then log "done"; else log "FAILED (exit $rc)"; fi
    exit "$rc"
}

# ----------------------------------------------------------------------------
# Setup
# ----------------------------------------------------------------------------

install_packages() {
    local pkgs=(dovecot-core dovecot-pop3d dovecot-imapd dovecot-lmtpd postfix isync
                tcpdump curl openssl python3 iproute2)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing: ${missing[*]}"
    # Never let a package start a daemon on the host (keep an existing file).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
    fi
    # Postfix: no main.cf, no questions (the config used here is our own).
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
    echo "postfix postfix/mailname string $MAILHOST" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"
}

setup_namespace() {
    ip netns add "$NS"
    NS_CREATED=1
    ip netns exec "$NS" ip link set lo up
    local links
    links=$(ip netns exec "$NS" ip -o link show | awk -F': ' '{print $2}')
    [[ $links == lo ]] || die "namespace $NS has interfaces other than lo: $links"
    [[ -z $(ip netns exec "$NS" ip route show) ]] || die "namespace $NS has routes"
    log "namespace $NS: only lo, no routes"
}

make_run_dir() {
    RUN=$(mktemp -d /tmp/mailscope-samples.XXXXXX)
    chmod 0755 "$RUN"   # the mail user (uid 8) must traverse it to its home
    mkdir -p "$RUN"/{dovecot/base,dovecot/state,log,tls,mail,template,pcap,work}
    mkdir -p "$RUN"/postfix/{etc,spool,data}
    chown postfix:postfix "$RUN/postfix/data"
    chmod 0777 "$RUN/work"   # mbsync runs as user mail and writes its Maildir here
    chmod 0777 "$RUN/pcap"   # tcpdump may drop privileges to user tcpdump
}

make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$MAILHOST" \
        -addext "subjectAltName=DNS:$MAILHOST,IP:127.0.0.1,IP:127.0.0.2" \
        -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" 2>/dev/null
    chmod 0600 "$RUN/tls/key.pem"
}

write_dovecot_conf() {
    cat >"$RUN/dovecot.conf" <<EOF
# Self-contained: nothing from /etc/dovecot is read.
instance_name = $NS
base_dir = $RUN/dovecot/base
state_dir = $RUN/dovecot/state
log_path = $RUN/log/dovecot.log
info_log_path = $RUN/log/dovecot.log
protocols = pop3 imap lmtp
listen = 127.0.0.1
hostname = $MAILHOST
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
last_valid_uid = 8
first_valid_gid = 8
last_valid_gid = 8
mail_location = maildir:~/Maildir
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $RUN/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $RUN/dovecot/users
}
ssl = yes
ssl_cert = <$RUN/tls/cert.pem
ssl_key = <$RUN/tls/key.pem
pop3_uidl_format = %08Xu%08Xv
# Maildir++ folders of carol (the IMAP mailbox) use '.' as separator.
namespace inbox {
  inbox = yes
  separator = /
}
# COMPRESS=DEFLATE only on 127.0.0.2:143 (imap-compress.pcap): mbsync 1.4
# uses COMPRESS whenever it is offered and has no option against it, so
# 127.0.0.1 does not offer it and every other IMAP capture stays readable.
local 127.0.0.2 {
  protocol imap {
    mail_plugins = \$mail_plugins zlib imap_zlib
  }
}
protocol lmtp {
  auth_username_format = %Ln
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = 24
  }
}
service auth {
  unix_listener auth-postfix {  # SASL for Postfix smtpd
    mode = 0660
    user = postfix
    group = postfix
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1, 127.0.0.2
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF
    {
        echo "alice:{PLAIN}alice-secret:8:8::$RUN/mail/alice::"
        echo "bob:{PLAIN}bob-secret:8:8::$RUN/mail/bob::"
        echo "carol:{PLAIN}carol-secret:8:8::$RUN/mail/carol::"
    } >"$RUN/dovecot/users"
    chown root:dovecot "$RUN/dovecot/users"
    chmod 0640 "$RUN/dovecot/users"
}

seed_mailboxes() {
    "$PY" "$HELPER" seed "$RUN/template"
    "$PY" "$IMAP_HELPER" seed "$RUN/template"
    chown -R mail:mail "$RUN/template"
    local u
    for u in "${USERS[@]}"; do
        install -d -m 0700 -o mail -g mail "$RUN/mail/$u"
        chmod 0700 "$RUN/template/$u"
    done
}

reset_mailboxes() { # back to the seeded state, so scenarios are independent
    local u
    for u in "${USERS[@]}"; do
        rm -rf -- "$RUN/mail/$u/Maildir"
        cp -a "$RUN/template/$u/Maildir" "$RUN/mail/$u/Maildir"
    done
}

wait_listen() { # PORT: wait until something listens on 127.0.0.1:PORT in the namespace
    local i
    for ((i = 0; i < 100; i++)); do
        ip netns exec "$NS" ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listens on port $1 after 10 s"
}

start_dovecot() {
    # unshare --uts + hostname: Dovecot puts gethostname() into the APOP and
    # CRAM-MD5 challenges; this keeps the build host's name out of captures.
    # ip, unshare and sh all exec, so $! is dovecot's own PID.
    # shellcheck disable=SC2016  # $1 is expanded by the inner sh
    ip netns exec "$NS" unshare --uts sh -c 'hostname "$1" && exec dovecot -F -c "$2"' \
        sh "$MAILHOST" "$RUN/dovecot.conf" >>"$RUN/log/dovecot.stdout" 2>&1 &
    DOVECOT_PID=$!
    PIDS+=("$DOVECOT_PID")
    wait_listen 110
    alive "$DOVECOT_PID" || die "dovecot exited"
    [[ $(cat "/proc/$DOVECOT_PID/comm") == dovecot ]] || die "PID $DOVECOT_PID is not dovecot"
    log "dovecot running as PID $DOVECOT_PID"
}

# ----------------------------------------------------------------------------
# Postfix (smtp group only): own config directory, no chroot, no way out
# ----------------------------------------------------------------------------

write_postfix_conf() {
    local etc=$RUN/postfix/etc
    cat >"$etc/main.cf" <<EOF
# Self-contained: nothing from /etc/postfix is read (but the meta files).
compatibility_level = 3.6
config_directory = $etc
queue_directory = $RUN/postfix/spool
data_directory = $RUN/postfix/data
maillog_file = $RUN/log/postfix.log
maillog_file_prefixes = $RUN/log
myhostname = $MAILHOST
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
default_transport = error:outbound delivery disabled
relay_transport = error:outbound delivery disabled
local_transport = error:local delivery disabled
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:24
transport_maps = texthash:$etc/transport
# one LMTP session per delivery, closed with QUIT at once (no cached
# connection left open when a capture stops)
lmtp_connection_cache_on_demand = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = $RUN/tls/cert.pem
smtpd_tls_key_file = $RUN/tls/key.pem
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = $RUN/dovecot/base/auth-postfix
smtpd_sasl_auth_enable = no
smtputf8_enable = yes
disable_vrfy_command = yes
# no bounces to anybody: nothing in these scenarios should bounce
notify_classes =
EOF
    cat >"$etc/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=may
  -o smtpd_tls_auth_only=no
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    # jörg@example.test (smtp-utf8.pcap, SMTPUTF8): Dovecot 2.3 LMTP does not
    # offer SMTPUTF8, so Postfix could not deliver it there (5.6.7 bounce);
    # the discard transport accepts and drops it.
    printf '%s OK\n' alice@example.test bob@example.test carol@example.test \
        'jörg@example.test' >"$etc/vmailbox"
    printf '%s\n' 'jörg@example.test discard:SMTPUTF8 not offered by Dovecot LMTP' >"$etc/transport"
}

start_postfix() {
    local pidfile=$RUN/postfix/spool/pid/master.pid i
    ip netns exec "$NS" postfix -c "$RUN/postfix/etc" start >>"$RUN/log/postfix.stdout" 2>&1 ||
        die "postfix start failed: $(tail -n 5 "$RUN/log/postfix.stdout")"
    for ((i = 0; i < 100; i++)); do
        [[ -s $pidfile ]] && break
        sleep 0.1
    done
    POSTFIX_MASTER_PID=$(tr -d ' \n' <"$pidfile")
    [[ $POSTFIX_MASTER_PID =~ ^[0-9]+$ ]] || die "no postfix master PID"
    PIDS+=("$POSTFIX_MASTER_PID")
    [[ $(cat "/proc/$POSTFIX_MASTER_PID/comm") == master ]] || die "PID $POSTFIX_MASTER_PID is not postfix master"
    wait_listen 25
    wait_listen 587
    log "postfix master running as PID $POSTFIX_MASTER_PID"
}

stop_postfix() {
    [[ -n $POSTFIX_MASTER_PID ]] || return 0
    stop_pid "$POSTFIX_MASTER_PID"
    forget_pid "$POSTFIX_MASTER_PID"
    POSTFIX_MASTER_PID=
}

# ----------------------------------------------------------------------------
# Capturing
# ----------------------------------------------------------------------------

# capture NAME FILTER CLIENT-COMMAND...: reset the mailboxes, run tcpdump on
# lo inside the namespace, run the client, stop tcpdump, install the pcap.
capture() {
    local name=$1 filter=$2 pcap err tpid i
    shift 2
    reset_mailboxes
    pcap=$RUN/pcap/$name.pcap
    err=$RUN/pcap/$name.tcpdump.err
    rm -f -- "$pcap" "$err"
    ip netns exec "$NS" tcpdump -i lo -nn -U -s 0 -B 65536 -w "$pcap" "$filter" 2>"$err" &
    tpid=$!
    PIDS+=("$tpid")
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$err" 2>/dev/null && break
        alive "$tpid" || die "tcpdump for $name exited: $(cat "$err")"
        sleep 0.1
    done
    grep -q 'listening on' "$err" || die "tcpdump for $name not listening after 10 s"

    "$@"

    sleep 1
    kill -INT "$tpid"
    wait "$tpid" || die "tcpdump for $name failed: $(cat "$err")"
    forget_pid "$tpid"
    log "$name: $(grep -E 'packets (captured|received)' "$err" | head -1)"
    # a 64 MB buffer (-B) keeps up with 45 KB GSO segments on lo; a lost
    # segment would make the capture useless as a sample
    grep -qE '^0 packets dropped by kernel' "$err" ||
        die "$name: tcpdump dropped packets: $(grep dropped "$err" | tr '\n' ' ')"
    install -m 0644 "$pcap" "$OUT/$name.pcap"
}

# pop3_client NAME [extra args]: run the helper's scenario in the namespace;
# it writes the truth file and prints how many messages must remain.
pop3_client() {
    local name=$1
    shift
    ip netns exec "$NS" "$PY" "$HELPER" run "$name" "$RUN/work/$name.truth.json" "$RUN/work" "$@" \
        >"$RUN/work/$name.after"
}

# pop3_scenario NAME [extra args]: capture one scenario, then verify with a
# second, uncaptured session that the mailbox holds the expected number of
# messages (e.g. 6 after pop3-dropped: deletions without QUIT are void).
pop3_scenario() {
    local name=$1 want got
    capture "$name" 'tcp port 110' pop3_client "$@"
    want=$(cat "$RUN/work/$name.after")
    got=$(ip netns exec "$NS" "$PY" "$HELPER" stat alice | awk '{print $1}')
    [[ $got == "$want" ]] || die "$name: mailbox has $got messages afterwards, expected $want"
    install -m 0644 "$RUN/work/$name.truth.json" "$OUT/$name.truth.json"
    log "$name: ok ($got messages left)"
}

# ----------------------------------------------------------------------------
# PROTOCOL GROUPS: run_<group>
# ----------------------------------------------------------------------------

run_pop3() {
    pop3_scenario pop3-basic
    pop3_scenario pop3-top-rset
    pop3_scenario pop3-failed-login
    pop3_scenario pop3-auth-plain
    pop3_scenario pop3-auth-login
    # Not captured: check that curl un-stuffs dots and drops the terminator,
    # which the curl ground truth above relies on (messages 1 and 3 have no
    # lines starting with a dot).
    ip netns exec "$NS" "$PY" "$HELPER" curl-dots "$RUN/work" >&2
    pop3_scenario pop3-apop
    pop3_scenario pop3-pipelined
    rm -f -- "$RUN/work/pop3-stls.keylog"
    pop3_scenario pop3-stls "$RUN/work/pop3-stls.keylog" "$RUN/tls/cert.pem"
    install -m 0644 "$RUN/work/pop3-stls.keylog" "$OUT/pop3-stls.keylog"
    pop3_scenario pop3-dropped
    pop3_scenario pop3-unknown
}

# smtp_scenario NAME [FILTER]: Postfix on 25/587 relays over LMTP to
# Dovecot on 24; the client helper waits for each delivery and writes the
# truth (client and stored copies).
smtp_scenario() {
    local name=$1 filter=${2:-tcp port 25 or tcp port 587 or tcp port 24}
    rm -f -- "$RUN/work/$name.keylog"
    capture "$name" "$filter" ip netns exec "$NS" "$PY" "$SMTP_HELPER" run "$name" \
        "$RUN/work/$name.truth.json" "$RUN"
    install -m 0644 "$RUN/work/$name.truth.json" "$OUT/$name.truth.json"
    [[ -f $RUN/work/$name.keylog ]] && install -m 0644 "$RUN/work/$name.keylog" "$OUT/$name.keylog"
    log "$name: ok"
}

run_smtp() {
    write_postfix_conf
    start_postfix
    smtp_scenario smtp-helo
    smtp_scenario smtp-ehlo-pipelining
    smtp_scenario smtp-auth-plain
    smtp_scenario smtp-auth-login
    smtp_scenario smtp-multi
    smtp_scenario smtp-dots
    # 2 MB over SMTP; the LMTP copy would double the file, so port 25 only
    smtp_scenario smtp-large 'tcp port 25'
    smtp_scenario smtp-utf8
    smtp_scenario smtp-rejects
    smtp_scenario smtp-starttls
    smtp_scenario smtp-bdat
    stop_postfix
}

# imap_scenario NAME [FILTER]: Dovecot IMAP on 143 (imap-idle also
# captures the LMTP delivery on 24).
imap_scenario() {
    local name=$1 filter=${2:-tcp port 143}
    rm -f -- "$RUN/work/$name.keylog"
    rm -rf -- "$RUN/work/mbsync" "$RUN/work/mbsyncrc"
    capture "$name" "$filter" ip netns exec "$NS" "$PY" "$IMAP_HELPER" run "$name" \
        "$RUN/work/$name.truth.json" "$RUN"
    if [[ $name == imap-mbsync ]]; then
        "$PY" "$IMAP_HELPER" ports "$name" "$RUN/work/$name.truth.json" "$OUT/$name.pcap"
    fi
    if [[ $name == imap-curl ]]; then
        # literals from the capture itself, compared with curl's -o files
        "$PY" "$IMAP_HELPER" wire "$name" "$RUN/work/$name.truth.json" "$OUT/$name.pcap"
    fi
    install -m 0644 "$RUN/work/$name.truth.json" "$OUT/$name.truth.json"
    [[ -f $RUN/work/$name.keylog ]] && install -m 0644 "$RUN/work/$name.keylog" "$OUT/$name.keylog"
    log "$name: ok"
}

run_imap() {
    imap_scenario imap-basic
    imap_scenario imap-mailboxes
    imap_scenario imap-append
    imap_scenario imap-idle 'tcp port 143 or tcp port 24'
    imap_scenario imap-starttls
    imap_scenario imap-authenticate
    imap_scenario imap-partial
    imap_scenario imap-mbsync
    imap_scenario imap-compress
    imap_scenario imap-curl
}

main() {
    local groups=("$@") g
    ((${#groups[@]} == 0)) && groups=(all)
    [[ ${groups[0]} == all ]] && groups=(pop3 smtp imap)
    for g in "${groups[@]}"; do
        declare -F "run_$g" >/dev/null || die "unknown group '$g' (known: pop3, smtp, imap, all)"
    done
    ((EUID == 0)) || die "must run as root"
    [[ -x $PY ]] || die "$PY missing"
    [[ -f $HELPER ]] || die "$HELPER missing"

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    install_packages
    make_run_dir
    setup_namespace
    make_cert
    write_dovecot_conf
    seed_mailboxes
    reset_mailboxes
    start_dovecot
    for g in "${groups[@]}"; do
        log "== $g =="
        "run_$g"
    done
}

main "$@"
