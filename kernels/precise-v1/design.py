# mlir-aie IRON design of revision precise-v1: one npu1 compute tile runs one 64-row Q tile against every key tile.
#
# Prints MLIR: python3 design.py SEQ [--manifest build/attncheck-build.json] > build/aie.mlir (the
# Makefile does this, then aiecc.py); the manifest records what the xclbin is built for.
# The xclbin is built for one sequence length S (keys per head); one launch computes one
# (head, Q tile) step of ref/tiling.hpp, and the host (npu/) launches it for every step.
#
# Written for mlir-aie's IRON at commit c879266272765aa4fcf5e8738bc4b683636d7624 (2026-04-14): the
# last with aie.iron.placers and Runtime.sequence/fill/drain. kernels/tests/iron_recorder holds a
# stand-in with that commit's signatures and aiecc's resource limits, which runs this file in CI.
import os
import sys

import numpy as np

from aie.iron import Buffer, Kernel, ObjectFifo, Program, Runtime, Worker
from aie.iron.device import NPU1Col1
from aie.iron.placers import SequentialPlacer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import attncheck_manifest  # noqa: E402

MANIFEST = attncheck_manifest.manifest_arg(sys.argv)

SEQ = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
TILE = 64
DIM = 64
N_TILES = (SEQ + TILE - 1) // TILE
RTP_WORDS = 8  # 6 used (ref/precise_v1.hpp RuntimeParams), padded to 32 bytes

# Buffer sizes, checked against the host layout by kernels/tests/test_designs.cpp.
q_rtp_ty = np.ndarray[(TILE * DIM + 4 * RTP_WORDS,), np.dtype[np.int8]]  # 4128: Q tile, then params
kv_ty = np.ndarray[(2 * TILE * DIM,), np.dtype[np.int8]]  # 8192: a key tile, then its value tile
kv_all_ty = np.ndarray[(N_TILES * 2 * TILE * DIM,), np.dtype[np.int8]]  # every K|V pair of the head
out_ty = np.ndarray[(TILE * DIM,), np.dtype[np.int8]]  # 4096: the output tile

begin = Kernel("precise_v1_begin", "attention.o",
               [np.ndarray[(TILE,), np.dtype[np.int32]], np.ndarray[(TILE * DIM,), np.dtype[np.int32]],
                np.ndarray[(TILE,), np.dtype[np.uint32]]])
# The max pass reads the key half of a K|V pair (its C parameter is a pointer to the pair).
max_pass = Kernel("precise_v1_max_pass", "attention.o",
                  [q_rtp_ty, kv_ty, np.int32, np.ndarray[(TILE,), np.dtype[np.int32]]])
acc_pass = Kernel("precise_v1_acc_pass", "attention.o",
                  [q_rtp_ty, kv_ty, np.int32, np.ndarray[(TILE,), np.dtype[np.int32]],
                   np.ndarray[(TILE * DIM,), np.dtype[np.int32]], np.ndarray[(TILE,), np.dtype[np.uint32]]])
finish = Kernel("precise_v1_finish", "attention.o",
                [q_rtp_ty, np.ndarray[(TILE * DIM,), np.dtype[np.int32]], np.ndarray[(TILE,), np.dtype[np.uint32]],
                 out_ty])

# Two input ObjectFifos, the most a compute tile's two S2MM channels (and the shim's two MM2S) carry:
# the Q tile stays acquired for both passes (depth 1), and K|V pairs double-buffer. Both passes read
# the pairs, so the head's K|V buffer streams in twice; pass 1 uses only the key halves. (A key-only
# stream for pass 1 would be a third input channel, which aiecc refuses.)
of_q = ObjectFifo(q_rtp_ty, depth=1, name="q_rtp")
of_kv = ObjectFifo(kv_ty, depth=2, name="kv")
of_out = ObjectFifo(out_ty, depth=1, name="out")

# A row's intermediates live in core memory, not on the stack: maxima, sums, 64x64 accumulators.
row_max = Buffer(np.ndarray[(TILE,), np.dtype[np.int32]], name="row_max")
acc = Buffer(np.ndarray[(TILE * DIM,), np.dtype[np.int32]], name="acc")
row_sum = Buffer(np.ndarray[(TILE,), np.dtype[np.uint32]], name="row_sum")


def keys_in(t):
    return min(TILE, SEQ - t * TILE)


def core_body(of_q, of_kv, of_out, row_max, acc, row_sum, begin, max_pass, acc_pass, finish):
    q = of_q.acquire(1)
    begin(row_max, acc, row_sum)
    for t in range(N_TILES):  # unrolled: the last tile may hold fewer than 64 keys
        kv = of_kv.acquire(1)
        max_pass(q, kv, keys_in(t), row_max)
        of_kv.release(1)
    for t in range(N_TILES):
        kv = of_kv.acquire(1)
        acc_pass(q, kv, keys_in(t), row_max, acc, row_sum)
        of_kv.release(1)
    out = of_out.acquire(1)
    finish(q, acc, row_sum, out)
    of_out.release(1)
    of_q.release(1)


worker = Worker(core_body,
                fn_args=[of_q.cons(), of_kv.cons(), of_out.prod(), row_max, acc, row_sum,
                         begin, max_pass, acc_pass, finish],
                # Sized from the measured need (`attncheck kernels --details`), with headroom for AIE2
                # frames larger than the host's; the historical designs left the 1 KiB default that
                # their frames overran.
                stack_size=0x200)

# Runtime sequence arguments 0, 1, 2 are the host's buffer objects on group_id 3, 4, 5:
# Q tile + params, the head's K|V pairs, the output tile.
rt = Runtime()
with rt.sequence(q_rtp_ty, kv_all_ty, out_ty) as (q_in, kv_in, out_buf):
    rt.start(worker)
    rt.fill(of_q.prod(), q_in)
    rt.fill(of_kv.prod(), kv_in)  # pass 1
    rt.fill(of_kv.prod(), kv_in)  # pass 2
    rt.drain(of_out.cons(), out_buf, wait=True)

print(Program(NPU1Col1(), rt).resolve_program(SequentialPlacer()))
if MANIFEST:
    # No baked parameters: exp_bits and the scales reach the core at run time, in the Q tile's params.
    attncheck_manifest.write(MANIFEST, "precise-v1", SEQ, DIM, [("q_rtp", q_rtp_ty), ("kv", kv_all_ty), ("out", out_ty)])
