"""pyxrt's names over attncheck's npu1 array simulator: `import attncheck.xrt as xrt` in place of
`import pyxrt as xrt` runs a test script as written, on the xclbin and instruction buffer it loads.

It is never a device: `device(0).name` says simulator, `runs()` lists every kernel call with the
simulator's report, and nothing here touches an NPU. Supported: what the team's scripts and
Riallto's runtime call (docs/python.md, "attncheck.xrt"): device / xrt_device (legacy), xclbin,
uuid, hw_context, register_xclbin, load_xclbin, kernel with group_id, bo (flags, write, read, sync,
map, size, address), run (wait, state) and the sync directions. Anything else raises AttributeError.
"""
from __future__ import annotations

import enum
import os
import uuid as _uuid_mod

import numpy as np

from . import _core

__all__ = ["device", "xrt_device", "xclbin", "uuid", "hw_context", "kernel", "bo", "run", "ert_cmd_state",
           "xclBOSyncDirection", "runs"]

_RUNS: list = []


def runs() -> list:
    """Every kernel call made through this module so far: kernel name, arguments and the
    simulator's report of the array after the call (cores, channels, cycles)."""
    return list(_RUNS)


class xclBOSyncDirection(enum.IntEnum):
    XCL_BO_SYNC_BO_TO_DEVICE = 0
    XCL_BO_SYNC_BO_FROM_DEVICE = 1
    XCL_BO_SYNC_BO_GMIO_TO_AIE = 2
    XCL_BO_SYNC_BO_AIE_TO_GMIO = 3


class ert_cmd_state(enum.IntEnum):
    ERT_CMD_STATE_NEW = 1
    ERT_CMD_STATE_QUEUED = 2
    ERT_CMD_STATE_RUNNING = 3
    ERT_CMD_STATE_COMPLETED = 4
    ERT_CMD_STATE_ERROR = 5
    ERT_CMD_STATE_ABORT = 6


class uuid:
    def __init__(self, value: str):
        self._value = value

    def to_string(self) -> str:
        return self._value

    def __eq__(self, other):
        return isinstance(other, uuid) and other._value == self._value

    def __hash__(self):
        return hash(self._value)


class xclbin:
    """An xclbin (or a PDI) file: what the simulator's array is configured from."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise RuntimeError(f"xclbin: {self.path}: no such file")
        with open(self.path, "rb") as f:
            data = f.read()
        self._uuid = uuid(str(_uuid_mod.uuid5(_uuid_mod.NAMESPACE_URL, data.hex()[:4096] + str(len(data)))))

    def get_uuid(self) -> uuid:
        return self._uuid

    def get_xsa_name(self) -> str:
        return "attncheck-simulator"


class device:
    """The simulator standing where XRT's device would: it never claims to be one."""

    name = "attncheck npu1 array simulator (not a device)"

    def __init__(self, index: int = 0):
        if index != 0:
            raise RuntimeError(f"device({index}): the simulator has one device, index 0")
        self._xclbins: dict = {}
        self._last: xclbin | None = None

    def register_xclbin(self, xb: xclbin) -> None:
        self._xclbins[xb.get_uuid()] = xb
        self._last = xb

    def load_xclbin(self, path) -> uuid:
        xb = xclbin(path)
        self.register_xclbin(xb)
        return xb.get_uuid()

    def get_info(self, *args, **kwargs) -> str:
        return self.name


class xrt_device(device):
    """The legacy name the seeds' scripts use (`xrt.xrt_device(0)`, `device.load_xclbin(path)`)."""


class hw_context:
    def __init__(self, dev: device, xclbin_uuid: uuid | None = None):
        self.device = dev
        if xclbin_uuid is None:
            xb = dev._last
        else:
            xb = dev._xclbins.get(xclbin_uuid)
        if xb is None:
            raise RuntimeError("hw_context: no xclbin with that uuid was registered on this device")
        self.xclbin = xb
        self._sim = _core.ArraySimulator(xb.path)


class bo:
    class flags(enum.IntEnum):
        normal = 0
        cacheable = 1 << 24
        device_only = 2 << 24
        host_only = 4 << 24
        p2p = 8 << 24
        svm = 16 << 24

    def __init__(self, dev, size: int, flags=None, group_id: int = 0):
        if size <= 0:
            raise RuntimeError(f"bo: size {size} must be positive")
        self.device = dev
        self.group_id = int(group_id)
        self._buf = np.zeros(int(size), dtype=np.uint8)

    def size(self) -> int:
        return int(self._buf.size)

    def write(self, data, offset: int = 0) -> None:
        raw = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
        if offset < 0 or offset + raw.size > self._buf.size:
            raise RuntimeError(f"bo.write: {raw.size} bytes at offset {offset} do not fit a {self._buf.size}-byte buffer")
        self._buf[offset:offset + raw.size] = raw

    def read(self, size: int, offset: int = 0) -> np.ndarray:
        if offset < 0 or size < 0 or offset + size > self._buf.size:
            raise RuntimeError(f"bo.read: {size} bytes at offset {offset} do not fit a {self._buf.size}-byte buffer")
        return self._buf[offset:offset + size].copy()

    def map(self) -> np.ndarray:
        return self._buf

    def sync(self, direction, size: int | None = None, offset: int = 0) -> None:
        # Host and simulated device share the bytes; a sync has nothing to move.
        int(direction)

    def address(self) -> int:
        return id(self._buf)


class run:
    def __init__(self, state: ert_cmd_state, report: dict):
        self._state = state
        self.report = report

    def wait(self, timeout_ms: int = 0) -> ert_cmd_state:
        return self._state

    def wait2(self, timeout_ms: int = 0) -> ert_cmd_state:
        return self._state

    def state(self) -> ert_cmd_state:
        return self._state


class kernel:
    def __init__(self, context, name: str, *args):
        if not isinstance(context, hw_context):
            if isinstance(context, device):
                context = hw_context(context)
            else:
                raise RuntimeError("kernel: expected a hw_context (or a device with a loaded xclbin)")
        self.context = context
        self.name = name

    def group_id(self, index: int) -> int:
        return int(index)

    def __call__(self, *args) -> run:
        # TXN kernels: (opcode, instr_bo, n_words, bo3, bo4, ...); the legacy stream (Riallto):
        # (instr_bo, n_words, bo2, bo3, ...). Each buffer is the kernel argument at its position.
        if args and isinstance(args[0], bo):
            instr, first = args[0], 2
        elif len(args) >= 2 and isinstance(args[1], bo):
            instr, first = args[1], 3
        else:
            raise RuntimeError("kernel call: expected (opcode, instr_bo, n_words, buffers...) or (instr_bo, n_words, buffers...)")
        buffers = {}
        for pos, a in enumerate(args[first:], start=first):
            if isinstance(a, bo):
                buffers[pos] = a._buf.tobytes()
        out = self.context._sim.call(instr._buf.tobytes(), buffers)
        by_pos = {pos: a for pos, a in enumerate(args) if isinstance(a, bo)}
        for pos, data in out.items():
            by_pos[pos]._buf[:] = np.frombuffer(data, dtype=np.uint8)
        report = self.context._sim.report()
        _RUNS.append({"kernel": self.name, "arguments": sorted(buffers), "report": report})
        return run(ert_cmd_state.ERT_CMD_STATE_COMPLETED, report)
