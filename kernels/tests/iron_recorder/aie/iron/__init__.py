# A recording stand-in for mlir-aie's IRON API: runs a design.py on a machine without mlir-aie and
# prints, instead of MLIR, the buffers, kernels, stack and DMA volumes it declares, as JSON.
#
# It checks what the real API would only reveal on hardware: every kernel call gets buffers of the
# declared types, and every DMA moves exactly as many bytes as the core consumes or produces.
import json

import numpy as np

_record = {"kernels": {}, "fifos": {}, "buffers": {}, "workers": [], "sequence": [], "transfers": [], "errors": []}


def _error(msg):
    _record["errors"].append(msg)


def _type_bytes(t):
    """Bytes of np.ndarray[(N, ...), np.dtype[T]], or None for a scalar type such as np.int32."""
    args = getattr(t, "__args__", None)
    if not args:
        return None
    shape, dtype = args[0], args[1].__args__[0]
    return int(np.prod(shape)) * np.dtype(dtype).itemsize


class _Element:
    def __init__(self, t, owner):
        self.type, self.owner = t, owner


class Buffer(_Element):
    def __init__(self, t, name=None, initial_value=None):
        super().__init__(t, name)
        _record["buffers"][name] = _type_bytes(t)


class Kernel:
    def __init__(self, symbol, obj, arg_types):
        self.symbol, self.object, self.arg_types = symbol, obj, list(arg_types)
        _record["kernels"][symbol] = {"object": obj, "args": [_type_bytes(t) for t in arg_types]}

    def __call__(self, *args):
        if len(args) != len(self.arg_types):
            _error(f"{self.symbol}: called with {len(args)} arguments, declared {len(self.arg_types)}")
            return
        for i, (a, t) in enumerate(zip(args, self.arg_types)):
            want = _type_bytes(t)
            if want is None:
                if not isinstance(a, int):
                    _error(f"{self.symbol} argument {i}: a scalar is declared, got {a!r}")
            elif not isinstance(a, _Element) or _type_bytes(a.type) != want:
                got = _type_bytes(a.type) if isinstance(a, _Element) else a
                _error(f"{self.symbol} argument {i}: {want} bytes declared, got {got} from {getattr(a, 'owner', a)}")


class _End:
    def __init__(self, fifo, role):
        self.fifo, self.role = fifo, role

    def acquire(self, n):
        self.fifo.count[self.role] += n
        return _Element(self.fifo.type, self.fifo.name)

    def release(self, n):
        pass


class ObjectFifo:
    _n = 0

    def __init__(self, t, name=None, depth=2, **kwargs):
        ObjectFifo._n += 1
        self.type, self.name, self.depth = t, name or f"fifo{ObjectFifo._n}", depth
        self.count = {"prod": 0, "cons": 0}
        _record["fifos"][self.name] = {"bytes": _type_bytes(t), "depth": depth}

    def prod(self):
        return _End(self, "prod")

    def cons(self):
        return _End(self, "cons")


class Worker:
    def __init__(self, core_fn, fn_args=(), stack_size=None, **kwargs):
        self.core_fn, self.fn_args = core_fn, list(fn_args)
        _record["workers"].append({"stack_size": stack_size})


class _HostTensor:
    def __init__(self, t, index):
        self.type, self.index = t, index


class Runtime:
    def __init__(self):
        self.workers = []

    def sequence(self, *types):
        rt = self

        class _Seq:
            def __enter__(self):
                _record["sequence"] = [_type_bytes(t) for t in types]
                return tuple(_HostTensor(t, i) for i, t in enumerate(types))

            def __exit__(self, *exc):
                return False

        return _Seq()

    def start(self, *workers):
        self.workers.extend(workers)

    def _transfer(self, kind, end, tensor, sizes, strides):
        moved = int(np.prod(sizes)) * np.dtype(tensor.type.__args__[1].__args__[0]).itemsize if sizes else _type_bytes(tensor.type)
        _record["transfers"].append({"kind": kind, "fifo": end.fifo.name, "arg": tensor.index, "bytes": moved})
        if sizes and strides:
            # The furthest byte the access pattern reaches must lie inside the host buffer.
            last = sum((s - 1) * st for s, st in zip(sizes, strides))
            if last >= _type_bytes(tensor.type):
                _error(f"{kind} into {end.fifo.name}: the access pattern reaches byte {last} of a {_type_bytes(tensor.type)}-byte buffer")

    def fill(self, end, tensor, sizes=None, strides=None, **kwargs):
        self._transfer("fill", end, tensor, sizes, strides)

    def drain(self, end, tensor, sizes=None, strides=None, wait=False, **kwargs):
        self._transfer("drain", end, tensor, sizes, strides)


class Program:
    def __init__(self, device, rt):
        self.rt = rt

    def resolve_program(self, placer):
        # One launch: run every started worker's body once, counting what it acquires.
        fifos = {}
        for w in self.rt.workers:
            for a in w.fn_args:
                if isinstance(a, _End):
                    fifos[a.fifo.name] = a.fifo
            w.core_fn(*w.fn_args)
        for t in _record["transfers"]:
            f = fifos.get(t["fifo"])
            if f is None:
                _error(f"{t['kind']} into {t['fifo']}, which no started worker uses")
                continue
            role = "cons" if t["kind"] == "fill" else "prod"
            used = f.count[role] * _type_bytes(f.type)
            if used != t["bytes"]:
                _error(f"{t['kind']} of {t['fifo']} moves {t['bytes']} bytes, the core {'consumes' if role == 'cons' else 'produces'} {used}")
        return json.dumps(_record)
