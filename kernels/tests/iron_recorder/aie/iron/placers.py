# Stand-in for aie.iron.placers at mlir-aie c8792662 (removed upstream by #3016): Program.resolve_program places.
class SequentialPlacer:
    def __init__(self, cores_per_col=None):
        self.cores_per_col = cores_per_col
