// The fast kernels compiled for the portable level (flags in ref/CMakeLists.txt); chosen at run time by ref/fast.cpp.
#define ATTNCHECK_ISA_NS portable
#include "ref/fast_kernels.inc"
