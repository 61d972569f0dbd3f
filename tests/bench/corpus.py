#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Synthetic CT corpus for the benchmarks (python3 standard library only).

  corpus.py OUT --files N [--size 512|64] [--seed S] [--images-per-series 25] [--anonymous]

Writes N CT Image Storage files (Explicit VR Little Endian, 16 bits allocated, 12 stored,
Hounsfield units through RescaleIntercept -1024) under OUT/, grouped as a real archive would be:
2 studies per patient, 2 series per study, --images-per-series images per series (the last
patient may have fewer). A 512x512 file is 0.53 MB, a 64x64 one 9.6 KB.

Everything is a function of the seed and the file's position: the same command writes the same
bytes, and two seeds share no UID. The pixels are a slice of a simple body (head, chest or
abdomen, depending on the study) painted with noisy tissue, so that PNG encoding and compression
have realistic work to do (noisier than a real CT, so somewhat dearer).

Also writes OUT/files.txt (absolute paths in sending order) and OUT/index.tsv (one line a file:
path, bytes, patient name and ID, study, series and SOP instance UIDs). files.txt is written
last: a folder without it is a half-made corpus.

--anonymous marks every file as already anonymized (PatientIdentityRemoved YES): a node sends
such a file over a box unchanged, which is how boxes.sh measures a transfer without
anonymization.
"""
import argparse
import array
import hashlib
import os
import random
import struct
import sys

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLEMENTATION_UID = "1.2.826.0.1.3680043.10.1093.20"
IMPLEMENTATION_NAME = "SBX_CORPUS_1"
STUDIES_PER_PATIENT = 2
SERIES_PER_STUDY = 2

# VRs whose length is a 4-byte field after two reserved bytes (PS3.5 7.1.2).
LONG_LENGTH = frozenset("OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())

# Tissue classes: (mean HU, standard deviation of the noise).
TISSUE = {
    "air": (-1000, 5),
    "fat": (-100, 15),
    "soft": (40, 15),
    "organ": (60, 18),
    "lung": (-850, 35),
    "bone": (800, 110),
    "table": (200, 25),
}

# Bodies in coordinates where the image spans [-1, 1] both ways: ellipses painted in order,
# (class, centre x, centre y, radius x, radius y); "zgrow" ellipses scale with the slice position.
BODIES = {
    "HEAD": [("fat", 0, -0.05, 0.66, 0.80), ("bone", 0, -0.05, 0.61, 0.75),
             ("soft", 0, -0.05, 0.54, 0.68), ("organ", 0.12, 0.05, 0.12, 0.20),
             ("organ", -0.12, 0.05, 0.12, 0.20)],
    "CHEST": [("fat", 0, 0, 0.86, 0.58), ("soft", 0, 0, 0.80, 0.52),
              ("lung", -0.34, -0.05, 0.27, 0.38, "zgrow"), ("lung", 0.34, -0.05, 0.27, 0.38, "zgrow"),
              ("organ", 0.08, 0.05, 0.16, 0.14), ("bone", 0, 0.40, 0.09, 0.08)],
    "ABDOMEN": [("fat", 0, 0, 0.84, 0.60), ("soft", 0, 0, 0.76, 0.52),
                ("organ", -0.35, -0.10, 0.28, 0.24, "zgrow"), ("organ", 0.30, 0.18, 0.10, 0.07),
                ("organ", -0.30, 0.18, 0.10, 0.07), ("bone", 0, 0.38, 0.09, 0.08)],
}
TABLE_ROWS = (0.70, 0.74)   # the patient table, as a band of rows (same coordinates)
Z_BUCKETS = 12              # distinct outlines per body along the series

STUDIES = [  # (study description, body, [(series description, slice thickness)])
    ("CT HEAD NATIVE", "HEAD", [("Head 5mm soft", 5.0), ("Head 1mm bone", 1.0)]),
    ("CT THORAX CONTRAST", "CHEST", [("Thorax 1mm lung", 1.0), ("Thorax 3mm mediastinum", 3.0)]),
    ("CT ABDOMEN PORTAL", "ABDOMEN", [("Abdomen 3mm portal", 3.0), ("Abdomen 5mm coronal", 5.0)]),
    ("CT CHEST SCREENING", "CHEST", [("Chest 1.25 low dose", 1.25), ("Chest 2.5 soft", 2.5)]),
]
SCANNERS = [("ACME MEDICAL", "Helix 64", "HX64-01"), ("NORTHWIND", "Spiral 128", "SP128"),
            ("CONTOSO IMAGING", "Volume 320", "VOL320")]
SITES = ["Lakeside Hospital", "North Clinic", "University Imaging Centre"]
SYLLABLES = ["AL", "BER", "CAR", "DAN", "ER", "FIN", "GUS", "HAL", "IN", "JO", "KAR", "LIN",
             "MAR", "NIL", "OL", "PER", "RAS", "SVEN", "TOR", "ULF", "VAL", "WIL"]
ENDINGS = ["SSON", "SON", "SEN", "MAN", "BERG", "STROM", "ER", "LUND", "QVIST", "AS"]
GIVEN = ["ADA", "BO", "CLARA", "DAG", "EBBA", "FRANS", "GRETA", "HUGO", "IDA", "JONAS", "KLARA",
         "LEO", "MAJA", "NILS", "OLGA", "PAUL", "RUT", "SIGRID", "TAGE", "VERA"]


def number(*key):
    """A stable 64-bit number for the key (its parts joined)."""
    return int.from_bytes(hashlib.blake2b("/".join(map(str, key)).encode(), digest_size=8).digest(),
                          "little")


def make_uid(*key):
    """A UID under 2.25 (PS3.5 B.2) derived from the key: at most 44 characters."""
    digest = hashlib.blake2b(("uid/" + "/".join(map(str, key))).encode(), digest_size=16).digest()
    return "2.25.%d" % int.from_bytes(digest, "little")


def decimal(x):
    """A DS value (at most 16 characters)."""
    text = ("%.5f" % x).rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text[:16]


def element(tag, vr, value):
    """One element in Explicit VR Little Endian. value: str, bytes, int (US/UL) or list of int."""
    if isinstance(value, str):
        raw = value.encode("latin-1")
        if len(raw) % 2:
            raw += b"\0" if vr == "UI" else b" "
    elif isinstance(value, (bytes, bytearray)):
        raw = bytes(value) + (b"\0" if len(value) % 2 else b"")
    else:
        values = value if isinstance(value, list) else [value]
        raw = struct.pack("<%d%s" % (len(values), "H" if vr == "US" else "I"), *values)
    group, elem = tag >> 16, tag & 0xFFFF
    if vr in LONG_LENGTH:
        return struct.pack("<HH2s2xI", group, elem, vr.encode(), len(raw)) + raw
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(raw)) + raw


def part10(meta, dataset):
    """Preamble, DICM, the meta group with its length, then the dataset; elements as
    (tag, vr, value), each list in ascending tag order."""
    meta_bytes = b"".join(element(*e) for e in meta)
    return b"".join([bytes(128), b"DICM", element(0x00020000, "UL", len(meta_bytes)), meta_bytes]
                    + [element(*e) for e in dataset])


class Noise:
    """For each tissue class a long run of noisy stored values (HU + 1024, 12 bits) as
    little-endian bytes; a row segment is a slice of it at a random even offset."""
    SAMPLES = 1 << 16

    def __init__(self, rng):
        self.runs = {}
        for name, (mean, sd) in TISSUE.items():
            values = array.array("H", (min(4095, max(0, round(rng.gauss(mean, sd)) + 1024))
                                      for _ in range(self.SAMPLES)))
            if sys.byteorder == "big":
                values.byteswap()
            self.runs[name] = values.tobytes()

    def take(self, rng, name, count):
        start = 2 * rng.randrange(self.SAMPLES - count)
        return self.runs[name][start:start + 2 * count]


class Outlines:
    """Per (body, slice bucket, size): each row as runs (class, length), computed once."""

    def __init__(self):
        self.cache = {}

    def rows(self, body, bucket, size):
        key = (body, bucket, size)
        if key not in self.cache:
            self.cache[key] = self._paint(body, bucket, size)
        return self.cache[key]

    @staticmethod
    def _paint(body, bucket, size):
        names = list(TISSUE)
        z = bucket / (Z_BUCKETS - 1)              # 0 .. 1 along the series
        grow = 0.65 + 0.35 * (1 - abs(2 * z - 1))  # lungs and liver largest mid-series
        out = []
        for y in range(size):
            v = 2 * (y + 0.5) / size - 1
            labels = bytearray([names.index("air")]) * size
            if TABLE_ROWS[0] <= v < TABLE_ROWS[1]:
                labels[:] = bytes([names.index("table")]) * size
            for shape in BODIES[body]:
                cls, cx, cy, rx, ry = shape[:5]
                if len(shape) > 5:
                    rx, ry = rx * grow, ry * grow
                d = (v - cy) / ry
                if d * d >= 1:
                    continue
                half = rx * (1 - d * d) ** 0.5
                x0 = max(0, int((cx - half + 1) * size / 2))
                x1 = min(size, int((cx + half + 1) * size / 2) + 1)
                if x1 > x0:
                    labels[x0:x1] = bytes([names.index(cls)]) * (x1 - x0)
            runs, start = [], 0
            for x in range(1, size + 1):
                if x == size or labels[x] != labels[start]:
                    runs.append((names[labels[start]], x - start))
                    start = x
            out.append(runs)
        return out


def person(seed, p):
    rng = random.Random(number(seed, "patient", p))
    family = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(ENDINGS)
    sex = rng.choice("FM")
    birth = (rng.randrange(1935, 2010), rng.randrange(1, 13), rng.randrange(1, 29))
    return {"name": "%s^%s" % (family, rng.choice(GIVEN)), "sex": sex, "birth": birth,
            "id": "P%02d-%06d" % (seed % 100, p)}


def make_image(seed, size, p, st, se, i, per_series, noise, outlines, anonymous=False):
    who = person(seed, p)
    srng = random.Random(number(seed, "study", p, st))
    description, body, series_kinds = STUDIES[srng.randrange(len(STUDIES))]
    year = srng.randrange(max(2008, who["birth"][0] + 1), 2026)
    date = "%04d%02d%02d" % (year, srng.randrange(1, 13), srng.randrange(1, 29))
    start = (srng.randrange(7, 18), srng.randrange(60), srng.randrange(60))
    maker, model, station = SCANNERS[srng.randrange(len(SCANNERS))]
    site = SITES[srng.randrange(len(SITES))]
    series_description, thickness = series_kinds[se % len(series_kinds)]
    study_uid = make_uid(seed, p, st)
    series_uid = make_uid(seed, p, st, se)
    sop_uid = make_uid(seed, p, st, se, i)
    series_time = "%02d%02d%02d" % (start[0], (start[1] + 3 * (se + 1)) % 60, start[2])
    image_time = "%s.%06d" % (series_time, (i * 7919) % 1000000)
    pitch = (0.5 if body == "HEAD" else 0.75) * 512 / size
    z = -thickness * i
    window = {"HEAD": ("40", "80"), "CHEST": ("-550", "1600")}.get(body, ("50", "400"))

    bucket = min(Z_BUCKETS - 1, i * Z_BUCKETS // max(1, per_series))
    prng = random.Random(number(seed, "pixels", p, st, se, i))
    pixels = b"".join(noise.take(prng, cls, n)
                      for runs in outlines.rows(body, bucket, size) for cls, n in runs)

    meta = [(0x00020001, "OB", b"\x00\x01"), (0x00020002, "UI", CT_STORAGE),
            (0x00020003, "UI", sop_uid), (0x00020010, "UI", EXPLICIT_LE),
            (0x00020012, "UI", IMPLEMENTATION_UID), (0x00020013, "SH", IMPLEMENTATION_NAME)]
    dataset = [
        (0x00080005, "CS", "ISO_IR 100"), (0x00080008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"),
        (0x00080016, "UI", CT_STORAGE), (0x00080018, "UI", sop_uid),
        (0x00080020, "DA", date), (0x00080021, "DA", date), (0x00080023, "DA", date),
        (0x00080030, "TM", "%02d%02d%02d" % start), (0x00080031, "TM", series_time),
        (0x00080033, "TM", image_time),
        (0x00080050, "SH", "ACC%02d%07d" % (seed % 100, number(seed, "acc", p, st) % 10 ** 7)),
        (0x00080060, "CS", "CT"), (0x00080070, "LO", maker), (0x00080080, "LO", site),
        (0x00080090, "PN", "REFERRER^%s" % GIVEN[srng.randrange(len(GIVEN))]),
        (0x00081010, "SH", station), (0x00081030, "LO", description),
        (0x0008103E, "LO", series_description), (0x00081090, "LO", model),
        (0x00100010, "PN", who["name"]), (0x00100020, "LO", who["id"]),
        (0x00100030, "DA", "%04d%02d%02d" % who["birth"]), (0x00100040, "CS", who["sex"]),
        (0x00101010, "AS", "%03dY" % max(0, year - who["birth"][0])),
    ] + ([(0x00120062, "CS", "YES")] if anonymous else []) + [
        (0x00180015, "CS", body), (0x00180050, "DS", decimal(thickness)),
        (0x00180060, "DS", "120"), (0x00185100, "CS", "HFS"),
        (0x0020000D, "UI", study_uid), (0x0020000E, "UI", series_uid),
        (0x00200010, "SH", str(st + 1)), (0x00200011, "IS", str(se + 1)),
        (0x00200013, "IS", str(i + 1)),
        (0x00200032, "DS", "\\".join(decimal(x) for x in (-size * pitch / 2, -size * pitch / 2, z))),
        (0x00200037, "DS", "1\\0\\0\\0\\1\\0"), (0x00200052, "UI", make_uid(seed, p, st, "frame")),
        (0x00201041, "DS", decimal(z)),
        (0x00280002, "US", 1), (0x00280004, "CS", "MONOCHROME2"), (0x00280010, "US", size),
        (0x00280011, "US", size), (0x00280030, "DS", "%s\\%s" % (decimal(pitch), decimal(pitch))),
        (0x00280100, "US", 16), (0x00280101, "US", 12), (0x00280102, "US", 11),
        (0x00280103, "US", 0), (0x00281050, "DS", window[0]), (0x00281051, "DS", window[1]),
        (0x00281052, "DS", "-1024"), (0x00281053, "DS", "1"), (0x00281054, "LO", "HU"),
        (0x7FE00010, "OW", pixels),
    ]
    return part10(meta, dataset), (who["name"], who["id"], study_uid, series_uid, sop_uid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--files", type=int, required=True, help="how many files")
    ap.add_argument("--size", type=int, default=512, help="rows = columns (default 512)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images-per-series", type=int, default=25)
    ap.add_argument("--anonymous", action="store_true",
                    help="mark the files as anonymized (PatientIdentityRemoved YES)")
    a = ap.parse_args()
    if a.files < 1 or a.size < 16 or a.images_per_series < 1:
        ap.error("--files >= 1, --size >= 16, --images-per-series >= 1")

    os.makedirs(a.out, exist_ok=True)
    listing = os.path.join(a.out, "files.txt")
    if os.path.exists(listing):
        os.remove(listing)
    noise = Noise(random.Random(number(a.seed, "noise")))
    outlines = Outlines()
    per_patient = STUDIES_PER_PATIENT * SERIES_PER_STUDY * a.images_per_series
    paths, total = [], 0
    with open(os.path.join(a.out, "index.tsv"), "w", encoding="utf-8") as index:
        index.write("path\tbytes\tpatient_name\tpatient_id\tstudy_uid\tseries_uid\tsop_uid\n")
        for k in range(a.files):
            p, rest = divmod(k, per_patient)
            st, rest = divmod(rest, SERIES_PER_STUDY * a.images_per_series)
            se, i = divmod(rest, a.images_per_series)
            data, ids = make_image(a.seed, a.size, p, st, se, i, a.images_per_series, noise,
                                   outlines, a.anonymous)
            folder = os.path.join(a.out, "p%05d" % p, "study%d" % (st + 1), "series%d" % (se + 1))
            os.makedirs(folder, exist_ok=True)
            path = os.path.abspath(os.path.join(folder, "%04d.dcm" % (i + 1)))
            with open(path, "wb") as fh:
                fh.write(data)
            paths.append(path)
            total += len(data)
            index.write("\t".join([os.path.relpath(path, a.out), str(len(data))] + list(ids))
                        + "\n")
    with open(listing, "w") as fh:
        fh.write("\n".join(paths) + "\n")
    print("%d files of %dx%d, %.1f MB, seed %d: %s" % (a.files, a.size, a.size, total / 1e6,
                                                       a.seed, a.out))


if __name__ == "__main__":
    main()
