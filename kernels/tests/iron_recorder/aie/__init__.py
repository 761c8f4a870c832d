# A recording stand-in for mlir-aie's Python package, used only by attncheck's design tests.
