# Addresses of the local stack. Sourced by stack.sh and the Makefile's shell; each can be overridden
# from the environment, e.g. to point the services at a real Kafka, PostgreSQL or SMTP relay.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export LOGISTICS_VAR=${LOGISTICS_VAR:-$ROOT/var}
export KAFKA_VERSION=4.3.1
export KAFKA_PORT=${KAFKA_PORT:-9092}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
export PG_PORT=${PG_PORT:-5433}
export SMTP_PORT=${SMTP_PORT:-1025}
# `make up BROKERS=3`: three brokers, node n on ports KAFKA_PORT and KAFKA_CONTROLLER_PORT + 2(n-1), topics with three
# replicas of which two must acknowledge. `make up SECURE=1`: SASL/SCRAM-SHA-512 over TLS and ACLs; stack.sh gives each
# service its own principal (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD) and creates the topics as the operator.
export KAFKA_BROKERS=${BROKERS:-${KAFKA_BROKERS:-1}}
export KAFKA_SECURE=${SECURE:-${KAFKA_SECURE:-0}}
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
  for ((_kafka_node = 2; _kafka_node <= KAFKA_BROKERS; _kafka_node++)); do
    KAFKA_BOOTSTRAP_SERVERS+=,127.0.0.1:$((KAFKA_PORT + 2 * (_kafka_node - 1)))
  done
  unset _kafka_node
fi
export KAFKA_BOOTSTRAP_SERVERS
if [ "$KAFKA_BROKERS" -gt 1 ]; then
  export KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-3}
  export KAFKA_MIN_INSYNC_REPLICAS=${KAFKA_MIN_INSYNC_REPLICAS:-2}
fi
if [ "$KAFKA_SECURE" = 1 ]; then
  export KAFKA_SECURITY_PROTOCOL=SASL_SSL
  export KAFKA_SASL_MECHANISM=SCRAM-SHA-512
  export KAFKA_SSL_CAFILE=${KAFKA_SSL_CAFILE:-$LOGISTICS_VAR/kafka-secrets/ca.crt}
  export KAFKA_CREATE_TOPICS=false
fi
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:$PG_PORT/postgres}
export SMTP_HOST=${SMTP_HOST:-127.0.0.1}
export SMTP_PORT
export REGISTRATION_HTTP_PORT=${REGISTRATION_HTTP_PORT:-8101}
export SPONSORSHIP_HTTP_PORT=${SPONSORSHIP_HTTP_PORT:-8102}
export TRAVEL_HTTP_PORT=${TRAVEL_HTTP_PORT:-8103}
export NOTIFICATIONS_HTTP_PORT=${NOTIFICATIONS_HTTP_PORT:-8104}
export GDS_PORT=${GDS_PORT:-8105}
# The API: the one address staff and their CLI need (the services above listen on loopback for it alone).
export API_HTTP_PORT=${API_HTTP_PORT:-8000}
export LOGISTICS_API_URL=${LOGISTICS_API_URL:-http://127.0.0.1:$API_HTTP_PORT}
# The demos' token (staff, finance, ops), made by `make up` when missing; yours: `logistics login`.
if [ -z "${LOGISTICS_TOKEN:-}" ] && [ -f "$LOGISTICS_VAR/demo-token" ]; then
  LOGISTICS_TOKEN=$(cat "$LOGISTICS_VAR/demo-token")
  export LOGISTICS_TOKEN
fi
# The officials' reply links (docs/staff-guide.md): notifications mints them, the API's reply page reads them, with
# one secret. This one is for the local stack only: set your own anywhere officials are e-mailed.
export REPLY_LINK_SECRET=${REPLY_LINK_SECRET:-local-stack-reply-link-secret}
export REPLY_PAGE_URL=${REPLY_PAGE_URL:-$LOGISTICS_API_URL}
export GDS_URL=${GDS_URL:-http://127.0.0.1:$GDS_PORT}
export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON_PREFERENCE=only-system
