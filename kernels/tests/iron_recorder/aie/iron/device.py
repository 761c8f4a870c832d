# Recording stand-in for aie.iron.device: the device is only a name here.
class NPU1Col1:
    name = "npu1_1col"
