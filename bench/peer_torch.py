#!/usr/bin/python3
"""The peer of `attncheck run --kernel precise-v1`: the same job as a user would write it with torch and numpy.

Loads a fixture (q.npy, k.npy, v.npy, fixture.json scales), computes the golden FP32 attention in
torch, a full-row integer emulation of precise-v1 in int64 tensors (one head at a time, every key of
a row at once: no tiles), and the metrics of the emulation against golden. Run with Debian's
/usr/bin/python3 (numpy 1.24, torch 1.13).

  /usr/bin/python3 bench/peer_torch.py --fixture DIR [--out model.npy] [--json metrics.json]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

EXP_FLOOR = 32  # precise_v1.hpp kExpFloor
MAX_EXP_BITS = 18  # precise_v1.hpp kMaxExpBits


def load_fixture(d):
    q, k, v = (np.load(os.path.join(d, n + ".npy")) for n in ("q", "k", "v"))
    scales = {"q": 1.0, "k": 1.0, "v": 1.0, "out": 1.0}
    meta = os.path.join(d, "fixture.json")
    if os.path.exists(meta):
        with open(meta) as f:
            scales.update(json.load(f).get("scales") or {})
    return q, k, v, scales


def derive_runtime(scales, seq, dim):
    """ref/precise_v1.cpp derive_runtime with exp_bits derived (the default), line for line."""
    c2 = scales["q"] * scales["k"] / math.sqrt(dim) * 1.4426950408889634
    max_bits = 24 - (seq - 1).bit_length()  # ceil(log2(seq))
    exp_bits = min(MAX_EXP_BITS, max_bits)
    floor_d = min(math.ceil(EXP_FLOOR / c2), 2097152.0)
    exp_mult = exp_shift = None
    for sh in range(30, -1, -1):
        m = float(np.rint(c2 * math.ldexp(1.0, 16 + sh)))  # nearbyint: half to even
        if m >= 1 and m * floor_d < 2147483648.0:
            exp_mult, exp_shift = int(m), sh
            break
    f = scales["v"] / scales["out"]
    out_mult = out_shift = None
    for sh in range(30, 0, -1):
        m = float(np.rint(f * math.ldexp(1.0, sh)))
        if m >= 1 and m < 65536.0:
            out_mult, out_shift = int(m), sh
            break
    return dict(exp_mult=exp_mult, exp_shift=exp_shift, score_floor=int(floor_d), exp_bits=exp_bits,
                out_mult=out_mult, out_shift=out_shift)


def exp2_table():
    # llround(ldexp(exp2(i/256), 30)): no value sits at a half, so floor(x + 0.5) is llround.
    return torch.tensor([math.floor(math.ldexp(2.0 ** (i / 256.0), 30) + 0.5) for i in range(257)], dtype=torch.int64)


def golden_fp32(q, k, v, scales):
    d = q.shape[-1]
    logit = torch.tensor(1.0 / math.sqrt(d), dtype=torch.float32) * scales["q"] * scales["k"]
    qf, kf, vf = (torch.from_numpy(x.astype(np.float32)) for x in (q, k, v))
    p = torch.softmax(qf @ kf.transpose(-1, -2) * logit, dim=-1)
    return (p @ vf) * (scales["v"] / scales["out"])


def precise_v1_head(q, k, v, rp, table):
    """One head, every row over every key at once, in int64 (the 32-bit ops of the spec never wrap)."""
    s = q.long() @ k.long().T
    m = s.max(dim=1, keepdim=True).values
    d = torch.clamp(s - m, min=-rp["score_floor"])
    u = (d * rp["exp_mult"]) >> rp["exp_shift"]
    ip = u >> 16
    fp = u & 0xFFFF
    idx, r = fp >> 8, fp & 0xFF
    t0, t1 = table[idx], table[idx + 1]
    frac = t0 + (((t1 - t0) * r) >> 8)
    sh = 30 - rp["exp_bits"] - ip
    shc = torch.clamp(sh, max=32)
    e = torch.where(sh >= 32, torch.zeros_like(frac), (frac + (1 << (shc - 1))) >> shc)
    del s, d, u, ip, fp, idx, r, t0, t1, frac, sh, shc
    l = e.sum(dim=1, keepdim=True)
    acc = e @ v.long()
    # out_requant: l below 2^16 by a shift z, |acc| rounded by the same shift.
    z = sum(((l >> b) > 0).long() for b in range(16, 32))  # bits of l above 16; l < 2^31
    ln = l >> z
    mag = acc.abs()
    mag = torch.where(z > 0, (mag + (1 << (z - 1).clamp(min=0))) >> z, mag)
    whole = mag // ln
    frac15 = ((mag - whole * ln) << 15) // ln
    scaled = whole * rp["out_mult"] + ((frac15 * rp["out_mult"]) >> 15)
    o = (scaled + (1 << (rp["out_shift"] - 1))) >> rp["out_shift"]
    return torch.where(acc < 0, -torch.clamp(o, max=128), torch.clamp(o, max=127)).to(torch.int8)


def metrics(dut, golden):
    d, g = dut.astype(np.float64).ravel(), golden.astype(np.float64).ravel()
    err = np.abs(d - g)
    return {
        "correlation": float(np.corrcoef(d, g)[0, 1]),
        "mae": float(err.mean()),
        "rmse": float(np.sqrt(((d - g) ** 2).mean())),
        "max_abs_error": float(err.max()),
        "within": {str(t): float((err <= t).mean()) for t in (0, 1, 2, 5, 10)},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--out", help="write the precise-v1 emulation (int8, the fixture's shape) here")
    ap.add_argument("--json", help="write the metrics here")
    ap.add_argument("--threads", type=int, default=0, help="torch threads; 0: every core, as attncheck's default")
    a = ap.parse_args()
    # Debian's torch starts with one OpenMP thread; give it the cores attncheck uses.
    torch.set_num_threads(a.threads or len(os.sched_getaffinity(0)))

    q, k, v, scales = load_fixture(a.fixture)
    two_d = q.ndim == 2
    q3, k3, v3 = (x[None] if two_d else x for x in (q, k, v))
    heads, seq, dim = q3.shape

    golden = golden_fp32(q3, k3, v3, scales).numpy()

    rp = derive_runtime(scales, seq, dim)
    table = exp2_table()
    qt, kt, vt = (torch.from_numpy(x) for x in (q3, k3, v3))
    model = np.stack([precise_v1_head(qt[h], kt[h], vt[h], rp, table).numpy() for h in range(heads)])

    result = {"shape": [heads, seq, dim], "params": rp, "model_vs_golden": metrics(model, golden)}
    if a.out:
        np.save(a.out, model[0] if two_d else model)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    m = result["model_vs_golden"]
    print(f"peer_torch precise-v1 {heads}x{seq}x{dim}: correlation {m['correlation']:.6f} MAE {m['mae']:.4f} "
          f"RMSE {m['rmse']:.4f} threads {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
