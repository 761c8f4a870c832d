/* Device source of revision uc-int32-lut: one 64x64 INT8 attention tile in two 32-row halves for an AIE2 core (Peano), also built for the host. */
#include <stdint.h>

/* Everything is a fixed 64x64 tile: Q, K and V arrive back to back in one buffer. */
#define TILE 64
#define TILE_ELEMS (TILE * TILE)
#define HALF_ROWS 32

/* LUT[n] = max(1, floor(2^20 * exp(-n))): from n = 14 on the floor is 0 and the max keeps it 1. */
static const uint32_t EXP_LUT[128] = {
    1048576, 385749, 141909, 52205, 19205, 7065, 2599, 956, 351, 129, 47, 17, 6, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1};

/*
 * noinline on this and the tile function: the historical object keeps them as separate
 * frames, and the stack check (kernels/stack_facts.*) must see that call chain. exp_vals
 * lives on the stack like the historical source; with the tile's arrays below it is part of
 * the ~2.5 KiB that does not fit the 1 KiB core stack.
 */
static __attribute__((noinline)) void softmax_int32_to_int8(const int32_t* input, int8_t* output, uint32_t n) {
  uint32_t exp_vals[TILE];
  int32_t max_val;
  uint32_t sum = 0, scaled_sum, i;
  if (n > TILE) n = TILE;
  max_val = input[0];
  for (i = 1; i < n; i++)
    if (input[i] > max_val) max_val = input[i];
  for (i = 0; i < n; i++) {
    /* >> on the negative difference rounds toward minus infinity: the spec relies on it. */
    int32_t x = (input[i] - max_val) >> 8;
    if (x < -127) x = -127;
    if (x > 0) x = 0;
    exp_vals[i] = EXP_LUT[-x];
    sum += exp_vals[i];
  }
  /* Both sides pre-shifted by 10 so the product stays in 32 bits (AIE2 has no 64-bit divide). */
  scaled_sum = sum >> 10;
  if (scaled_sum == 0) scaled_sum = 1;
  for (i = 0; i < n; i++) {
    uint32_t w = ((exp_vals[i] >> 10) * 127u) / scaled_sum;
    if (w > 127u) w = 127u;
    output[i] = (int8_t)w;
  }
}

/* Rows row0 .. row0+31: all their weights first, then P.V, as the historical tiled kernel does. */
static __attribute__((noinline)) void attention_tile_32x32(const int8_t* q, const int8_t* k, const int8_t* v,
                                                          int8_t* out, uint32_t row0, uint32_t scale_shift) {
  int8_t weights[HALF_ROWS * TILE];
  int32_t scores_row[TILE];
  uint32_t r, j, d, c;
  for (r = 0; r < HALF_ROWS; r++) {
    const int8_t* q_row = q + (row0 + r) * TILE;
    for (j = 0; j < TILE; j++) {
      const int8_t* k_row = k + j * TILE;
      int32_t s = 0;
      for (d = 0; d < TILE; d++) s += (int32_t)q_row[d] * (int32_t)k_row[d];
      /* Kept in int32: no clamp before the softmax (the "INT32 fix"). */
      scores_row[j] = s >> scale_shift;
    }
    softmax_int32_to_int8(scores_row, weights + r * TILE, TILE);
  }
  for (r = 0; r < HALF_ROWS; r++) {
    const int8_t* w = weights + r * TILE;
    int8_t* out_row = out + (row0 + r) * TILE;
    for (c = 0; c < TILE; c++) {
      int32_t acc = 0, o;
      for (j = 0; j < TILE; j++) acc += (int32_t)w[j] * (int32_t)v[j * TILE + c];
      /* Round half away from zero, then floor-shift. */
      o = (acc + (acc >= 0 ? 64 : -64)) >> 7;
      if (o < -128) o = -128;
      if (o > 127) o = 127;
      out_row[c] = (int8_t)o;
    }
  }
}

void attention_64x64(const int8_t* qkv, int8_t* out, uint32_t scale_shift) {
  const int8_t* q = qkv;
  const int8_t* k = qkv + TILE_ELEMS;
  const int8_t* v = qkv + 2 * TILE_ELEMS;
  attention_tile_32x32(q, k, v, out, 0, scale_shift);
  attention_tile_32x32(q, k, v, out, HALF_ROWS, scale_shift);
}
