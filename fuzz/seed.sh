#!/bin/sh
# Seeds each fuzz target's corpus (fuzz/corpus/TARGET) with the project's own captures.
set -eu
cd "$(dirname "$0")"
for t in reader report_json; do
  mkdir -p "corpus/$t"
  for f in ../testdata/kernel/*.pcap ../testdata/kernel/*.pcapng ../testdata/kernel/*.pcap.gz; do
    cp "$f" "corpus/$t/"
  done
done
# The decoder's input is a link-type byte then one frame: the first frames of a few captures.
mkdir -p corpus/decode
python3 - <<'PY'
import struct, glob, os
for path in sorted(glob.glob("../testdata/kernel/fmt-*.pcap")):
    b = open(path, "rb").read()
    link = struct.unpack_from("<I", b, 20)[0]
    pick = {0: 0, 1: 1, 113: 7, 276: 12, 101: 5}.get(link, 1)
    at, n = 24, 0
    while at + 16 <= len(b) and n < 6:
        incl = struct.unpack_from("<I", b, at + 8)[0]
        frame = b[at + 16: at + 16 + incl]
        name = f"corpus/decode/{os.path.basename(path)}-{n}"
        open(name, "wb").write(bytes([pick]) + frame)
        at += 16 + incl
        n += 1
PY
echo "seeded: $(ls corpus/reader | wc -l) captures, $(ls corpus/decode | wc -l) frames"
