module @fuzz_seed {
  aie.device(npu1) {
    %tile_0_2 = aie.tile(0, 2)
    %in_cons_buff_0 = aie.buffer(%tile_0_2) {address = 1024 : i32, sym_name = "in_cons_buff_0"} : memref<64xi8>
    %in_cons_buff_1 = aie.buffer(%tile_0_2) {address = 1088 : i32, sym_name = "in_cons_buff_1"} : memref<64xi8>
    %out_buff_0 = aie.buffer(%tile_0_2) {address = 1152 : i32, sym_name = "out_buff_0"} : memref<16xi32>
    %in_cons_prod_lock_0 = aie.lock(%tile_0_2, 0) {init = 2 : i32, sym_name = "in_cons_prod_lock_0"}
    %in_cons_cons_lock_0 = aie.lock(%tile_0_2, 1) {init = 0 : i32, sym_name = "in_cons_cons_lock_0"}
    %out_prod_lock_0 = aie.lock(%tile_0_2, 2) {init = 1 : i32, sym_name = "out_prod_lock_0"}
    %out_cons_lock_0 = aie.lock(%tile_0_2, 3) {init = 0 : i32, sym_name = "out_cons_lock_0"}
    %core_0_2 = aie.core(%tile_0_2) {
      aie.end
    } {elf_file = "core_0_2.elf"}
    aiex.runtime_sequence(%arg0: memref<128xi8>, %arg1: memref<16xi32>) {
    }
    %mem_0_2 = aie.mem(%tile_0_2) {
      %0 = aie.dma_start(S2MM, 0, ^bb1, ^bb3)
    ^bb1:
      aie.use_lock(%in_cons_prod_lock_0, AcquireGreaterEqual, 1)
      aie.dma_bd(%in_cons_buff_0 : memref<64xi8>, 0, 64) {bd_id = 0 : i32, next_bd_id = 1 : i32}
      aie.use_lock(%in_cons_cons_lock_0, Release, 1)
      aie.next_bd ^bb2
    ^bb2:
      aie.use_lock(%in_cons_prod_lock_0, AcquireGreaterEqual, 1)
      aie.dma_bd(%in_cons_buff_1 : memref<64xi8>, 0, 64) {bd_id = 1 : i32, next_bd_id = 0 : i32}
      aie.use_lock(%in_cons_cons_lock_0, Release, 1)
      aie.next_bd ^bb1
    ^bb3:
      %1 = aie.dma_start(MM2S, 0, ^bb4, ^bb5)
    ^bb4:
      aie.use_lock(%out_cons_lock_0, AcquireGreaterEqual, 1)
      aie.dma_bd(%out_buff_0 : memref<16xi32>, 0, 16) {bd_id = 2 : i32, next_bd_id = 2 : i32}
      aie.use_lock(%out_prod_lock_0, Release, 1)
      aie.next_bd ^bb4
    ^bb5:
      aie.end
    }
  }
}
