# A host script in the style of Riallto's runtime (runtime/apprunner.py: xclbin, register_xclbin, hw_context, kernel, the sequence in a cacheable bo, kernel(instr, n_words, in, out), wait(5000)), with attncheck.xrt in place of pyxrt: runs color_threshold_v1_720p on one 720p frame.
import sys

import numpy as np

import attncheck.xrt as ipr  # Riallto: import npu.runtime as ipr (pyxrt underneath)

binaries = sys.argv[1]
app = "color_threshold_v1_720p"

# The sequence as Riallto's Sequence holds it: one 32-bit word per line of the .seq; its RTP
# writes (rtp_write in the .mlir) are `02000200, address, value` triples at 0x2C00 + 4k.
words = np.array([int(w, 16) for w in open(f"{binaries}/{app}.seq").read().split()], dtype=np.uint32)
rtps = {0x2C00: 60, 0x2C04: 120, 0x2C08: 180, 0x2C0C: 240, 0x2C10: 2}  # thresholds R, G, B, A; type 2 (TRUNC)
for i in range(1, len(words) - 1):
    if words[i - 1] == 0x02000200 and int(words[i]) in rtps:
        words[i + 1] = rtps[int(words[i])]

xclbin = ipr.xclbin(f"{binaries}/{app}.xclbin")
device = ipr.device(0)
device.register_xclbin(xclbin)
context = ipr.hw_context(device, xclbin.get_uuid())
kernel = ipr.kernel(context, "color_threshold_1_tile_720p")

instr = ipr.bo(device, words.nbytes, ipr.bo.flags.cacheable, kernel.group_id(0))
instr.write(words.view(np.uint8), 0)
instr.sync(ipr.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)

y, x = np.mgrid[0:720, 0:1280]
frame = np.stack([x * 255 // 1279, y * 255 // 719, (x + y) & 0xFF, 255 - x * 255 // 1279], axis=-1).astype(np.uint8)
in_bo = ipr.bo(device, frame.nbytes, ipr.bo.flags.host_only, kernel.group_id(2))
out_bo = ipr.bo(device, frame.nbytes, ipr.bo.flags.host_only, kernel.group_id(3))
in_bo.write(frame.reshape(-1), 0)
in_bo.sync(ipr.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)

run = kernel(instr, len(words), in_bo, out_bo)
state = run.wait(5000)
out_bo.sync(ipr.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE)
out = out_bo.read(frame.nbytes, 0).reshape(frame.shape)

# threshold.cc's TRUNC arm: min(threshold of the channel, pixel).
want = np.minimum(frame, np.array([60, 120, 180, 240], dtype=np.uint8))
print(f"{app} on {device.name}: state {int(state)}, {out.size} bytes, {int((out != want).sum())} differ from threshold.cc's TRUNC")
