# A strict recording stand-in for mlir-aie's IRON API: runs a design.py on a machine without mlir-aie and prints, instead of MLIR, what it declares, as JSON.
#
# The signatures are those of mlir-aie's python/iron at commit c879266272765aa4fcf5e8738bc4b683636d7624
# (2026-04-14, "aiecc: --no-xchesscc implies --no-xbridge (#3031)"), the last commit with
# aie.iron.placers.SequentialPlacer and Runtime.sequence/fill/drain (MLIR_AIE_COMMIT below). Later
# commits removed the placer (#3016) and reworked Runtime into a callback (#3387); a design written
# for this API needs mlir-aie at or before that commit.
#
# What real IRON rejects in Python raises here the same exception (TypeError for a wrong keyword,
# ValueError for an over-deep acquire, a wrong argument count, a shim out of DMA channels). What
# aiecc rejects later (a compute tile out of DMA channels, BDs, locks or memory, a DMA access pattern
# outside the hardware's size and stride fields, a kernel called with buffers of other types) is
# recorded in "errors" with aiecc's words. Beyond both, it checks what only hardware would reveal:
# every DMA moves exactly as many bytes as the core consumes or produces.
import json

import numpy as np

from aie.helpers.taplib import TensorAccessPattern
from aie.iron.device import AnyComputeTile, AnyShimTile

MLIR_AIE_COMMIT = "c879266272765aa4fcf5e8738bc4b683636d7624"

# npu1 (AIE2) resources, from mlir-aie's AIE2TargetModel at that commit.
COMPUTE_DMA_IN = 2  # S2MM channels of a compute tile (getNumSourceSwitchboxConnections(DMA))
COMPUTE_DMA_OUT = 2  # MM2S channels (getNumDestSwitchboxConnections(DMA))
SHIM_DMA = 2  # MM2S and S2MM channels of a shim tile (getNumDestShimMuxConnections(DMA))
COMPUTE_BDS = 16
COMPUTE_LOCKS = 16
COMPUTE_MEMORY = 0x10000
DEFAULT_STACK = 0x400

_record = {"mlir_aie_commit": MLIR_AIE_COMMIT, "kernels": {}, "fifos": {}, "buffers": {}, "workers": [],
           "sequence": [], "transfers": [], "errors": []}


def _aiecc(msg):
    _record["errors"].append("aiecc: " + msg)


def _error(msg):
    _record["errors"].append(msg)


def _dtype(t):
    args = getattr(t, "__args__", None)
    return np.dtype(args[1].__args__[0]) if args else np.dtype(t)


def _type_bytes(t):
    """Bytes of np.ndarray[(N, ...), np.dtype[T]], or None for a scalar type such as np.int32."""
    args = getattr(t, "__args__", None)
    if not args:
        return None
    shape = args[0] if isinstance(args[0], tuple) else (args[0],)
    return int(np.prod(shape)) * _dtype(t).itemsize


def _type_shape(t):
    shape = t.__args__[0]
    return shape if isinstance(shape, tuple) else (shape,)


class _Element:
    def __init__(self, t, owner):
        self.type, self.owner = t, owner


class Buffer(_Element):
    def __init__(self, type=None, initial_value=None, name=None, placement=None, use_write_rtp=False):
        if type is None and initial_value is None:
            raise ValueError("Must provide either type or initial_value")
        super().__init__(type, name)
        _record["buffers"][name] = _type_bytes(type)


class ExternalFunction:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("ExternalFunction compiles C++ at design time; attncheck's designs use Kernel")


