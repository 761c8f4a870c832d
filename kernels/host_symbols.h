/* The device entry points as the host build links them (kernels/CMakeLists.txt renames the historical ones). */
#ifndef ATTNCHECK_KERNELS_HOST_SYMBOLS_H
#define ATTNCHECK_KERNELS_HOST_SYMBOLS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Both historical sources export attention_64x64; the host build prefixes each with its revision. */
void uc_legacy_int8_attention_64x64(const int8_t* qkv, int8_t* out, uint32_t scale_shift);
void uc_int32_lut_attention_64x64(const int8_t* qkv, int8_t* out, uint32_t scale_shift);
void precise_v1_begin(int32_t* row_max, int32_t* acc, uint32_t* row_sum);
void precise_v1_max_pass(const int8_t* q_rtp, const int8_t* k_tile, int32_t n_keys, int32_t* row_max);
void precise_v1_acc_pass(const int8_t* q_rtp, const int8_t* kv, int32_t n_keys, const int32_t* row_max, int32_t* acc,
                         uint32_t* row_sum);
void precise_v1_finish(const int8_t* q_rtp, const int32_t* acc, const uint32_t* row_sum, int8_t* out_tile);
#ifdef __cplusplus
}
#endif
#endif
