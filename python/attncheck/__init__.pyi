# Type stubs of the attncheck package.
from typing import Any, Literal, Mapping, Optional, Sequence, Tuple, Union
import os
import numpy as np
import numpy.typing as npt

from . import testing as testing

__version__: str

class InputError(ValueError): ...
class DeviceError(RuntimeError): ...

Kernel = Union[str, os.PathLike[str]]
Arrays = Union[Mapping[str, Any], Tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.int8]]]

def golden(q: npt.NDArray[np.int8], k: npt.NDArray[np.int8], v: npt.NDArray[np.int8], scale: Optional[float] = ...,
           precision: Literal["fp32", "fp64"] = ..., scales: Optional[Mapping[str, float]] = ...) -> npt.NDArray[np.floating[Any]]: ...
def emulate(kernel: Kernel, q: npt.NDArray[np.int8], k: npt.NDArray[np.int8], v: npt.NDArray[np.int8],
            scales: Optional[Mapping[str, float]] = ..., **params: int) -> npt.NDArray[np.int8]: ...
def compare(golden: npt.ArrayLike, dut: npt.ArrayLike, model: Optional[npt.ArrayLike] = ...) -> dict[str, Any]: ...
def run(kernel: Kernel, fixture_or_arrays: Union[str, os.PathLike[str], Arrays], backend: str = ...,
        gates: Union[None, str, os.PathLike[str], Mapping[str, Any]] = ..., params: Optional[Mapping[str, int]] = ...,
        allow_mismatch: bool = ..., allow_fallback: bool = ..., keep_outputs: bool = ...,
        **options: Union[str, os.PathLike[str]]) -> dict[str, Any]: ...
def diff(a: Union[Kernel, Mapping[str, Any]], b: Union[Kernel, Mapping[str, Any]],
         fixture: Union[None, str, os.PathLike[str], Arrays] = ..., backend: str = ..., params: Optional[Mapping[str, int]] = ...,
         params_a: Optional[Mapping[str, int]] = ..., params_b: Optional[Mapping[str, int]] = ..., tolerance: float = ...,
         rel_tolerance: float = ..., tolerance_for: Optional[Mapping[str, float]] = ..., allow_shape_change: bool = ...,
         **options: Union[str, os.PathLike[str]]) -> dict[str, Any]: ...
def fixture(recipe: Literal["numpy-randint", "realistic"] = ..., seed: int = ..., shape: Sequence[int] = ..., heads: int = ...,
            low: int = ..., high: int = ..., logit_std: float = ...) -> dict[str, Any]: ...
def kernels() -> list[dict[str, Any]]: ...
