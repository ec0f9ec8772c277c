#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, jars from Maven Central), PostgreSQL (Debian),
# an SMTP server writing a Maildir, and the four services. Everything lives under var/.
#   stack.sh install | up | infra | services | down | status
# Every sub-command is idempotent; ports and paths come from the environment (see deploy/local/env.sh).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=deploy/local/env.sh
source "$ROOT/deploy/local/env.sh"

VAR=$LOGISTICS_VAR
RUN=$VAR/run
LOG=$VAR/log
KAFKA_LIBS=$VAR/kafka/libs
KAFKA_DATA=$VAR/kafka/data
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
kafka_java() { java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" "$@"; }

kafka_up() {
  if pid_alive "$RUN/kafka.pid"; then return 0; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process"
  mkdir -p "$KAFKA_DATA" "$RUN" "$LOG"
  sed -e "s#@DATA_DIR@#$KAFKA_DATA#" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$ROOT/deploy/kafka/server.properties.in" >"$VAR/kafka/server.properties"
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    local cluster_id
    cluster_id=$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    kafka_java -Xmx256m kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$VAR/kafka/server.properties" >>"$LOG/kafka.log" 2>&1
  fi
  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms1g -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true -cp "$KAFKA_LIBS/*" \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" -Dkafka.logs.dir="$LOG" \
    kafka.Kafka "$VAR/kafka/server.properties" >>"$LOG/kafka.log" 2>&1 9>&- &
  echo $! >"$RUN/kafka.pid"
  wait_port "$KAFKA_PORT" 90 Kafka
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
  "$ROOT/.venv/bin/python" -m shared.messaging.topics ensure
  gds_up
  local service
  for service in "${SERVICES[@]}"; do
    pid_alive "$RUN/$service.pid" && continue
    say "starting $service"
    nohup "$ROOT/.venv/bin/python" -m "$service" >>"$LOG/$service.log" 2>&1 9>&- &
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
  local name
  for name in kafka smtp gds "${SERVICES[@]}"; do
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
  services) services_up ;;
  up) install_tools; kafka_up; pg_up; smtp_up; services_up; status ;;
  down)
    for name in api notifications travel sponsorship registration gds smtp; do stop_pid "$name"; done
    stop_pid kafka; pg_down ;;
  status) status ;;
  *) die "usage: stack.sh install|up|infra|services|down|status" ;;
esac
