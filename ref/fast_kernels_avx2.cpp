// The fast kernels compiled for the avx2 level (flags in ref/CMakeLists.txt); chosen at run time by ref/fast.cpp.
#define ATTNCHECK_ISA_NS avx2
#include "ref/fast_kernels.inc"
