#!/usr/bin/env bash
# Installs the Debian 12 packages gst-ascii needs to build and run ("run", the default) or also to
# test ("test": adds chromium and the npm package that drives it). Idempotent: it runs apt-get (and
# apt-get update) only when something is missing.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsoup-3.0-dev libjson-glib-dev libdeflate-dev
  libgstrtspserver-1.0-dev psf-unifont libtesseract-dev
  # run: base plugins (videotestsrc, videoscale, uridecodebin ...), good (qtdemux, matroska ...)
  # and libav (H.264 and other decoders) so ascii-launch plays ordinary files; ugly for x264enc,
  # which --output encodes the art with
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav
  gstreamer1.0-plugins-ugly
  # and Tesseract's English model, for the recorder's slide text; PocketSphinx and its US English
  # model for its local transcripts (--transcribe sphinx)
  tesseract-ocr-eng gstreamer1.0-pocketsphinx pocketsphinx-en-us
)
# Tests also need the browser the end-to-end tests drive (Debian's, never a downloaded one) and
# node to drive it, clang for the libFuzzer target, ffmpeg to make real media files, and nginx to
# serve them over HTTP, tmux for terminals the terminal tests read back (with curl and nc as remote
# terminal viewers), and libchafa for the picture-quality benchmark (compared with chafa in the
# same run; the plugins never use it), ImageMagick and its fonts for the slides the recorder's
# text test reads, espeak-ng for the speech its transcript test hears, and PulseAudio (a server of
# the test's own, with a null sink) for the sound whose sync with the terminal picture is measured.
if [ "${1:-run}" = test ]; then
  packages+=(chromium nodejs clang ffmpeg nginx tmux curl netcat-openbsd libchafa-dev imagemagick fonts-dejavu-core
    espeak-ng pulseaudio pulseaudio-utils)
  # Debian's nodejs comes without npm; some nodejs packages bring their own.
  command -v npm >/dev/null || packages+=(npm)
fi

# playwright-core (npm) drives Debian's chromium in the browser test; it downloads no browser.
install_node_modules() {
  local dir="$(dirname "$0")/../tests/e2e"
  [ -d "$dir/node_modules/playwright-core" ] && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  [ "${1:-run}" = test ] && install_node_modules
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
[ "${1:-run}" = test ] && install_node_modules
exit 0
