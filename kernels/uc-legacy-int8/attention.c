/* Device source of revision uc-legacy-int8: one 64x64 INT8 attention tile for an AIE2 core (Peano), also built for the host. */
#include <stdint.h>

/* Everything is a fixed 64x64 tile: Q, K and V arrive back to back in one buffer. */
#define TILE 64
#define TILE_ELEMS (TILE * TILE)

static int32_t clamp_i32(int32_t x, int32_t lo, int32_t hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/* Scores are narrowed to int8 right after the shift: this is the revision's defining loss. */
static void row_scores(const int8_t* q_row, const int8_t* k, uint32_t scale_shift, int8_t* scores) {
  int j, d;
  for (j = 0; j < TILE; j++) {
    const int8_t* k_row = k + j * TILE;
    int32_t s = 0;
    for (d = 0; d < TILE; d++) s += (int32_t)q_row[d] * (int32_t)k_row[d];
    s >>= scale_shift;
    scores[j] = (int8_t)clamp_i32(s, -128, 127);
  }
}

/* Second-order Taylor exp around the row max, normalized to 127. */
static void row_softmax(const int8_t* scores, int8_t* weights) {
  int32_t e[TILE];
  int32_t m = scores[0];
  int32_t sum = 0;
  int j;
  for (j = 1; j < TILE; j++)
    if (scores[j] > m) m = scores[j];
  for (j = 0; j < TILE; j++) {
    int32_t x = clamp_i32((int32_t)scores[j] - m, -64, 0);
    int32_t v = 64 + x + (x * x) / 128;
    if (v < 0) v = 0;
    e[j] = v;
    sum += v;
  }
  /* sum >= 64: the max element contributes 64, so the division is always defined. */
  for (j = 0; j < TILE; j++) {
    int32_t w = (e[j] * 127) / sum;
    if (w > 127) w = 127;
    weights[j] = (int8_t)w;
  }
}

/* P.V with a plain (floor) >> 7 requantization. */
static void row_output(const int8_t* weights, const int8_t* v, int8_t* out_row) {
  int c, j;
  for (c = 0; c < TILE; c++) {
    int32_t acc = 0;
    for (j = 0; j < TILE; j++) acc += (int32_t)weights[j] * (int32_t)v[j * TILE + c];
    out_row[c] = (int8_t)clamp_i32(acc >> 7, -128, 127);
  }
}

void attention_64x64(const int8_t* qkv, int8_t* out, uint32_t scale_shift) {
  const int8_t* q = qkv;
  const int8_t* k = qkv + TILE_ELEMS;
  const int8_t* v = qkv + 2 * TILE_ELEMS;
  int8_t scores[TILE];
  int8_t weights[TILE];
  int i;
  for (i = 0; i < TILE; i++) {
    row_scores(q + i * TILE, k, scale_shift, scores);
    row_softmax(scores, weights);
    row_output(weights, v, out + i * TILE);
  }
}
