# A test script in the style of the seeds' test_attention_int32_accuracy.py (../shared/seeds/000), as a user
# writes it for pyxrt; the only change for the simulator is the import below. Run: python3 THIS BUILD_DIR
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import attncheck.xrt as xrt  # was: import pyxrt as xrt


def test_int32_attention(build_dir):
    # Load INT32 XCLBIN
    device = xrt.xrt_device(0)
    xclbin_path = Path(build_dir) / "attention_int32.xclbin"
    device.load_xclbin(str(xclbin_path))
    hw_ctx = xrt.hw_context(device, xrt.xclbin(str(xclbin_path)).get_uuid())
    kernel = xrt.kernel(hw_ctx, "MLIR_AIE")

    # Test data
    np.random.seed(42)
    Q = np.random.randint(-64, 64, (64, 64), dtype=np.int8)
    K = np.random.randint(-64, 64, (64, 64), dtype=np.int8)
    V = np.random.randint(-64, 64, (64, 64), dtype=np.int8)

    # Reference (PyTorch FP32)
    Q_f = torch.tensor(Q, dtype=torch.float32)
    K_f = torch.tensor(K, dtype=torch.float32)
    V_f = torch.tensor(V, dtype=torch.float32)
    scores = torch.matmul(Q_f, K_f.T) / 8.0
    weights = F.softmax(scores, dim=-1)
    reference = torch.matmul(weights, V_f)

    # NPU execution
    with open(Path(build_dir) / "insts.bin", "rb") as f:
        insts = f.read()
    instr_bo = xrt.bo(device, len(insts), xrt.bo.flags.cacheable, kernel.group_id(1))
    input_bo = xrt.bo(device, 12288, xrt.bo.flags.host_only, kernel.group_id(3))
    output_bo = xrt.bo(device, 4096, xrt.bo.flags.host_only, kernel.group_id(4))
    instr_bo.write(insts, 0)
    instr_bo.sync(xrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)
    input_bo.write(np.concatenate([Q.flatten(), K.flatten(), V.flatten()]).tobytes(), 0)
    input_bo.sync(xrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)
    run = kernel(3, instr_bo, len(insts) // 4, input_bo, output_bo)
    run.wait(1000)
    output_bo.sync(xrt.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE)
    output = np.frombuffer(output_bo.read(4096, 0), dtype=np.int8).reshape(64, 64)

    correlation = np.corrcoef(output.flatten().astype(np.float32), reference.numpy().flatten())[0, 1]
    print(f"Correlation: {correlation:.4f}")
    return correlation


if __name__ == "__main__":
    test_int32_attention(sys.argv[1])
