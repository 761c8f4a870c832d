# mlir-aie IRON design of revision uc-int32-lut: one npu1 compute tile runs attention_64x64 on one 64x64 tile per launch.
#
# Prints MLIR: python3 design.py [--manifest build/attncheck-build.json] > build/aie.mlir (the Makefile
# next to it does this, then aiecc.py); the manifest records what the xclbin is built for.
import os
import sys

import numpy as np

from aie.iron import Kernel, ObjectFifo, Program, Runtime, Worker
from aie.iron.device import NPU1Col1
from aie.iron.placers import SequentialPlacer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import attncheck_manifest  # noqa: E402

MANIFEST = attncheck_manifest.manifest_arg(sys.argv)

# One ObjectFIFO element each way, sized as the host entry point expects
# (kernels/host_kernels.cpp; kernels/tests/test_designs.cpp checks they agree).
qkv_ty = np.ndarray[(12288,), np.dtype[np.int8]]  # Q | K | V, each 64x64 int8, row-major
out_ty = np.ndarray[(4096,), np.dtype[np.int8]]  # 64x64 int8, row-major

# The historical designs pass 4 although their comment says 3; the host tools default to 4 as well.
SCALE_SHIFT = 4

# Built from attention.c by Peano (see Makefile); the symbol is the device entry point.
attention = Kernel("attention_64x64", "attention.o", [qkv_ty, out_ty, np.int32])

# Default depth 2: the Q|K|V ping and pong buffers sit in core memory right above the stack.
of_qkv = ObjectFifo(qkv_ty, name="qkv")
of_out = ObjectFifo(out_ty, name="out")


def core_body(of_qkv, of_out, attention):
    qkv = of_qkv.acquire(1)
    out = of_out.acquire(1)
    attention(qkv, out, SCALE_SHIFT)
    of_qkv.release(1)
    of_out.release(1)


# No stack_size on the Worker: this reproduces the historical build, which left the core with
# mlir-aie's default 1 KiB stack although attention_tile_32x32 and softmax_int32_to_int8 keep about
# 2.5 KiB of arrays on it (see `attncheck kernels --details`). precise-v1's design sizes its stack.
worker = Worker(core_body, fn_args=[of_qkv.cons(), of_out.prod(), attention])

# Runtime sequence arguments 0 and 1 are the host's input and output buffer objects
# (group_id 3 and 4 of the MLIR_AIE kernel).
rt = Runtime()
with rt.sequence(qkv_ty, out_ty) as (qkv_in, out_buf):
    rt.start(worker)
    rt.fill(of_qkv.prod(), qkv_in)
    rt.drain(of_out.cons(), out_buf, wait=True)

print(Program(NPU1Col1(), rt).resolve_program(SequentialPlacer()))
if MANIFEST:
    attncheck_manifest.write(MANIFEST, "uc-int32-lut", 64, 64, [("qkv", qkv_ty), ("out", out_ty)],
                             baked={"scale_shift": SCALE_SHIFT})
