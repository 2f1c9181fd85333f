#!/usr/bin/env bash
# Makes the pictures bench-quality measures: real photos and frames of real video from Debian
# packages, downloaded (not installed) with apt-get and unpacked into DIR, then scaled by ffmpeg to
# raw RGB at the size 200 x 84 cells of 8 x 16 pixels cover (1600 x 1344), plus one real frame as
# 1920 x 1080 I420 for the speed run, and 10 s of it as a 1080p H.264 MP4 (ffmpeg's libx264) for the
# end-to-end run. Idempotent: a DIR that is complete is left as it is.
#   quality-media.sh DIR [--then PROGRAM]   (runs PROGRAM DIR once the media are there)
#   python3-skimage: astronaut.png, chelsea.png, coffee.png, rocket.jpg (scikit-image's sample photos)
#   opencv-doc:      baboon.jpg, fruits.jpg (photos); vtest.avi, Megamind.avi (video)
set -euo pipefail
dir=$(realpath -m "${1:?usage: quality-media.sh DIR [--then PROGRAM]}")
then=()
[ "${2:-}" = --then ] && then=("${3:?--then needs a program}" "$dir")
mkdir -p "$dir"
cd "$dir"
if [ -f complete ]; then
  [ ${#then[@]} -eq 0 ] || exec "${then[@]}"
  exit 0
fi
command -v ffmpeg >/dev/null || { echo "quality-media: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }

fetch() {  # package, then paths inside it
  local package=$1; shift
  local deb
  deb=$(ls "$package"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    apt-get download "$package" >/dev/null || { apt-get update -q >/dev/null && apt-get download "$package" >/dev/null; }
    deb=$(ls "$package"_*.deb | head -1)
  fi
  dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards "${@/#/.}"
}
fetch python3-skimage /usr/lib/python3/dist-packages/skimage/data/{astronaut.png,chelsea.png,coffee.png,rocket.jpg}
fetch opencv-doc /usr/share/doc/opencv-doc/examples/data/{baboon.jpg,fruits.jpg,vtest.avi,Megamind.avi}

scale=(-vf "scale=1600:1344:flags=lanczos,format=rgb24" -f rawvideo -y -loglevel error)
skimage=usr/lib/python3/dist-packages/skimage/data
opencv=usr/share/doc/opencv-doc/examples/data
for p in $skimage/astronaut.png $skimage/chelsea.png $skimage/coffee.png $skimage/rocket.jpg \
         $opencv/baboon.jpg $opencv/fruits.jpg; do
  name=$(basename "${p%.*}")
  ffmpeg -i "$p" -frames:v 1 "${scale[@]}" "photo-$name.rgb"
done
# Frames of real video: a street scene and an animated film, a few seconds apart.
for t in 2 6; do
  ffmpeg -ss "$t" -i $opencv/vtest.avi -frames:v 1 "${scale[@]}" "video-vtest-$t.rgb"
  ffmpeg -ss "$t" -i $opencv/Megamind.avi -frames:v 1 "${scale[@]}" "video-megamind-$t.rgb"
done
ffmpeg -ss 6 -i $opencv/Megamind.avi -frames:v 1 -vf "scale=1920:1080:flags=lanczos,format=yuv420p" \
  -f rawvideo -y -loglevel error frame-1080p.i420
ffmpeg -i $opencv/Megamind.avi -t 10 -an -vf "scale=1920:1080:flags=lanczos,format=yuv420p" -r 30 \
  -c:v libx264 -preset veryfast -crf 20 -y -loglevel error clip-1080p.mp4
rm -f ./*.deb
touch complete
[ ${#then[@]} -eq 0 ] || exec "${then[@]}"