class Kernel:
    def __init__(self, name, object_file_name, arg_types=[]):
        self.symbol, self.object, self.arg_types = name, object_file_name, list(arg_types)
        _record["kernels"][name] = {"object": object_file_name, "args": [_type_bytes(t) for t in arg_types]}

    def __call__(self, *args):
        if len(args) != len(self.arg_types):
            raise ValueError(f"Kernel '{self.symbol}' expects {len(self.arg_types)} argument(s), but {len(args)} were provided.")
        for i, (a, t) in enumerate(zip(args, self.arg_types)):
            want = _type_bytes(t)
            if want is None:
                if not isinstance(a, (int, np.integer)):
                    _aiecc(f"{self.symbol} argument {i}: a scalar is declared, got {a!r}")
            elif not isinstance(a, _Element) or _type_bytes(a.type) != want:
                got = _type_bytes(a.type) if isinstance(a, _Element) else a
                _aiecc(f"'func.call' op operand type mismatch: {self.symbol} argument {i}: {want} bytes declared, "
                       f"got {got} from {getattr(a, 'owner', a)}")


class ObjectFifoHandle:
    def __init__(self, of, is_prod, depth=None, dims_from_stream=None):
        self.fifo, self.is_prod = of, is_prod
        self.depth = depth if depth is not None else of.depth
        self.role = "prod" if is_prod else "cons"
        self.endpoint = None

    def acquire(self, num_elem):
        if self.depth < num_elem:
            raise ValueError(f"Number of elements to acquire {num_elem} must be smaller than depth {self.depth}")
        self.fifo.count[self.role] += num_elem
        return _Element(self.fifo.type, self.fifo.name)

    def release(self, num_elem):
        if self.depth < num_elem:
            raise ValueError(f"Number of elements to release {num_elem} must be smaller than depth {self.depth}")

    def _bind(self, endpoint):
        if self.endpoint is not None and self.endpoint is not endpoint:
            raise ValueError(f"Endpoint already set for ObjectFifoHandle {self.fifo.name}.{self.role}")
        self.endpoint = endpoint


class ObjectFifo:
    _n = 0

    def __init__(self, obj_type, depth=2, name=None, dims_to_stream=None, dims_from_stream_per_cons=None,
                 plio=False, pad_dimensions=None):
        if depth is not None and depth < 1:
            raise ValueError(f"Default ObjectFifo depth must be > 0, but got {depth}")
        self.type, self.depth = obj_type, depth
        self.name = name or f"of{ObjectFifo._n}"
        ObjectFifo._n += 1
        self.count = {"prod": 0, "cons": 0}
        self._prod = None
        self._cons = []
        _record["fifos"][self.name] = {"bytes": _type_bytes(obj_type), "depth": depth}
        if _type_bytes(obj_type) % 4:
            _aiecc(f"fifo {self.name}: transfer length must be multiple of 4 (i.e., represent 4 byte aligned address)")

    def prod(self, depth=None):
        # Each ObjectFifo may have only one producer handle.
        if self._prod is None:
            self._prod = ObjectFifoHandle(self, True, depth)
        return self._prod

    def cons(self, depth=None, dims_from_stream=None):
        h = ObjectFifoHandle(self, False, depth, dims_from_stream)
        self._cons.append(h)
        return h


class Worker:
    def __init__(self, core_fn, fn_args=[], placement=AnyComputeTile, while_true=True, stack_size=None,
                 allocation_scheme=None, trace=None, trace_events=None):
        for a in fn_args:
            if isinstance(a, ObjectFifo):
                raise ValueError("Cannot give an ObjectFifo directly to a worker; must give an ObjectFifoHandle obtained "
                                 "through ObjectFifo.prod() or ObjectFifo.cons()")
        self.core_fn, self.fn_args, self.stack_size = core_fn, list(fn_args), stack_size
        for a in self.fn_args:
            if isinstance(a, ObjectFifoHandle):
                a._bind(self)
        _record["workers"].append({"stack_size": stack_size})


class RuntimeData:
    def __init__(self, arr_type, index):
        self.type, self.index = arr_type, index

    def default_tap(self):
        n = _type_bytes(self.type) // _dtype(self.type).itemsize
        return TensorAccessPattern((1, n), 0, [1, 1, 1, n], [0, 0, 0, 1])


