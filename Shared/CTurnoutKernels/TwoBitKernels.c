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
static inline VECTOR __m256i int2_block_dot(const uint8_t *bytes, const int8_t *query) {
    const __m256i mask = _mm256_set1_epi8(3);
    const __m256i v = _mm256_loadu_si256((const __m256i *)bytes);
    __m256i sum = _mm256_maddubs_epi16(_mm256_and_si256(v, mask), _mm256_loadu_si256((const __m256i *)query));
    sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 2), mask), _mm256_loadu_si256((const __m256i *)(query + 32))));
    sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), mask), _mm256_loadu_si256((const __m256i *)(query + 64))));
    return _mm256_add_epi16(sum, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 6), mask), _mm256_loadu_si256((const __m256i *)(query + 96))));
}

// The shared packed pass (`turnout_packed_similarities`), each dot 2 * sum(c * q) - 3 * sum(q).
static VECTOR void int2_similarities_vector(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                            const int8_t *query, float query_scale, float *out, float extremes[2]) {
    turnout_packed_similarities(rows, scales, count, dimensions, turnout_int2_row_bytes(dimensions), 4, 2, 3, query, query_scale, out, extremes,
                                int2_block_dot, turnout_int2_similarities_portable);
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
