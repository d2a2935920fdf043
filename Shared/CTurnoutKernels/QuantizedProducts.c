#include "CTurnoutKernels.h"

#include <math.h>
#include <string.h>

// The encoder's int8 path: c[m, n] += (a[m, k] . w[n, k]^T) with a quantized per row (token)
// and w per output column, both symmetric with codes -127...127. Activations are stored as
// code + 128 (unsigned bytes, as VNNI's vpdpbusd wants its first operand), so every integer
// dot is `sum (q_a + 128) q_w`, and the column's `128 * sum q_w` (its compensation) is
// subtracted afterwards. The integer sums are exact, so the VNNI and portable paths differ
// only in how the final float multiply-add rounds.
//
// A row's few outlying values (the [CLS] token's, say, which reach 30 where the rest stay
// under 1) would set its scale and crush every other value to a handful of codes. So each
// row is clipped at a threshold (a multiple of its root mean square), and what lies beyond
// it is taken out of the int8 product (its code is 0) and multiplied in fp32 with the bf16
// copy of the weights (see "bf16 weights" below: one channel's weights for 16 columns are one
// load).

// MARK: Packing

size_t turnout_qgemm_packed_bytes(size_t n, size_t k) {
    return turnout_qgemm_padded_columns(n) * turnout_qgemm_padded_depth(k);
}

size_t turnout_qgemm_padded_columns(size_t n) { return (n + 15) / 16 * 16; }

size_t turnout_qgemm_padded_depth(size_t k) { return (k + 3) / 4 * 4; }

// Column block b (16 columns) holds its depth in groups of 4: 64 bytes per group, column c's
// four codes at bytes 4c...4c+3. One 64-byte load then feeds one vpdpbusd for 16 columns.
void turnout_qgemm_pack(const float *w, size_t n, size_t k, int8_t *packed, float *scales, int32_t *compensation) {
    const size_t columns = turnout_qgemm_padded_columns(n), depth = turnout_qgemm_padded_depth(k), groups = depth / 4;
    memset(packed, 0, columns * depth);
    for (size_t j = 0; j < columns; j++) {
        float largest = 0;
        for (size_t t = 0; j < n && t < k; t++) {
            const float magnitude = fabsf(w[j * k + t]);
            largest = magnitude > largest ? magnitude : largest;
        }
        const float scale = largest > 0 ? largest / 127 : 1;
        int32_t sum = 0;
        for (size_t t = 0; j < n && t < k; t++) {
            float code = nearbyintf(w[j * k + t] / scale);
            code = code > 127 ? 127 : (code < -127 ? -127 : code);
            packed[((j / 16) * groups + t / 4) * 64 + (j % 16) * 4 + t % 4] = (int8_t)code;
            sum += (int32_t)code;
        }
        scales[j] = j < n ? scale : 0;
        compensation[j] = 128 * sum;
    }
}

// MARK: Portable

// The clipping threshold of one row: `clip` times its root mean square, doubled until at most
// `limit` values lie beyond it, and never above the row's largest magnitude (then none do).
static float row_threshold(const float *row, size_t k, float clip, size_t limit, float largest, float squares) {
    if (clip <= 0 || k == 0) return largest;
    float threshold = clip * sqrtf(squares / (float)k);
    while (threshold < largest) {
        size_t beyond = 0;
        for (size_t t = 0; t < k; t++) beyond += fabsf(row[t]) > threshold;
        if (beyond <= limit) return threshold;
        threshold *= 2;
    }
    return largest;
}

void turnout_qgemm_quantize_rows_portable(const float *a, size_t m, size_t k, size_t lda, float clip, size_t limit,
                                          uint8_t *out, size_t ldo, float *scales, turnout_qgemm_outliers outliers) {
    for (size_t r = 0; r < m; r++) {
        const float *row = a + r * lda;
        float largest = 0, squares = 0;
        for (size_t t = 0; t < k; t++) {
            const float magnitude = fabsf(row[t]);
            largest = magnitude > largest ? magnitude : largest;
            squares += row[t] * row[t];
        }
        const float threshold = row_threshold(row, k, clip, limit, largest, squares);
        const float scale = threshold > 0 ? threshold / 127 : 1, inverse = 1 / scale;
        uint32_t count = 0;
        for (size_t t = 0; t < k; t++) {
            float code = nearbyintf(row[t] * inverse);
            code = code > 127 ? 127 : (code < -127 ? -127 : code);
            if (fabsf(row[t]) > threshold && count < limit) {
                outliers.channels[r * limit + count] = (uint32_t)t;
                outliers.residuals[r * limit + count] = row[t];
                count++;
                code = 0;
            }
            out[r * ldo + t] = (uint8_t)((int32_t)code + 128);
        }
        for (size_t t = k; t < ldo; t++) out[r * ldo + t] = 128;
        scales[r] = scale;
        outliers.counts[r] = count;
    }
}