class Runtime:
    def __init__(self, strict_task_groups=True):
        self.workers = []
        self._data = []

    def sequence(self, *input_types):
        rt = self

        class _Seq:
            def __enter__(self):
                _record["sequence"] = [_type_bytes(t) for t in input_types]
                rt._data = [RuntimeData(t, i) for i, t in enumerate(input_types)]
                return rt._data[0] if len(rt._data) == 1 else tuple(rt._data)

            def __exit__(self, *exc):
                return False

        return _Seq()

    def start(self, *args):
        for w in args:
            if not isinstance(w, Worker):
                raise ValueError("Runtime can only start Worker objects")
        self.workers.extend(args)

    def task_group(self):
        raise NotImplementedError("task groups are not used by attncheck's designs")

    def _transfer(self, kind, handle, data, tap):
        if not isinstance(data, RuntimeData) or data not in self._data:
            what = "Source" if kind == "fill" else "Destination"
            raise ValueError(f"{what} {data} is not a RuntimeData object generated by sequence()")
        handle._bind(self)
        tap = tap if tap is not None else data.default_tap()
        elem = _dtype(data.type).itemsize
        moved = int(np.prod(tap.sizes)) * elem
        _record["transfers"].append({"kind": kind, "fifo": handle.fifo.name, "arg": data.index, "bytes": moved,
                                     "sizes": list(tap.sizes), "strides": list(tap.strides)})
        buffer_bytes = _type_bytes(data.type)
        last = (tap.offset + sum((s - 1) * st for s, st in zip(tap.sizes, tap.strides)) + 1) * elem
        if last > buffer_bytes:
            _error(f"{kind} of {handle.fifo.name}: the access pattern reaches byte {last - 1} of a {buffer_bytes}-byte buffer")
        _check_shim_bd(f"{kind} of {handle.fifo.name}", tap, elem)

    def fill(self, in_fifo, source, tap=None, task_group=None, wait=False, placement=AnyShimTile):
        self._transfer("fill", in_fifo, source, tap)

    def drain(self, out_fifo, dest, tap=None, task_group=None, wait=False, placement=AnyShimTile):
        self._transfer("drain", out_fifo, dest, tap)


def _check_shim_bd(what, tap, elem):
    """The shim BD's fields, as aiecc's aie-dma-tasks-to-npu and verifyStridesWraps check them."""
    sizes, strides = list(tap.sizes), list(tap.strides)
    if len(sizes) > 4:
        _aiecc(f"{what}: At most four data layout transformation dimensions may be provided.")
        return
    sizes = [1] * (4 - len(sizes)) + sizes
    strides = [0] * (4 - len(strides)) + strides
    d = list(reversed(sizes))  # d[0] innermost
    s = list(reversed(strides))
    if (tap.offset * elem) % 4:
        _aiecc(f"{what}: Offset must be aligned to 4 byte boundary.")
    if int(np.prod(sizes)) * elem < 4:
        _aiecc(f"{what}: Transfer size of {int(np.prod(sizes)) * elem} bytes falls below minimum hardware transfer unit of 4 bytes.")
    if (d[0] * elem) % 4:
        _aiecc(f"{what}: Transfer sizes must be multiples of 4 bytes.")
    for i in range(3):
        if d[i] > 1 and s[i] < 1:
            _aiecc(f"{what}: Stride {i} must be a positive integer.")
    for i in range(4):
        if not (i == 0 and s[i] == 1) and (s[i] * elem) % 4:
            _aiecc(f"{what}: Stride {i} is {s[i]} elements * {elem} bytes = {s[i] * elem} bytes, which is not divisible by 4.")
    linear = d[1] == 1 and d[2] == 1 and s[0] == 1
    contiguous = s[0] == 1 and (d[1] == 1 or s[1] == d[0]) and (d[2] == 1 or s[2] == d[0] * d[1])
    if not (linear or contiguous):
        words0 = d[0] * elem // 4
        if words0 > 1023:
            _aiecc(f"{what}: Size 0 exceeds the [0:1023] range.")
        if d[1] > 1023:
            _aiecc(f"{what}: Size 1 exceeds the [0:1023] range.")
        for i in range(4):
            if d[i] > 1 and s[i] * elem // 4 > 1048576:
                _aiecc(f"{what}: Stride {i} exceeds the [1:1048576] range.")
    if d[3] > 64:
        _aiecc(f"{what}: Size 3 exceeds the [1:64] range.")


