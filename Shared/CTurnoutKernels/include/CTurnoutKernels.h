// Numeric kernels for sw_ranking's per-query loops, which Swift cannot make fast here: Swift
// compiles for baseline x86-64 (SSE2, no byte multiply-add, no FMA), has no per-function target
// attribute, and its generic SIMD operations do not reliably inline. C compiles each loop twice,
// portable and AVX2+FMA, and picks one at run time (one load of a cached CPU model per call).
// Both paths compute the same quantities; the vector one may round differently in the last bits.
#ifndef C_TURNOUT_KERNELS_H
#define C_TURNOUT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Similarities of one query against int8 rows, `out[r] = scales[r] * query_scale * (rows[r] . query)`,
/// and their smallest and largest value in `extremes[0]` and `extremes[1]`.
///
/// `rows` is row-major, `count x dimensions`. The integer dot products are exact as long as
/// `128 * dimensions * max|query|` fits in an int32; the caller scales the query to keep it so.
void turnout_int8_similarities(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int16_t *query, float query_scale, float *out, float extremes[2]);

/// As `turnout_int8_similarities` for the rows `indices[0..<count]` only: `out[i]` is row
/// `indices[i]`'s similarity (no extremes). The 4-bit pass refines its top rows with it.
void turnout_int8_similarities_at(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                  const int16_t *query, float query_scale, float *out);

/// Bytes per row of 4-bit codes: 32 per block of 64 components (a partial block is padded).
size_t turnout_int4_row_bytes(size_t dimensions);

/// As `turnout_int8_similarities` for 4-bit rows (codes -8...7, stored + 8 as nibbles, laid out
/// as `turnout_int4_row_bytes` describes) against an int8 query.
///
/// `query` holds `2 * turnout_int4_row_bytes(dimensions)` values, zero past `dimensions`; padding
/// nibbles are 8 (code 0). The int32 sums are exact for any `dimensions` up to 65,536.
void turnout_int4_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]);

/// Bytes per row of 2-bit codes: 32 per block of 128 components (a partial block is padded).
size_t turnout_int2_row_bytes(size_t dimensions);

/// As `turnout_int8_similarities` for 2-bit rows (codes 0...3 standing for -3, -1, 1 and 3
/// half-steps, laid out as `turnout_int2_row_bytes` describes) against an int8 query:
/// `out[r] = scales[r] * query_scale * (2 * (codes . query) - 3 * sum(query))`, so `scales[r]`
/// is half a step.
///
/// `query` holds `4 * turnout_int2_row_bytes(dimensions)` values, zero past `dimensions` (then
/// padding codes do not matter). The int32 sums are exact for any `dimensions` up to 1,000,000.
void turnout_int2_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]);

/// The sums `sums[0] = sum_r w_r * credit[r]` and `sums[1] = sum_r w_r * battles[r]`, where
/// `w_r = exp(similarities[r] * rate - offset)` (exponent clamped to [-87, 88]; the exponential
/// is within 3e-7 relative, the sums are in double).
void turnout_weighted_sums(const float *similarities, const float *credit, const float *battles, size_t count,
                           float rate, float offset, double sums[2]);

/// The portable loops, exposed so tests can check the vector paths against them.
void turnout_int8_similarities_portable(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int16_t *query, float query_scale, float *out, float extremes[2]);
void turnout_int8_similarities_at_portable(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                           const int16_t *query, float query_scale, float *out);
void turnout_int4_similarities_portable(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int8_t *query, float query_scale, float *out, float extremes[2]);
void turnout_int2_similarities_portable(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int8_t *query, float query_scale, float *out, float extremes[2]);
void turnout_weighted_sums_portable(const float *similarities, const float *credit, const float *battles, size_t count,
                                    float rate, float offset, double sums[2]);

/// 1 when the kernels take their AVX2+FMA paths on this CPU, else 0.
int turnout_kernels_vectorized(void);

#endif