// The weight code of column j at depth t in the packed layout.
static inline int8_t packed_code(const int8_t *packed, size_t groups, size_t j, size_t t) {
    return packed[((j / 16) * groups + t / 4) * 64 + (j % 16) * 4 + t % 4];
}

void turnout_qgemm_portable(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const float *a_scales,
                            turnout_qgemm_outliers outliers, const int8_t *packed, const float *w_scales, const int32_t *compensation,
                            const uint16_t *wide, const float *bias, float *c, size_t ldc, size_t first_block, size_t end_block) {
    const size_t groups = turnout_qgemm_padded_depth(k) / 4;
    for (size_t b = first_block; b < end_block; b++) {
        for (size_t r = 0; r < m; r++) {
            const uint8_t *row = a + r * lda;
            for (size_t lane = 0; lane < 16 && b * 16 + lane < n; lane++) {
                const size_t j = b * 16 + lane;
                int32_t dot = 0;
                for (size_t t = 0; t < groups * 4; t++) dot += (int32_t)row[t] * (int32_t)packed_code(packed, groups, j, t);
                float correction = 0;
                for (uint32_t i = 0; i < outliers.counts[r]; i++) {
                    const size_t slot = r * outliers.limit + i;
                    correction += outliers.residuals[slot] * turnout_bf16_weight(wide, n, j, outliers.channels[slot]);
                }
                const float base = bias ? bias[j] : c[r * ldc + j];
                c[r * ldc + j] = base + ((float)(dot - compensation[j]) * a_scales[r] * w_scales[j] + correction);
            }
        }
    }
}

// MARK: Remainders

// The [CLS] and [SEP] rows carry values 30 times the rest, and int8 alone costs short texts a
// cosine of 3e-3 (weights) and more (activations). Their products are taken to about 15 bits
// instead, with the same kernel: each such row is split into its int8 codes and the int8 codes
// of what they leave over, and each weight likewise (a second set of codes for `w - scale *
// code`). Three of the four products of the two by the two are summed (the remainder by the
// weight's remainder is the square of what 8 bits leave over). That streams the 10.6 MB of
// remainder codes per pass where bf16 weights for these rows streamed 21 MB.

void turnout_qgemm_weight_remainder(const float *w, size_t n, size_t k, const int8_t *packed, const float *scales, float *remainder) {
    const size_t groups = turnout_qgemm_padded_depth(k) / 4;
    for (size_t j = 0; j < n; j++) {
        for (size_t t = 0; t < k; t++) remainder[j * k + t] = w[j * k + t] - scales[j] * (float)packed_code(packed, groups, j, t);
    }
}

void turnout_qgemm_row_remainders(const float *a, size_t k, size_t lda, const uint32_t *rows, size_t count, const uint8_t *codes, size_t ldq,
                                  const float *scales, turnout_qgemm_outliers outliers, float *out, size_t ldo) {
    for (size_t i = 0; i < count; i++) {
        const size_t r = rows[i];
        for (size_t t = 0; t < k; t++) out[i * ldo + t] = a[r * lda + t] - scales[r] * (float)((int32_t)codes[r * ldq + t] - 128);
        // Outliers are multiplied exactly already; nothing of them is left over.
        for (uint32_t o = 0; o < outliers.counts[r]; o++) out[i * ldo + outliers.channels[r * outliers.limit + o]] = 0;
    }
}

