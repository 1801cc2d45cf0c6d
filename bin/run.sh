#!/usr/bin/env bash
# `make run`: prepare the database, then run web + worker + beat (Procfile) until Ctrl-C.
# Started under bin/services.py, so the embedded servers live exactly as long as honcho.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d .venv/bin ]] && export PATH="$PWD/.venv/bin:$PATH"  # also when not started by make

# honcho hands $PORT to the first Procfile entry (web), +100 for each further one.
export PORT="${PORT:-8000}"
# Links in e-mail start with the address web serves (honcho gives the worker and beat ports of their own, so each
# process is told the web's here, once). Set INFOHUB_SITE_URL when people reach it by another name.
if [[ -z "${INFOHUB_SITE_URL:-}" ]]; then
  host="${BIND:-127.0.0.1}"
  [[ "$host" == "0.0.0.0" ]] && host="$(hostname -f 2>/dev/null || hostname)"
  export INFOHUB_SITE_URL="http://${host}:${PORT}"
fi

# After the site URL: the demo's notices are e-mailed while it loads, and their links must name this port too.
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
python manage.py seed_demo

echo "InfoHub: ${INFOHUB_SITE_URL}/   (Ctrl-C stops everything)"
exec honcho start -f Procfile
