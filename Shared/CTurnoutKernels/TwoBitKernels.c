#include "CTurnoutKernels.h"
#include "VectorSupport.h"

// Row r's 2-bit codes are `turnout_int2_row_bytes(dimensions)` bytes from `rows + r * that`: in
// each block of 128 components, byte k holds components k, k + 32, k + 64 and k + 96 in bits
// 0-1, 2-3, 4-5 and 6-7, so one 32-byte load feeds four byte multiply-adds. A code c in 0...3
// stands for (2c - 3) half-steps, so a dot is 2 * sum(c * q) - 3 * sum(q).
size_t turnout_int2_row_bytes(size_t dimensions) {
    return (dimensions + 127) / 128 * 32;
}

void turnout_int2_similarities_portable(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int8_t *query, float query_scale, float *out, float extremes[2]) {
    const size_t stride = turnout_int2_row_bytes(dimensions);
    int32_t query_sum = 0;
    for (size_t j = 0; j < 4 * stride; j++) query_sum += query[j];
    float low = count ? __builtin_inff() : 0, high = count ? -__builtin_inff() : 0;
    for (size_t r = 0; r < count; r++) {
        const uint8_t *row = rows + r * stride;
        int32_t dot = 0;
        for (size_t b = 0; b < stride; b += 32) {
            for (size_t k = 0; k < 32; k++) {
                for (size_t part = 0; part < 4; part++) dot += (int32_t)((row[b + k] >> (2 * part)) & 3) * (int32_t)query[4 * b + 32 * part + k];
            }
        }
        const float similarity = scales[r] * query_scale * (float)(2 * dot - 3 * query_sum);
        out[r] = similarity;
        if (similarity < low) low = similarity;
        if (similarity > high) high = similarity;
    }
    extremes[0] = low;
    extremes[1] = high;
}

#if TURNOUT_VECTOR_KERNELS

// 32 bytes of a 2-bit row (128 components) against the query's matching 128 int8: each crumb
// (0...3) times the signed query in byte pairs, the four parts added in int16 (at most
// 4 * 2 * 3 * 127 = 3,048, no saturation).
static inline VECTOR __m256i multiply_add128(const uint8_t *row, const int8_t *query, __m256i mask) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)row);
    __m256i sum = _mm256_maddubs_epi16(_mm256_and_si256(v, mask), _mm256_loadu_si256((const __m256i *)query));
    sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 2), mask), _mm256_loadu_si256((const __m256i *)(query + 32))));
    sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), mask), _mm256_loadu_si256((const __m256i *)(query + 64))));
    return _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 6), mask), _mm256_loadu_si256((const __m256i *)(query + 96))));
}

// As the 4-bit loop: eight rows per step, their sums reduced together, the block two ahead prefetched.
static VECTOR void int2_similarities_vector(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                            const int8_t *query, float query_scale, float *out, float extremes[2]) {
    const size_t stride = turnout_int2_row_bytes(dimensions);
    const size_t block = 8 * stride;
    int32_t query_sum = 0;
    for (size_t j = 0; j < 4 * stride; j++) query_sum += query[j];
    const __m256i correction = _mm256_set1_epi32(3 * query_sum);
    const __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    const __m256 query_scales = _mm256_set1_ps(query_scale);
    __m256 lows = _mm256_set1_ps(__builtin_inff()), highs = _mm256_set1_ps(-__builtin_inff());
    size_t r = 0;
    for (; r + 8 <= count; r += 8) {
        const uint8_t *a = rows + r * stride;
        if (r + 24 <= count) {
            for (size_t offset = 0; offset < block; offset += 64) _mm_prefetch((const char *)(a + 2 * block + offset), _MM_HINT_T0);
        }
        __m256i sums[8];
        for (size_t k = 0; k < 8; k++) sums[k] = _mm256_setzero_si256();
        for (size_t b = 0; b < stride; b += 32) {
            for (size_t k = 0; k < 8; k++) sums[k] = _mm256_add_epi32(sums[k], _mm256_madd_epi16(multiply_add128(a + k * stride + b, query + 4 * b, mask), ones));
        }
        const __m256i dots = _mm256_sub_epi32(_mm256_slli_epi32(turnout_sum_rows8(sums), 1), correction);
        const __m256 similarity = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(scales + r), query_scales), _mm256_cvtepi32_ps(dots));
        _mm256_storeu_ps(out + r, similarity);
        lows = _mm256_min_ps(lows, similarity);
        highs = _mm256_max_ps(highs, similarity);
    }
    float tail[2];
    turnout_int2_similarities_portable(rows + r * stride, scales + r, count - r, dimensions, query, query_scale, out + r, tail);
    turnout_fold_extremes(lows, highs, r > 0, tail, r < count, count, extremes);
}

void turnout_int2_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]) {
    if (turnout_kernels_vectorized()) {
        int2_similarities_vector(rows, scales, count, dimensions, query, query_scale, out, extremes);
    } else {
        turnout_int2_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
    }
}

#else

void turnout_int2_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]) {
    turnout_int2_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
}

#endif