void turnout_qgemm_add_rows(float *products, size_t count, size_t parts, size_t ldp, const uint32_t *rows, float *c, size_t ldc,
                            size_t first_column, size_t end_column) {
    for (size_t i = 0; i < count; i++) {
        float *out = c + rows[i] * ldc;
        for (size_t p = 0; p < parts; p++) {
            float *part = products + (p * count + i) * ldp;
            for (size_t j = first_column; j < end_column; j++) {
                out[j] += part[j];
                part[j] = 0;
            }
        }
    }
}

// MARK: AVX-512 VNNI

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

VNNI static float row_threshold_vnni(const float *row, size_t k, float clip, size_t limit, float largest, float squares) {
    if (clip <= 0 || k == 0) return largest;
    float threshold = clip * sqrtf(squares / (float)k);
    while (threshold < largest) {
        const __m512 bound = _mm512_set1_ps(threshold);
        size_t beyond = 0, t = 0;
        for (; t + 16 <= k; t += 16) beyond += (size_t)__builtin_popcount(_mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(row + t)), bound, _CMP_GT_OQ));
        for (; t < k; t++) beyond += fabsf(row[t]) > threshold;
        if (beyond <= limit) return threshold;
        threshold *= 2;
    }
    return largest;
}

VNNI static void quantize_rows_vnni(const float *a, size_t m, size_t k, size_t lda, float clip, size_t limit,
                                    uint8_t *out, size_t ldo, float *scales, turnout_qgemm_outliers outliers) {
    for (size_t r = 0; r < m; r++) {
        const float *row = a + r * lda;
        size_t t = 0;
        __m512 largest = _mm512_setzero_ps(), squares = _mm512_setzero_ps();
        for (; t + 16 <= k; t += 16) {
            const __m512 x = _mm512_loadu_ps(row + t);
            largest = _mm512_max_ps(largest, _mm512_abs_ps(x));
            squares = _mm512_fmadd_ps(x, x, squares);
        }
        float top = _mm512_reduce_max_ps(largest), sum = _mm512_reduce_add_ps(squares);
        for (; t < k; t++) {
            top = fabsf(row[t]) > top ? fabsf(row[t]) : top;
            sum += row[t] * row[t];
        }
        const float threshold = row_threshold_vnni(row, k, clip, limit, top, sum);
        const float scale = threshold > 0 ? threshold / 127 : 1;
        const __m512 inverse = _mm512_set1_ps(1 / scale), bound = _mm512_set1_ps(threshold);
        const __m512i offset = _mm512_set1_epi32(128), high = _mm512_set1_epi32(127), low = _mm512_set1_epi32(-127);
        uint8_t *codes = out + r * ldo;
        uint32_t count = 0;
        for (t = 0; t + 16 <= k; t += 16) {
            // Round to nearest even (as nearbyintf), clamp to -127...127, then +128.
            const __m512 x = _mm512_loadu_ps(row + t);
            __m512i q = _mm512_max_epi32(low, _mm512_min_epi32(high, _mm512_cvtps_epi32(_mm512_mul_ps(x, inverse))));
            __mmask16 beyond = _mm512_cmp_ps_mask(_mm512_abs_ps(x), bound, _CMP_GT_OQ);
            if (beyond) {
                __mmask16 taken = 0;
                for (; beyond && count < limit; beyond &= beyond - 1) {
                    const unsigned lane = (unsigned)__builtin_ctz(beyond);
                    outliers.channels[r * limit + count] = (uint32_t)(t + lane);
                    outliers.residuals[r * limit + count] = row[t + lane];
                    taken |= (__mmask16)(1u << lane);
                    count++;
                }
                q = _mm512_mask_mov_epi32(q, taken, _mm512_setzero_si512());
            }
            _mm_storeu_si128((__m128i *)(codes + t), _mm512_cvtepi32_epi8(_mm512_add_epi32(q, offset)));
        }
        for (; t < k; t++) {
            float code = nearbyintf(row[t] / scale);
            code = code > 127 ? 127 : (code < -127 ? -127 : code);
            if (fabsf(row[t]) > threshold && count < limit) {
                outliers.channels[r * limit + count] = (uint32_t)t;
                outliers.residuals[r * limit + count] = row[t];
                count++;
                code = 0;
            }
            codes[t] = (uint8_t)((int32_t)code + 128);
        }
        for (; t < ldo; t++) codes[t] = 128;
        scales[r] = scale;
        outliers.counts[r] = count;
    }
}

