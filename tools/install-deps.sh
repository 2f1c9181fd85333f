#!/usr/bin/env bash
# Installs the Debian 12 packages gst-ascii needs to build, run and test. Idempotent: it runs
# apt-get (and apt-get update) only when something is missing.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # run: base plugins (videotestsrc, videoscale, uridecodebin ...), good (qtdemux, matroska ...)
  # and libav (H.264 and other decoders) so ascii-launch plays ordinary files
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
