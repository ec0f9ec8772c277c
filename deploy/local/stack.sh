#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, jars from Maven Central), PostgreSQL (Debian),
# an SMTP server writing a Maildir, and the four services. Everything lives under var/.
#   stack.sh install | up | infra | services | down | status | kafka | kafka-down | postgres
# Every sub-command is idempotent; ports and paths come from the environment (see deploy/local/env.sh), and so do
# SECURE=1 (SASL/SCRAM-SHA-512, TLS, ACLs) and BROKERS=3 (a three-broker cluster).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=deploy/local/env.sh
source "$ROOT/deploy/local/env.sh"

VAR=$LOGISTICS_VAR
RUN=$VAR/run
LOG=$VAR/log
KAFKA_LIBS=${KAFKA_LIBS:-$VAR/kafka/libs} # another checkout's or var's jars, for the tests' own brokers
SERVICES=(registration sponsorship travel notifications api)

say() { printf '\033[1m[stack]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# A step that fails says which, with the last lines of the logs it may have written, so that a red CI run
# shows its cause (several steps send their own output to var/log/). It writes to the script's own stderr
# (fd 9), since the failing command may have had its output sent to a log; the processes it starts in the
# background do not inherit fd 9 (`9>&-`), or they would hold the caller's stderr open after it exits.
exec 9>&2
on_error() { # exit-code line command
  exec 2>&9
  say "error: \`$3\` failed with exit code $1 (deploy/local/stack.sh line $2)"
  local f
  for f in "$LOG"/*.log "$VAR"/pg/*.log; do
    [ -s "$f" ] || continue
    say "last lines of $f:"
    tail -n 25 "$f" >&2
  done
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds what
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  die "$3 did not open port $1 within $2 s (see $LOG)"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------- install
install_tools() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ "$KAFKA_SECURE" = 1 ] && ! command -v openssl >/dev/null && missing+=(openssl) # the local CA (SECURE=1)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  # DejaVu Sans, embedded in the invitation letters (every script the delegates' names are written in)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # Headless Chromium for the e-mail screenshot test, installed on its own: a failure here only warns, so it
  # cannot stop the stack; that test then fails and says why.
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium (headless, for the e-mail screenshot test)"
    if ! { as_root apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core >/dev/null; }; then
      say "warning: chromium could not be installed; tests/end_to_end/test_mail_screenshot.py will fail"
    fi
  fi
  if ! command -v uv >/dev/null; then
    say "installing uv from PyPI"
    python3 -m pip install -q uv || python3 -m pip install -q --user uv
  fi
  if [ ! -f "$KAFKA_LIBS/.complete" ]; then
    say "fetching Apache Kafka jars with Maven (cached in ~/.m2 after the first time)"
    mkdir -p "$KAFKA_LIBS" "$LOG"
    local try
    for try in 1 2 3; do # a registry that drops a connection now and then must not fail the run
      mvn -B -ntp -C -f "$ROOT/deploy/kafka/pom.xml" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
        -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >"$LOG/maven.log" 2>&1 && break
      [ "$try" = 3 ] && { tail -n 40 "$LOG/maven.log" >&2; die "Maven could not fetch the Kafka jars"; }
      say "Maven failed (try $try of 3, see $LOG/maven.log); trying again"
      sleep 5
    done
    compgen -G "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null ||
      die "Maven ran but $KAFKA_LIBS holds no kafka_2.13-$KAFKA_VERSION.jar"
    touch "$KAFKA_LIBS/.complete"
  fi
  (cd "$ROOT" && uv sync --frozen --quiet)
}

# ---------------------------------------------------------------- kafka
# One combined KRaft node by default (var/kafka); BROKERS=3 three on this machine, SECURE=1 with SASL/SCRAM, TLS and
# ACLs; each mode in its own folder (var/kafka-secure, var/kafka-3, var/kafka-secure-3), so none inherits another's data.
# Node n is `kafka` (n=1) or `kafka-n` in var/run and var/log; its ports are KAFKA_PORT and KAFKA_CONTROLLER_PORT + 2(n-1).
KAFKA_LOG4J=${KAFKA_LOG4J:-$ROOT/deploy/kafka/log4j2.yaml} # the tests' brokers also log what the ACLs allowed

KAFKA_MODE="secure=$KAFKA_SECURE brokers=$KAFKA_BROKERS"
KAFKA_SECRETS=$VAR/kafka-secrets
# The principals with passwords: the operator (admin: topics and ACLs, and the brokers among themselves), then one per
# service and the API (their rights: shared.messaging.access).
PRINCIPALS=(admin registration sponsorship travel notifications api)

kafka_state() {
  local folder=kafka
  [ "$KAFKA_SECURE" = 1 ] && folder+=-secure
  [ "$KAFKA_BROKERS" -gt 1 ] && folder+=-$KAFKA_BROKERS
  echo "$VAR/$folder"
}
node_name() { if [ "$1" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }
node_dir() { if [ "$KAFKA_BROKERS" = 1 ]; then kafka_state; else echo "$(kafka_state)/node-$1"; fi; }
node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
kafka_nodes() { seq 1 "$KAFKA_BROKERS"; }
kafka_uuid() { # Kafka's own form (base64url of 16 random bytes); never starting with "-", which reads as an option
  python3 -c 'import base64, uuid
while (u := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"): pass
print(u)'
}
secret() { cat "$KAFKA_SECRETS/$1.password"; }

# A local certificate authority, the brokers' certificate (localhost and 127.0.0.1: every node of this machine) and a
# random password per principal, made once, readable by their owner only.
kafka_secrets() {
  mkdir -p "$KAFKA_SECRETS"
  chmod 700 "$KAFKA_SECRETS"
  local name
  for name in "${PRINCIPALS[@]}" controller; do
    [ -s "$KAFKA_SECRETS/$name.password" ] || (umask 077 && openssl rand -hex 24 >"$KAFKA_SECRETS/$name.password")
  done
  [ -s "$KAFKA_SECRETS/broker.pem" ] && return 0
  say "making a local certificate authority and the brokers' certificate ($KAFKA_SECRETS)"
  (
    cd "$KAFKA_SECRETS" && umask 077
    openssl req -x509 -newkey rsa:2048 -sha256 -days 825 -nodes -keyout ca.key -out ca.crt \
      -subj "/CN=Dialogue Logistics local Kafka CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -sha256 -nodes -keyout broker.key -out broker.csr -subj "/CN=localhost"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
      -extfile broker.ext -out broker.crt
    cat broker.key broker.crt ca.crt >broker.pem # a PEM key store: key, certificate, chain
    rm -f broker.csr broker.ext broker.key ca.srl
    chmod 644 ca.crt
  ) >>"$LOG/kafka-secrets.log" 2>&1
}

node_config() { # node
  local n=$1 dir listeners="" controllers="" i protocol=PLAINTEXT
  dir=$(node_dir "$n")
  [ "$KAFKA_SECURE" = 1 ] && protocol=SASL_SSL
  for i in $(kafka_nodes); do controllers+=${controllers:+,}127.0.0.1:$(node_controller_port "$i"); done
  listeners="$protocol://127.0.0.1:$(node_port "$n"),CONTROLLER://127.0.0.1:$(node_controller_port "$n")"
  sed -e "s#@NODE_ID@#$n#" -e "s#@CONTROLLERS@#$controllers#" -e "s#@LISTENERS@#$listeners#" \
    -e "s#@BROKER_LISTENER@#$protocol#" -e "s#@DATA_DIR@#$dir/data#" \
    -e "s#@PROTOCOL_MAP@#CONTROLLER:${protocol/SASL_SSL/SASL_PLAINTEXT},$protocol:$protocol#" \
    -e "s#@REPLICATION_FACTOR@#${KAFKA_REPLICATION_FACTOR:-1}#g" \
    -e "s#@MIN_INSYNC_REPLICAS@#${KAFKA_MIN_INSYNC_REPLICAS:-1}#g" \
    "$ROOT/deploy/kafka/server.properties.in"
  if [ "$KAFKA_SECURE" = 1 ]; then
    sed -e "s#@ADMIN_PASSWORD@#$(secret admin)#" -e "s#@CONTROLLER_PASSWORD@#$(secret controller)#g" \
      -e "s#@SECRETS@#$KAFKA_SECRETS#g" "$ROOT/deploy/kafka/secure.properties.in"
  fi
}

# Format the nodes' storage once: one cluster id; with several nodes, the same initial controllers (id@host:port:
# directory id) on each; with SECURE=1, every principal's SCRAM credentials. The arguments go through a file
# (`java @file`, 0600, removed at once) so that no password shows in the process list, and the tool's echo of the
# credentials' salts and keys is cut from the log.
kafka_format() {
  local state n initial="" args=() pending=()
  state=$(kafka_state)
  for n in $(kafka_nodes); do [ -f "$(node_dir "$n")/data/meta.properties" ] || pending+=("$n"); done
  [ ${#pending[@]} -gt 0 ] || return 0
  [ -s "$state/cluster.id" ] || kafka_uuid >"$state/cluster.id"
  for n in $(kafka_nodes); do
    [ -s "$(node_dir "$n")/directory.id" ] || kafka_uuid >"$(node_dir "$n")/directory.id"
    initial+=${initial:+,}$n@127.0.0.1:$(node_controller_port "$n"):$(cat "$(node_dir "$n")/directory.id")
  done
  local argfiles=() pids=() argfile name pid failed=0
  for n in "${pending[@]}"; do
    args=(-Xmx256m -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_LOG4J"
      kafka.tools.StorageTool format -t "$(cat "$state/cluster.id")" -c "$(node_dir "$n")/server.properties")
    if [ "$KAFKA_BROKERS" = 1 ]; then args+=(--standalone); else args+=(--initial-controllers "$initial"); fi
    if [ "$KAFKA_SECURE" = 1 ]; then
      for name in "${PRINCIPALS[@]}"; do args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(secret "$name")]"); done
    fi
    argfile=$(umask 077 && mktemp "$RUN/kafka-format.XXXXXX")
    argfiles+=("$argfile")
    printf '"%s"\n' "${args[@]}" >"$argfile"
    (java @"$argfile" 2>&1 | sed -E 's/UserScramCredentialRecord\([^)]*\)/UserScramCredentialRecord(...)/g' \
      >>"$LOG/$(node_name "$n").log") 9>&- &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  rm -f "${argfiles[@]}"
  for n in "${pending[@]}"; do
    [ -f "$(node_dir "$n")/data/meta.properties" ] || failed=1
  done
  [ "$failed" = 0 ] || die "formatting Kafka's storage failed (see $LOG/kafka*.log)"
}

kafka_up() {
  local n running=""
  for n in 1 2 3; do pid_alive "$RUN/$(node_name "$n").pid" && running=1; done
  if [ -n "$running" ]; then
    local mode
    mode=$(cat "$RUN/kafka.mode" 2>/dev/null || echo "secure=0 brokers=1")
    [ "$mode" = "$KAFKA_MODE" ] || die "Kafka already runs with $mode, not $KAFKA_MODE: \`make down\` first"
  fi
  case "$KAFKA_BROKERS" in 1 | 3) ;; *) die "BROKERS=$KAFKA_BROKERS: 1 or 3 only" ;; esac
  mkdir -p "$RUN" "$LOG"
  echo "$KAFKA_MODE" >"$RUN/kafka.mode"
  [ "$KAFKA_SECURE" = 1 ] && kafka_secrets
  local started=() heap=${KAFKA_HEAP:-1g}
  [ "$KAFKA_BROKERS" -gt 1 ] && heap=${KAFKA_HEAP:-512m}
  for n in $(kafka_nodes); do
    pid_alive "$RUN/$(node_name "$n").pid" && continue
    port_open "$(node_port "$n")" && die "port $(node_port "$n") is taken by another process"
    mkdir -p "$(node_dir "$n")/data"
    (umask 077 && node_config "$n" >"$(node_dir "$n")/server.properties")
    started+=("$n")
  done
  [ ${#started[@]} -gt 0 ] || return 0
  kafka_format
  for n in "${started[@]}"; do
    say "starting Kafka $KAFKA_VERSION node $n on 127.0.0.1:$(node_port "$n") ($KAFKA_MODE)"
    nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true -cp "$KAFKA_LIBS/*" \
      -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$LOG" \
      kafka.Kafka "$(node_dir "$n")/server.properties" >>"$LOG/$(node_name "$n").log" 2>&1 9>&- &
    echo $! >"$RUN/$(node_name "$n").pid"
  done
  for n in "${started[@]}"; do wait_port "$(node_port "$n")" 90 "Kafka node $n"; done
}

kafka_down() {
  local n
  # Every node at once: stopped one after the other, the last would wait for a quorum of controllers that is gone.
  for n in 3 2 1; do pid_alive "$RUN/$(node_name "$n").pid" && kill "$(cat "$RUN/$(node_name "$n").pid")"; done
  for n in 3 2 1; do stop_pid "$(node_name "$n")"; done
  rm -f "$RUN/kafka.mode"
}

# Run a command as a Kafka principal (SECURE=1; otherwise unchanged): its password in the environment, never in argv.
as_principal() { # name command...
  if [ "$KAFKA_SECURE" = 1 ]; then
    KAFKA_SASL_USERNAME=$1 KAFKA_SASL_PASSWORD=$(secret "$1") "${@:2}"
  else
    "${@:2}"
  fi
}

# ---------------------------------------------------------------- postgres
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_data_dir() {
  # PostgreSQL refuses to run as root, so as root it runs as the postgres user, which may not be
  # able to reach a checkout in a private directory (mktemp -d is 0700): then the cluster lives in
  # /var/lib/dialogue-logistics/<checkout hash> and var/pg points there.
  if [ -L "$VAR/pg" ] || [ -d "$VAR/pg" ]; then readlink -f "$VAR/pg"; return; fi
  mkdir -p "$VAR"
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$VAR"; then
    mkdir -p "$VAR/pg"
  else
    local outside
    outside=/var/lib/dialogue-logistics/$(printf '%s' "$VAR" | sha1sum | cut -c1-12)
    mkdir -p "$outside"
    ln -s "$outside" "$VAR/pg"
  fi
  readlink -f "$VAR/pg"
}

pg_up() {
  local bin dir
  bin=$(pg_bin)
  dir=$(pg_data_dir)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $dir/data"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$LOG/postgres-init.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
log_min_messages = warning
EOF
  fi
  if as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another process"
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null 9>&-
  ln -sf "$dir/postgres.log" "$LOG/postgres.log"
}

pg_down() {
  local bin dir
  bin=$(pg_bin)
  [ -e "$VAR/pg" ] || return 0
  dir=$(readlink -f "$VAR/pg")
  if as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    say "stopping PostgreSQL"
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
}

# ---------------------------------------------------------------- smtp
smtp_up() {
  if pid_alive "$RUN/smtp.pid"; then return 0; fi
  port_open "$SMTP_PORT" && die "port $SMTP_PORT is taken by another process"
  mkdir -p "$VAR/mail/tmp" "$VAR/mail/new" "$VAR/mail/cur" "$RUN" "$LOG"
  say "starting the SMTP server on 127.0.0.1:$SMTP_PORT (Maildir $VAR/mail)"
  nohup "$ROOT/.venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$VAR/mail" >>"$LOG/smtp.log" 2>&1 9>&- &
  echo $! >"$RUN/smtp.pid"
  wait_port "$SMTP_PORT" 30 "SMTP server"
}

# ---------------------------------------------------------------- simulated GDS (travel's fare provider)
gds_up() {
  if pid_alive "$RUN/gds.pid"; then return 0; fi
  port_open "$GDS_PORT" && die "port $GDS_PORT is taken by another process"
  mkdir -p "$RUN" "$LOG"
  say "starting the simulated GDS on 127.0.0.1:$GDS_PORT"
  nohup "$ROOT/.venv/bin/python" -m gds --port "$GDS_PORT" \
    --state "$VAR/gds-state.json" >>"$LOG/gds.log" 2>&1 9>&- &
  echo $! >"$RUN/gds.pid"
  wait_port "$GDS_PORT" 30 "simulated GDS"
}

# ---------------------------------------------------------------- services
services_up() {
  # SECURE=1: the operator creates the topics and the ACLs (the services' principals may not); each service then
  # connects as its own principal.
  as_principal admin "$ROOT/.venv/bin/python" -m shared.messaging.topics ensure
  [ "$KAFKA_SECURE" = 1 ] && as_principal admin "$ROOT/.venv/bin/python" -m shared.messaging.access apply
  gds_up
  local service
  for service in "${SERVICES[@]}"; do
    pid_alive "$RUN/$service.pid" && continue
    say "starting $service"
    (
      if [ "$KAFKA_SECURE" = 1 ]; then
        KAFKA_SASL_USERNAME=$service KAFKA_SASL_PASSWORD=$(secret "$service")
        export KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD
      fi
      exec nohup "$ROOT/.venv/bin/python" -m "$service" >>"$LOG/$service.log" 2>&1 9>&-
    ) &
    echo $! >"$RUN/$service.pid"
  done
  for service in "${SERVICES[@]}"; do
    local port_var="${service^^}_HTTP_PORT"
    wait_port "${!port_var}" 60 "$service"
  done
  demo_token
}

# The demos' token: staff, finance and ops, written once into the API's database (like `logistics token create
# --local`) and kept in var/demo-token, readable by its owner only; deploy/local/env.sh hands it to the CLI.
demo_token() {
  if [ -s "$VAR/demo-token" ] && "$ROOT/.venv/bin/python" -c 'import os, sys, httpx
answer = httpx.get(os.environ["LOGISTICS_API_URL"] + "/whoami", headers={"Authorization": "Bearer " + sys.argv[1]})
sys.exit(answer.status_code != 200)' "$(cat "$VAR/demo-token")" 2>/dev/null; then
    return 0
  fi
  local token
  token=$("$ROOT/.venv/bin/python" -m api.entrypoints.admin token create --name demo \
    --role staff --role finance --role ops)
  (umask 077 && printf '%s\n' "$token" >"$VAR/demo-token")
  say "made the demos' token (staff, finance, ops): $VAR/demo-token"
}

stop_pid() { # name
  local file="$RUN/$1.pid" i
  pid_alive "$file" || { rm -f "$file"; return 0; }
  say "stopping $1"
  kill "$(cat "$file")" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do pid_alive "$file" || break; sleep 0.1; done
  pid_alive "$file" && kill -9 "$(cat "$file")" 2>/dev/null
  rm -f "$file"
}

status() {
  local name nodes=(kafka)
  [ -f "$RUN/kafka-2.pid" ] && nodes+=(kafka-2 kafka-3)
  for name in "${nodes[@]}" smtp gds "${SERVICES[@]}"; do
    if pid_alive "$RUN/$name.pid"; then printf '%-14s running (pid %s)\n' "$name" "$(cat "$RUN/$name.pid")"
    else printf '%-14s stopped\n' "$name"; fi
  done
  if [ -e "$VAR/pg" ] && as_postgres "$(pg_bin)/pg_ctl" -D "$(readlink -f "$VAR/pg")/data" status >/dev/null 2>&1; then
    printf '%-14s running (127.0.0.1:%s)\n' postgresql "$PG_PORT"
  else printf '%-14s stopped\n' postgresql; fi
}

case "${1:-}" in
  install) install_tools ;;
  infra) install_tools; kafka_up; pg_up; smtp_up ;;
  kafka) install_tools; kafka_up ;;
  kafka-down) kafka_down ;;
  postgres) install_tools; pg_up ;;
  services) services_up ;;
  up) install_tools; kafka_up; pg_up; smtp_up; services_up; status ;;
  down)
    for name in api notifications travel sponsorship registration gds smtp; do stop_pid "$name"; done
    kafka_down; pg_down ;;
  status) status ;;
  *) die "usage: stack.sh install|up|infra|services|down|status|kafka|kafka-down|postgres" ;;
esac
