#!/usr/bin/env bash
# Make the real services the test suite needs available on Debian 12, idempotently:
# PostgreSQL 15 + TimescaleDB (built from Debian 13's source package, Apache-only),
# Redis, ffmpeg, an RTSP server, Chromium. Only installs what is missing; needs root
# for installs. Never starts, stops or reconfigures the machine's own clusters.
set -euo pipefail

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
TSDB_VERSION_WANTED="${TSDB_VERSION_WANTED:-2.19}"
WORK="${JCOC_BUILD_DIR:-/var/tmp/jcoc-build}"
log() { printf '[setup-services] %s\n' "$*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: $*; run this script as root (or install them yourself)"
    exit 1
  fi
}

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root "${missing[*]}"
  if [ $apt_updated -eq 0 ]; then apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- base packages -----------------------------------------------------------------
apt_install postgresql-15 postgresql-server-dev-15 cmake build-essential dpkg-dev \
  redis-server ffmpeg rtsp-server-perl chromium fonts-dejavu-core

# The Debian packages start system services on install; leave them as they are.

# --- TimescaleDB --------------------------------------------------------------------
pkglib="$($PG_CONFIG --pkglibdir)"
sharedir="$($PG_CONFIG --sharedir)"
if ls "$pkglib"/timescaledb-"$TSDB_VERSION_WANTED"*.so >/dev/null 2>&1 \
   && [ -f "$sharedir/extension/timescaledb.control" ]; then
  log "timescaledb already installed ($(ls "$pkglib"/timescaledb-2*.so | head -1))"
  exit 0
fi
need_root "timescaledb build"

# A private apt configuration, so the machine's own apt state is untouched.
mirror="$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null;
             sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(https\?:[^[:space:]]*\).*/\2/p' \
               /etc/apt/sources.list 2>/dev/null; } | tr ' ' '\n' | grep -v -e security -e '^$' | head -n1 || true)"
mirror="${mirror%/}"
[ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
aptdir="$WORK/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$WORK/src"
echo "deb-src $mirror trixie main" > "$aptdir/trixie-src.list"
APT_OPTS=(-o "Dir::Etc::SourceList=$aptdir/trixie-src.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
          -o "APT::Get::AllowUnauthenticated=false")
log "fetching timescaledb source from $mirror trixie"
apt-get "${APT_OPTS[@]}" update -qq
cd "$WORK/src"
rm -rf timescaledb-*/
apt-get "${APT_OPTS[@]}" source -qq --download-only timescaledb >/dev/null
dpkg-source -x --no-check ./timescaledb_*.dsc >/dev/null
srcdir="$(ls -d "$WORK"/src/timescaledb-*/ | head -1)"
cd "$srcdir"
log "building timescaledb in $srcdir"
./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DAPACHE_ONLY=ON -DWARNINGS_AS_ERRORS=OFF \
  -DPG_CONFIG="$PG_CONFIG" >/dev/null
make -C build -j"$(nproc)" install >/dev/null
log "timescaledb installed: $(ls "$pkglib"/timescaledb-2*.so | head -1)"
