# Type stubs of attncheck.testing.
from typing import Any, Mapping, Union
import os
import numpy as np
import numpy.typing as npt

def assert_bit_exact(dut: npt.ArrayLike, model: npt.ArrayLike) -> None: ...
def assert_gates(report: Mapping[str, Any], gates: Union[str, os.PathLike[str], Mapping[str, Any]]) -> list[dict[str, Any]]: ...
