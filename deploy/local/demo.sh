#!/usr/bin/env bash
# `make demo`: the Geneva, 12-13 July 2006 workshop, replayed as of 20 April 2006, end to end.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/deploy/local/env.sh"
cd "$ROOT"
logistics() { "$ROOT/.venv/bin/logistics" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

WORKSHOP=idm-2006-geneva
step "Apply deploy/scenarios/geneva-2006.yaml: the workshop, the Government of Australia's pledge, 200 delegates"
logistics apply deploy/scenarios/geneva-2006.yaml
logistics wait --timeout 180
step "Allocate sponsored places: speakers first, then officials in order of request, while money lasts"
logistics sponsorship allocate --workshop "$WORKSHOP"
logistics wait --timeout 180
step "Book travel for every sponsored delegate (fares as of 20 April 2006, 82 days ahead)"
logistics travel book --workshop "$WORKSHOP"
logistics wait --timeout 180
step "Consistency across the four services"
logistics report consistency --workshop "$WORKSHOP" --maildir "$LOGISTICS_VAR/mail"
cat <<TXT

E-mails delivered over SMTP:  $LOGISTICS_VAR/mail/new/  ($(ls "$LOGISTICS_VAR/mail/new" | wc -l) files)
Service logs (JSON lines):    $LOGISTICS_VAR/log/
The API (commands, reads):    $LOGISTICS_API_URL/docs, with the demos' token in $LOGISTICS_VAR/demo-token
                              (staff, finance, ops; your own: logistics token create --local --name N --role R)
Run it again: nothing changes. Stop everything: make down
TXT
