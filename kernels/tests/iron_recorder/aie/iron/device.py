# Stand-in for aie.iron.device at mlir-aie c8792662: the devices (no constructor arguments) and the placement sentinels.
class Tile:
    def __init__(self, col=None, row=None):
        self.col, self.row = col, row


class _Any:
    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"Any{self.kind}Tile"


AnyShimTile = _Any("Shim")
AnyMemTile = _Any("Mem")
AnyComputeTile = _Any("Compute")
PlacementTile = object


class Device:
    name = ""
    columns = 0

    def __init__(self):
        pass


class NPU1Col1(Device):
    # npu1_1col: one column, a shim NOC tile at row 0, a memtile at row 1, compute tiles at rows 2..5.
    name = "npu1_1col"
    columns = 1


class NPU1(Device):
    name = "npu1"
    columns = 4
