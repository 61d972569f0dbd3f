#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real DICOM files for run.sh's "samples" phase: this repository's fixtures, a few of the files
# python3-pydicom installs (several transfer syntaxes), and two of octave-dicom's (a real 512x512
# CT, a 10-frame RLE palette ultrasound), unpacked from the package without installing it.
# Usage: tests/bench/samples.sh [DIR]   (default /tmp/sbx-bench/samples; writes DIR/list.txt)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-/tmp/sbx-bench/samples}
mkdir -p "$dir/packages"
pydicom=/usr/lib/python3/dist-packages/pydicom/data/test_files
[ -d "$pydicom" ] || apt-get install -y -qq --no-install-recommends python3-pydicom >/dev/null ||
  echo "python3-pydicom could not be installed: its files are left out" >&2
(
  cd "$dir/packages"
  ls octave-dicom_*.deb >/dev/null 2>&1 || apt-get download octave-dicom >/dev/null 2>&1 ||
    echo "could not download octave-dicom: its files are left out" >&2
  for deb in octave-dicom_*.deb; do [ ! -f "$deb" ] || dpkg -x "$deb" octave-dicom; done
)
{
  for f in "$here/../fixtures/test.dcm" "$here/../fixtures/sc.dcm" \
    "$pydicom"/{CT_small,MR_small,MR_small_RLE,JPEG2000,SC_rgb_jpeg_dcmtk}.dcm \
    "$dir"/packages/octave-dicom/usr/share/octave/packages/dicom-*/imdata/{CT-MONO2-16-ankle,US-PAL-8-10x-echo}.dcm; do
    [ ! -f "$f" ] || readlink -f "$f"
  done
} > "$dir/list.txt"
echo "$(grep -c . "$dir/list.txt") sample files in $dir/list.txt"
