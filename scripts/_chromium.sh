# Sourced by scripts/test: installs Debian's chromium when missing, for the GraphiQL browser test
# (tests/e2e/test_graphiql_browser.py), and exports its path as CHROMIUM_BIN.
ensure_chromium() {
  local bin
  bin=$(command -v chromium || command -v chromium-browser || true)
  if [ -z "$bin" ]; then
    echo "== installing chromium from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    bin=$(command -v chromium)
  fi
  CHROMIUM_BIN="$bin"
  export CHROMIUM_BIN
}
