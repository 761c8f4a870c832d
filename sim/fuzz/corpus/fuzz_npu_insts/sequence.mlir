module {
  aie.device(npu1_1col) {
    memref.global "private" constant @bd : memref<8xi32> = dense<[64, 0, 0, 0, -2147483648, 33554432, 0, 33554432]>
    memref.global "private" constant @hex : memref<2xi32> = dense<"0x0100000002000000">
    aiex.runtime_sequence(%arg0: memref<64xi32>, %arg1: memref<64xi32>) {
      %0 = memref.get_global @bd : memref<8xi32>
      aiex.npu.blockwrite(%0) {address = 118784 : ui32} : memref<8xi32>
      aiex.npu.address_patch {addr = 118788 : ui32, arg_idx = 1 : i32, arg_plus = 16 : i32}
      %1 = memref.get_global @hex : memref<2xi32>
      aiex.npu.blockwrite(%1) {address = 4 : ui32, column = 0 : i32, row = 2 : i32} : memref<2xi32>
      aiex.npu.maskwrite32 {address = 119296 : ui32, mask = 7936 : ui32, value = 3840 : ui32}
      aiex.npu.write32 {address = 119300 : ui32, value = 2147483648 : ui32}
      aiex.npu.sync {channel = 0 : i32, column = 0 : i32, column_num = 1 : i32, direction = 0 : i32, row = 0 : i32, row_num = 1 : i32}
      aiex.npu.preempt {level = 1 : ui8}
    }
  }
}
