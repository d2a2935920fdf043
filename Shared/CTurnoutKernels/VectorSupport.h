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
#endif

#endif
