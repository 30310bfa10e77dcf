#!/usr/bin/env bash
# scripts/deps.sh: installs the Debian 12 packages tensh needs to build and
# test (and, with --bench, to run bench/ against PyTorch). Quick and silent
# when everything is present; not a general package manager.
#
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --bench    also python3-torch and hyperfine (best effort)
#   scripts/deps.sh --list     print the package names and exit
set -euo pipefail

# Build: compiler, CMake, Lua 5.4, readline, OpenBLAS in its OpenMP build
# (CMake links it by path, so BLAS and our kernels share libgomp's pool).
# On Debian 12 libopenblas-openmp-dev and libopenblas-pthread-dev can be
# installed side by side (they are alternatives, not conflicts), so this
# never removes the pthread build that other software may use.
# lua5.4 is the plain interpreter (to compare with tensh); tmux drives the
# REPL tests.
BUILD_PKGS=(build-essential cmake pkg-config liblua5.4-dev lua5.4 libreadline-dev
            libopenblas-openmp-dev tmux)
# zlib reads .npz and gzipped IDX files; Fashion-MNIST is the built-in data
# set (the DataLoader tests and the training script read it).
BUILD_PKGS+=(zlib1g-dev dataset-fashion-mnist)
# plot draws with Cairo, writes PNG with libpng, shows in the terminal
# through chafa, and writes its text in DejaVu Sans.
BUILD_PKGS+=(libcairo2-dev libchafa-dev libpng-dev libfontconfig-dev fonts-dejavu-core)
BENCH_PKGS=(python3 python3-torch hyperfine)
# bench/plot_bench.sh compares plot with matplotlib.
BENCH_PKGS+=(python3-matplotlib)

bench=0
case "${1:-}" in
  "") ;;
  --bench) bench=1 ;;
  --list) echo "${BUILD_PKGS[*]}"; echo "${BENCH_PKGS[*]}"; exit 0 ;;
  *) echo "usage: $0 [--bench|--list]" >&2; exit 2 ;;
esac

# Prints the packages of "$@" that dpkg does not have fully installed.
missing() {
  local p
  for p in "$@"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
      echo "$p"
    fi
  done
}

# Runs apt-get as root: directly when we are root, through sudo otherwise.
as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
apt_get() {
  # Waits for a dpkg lock held by another install rather than failing.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -y -q -o DPkg::Lock::Timeout=600 "$@"
}

install() {
  local need
  mapfile -t need < <(missing "$@")
  [ "${#need[@]}" -eq 0 ] && return 0
  if [ "${#as_root[@]}" -gt 0 ] && ! command -v sudo >/dev/null; then
    echo "deps.sh: missing ${need[*]}; not root and no sudo, so run as root:" >&2
    echo "  apt-get install ${need[*]}" >&2
    return 1
  fi
  echo "deps.sh: installing ${need[*]}" >&2
  # A fresh machine may have no or stale package lists: update first (this
  # runs only when something is missing, so the quick path stays quick).
  apt_get update >&2 || echo "deps.sh: apt-get update failed; trying the install anyway" >&2
  apt_get install --no-install-recommends "${need[@]}" >&2 || true
  mapfile -t need < <(missing "$@")
  if [ "${#need[@]}" -ne 0 ]; then
    echo "deps.sh: still missing after install: ${need[*]}" >&2
    return 1
  fi
}

command -v dpkg-query >/dev/null || { echo "deps.sh: needs Debian (dpkg-query not found)" >&2; exit 1; }
install "${BUILD_PKGS[@]}"
if [ "$bench" -eq 1 ]; then
  install "${BENCH_PKGS[@]}" || { echo "deps.sh: bench packages unavailable; continuing without them" >&2; exit 3; }
fi