class Program:
    def __init__(self, device, rt):
        self.device, self.rt = device, rt

    def resolve_program(self, placer=None, device_name="main"):
        workers = self.rt.workers
        # Placement first, as SequentialPlacer does: one shim column, each fill takes an MM2S channel of
        # it and each drain an S2MM channel; a fifo filled or drained twice reuses its channel.
        filled = {t["fifo"] for t in _record["transfers"] if t["kind"] == "fill"}
        drained = {t["fifo"] for t in _record["transfers"] if t["kind"] == "drain"}
        shim_channels = SHIM_DMA * self.device.columns
        if len(filled) > shim_channels or len(drained) > shim_channels:
            raise ValueError(f"Failed to find a tile matching column 0: tried until column {self.device.columns}. Try using a "
                             f"device with more columns. (the design fills {len(filled)} and drains {len(drained)} ObjectFifos "
                             f"from {self.device.name}'s {self.device.columns} shim tile(s), {SHIM_DMA} MM2S and {SHIM_DMA} "
                             "S2MM DMA channels each)")
        for w in workers:
            handles = [a for a in w.fn_args if isinstance(a, ObjectFifoHandle)]
            ins = [h for h in handles if not h.is_prod]
            outs = [h for h in handles if h.is_prod]
            if len(ins) > COMPUTE_DMA_IN:
                _aiecc(f"'aie.tile' op number of input DMA channel exceeded! (the worker consumes {len(ins)} ObjectFifos, "
                       f"a compute tile has {COMPUTE_DMA_IN} S2MM channels)")
            if len(outs) > COMPUTE_DMA_OUT:
                _aiecc(f"'aie.tile' op number of output DMA channel exceeded! (the worker produces {len(outs)} ObjectFifos, "
                       f"a compute tile has {COMPUTE_DMA_OUT} MM2S channels)")
            bds = sum(h.depth for h in handles)
            if bds > COMPUTE_BDS:
                _aiecc(f"the compute tile's DMA has more than {COMPUTE_BDS} blocks ({bds} BDs for its ObjectFifo buffers)")
            if 2 * len(handles) > COMPUTE_LOCKS:
                _aiecc(f"not allocated a lock: because only {COMPUTE_LOCKS} locks available in this tile "
                       f"({2 * len(handles)} needed)")
            memory = (w.stack_size if w.stack_size is not None else DEFAULT_STACK)
            memory += sum(h.depth * _type_bytes(h.fifo.type) for h in handles)
            memory += sum(_type_bytes(a.type) for a in w.fn_args if isinstance(a, Buffer))
            if memory > COMPUTE_MEMORY:
                _aiecc(f"allocated buffers exceeded available memory ({memory} of {COMPUTE_MEMORY} bytes)")
        # One launch: run every started worker's body once, counting what it acquires.
        fifos = {}
        for w in workers:
            for a in w.fn_args:
                if isinstance(a, ObjectFifoHandle):
                    fifos[a.fifo.name] = a.fifo
            w.core_fn(*w.fn_args)
        moved = {}
        for t in _record["transfers"]:
            f = fifos.get(t["fifo"])
            if f is None:
                _error(f"{t['kind']} of {t['fifo']}, which no started worker uses")
                continue
            moved[(t["fifo"], t["kind"])] = moved.get((t["fifo"], t["kind"]), 0) + t["bytes"]
        for (name, kind), total in moved.items():
            f = fifos[name]
            role = "cons" if kind == "fill" else "prod"
            used = f.count[role] * _type_bytes(f.type)
            if used != total:
                _error(f"{kind} of {name} moves {total} bytes, the core {'consumes' if role == 'cons' else 'produces'} {used}")
        return json.dumps(_record)