// The outliers of row r times their channels' bf16 weights, for the 16 columns from `column`:
// each channel's pair line is one load, and its half of each 32-bit lane widens by a shift or a mask.
VNNI static inline __m512 outlier_terms(const uint16_t *wide, size_t n, size_t column, turnout_qgemm_outliers outliers, size_t r) {
    __m512 sum = _mm512_setzero_ps();
    const __m512i high = _mm512_set1_epi32((int32_t)0xffff0000u);
    for (uint32_t i = 0; i < outliers.counts[r]; i++) {
        const size_t slot = r * outliers.limit + i;
        const uint32_t channel = outliers.channels[slot];
        const __m512i line = _mm512_loadu_si512((const void *)(wide + ((channel / 2) * n + column) * 2));
        // An even channel's weight is each lane's low half, moved up; an odd one's the high half
        // as it is: one shift by 16 or 0 and a mask, with no branch on the channel's parity.
        const __m512i bits = _mm512_and_si512(_mm512_sll_epi32(line, _mm_cvtsi32_si128((int)(~channel & 1u) * 16)), high);
        sum = _mm512_fmadd_ps(_mm512_castsi512_ps(bits), _mm512_set1_ps(outliers.residuals[slot]), sum);
    }
    return sum;
}

// Up to four rows by `BLOCKS` column blocks (16 columns each), accumulated over the whole depth
// in registers, then scaled into c. Rows past `rows` are read (the caller pads a) but not written.
#define TURNOUT_QGEMM_TILE(BLOCKS)                                                                                        \
    VNNI static inline void tile_##BLOCKS(size_t rows, size_t groups, const uint8_t *a, size_t lda, const float *a_scales, \
                                          turnout_qgemm_outliers outliers, size_t first_row,                               \
                                          const int8_t *block, const float *w_scales, const int32_t *compensation,         \
                                          const uint16_t *wide, const float *bias, size_t n, size_t column, float *c,      \
                                          size_t ldc) {                                                                    \
        __m512i sums[4][BLOCKS];                                                                                           \
        for (int r = 0; r < 4; r++)                                                                                        \
            for (int q = 0; q < BLOCKS; q++) sums[r][q] = _mm512_setzero_si512();                                          \
        const size_t stride = groups * 64;                                                                                 \
        for (size_t g = 0; g < groups; g++) {                                                                              \
            __m512i weights[BLOCKS];                                                                                       \
            for (int q = 0; q < BLOCKS; q++) weights[q] = _mm512_loadu_si512((const void *)(block + q * stride + g * 64)); \
            for (int r = 0; r < 4; r++) {                                                                                  \
                int32_t quad;                                                                                              \
                memcpy(&quad, a + r * lda + 4 * g, 4);                                                                     \
                const __m512i codes = _mm512_set1_epi32(quad);                                                             \
                for (int q = 0; q < BLOCKS; q++) sums[r][q] = _mm512_dpbusd_epi32(sums[r][q], codes, weights[q]);         \
            }                                                                                                              \
        }                                                                                                                  \
        for (size_t r = 0; r < rows; r++) {                                                                                \
            const __m512 row_scale = _mm512_set1_ps(a_scales[r]);                                                          \
            for (int q = 0; q < BLOCKS; q++) {                                                                             \
                const __m512i exact = _mm512_sub_epi32(sums[r][q], _mm512_loadu_si512((const void *)(compensation + 16 * q))); \
                const __m512 scale = _mm512_mul_ps(row_scale, _mm512_loadu_ps(w_scales + 16 * q));                         \
                float *out = c + r * ldc + 16 * q;                                                                         \
                const __m512 base = _mm512_loadu_ps(bias ? bias + 16 * q : out);                                           \
                const __m512 sum = _mm512_add_ps(base, outlier_terms(wide, n, column + 16 * q, outliers, first_row + r));  \
                _mm512_storeu_ps(out, _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), scale, sum));                             \
            }                                                                                                              \
        }                                                                                                                  \
    }
TURNOUT_QGEMM_TILE(4)
TURNOUT_QGEMM_TILE(1)

