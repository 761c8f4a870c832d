# Recording stand-in for aie.iron.placers: placement is the real toolchain's business.
class SequentialPlacer:
    pass
