#!/usr/bin/env python3
"""Converts scikit-learn's copy of the UCI optical-recognition 8x8 digits
(sklearn/datasets/data/digits.csv.gz: 1797 rows of 64 pixels in 0..16, then the
label) into assets/digits8x8/digits.bin: per image one label byte followed by
64 pixel bytes, in file order.

Usage:
    pip download --no-deps scikit-learn -d /tmp/skl
    unzip -o /tmp/skl/scikit_learn-*.whl 'sklearn/datasets/data/digits.csv.gz' -d /tmp/skl
    python3 scripts/convert_digits8x8.py /tmp/skl/sklearn/datasets/data/digits.csv.gz
"""
import csv
import gzip
import sys
from pathlib import Path


def main() -> None:
    source = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("assets/digits8x8/digits.bin")
    records = bytearray()
    counts = [0] * 10
    with gzip.open(source, "rt") as f:
        for row in csv.reader(f):
            values = [int(float(v)) for v in row]
            if len(values) != 65:
                sys.exit(f"expected 65 values per row, got {len(values)}")
            pixels, label = values[:64], values[64]
            if not all(0 <= p <= 16 for p in pixels) or not 0 <= label <= 9:
                sys.exit(f"value out of range in row {sum(counts)}")
            counts[label] += 1
            records.append(label)
            records.extend(pixels)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(records))
    print(f"{sum(counts)} images, per class {counts}, pixel sum {sum(b for i, b in enumerate(records) if i % 65)}")


if __name__ == "__main__":
    main()
