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

// MARK: The encoder's int8 products

/// Columns and depth as the packed weights hold them: columns in blocks of 16, depth in groups of 4.
size_t turnout_qgemm_padded_columns(size_t n);
size_t turnout_qgemm_padded_depth(size_t k);
/// Bytes `turnout_qgemm_pack` writes for an `n x k` weight.
size_t turnout_qgemm_packed_bytes(size_t n, size_t k);

/// Quantizes a PyTorch Linear weight `w` ([n, k], row-major) per output column: codes -127...127
/// into `packed` (`turnout_qgemm_packed_bytes(n, k)` bytes, the layout the VNNI kernel loads),
/// `scales[j]` (max |w[j, :]| / 127) and `compensation[j]` (128 times column j's code sum).
/// `scales` and `compensation` hold `turnout_qgemm_padded_columns(n)` values.
void turnout_qgemm_pack(const float *w, size_t n, size_t k, int8_t *packed, float *scales, int32_t *compensation);

/// A quantized input's outliers: row r's `counts[r]` values beyond its clipping threshold, as
/// channel and fp32 value in slots `r * limit ...` (their int8 codes are 0).
typedef struct {
    uint32_t *counts;
    uint32_t *channels;
    float *residuals;
    size_t limit;
} turnout_qgemm_outliers;

/// Quantizes each of `m` rows of `a` (`k` floats, row stride `lda`) symmetrically, codes
/// -127...127 stored + 128, into rows of `ldo` bytes of `out` (bytes past `k` are 128, code 0),
/// and each row's scale into `scales`. Each row is clipped at `clip` times its root mean
/// square (doubled until at most `limit` values lie beyond; `clip` 0 clips nothing); the values
/// beyond get code 0 and go to `outliers` (whose `limit` must equal `limit`).
void turnout_qgemm_quantize_rows(const float *a, size_t m, size_t k, size_t lda, float clip, size_t limit,
                                 uint8_t *out, size_t ldo, float *scales, turnout_qgemm_outliers outliers);

/// `c[r, j] += w_scales[j] * a_scales[r] * (a_codes[r] . w_codes[j]) + sum of row r's outliers
/// times their bf16 weights in `wide`` for every row and the columns of blocks
/// `first_block..<end_block` (16 columns each), so callers can split columns between threads.
/// `n` must be a multiple of 16; `a` (from `turnout_qgemm_quantize_rows`, `lda >= padded
/// depth`) must have readable rows up to `m` rounded up to 4. `wide` is the weight from
/// `turnout_bf16_pack`. With a `bias` (n floats), `c[r, j] = bias[j] + ...` instead: the
/// output's old contents are neither read nor kept, and no pass copies the bias in first.
void turnout_qgemm(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const float *a_scales,
                   turnout_qgemm_outliers outliers, const int8_t *packed, const float *w_scales, const int32_t *compensation,
                   const uint16_t *wide, const float *bias, float *c, size_t ldc, size_t first_block, size_t end_block);

/// The portable loops behind the two above, for tests to check the VNNI path against.
void turnout_qgemm_quantize_rows_portable(const float *a, size_t m, size_t k, size_t lda, float clip, size_t limit,
                                          uint8_t *out, size_t ldo, float *scales, turnout_qgemm_outliers outliers);
void turnout_qgemm_portable(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const float *a_scales,
                            turnout_qgemm_outliers outliers, const int8_t *packed, const float *w_scales, const int32_t *compensation,
                            const uint16_t *wide, const float *bias, float *c, size_t ldc, size_t first_block, size_t end_block);

/// 1 when the int8 products take their AVX-512 VNNI path on this CPU, else 0.
int turnout_qgemm_vnni_available(void);

// MARK: Remainders ([CLS] and [SEP] rows)

/// `w - scales[j] * code[j, t]` for the weight `turnout_qgemm_pack` packed: what its int8 codes
/// leave over, to be packed as a second set of codes.
void turnout_qgemm_weight_remainder(const float *w, size_t n, size_t k, const int8_t *packed, const float *scales, float *remainder);
/// For each of `count` rows `rows[i]` of `a`: what its codes (`codes`, stride `ldq`, scales
/// `scales`, as `turnout_qgemm_quantize_rows` left them) leave over, its outliers' channels
/// zero (they are multiplied exactly), into row i of `out`.
void turnout_qgemm_row_remainders(const float *a, size_t k, size_t lda, const uint32_t *rows, size_t count, const uint8_t *codes, size_t ldq,
                                  const float *scales, turnout_qgemm_outliers outliers, float *out, size_t ldo);
/// `c[rows[i], j] += sum over p of products[p * count + i, j]` for columns
/// `first_column..<end_column`, zeroing those products again for the next call.
void turnout_qgemm_add_rows(float *products, size_t count, size_t parts, size_t ldp, const uint32_t *rows, float *c, size_t ldc,
                            size_t first_column, size_t end_column);

// MARK: bf16 weights

/// Elements `turnout_bf16_pack` writes for an `n x k` weight.
size_t turnout_bf16_packed_count(size_t n, size_t k);
/// A PyTorch Linear weight `w` ([n, k]) in bf16 (rounded to nearest even), laid out [k/2][n][2]:
/// each pair of input channels holds every column's two weights side by side.
void turnout_bf16_pack(const float *w, size_t n, size_t k, uint16_t *packed);
/// The weight of column `j` at input `channel` from a packed bf16 weight, widened to float.
float turnout_bf16_weight(const uint16_t *packed, size_t n, size_t j, size_t channel);

// MARK: Activations

/// Exact GELU in place, `x/2 (1 + erf(x / sqrt 2))`, with AVX-512 where the CPU has it.
void turnout_gelu(float *values, size_t count);
/// The portable loop behind it, for tests to check the AVX-512 path against.
void turnout_gelu_portable(float *values, size_t count);
/// Softmax in place of each of `count` rows of `width` floats, `stride` apart.
void turnout_softmax_rows(float *rows, size_t count, size_t width, size_t stride);
/// The portable loop behind it (libm's expf).
void turnout_softmax_rows_portable(float *rows, size_t count, size_t width, size_t stride);
/// `rows[r] = LayerNorm(rows[r] + addend[r]) * scale + bias` in place for `count` rows of
/// `width` floats (`addend` may be NULL), with AVX-512 where the CPU has it and `width` is a
/// multiple of 16: the mean, then the variance of the deviations, as the reference takes them.
void turnout_layer_norm(float *rows, const float *addend, size_t count, size_t width, const float *scale, const float *bias, float epsilon);
/// The portable loop behind it.
void turnout_layer_norm_portable(float *rows, const float *addend, size_t count, size_t width, const float *scale, const float *bias,
                                 float epsilon);

// MARK: Spinning

/// One step of a spin-wait loop (x86 `pause`, Arm `yield`): tells the core this thread is
/// only waiting, so it spins without flooding the pipeline with loads.
static inline void turnout_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
