// The fast kernels compiled for the avx512vnni level (flags in ref/CMakeLists.txt); chosen at run time by ref/fast.cpp.
#define ATTNCHECK_ISA_NS avx512vnni
#include "ref/fast_kernels.inc"