VNNI static void qgemm_vnni(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const float *a_scales,
                            turnout_qgemm_outliers outliers, const int8_t *packed, const float *w_scales, const int32_t *compensation,
                            const uint16_t *wide, const float *bias, float *c, size_t ldc, size_t first_block, size_t end_block) {
    const size_t groups = turnout_qgemm_padded_depth(k) / 4;
    size_t b = first_block;
    // Four blocks (64 columns) at a time: their weights stay in L1 while every row tile passes.
    for (; b + 4 <= end_block; b += 4) {
        for (size_t r = 0; r < m; r += 4) {
            tile_4(m - r < 4 ? m - r : 4, groups, a + r * lda, lda, a_scales + r, outliers, r, packed + b * groups * 64,
                   w_scales + 16 * b, compensation + 16 * b, wide, bias ? bias + 16 * b : NULL, n, 16 * b, c + r * ldc + 16 * b, ldc);
        }
    }
    for (; b < end_block; b++) {
        for (size_t r = 0; r < m; r += 4) {
            tile_1(m - r < 4 ? m - r : 4, groups, a + r * lda, lda, a_scales + r, outliers, r, packed + b * groups * 64,
                   w_scales + 16 * b, compensation + 16 * b, wide, bias ? bias + 16 * b : NULL, n, 16 * b, c + r * ldc + 16 * b, ldc);
        }
    }
}

int turnout_qgemm_vnni_available(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni") ? 1 : 0;
}
#else
int turnout_qgemm_vnni_available(void) { return 0; }
#endif

// MARK: Dispatch

void turnout_qgemm_quantize_rows(const float *a, size_t m, size_t k, size_t lda, float clip, size_t limit,
                                 uint8_t *out, size_t ldo, float *scales, turnout_qgemm_outliers outliers) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (turnout_qgemm_vnni_available()) {
        quantize_rows_vnni(a, m, k, lda, clip, limit, out, ldo, scales, outliers);
        return;
    }
#endif
    turnout_qgemm_quantize_rows_portable(a, m, k, lda, clip, limit, out, ldo, scales, outliers);
}

void turnout_qgemm(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const float *a_scales,
                   turnout_qgemm_outliers outliers, const int8_t *packed, const float *w_scales, const int32_t *compensation,
                   const uint16_t *wide, const float *bias, float *c, size_t ldc, size_t first_block, size_t end_block) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (turnout_qgemm_vnni_available()) {
        qgemm_vnni(m, n, k, a, lda, a_scales, outliers, packed, w_scales, compensation, wide, bias, c, ldc, first_block, end_block);
        return;
    }
#endif
    turnout_qgemm_portable(m, n, k, a, lda, a_scales, outliers, packed, w_scales, compensation, wide, bias, c, ldc, first_block, end_block);
}

// MARK: bf16 weights

// Activation outliers are multiplied in fp32 with bf16 weights (8 significant bits where int8
// codes give a row's small weights 2 or 3). Layout [k/2][n][2]: for each pair of input
// channels, every column's two weights side by side, so one channel's weights for 16 columns
// are one 64-byte load.

size_t turnout_bf16_packed_count(size_t n, size_t k) { return n * ((k + 1) / 2) * 2; }

// Round to nearest even, as vcvtne2ps2bf16 does (no NaNs here: weights and activations are finite).
static inline uint16_t bf16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    bits += 0x7fff + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

static inline float float_from_bf16(uint16_t value) {
    const uint32_t bits = (uint32_t)value << 16;
    float result;
    memcpy(&result, &bits, 4);
    return result;
}

void turnout_bf16_pack(const float *w, size_t n, size_t k, uint16_t *packed) {
    const size_t pairs = (k + 1) / 2;
    for (size_t p = 0; p < pairs; p++) {
        for (size_t j = 0; j < n; j++) {
            packed[(p * n + j) * 2] = bf16_from_float(w[j * k + 2 * p]);
            packed[(p * n + j) * 2 + 1] = 2 * p + 1 < k ? bf16_from_float(w[j * k + 2 * p + 1]) : 0;
        }
    }
}

float turnout_bf16_weight(const uint16_t *packed, size_t n, size_t j, size_t channel) {
    return float_from_bf16(packed[((channel / 2) * n + j) * 2 + channel % 2]);
}
