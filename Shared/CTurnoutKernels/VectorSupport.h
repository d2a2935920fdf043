// What the kernels' AVX2 paths share (private to this target).
#ifndef TURNOUT_VECTOR_SUPPORT_H
#define TURNOUT_VECTOR_SUPPORT_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define TURNOUT_VECTOR_KERNELS 1
#define VECTOR __attribute__((target("avx2,fma")))

// Eight rows' int32 partial sums (eight lanes each) to their eight totals, row k in lane k:
// per 128-bit lane, three rounds of horizontal adds leave rows 0-3 in one register and 4-7 in
// the other, and one cross-lane add joins the halves. One vector step for eight rows, where
// reducing each row alone cost a quarter of a 4-bit pass.
static inline VECTOR __m256i turnout_sum_rows8(const __m256i sums[8]) {
    const __m256i h01 = _mm256_hadd_epi32(sums[0], sums[1]), h23 = _mm256_hadd_epi32(sums[2], sums[3]);
    const __m256i h45 = _mm256_hadd_epi32(sums[4], sums[5]), h67 = _mm256_hadd_epi32(sums[6], sums[7]);
    const __m256i h0 = _mm256_hadd_epi32(h01, h23), h1 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
}

// The smallest and largest lanes of two running vectors, folded into `extremes` with the
// scalar tail's (skipped when no vector step ran).
static inline VECTOR void turnout_fold_extremes(__m256 lows, __m256 highs, int vectorRan, const float tail[2], int tailRan, size_t count, float extremes[2]) {
    float low_lanes[8], high_lanes[8];
    _mm256_storeu_ps(low_lanes, lows);
    _mm256_storeu_ps(high_lanes, highs);
    float low = count ? __builtin_inff() : 0, high = count ? -__builtin_inff() : 0;
    for (size_t k = 0; k < 8 && vectorRan; k++) {
        low = low_lanes[k] < low ? low_lanes[k] : low;
        high = high_lanes[k] > high ? high_lanes[k] : high;
    }
    if (tailRan) {
        low = tail[0] < low ? tail[0] : low;
        high = tail[1] > high ? tail[1] : high;
    }
    extremes[0] = low;
    extremes[1] = high;
}
// A kernel's portable loop, which finishes the rows the vector loop leaves.
typedef void (*turnout_packed_portable)(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int8_t *query, float query_scale, float *out, float extremes[2]);

// What 32 packed bytes of a row contribute to its dot: int16 pair sums of their codes times
// the query's matching components, which start at `query`.
typedef __m256i (*turnout_block_dot)(const uint8_t *bytes, const int8_t *query);

// The loop the 4- and 2-bit passes share. Eight rows per step share the query's loads, and
// their sums are reduced together (`turnout_sum_rows8`), so scaling, storing and the running
// extremes are one vector step per eight rows (the per-row reduction had cost about a quarter
// of the loop). The block two steps ahead is prefetched: one ahead was 40% slower, eight no
// better. A row's dot is `multiplier * (sum of its blocks) - correction`; the query advances
// `query_per_byte` components per byte of a row. Returns the rows done, a multiple of 8: the
// caller's portable loop does the rest.
static inline __attribute__((always_inline)) VECTOR size_t turnout_packed_rows8(
    const uint8_t *rows, const float *scales, size_t count, size_t stride, size_t query_per_byte, const int8_t *query,
    int32_t multiplier, int32_t correction, float query_scale, float *out, turnout_block_dot dot, __m256 *lows, __m256 *highs) {
    const size_t block = 8 * stride;
    const __m256i ones = _mm256_set1_epi16(1), multipliers = _mm256_set1_epi32(multiplier), corrections = _mm256_set1_epi32(correction);
    const __m256 query_scales = _mm256_set1_ps(query_scale);
    size_t r = 0;
    for (; r + 8 <= count; r += 8) {
        const uint8_t *a = rows + r * stride;
        if (r + 24 <= count) {
            for (size_t offset = 0; offset < block; offset += 64) _mm_prefetch((const char *)(a + 2 * block + offset), _MM_HINT_T0);
        }
        __m256i sums[8];
        for (size_t k = 0; k < 8; k++) sums[k] = _mm256_setzero_si256();
        for (size_t b = 0; b < stride; b += 32) {
            for (size_t k = 0; k < 8; k++) sums[k] = _mm256_add_epi32(sums[k], _mm256_madd_epi16(dot(a + k * stride + b, query + query_per_byte * b), ones));
        }
        const __m256i dots = _mm256_sub_epi32(_mm256_mullo_epi32(turnout_sum_rows8(sums), multipliers), corrections);
        const __m256 similarity = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(scales + r), query_scales), _mm256_cvtepi32_ps(dots));
        _mm256_storeu_ps(out + r, similarity);
        *lows = _mm256_min_ps(*lows, similarity);
        *highs = _mm256_max_ps(*highs, similarity);
    }
    return r;
}

// A whole packed pass: `turnout_packed_rows8`, then `portable` for the last rows, then the
// extremes of both. `correction_per_sum` times the sum of the (zero-padded) query is what each
// dot subtracts, for codes stored with an offset.
static inline __attribute__((always_inline)) VECTOR void turnout_packed_similarities(
    const uint8_t *rows, const float *scales, size_t count, size_t dimensions, size_t stride, size_t query_per_byte,
    int32_t multiplier, int32_t correction_per_sum, const int8_t *query, float query_scale, float *out, float extremes[2],
    turnout_block_dot dot, turnout_packed_portable portable) {
    int32_t query_sum = 0;
    for (size_t j = 0; j < query_per_byte * stride; j++) query_sum += query[j];
    __m256 lows = _mm256_set1_ps(__builtin_inff()), highs = _mm256_set1_ps(-__builtin_inff());
    const size_t r = turnout_packed_rows8(rows, scales, count, stride, query_per_byte, query, multiplier, correction_per_sum * query_sum,
                                          query_scale, out, dot, &lows, &highs);
    float tail[2];
    portable(rows + r * stride, scales + r, count - r, dimensions, query, query_scale, out + r, tail);
    turnout_fold_extremes(lows, highs, r > 0, tail, r < count, count, extremes);
}
#endif

#endif
