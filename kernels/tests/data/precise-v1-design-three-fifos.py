# TEST DATA: precise-v1's design.py as it was before issue 13 (commit c59bca8), which aiecc cannot build: kept so the strict IRON stand-in is shown to reject it.
#
# Prints MLIR: python3 design.py SEQ > build/aie.mlir (the Makefile does this, then aiecc.py).
# The xclbin is built for one sequence length S (keys per head); one launch computes one
# (head, Q tile) step of ref/tiling.hpp, and the host (npu/) launches it for every step.
import sys

import numpy as np

from aie.iron import Buffer, Kernel, ObjectFifo, Program, Runtime, Worker
from aie.iron.device import NPU1Col1
from aie.iron.placers import SequentialPlacer

SEQ = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
TILE = 64
DIM = 64
N_TILES = (SEQ + TILE - 1) // TILE
RTP_WORDS = 8  # 6 used (ref/precise_v1.hpp RuntimeParams), padded to 32 bytes

# Buffer sizes, checked against the host layout by kernels/tests/test_designs.cpp.
q_rtp_ty = np.ndarray[(TILE * DIM + 4 * RTP_WORDS,), np.dtype[np.int8]]  # 4128: Q tile, then params
k_ty = np.ndarray[(TILE * DIM,), np.dtype[np.int8]]  # 4096: one key tile
kv_ty = np.ndarray[(2 * TILE * DIM,), np.dtype[np.int8]]  # 8192: a key tile, then its value tile
kv_all_ty = np.ndarray[(N_TILES * 2 * TILE * DIM,), np.dtype[np.int8]]  # every K|V pair of the head
out_ty = np.ndarray[(TILE * DIM,), np.dtype[np.int8]]  # 4096: the output tile

begin = Kernel("precise_v1_begin", "attention.o",
               [np.ndarray[(TILE,), np.dtype[np.int32]], np.ndarray[(TILE * DIM,), np.dtype[np.int32]],
                np.ndarray[(TILE,), np.dtype[np.uint32]]])
max_pass = Kernel("precise_v1_max_pass", "attention.o",
                  [q_rtp_ty, k_ty, np.int32, np.ndarray[(TILE,), np.dtype[np.int32]]])
acc_pass = Kernel("precise_v1_acc_pass", "attention.o",
                  [q_rtp_ty, kv_ty, np.int32, np.ndarray[(TILE,), np.dtype[np.int32]],
                   np.ndarray[(TILE * DIM,), np.dtype[np.int32]], np.ndarray[(TILE,), np.dtype[np.uint32]]])
finish = Kernel("precise_v1_finish", "attention.o",
                [q_rtp_ty, np.ndarray[(TILE * DIM,), np.dtype[np.int32]], np.ndarray[(TILE,), np.dtype[np.uint32]],
                 out_ty])

# The Q tile stays acquired for both passes (depth 1); keys and key|value pairs double-buffer.
of_q = ObjectFifo(q_rtp_ty, name="q_rtp", depth=1)
of_k = ObjectFifo(k_ty, name="k", depth=2)
of_kv = ObjectFifo(kv_ty, name="kv", depth=2)
of_out = ObjectFifo(out_ty, name="out", depth=1)

# A row's intermediates live in core memory, not on the stack: maxima, sums, 64x64 accumulators.
row_max = Buffer(np.ndarray[(TILE,), np.dtype[np.int32]], name="row_max")
acc = Buffer(np.ndarray[(TILE * DIM,), np.dtype[np.int32]], name="acc")
row_sum = Buffer(np.ndarray[(TILE,), np.dtype[np.uint32]], name="row_sum")


def keys_in(t):
    return min(TILE, SEQ - t * TILE)


def core_body(of_q, of_k, of_kv, of_out, row_max, acc, row_sum, begin, max_pass, acc_pass, finish):
    q = of_q.acquire(1)
    begin(row_max, acc, row_sum)
    for t in range(N_TILES):  # unrolled: the last tile may hold fewer than 64 keys
        k = of_k.acquire(1)
        max_pass(q, k, keys_in(t), row_max)
        of_k.release(1)
    for t in range(N_TILES):
        kv = of_kv.acquire(1)
        acc_pass(q, kv, keys_in(t), row_max, acc, row_sum)
        of_kv.release(1)
    out = of_out.acquire(1)
    finish(q, acc, row_sum, out)
    of_out.release(1)
    of_q.release(1)


worker = Worker(core_body,
                fn_args=[of_q.cons(), of_k.cons(), of_kv.cons(), of_out.prod(), row_max, acc, row_sum,
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
    # Pass 1 reads only the key half of every K|V pair.
    rt.fill(of_k.prod(), kv_in, sizes=[1, 1, N_TILES, TILE * DIM], strides=[0, 0, 2 * TILE * DIM, 1])
    rt.fill(of_kv.prod(), kv_in)
    rt.drain(of_out.cons(), out_buf, wait=True)

print(Program(NPU1Col1(), rt).resolve_program(SequentialPlacer()))
