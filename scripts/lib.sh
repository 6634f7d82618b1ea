# Shared install steps of scripts/start and scripts/test (sourced, not run).
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing (binary name → package name pairs).
ensure_debian_packages() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "Node.js 20 or newer is required (https://nodejs.org or Debian's nodejs package)" >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "Node.js 20 or newer is required; found $(node --version)" >&2
    exit 1
  fi
}

# npm ci when node_modules is missing or older than the lock file.
ensure_npm_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

# Builds the web console (admin-api/web → admin-api/web/dist) when it is missing or older than its sources.
ensure_console_built() {
  if [ ! -f admin-api/web/dist/index.html ] || [ -n "$(find admin-api/web -path admin-api/web/dist -prune -o -type f -newer admin-api/web/dist/index.html -print -quit)" ]; then
    npm run --silent build:web
  fi
}
