# Writes attncheck-build.json, what an xclbin was built for, from the design that builds it; `seal` binds it to the final.xclbin.
#
# A design calls write(path, revision, seq_len, head_dim, buffers, baked) with its runtime-sequence
# types; the Makefile then runs `python3 attncheck_manifest.py seal build/attncheck-build.json
# build/final.xclbin`, which records the xclbin's sha256. attncheck's npu backend reads it
# (npu/build_manifest.cpp) and refuses a fixture, a --param or an xclbin the build does not match.
import hashlib
import json
import sys

import numpy as np


def type_bytes(t):
    """Bytes of np.ndarray[(n, ...), np.dtype[T]], the way IRON types a buffer."""
    shape, dtype = t.__args__
    return int(np.prod(shape)) * np.dtype(dtype.__args__[0]).itemsize


def write(path, revision, seq_len, head_dim, buffers, baked=None):
    doc = {
        "schema": "attncheck.build/1",
        "revision": revision,
        "seq_len": int(seq_len),
        "head_dim": int(head_dim),
        "buffers": [{"name": name, "bytes": type_bytes(t)} for name, t in buffers],
        "baked": {k: int(v) for k, v in (baked or {}).items()},
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def manifest_arg(argv):
    """The FILE of `--manifest FILE` in argv (removed from it), or None."""
    if "--manifest" not in argv:
        return None
    i = argv.index("--manifest")
    if i + 1 >= len(argv):
        sys.exit("design.py: --manifest needs a FILE")
    path = argv[i + 1]
    del argv[i:i + 2]
    return path


def seal(manifest, xclbin):
    with open(manifest) as f:
        doc = json.load(f)
    with open(xclbin, "rb") as f:
        doc["xclbin_sha256"] = hashlib.sha256(f.read()).hexdigest()
    with open(manifest, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "seal":
        sys.exit("usage: attncheck_manifest.py seal MANIFEST XCLBIN")
    seal(sys.argv[2], sys.argv[3])
