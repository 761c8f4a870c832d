# Stand-in for aie.helpers.taplib at mlir-aie c8792662: TensorAccessPattern, validated as taplib validates it.
class TensorAccessPattern:
    def __init__(self, tensor_dims, offset, sizes, strides):
        sizes, strides = list(sizes), list(strides)
        if len(sizes) != len(strides):
            raise ValueError("Number of sizes and strides must match")
        if any(s < 1 for s in sizes):
            raise ValueError(f"Sizes must be positive: {sizes}")
        if any(s < 0 for s in strides):
            raise ValueError(f"Strides must be non-negative: {strides}")
        # Leading dimensions of size 1 take stride 0, as taplib's validate_and_clean_sizes_strides does.
        for i in range(len(sizes)):
            if sizes[i] != 1:
                break
            strides[i] = 0
        self.tensor_dims, self.offset, self.sizes, self.strides = tuple(tensor_dims), offset, sizes, strides
