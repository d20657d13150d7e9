# Sourced by the other scripts: makes sure .venv exists and holds the project with the given
# extras. Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
hash="$(sha256sum pyproject.toml | cut -c1-16)"
stamp=".venv/.installed-$hash-${EXTRAS:-base}"
# An install with the test extras holds everything the base install does.
if [ -z "$EXTRAS" ] && [ -f ".venv/.installed-$hash-test" ]; then
  stamp=".venv/.installed-$hash-test"
fi
if [ ! -f "$stamp" ]; then
  echo "== installing coach-graph${EXTRAS:+[$EXTRAS]} into .venv (log: .venv/install.log)"
  target="."
  [ -n "$EXTRAS" ] && target=".[${EXTRAS}]"
  if ! .venv/bin/python -m pip install -e "$target" >.venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
