#include "CTurnoutKernels.h"
#include "VectorSupport.h"

#include <string.h>

// MARK: Portable

void turnout_int8_similarities_portable(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int16_t *query, float query_scale, float *out, float extremes[2]) {
    float low = count ? __builtin_inff() : 0, high = count ? -__builtin_inff() : 0;
    for (size_t r = 0; r < count; r++) {
        const int8_t *row = rows + r * dimensions;
        int32_t dot = 0;
        for (size_t j = 0; j < dimensions; j++) dot += (int32_t)row[j] * (int32_t)query[j];
        const float similarity = scales[r] * query_scale * (float)dot;
        out[r] = similarity;
        if (similarity < low) low = similarity;
        if (similarity > high) high = similarity;
    }
    extremes[0] = low;
    extremes[1] = high;
}

void turnout_int8_similarities_at_portable(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                           const int16_t *query, float query_scale, float *out) {
    for (size_t i = 0; i < count; i++) {
        const int8_t *row = rows + (size_t)indices[i] * dimensions;
        int32_t dot = 0;
        for (size_t j = 0; j < dimensions; j++) dot += (int32_t)row[j] * (int32_t)query[j];
        out[i] = scales[indices[i]] * query_scale * (float)dot;
    }
}

// Row r's 4-bit codes are `turnout_int4_row_bytes(dimensions)` bytes from `rows + r * that`: in
// each block of 64 components, byte k holds component k in its low nibble and k + 32 in its
// high one, each as code + 8 (0...15), so one 32-byte load feeds two byte multiply-adds.
size_t turnout_int4_row_bytes(size_t dimensions) {
    return (dimensions + 63) / 64 * 32;
}

void turnout_int4_similarities_portable(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                        const int8_t *query, float query_scale, float *out, float extremes[2]) {
    const size_t stride = turnout_int4_row_bytes(dimensions);
    float low = count ? __builtin_inff() : 0, high = count ? -__builtin_inff() : 0;
    for (size_t r = 0; r < count; r++) {
        const uint8_t *row = rows + r * stride;
        int32_t dot = 0;
        for (size_t b = 0; b < stride; b += 32) {
            for (size_t k = 0; k < 32; k++) {
                dot += ((int32_t)(row[b + k] & 15) - 8) * (int32_t)query[2 * b + k];
                dot += ((int32_t)(row[b + k] >> 4) - 8) * (int32_t)query[2 * b + 32 + k];
            }
        }
        const float similarity = scales[r] * query_scale * (float)dot;
        out[r] = similarity;
        if (similarity < low) low = similarity;
        if (similarity > high) high = similarity;
    }
    extremes[0] = low;
    extremes[1] = high;
}

// exp(x) = 2^n * e^t, n = round(x / ln 2), t = x - n ln 2 with ln 2 in two parts so t is exact,
// |t| <= ln 2 / 2; e^t by its degree-6 Taylor polynomial (2e-7), 2^n in the exponent bits.
static inline float exp_portable(float x) {
    const float clamped = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float magic = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer in the low bits
    const float shifted = clamped * 1.44269504f + magic;
    const float n = shifted - magic;
    const float t = clamped - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.0f / 720;
    p = p * t + 1.0f / 120;
    p = p * t + 1.0f / 24;
    p = p * t + 1.0f / 6;
    p = p * t + 0.5f;
    p = p * t + 1;
    p = p * t + 1;
    uint32_t bits;
    memcpy(&bits, &shifted, 4);
    const uint32_t power = (uint32_t)((int32_t)bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &power, 4);
    return p * scale;
}

void turnout_weighted_sums_portable(const float *similarities, const float *credit, const float *battles, size_t count,
                                    float rate, float offset, double sums[2]) {
    double wins = 0, games = 0;
    for (size_t r = 0; r < count; r++) {
        const float weight = exp_portable(similarities[r] * rate - offset);
        wins += (double)(weight * credit[r]);
        games += (double)(weight * battles[r]);
    }
    sums[0] = wins;
    sums[1] = games;
}

#if TURNOUT_VECTOR_KERNELS

static inline VECTOR int32_t horizontal_sum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// 16 int8 of a row, sign-extended, times 16 int16 of the query, summed in pairs into 8 int32.
static inline VECTOR __m256i multiply_add16(const int8_t *row, __m256i query) {
    return _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)row)), query);
}

// Four rows at a time share each load of the query. The rows stream from memory (38 MB for
// 100,000 rows of 384), and the hardware prefetcher alone leaves loads waiting (10 to 25%
// slower in a micro-benchmark), so the block two ahead is prefetched.
static VECTOR void similarities_vector(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                                       const int16_t *query, float query_scale, float *out, float extremes[2]) {
    const size_t vector_end = dimensions & ~(size_t)15;
    const size_t block = 4 * dimensions;
    float low = count ? __builtin_inff() : 0, high = count ? -__builtin_inff() : 0;
    size_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const int8_t *a = rows + r * dimensions;
        if (r + 12 <= count) {
            for (size_t offset = 0; offset < block; offset += 64) _mm_prefetch((const char *)(a + 2 * block + offset), _MM_HINT_T0);
        }
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t j = 0; j < vector_end; j += 16) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(query + j));
            s0 = _mm256_add_epi32(s0, multiply_add16(a + j, q));
            s1 = _mm256_add_epi32(s1, multiply_add16(a + dimensions + j, q));
            s2 = _mm256_add_epi32(s2, multiply_add16(a + 2 * dimensions + j, q));
            s3 = _mm256_add_epi32(s3, multiply_add16(a + 3 * dimensions + j, q));
        }
        int32_t dots[4] = {horizontal_sum(s0), horizontal_sum(s1), horizontal_sum(s2), horizontal_sum(s3)};
        for (size_t k = 0; k < 4; k++) {
            const int8_t *row = a + k * dimensions;
            for (size_t j = vector_end; j < dimensions; j++) dots[k] += (int32_t)row[j] * (int32_t)query[j];
            const float similarity = scales[r + k] * query_scale * (float)dots[k];
            out[r + k] = similarity;
            low = similarity < low ? similarity : low;
            high = similarity > high ? similarity : high;
        }
    }
    float tail[2];
    turnout_int8_similarities_portable(rows + r * dimensions, scales + r, count - r, dimensions, query, query_scale, out + r, tail);
    if (r < count) {
        low = tail[0] < low ? tail[0] : low;
        high = tail[1] > high ? tail[1] : high;
    }
    extremes[0] = low;
    extremes[1] = high;
}

// Scattered rows (thousands when prompts cluster tightly) one at a time, so without blocking;
// the row four ahead is prefetched, as the rows are far apart in memory.
static VECTOR void similarities_at_vector(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                          const int16_t *query, float query_scale, float *out) {
    const size_t vector_end = dimensions & ~(size_t)15;
    for (size_t i = 0; i < count; i++) {
        if (i + 4 < count) {
            const char *ahead = (const char *)(rows + (size_t)indices[i + 4] * dimensions);
            for (size_t offset = 0; offset < dimensions; offset += 64) _mm_prefetch(ahead + offset, _MM_HINT_T0);
        }
        const int8_t *row = rows + (size_t)indices[i] * dimensions;
        __m256i sum = _mm256_setzero_si256();
        for (size_t j = 0; j < vector_end; j += 16) sum = _mm256_add_epi32(sum, multiply_add16(row + j, _mm256_loadu_si256((const __m256i *)(query + j))));
        int32_t dot = horizontal_sum(sum);
        for (size_t j = vector_end; j < dimensions; j++) dot += (int32_t)row[j] * (int32_t)query[j];
        out[i] = scales[indices[i]] * query_scale * (float)dot;
    }
}

// 32 bytes of a 4-bit row (64 components) against the query's matching 64 int8: the nibbles
// (code + 8, unsigned) times the signed query in byte pairs (at most 2 * 15 * 127, no
// saturation), both halves added in int16 (at most 7,620).
static inline VECTOR __m256i int4_block_dot(const uint8_t *bytes, const int8_t *query) {
    const __m256i mask = _mm256_set1_epi8(15);
    const __m256i v = _mm256_loadu_si256((const __m256i *)bytes);
    return _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, mask), _mm256_loadu_si256((const __m256i *)query)),
                            _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), mask), _mm256_loadu_si256((const __m256i *)(query + 32))));
}

// The shared packed pass (`turnout_packed_similarities`). 19 MB for 100,000 rows of 384 may or
// may not stay in L3, depending on the neighbours. The nibbles carry + 8, so each dot is
// corrected by 8 * sum(query).
static VECTOR void int4_similarities_vector(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                                            const int8_t *query, float query_scale, float *out, float extremes[2]) {
    turnout_packed_similarities(rows, scales, count, dimensions, turnout_int4_row_bytes(dimensions), 2, 1, 8, query, query_scale, out, extremes,
                                int4_block_dot, turnout_int4_similarities_portable);
}

static inline VECTOR __m256 exp_vector(__m256 x) {
    const __m256 clamped = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    const __m256 shifted = _mm256_fmadd_ps(clamped, _mm256_set1_ps(1.44269504f), magic);
    const __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 t = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), clamped);
    t = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), t);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
    const __m256i power = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000)),
                                                             _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(power));
}

static VECTOR void weighted_sums_vector(const float *similarities, const float *credit, const float *battles, size_t count,
                                        float rate, float offset, double sums[2]) {
    const __m256 rates = _mm256_set1_ps(rate), offsets = _mm256_set1_ps(offset);
    __m256d wins_low = _mm256_setzero_pd(), wins_high = wins_low, games_low = wins_low, games_high = wins_low;
    size_t r = 0;
    for (; r + 8 <= count; r += 8) {
        const __m256 weight = exp_vector(_mm256_fmsub_ps(_mm256_loadu_ps(similarities + r), rates, offsets));
        const __m256 w = _mm256_mul_ps(weight, _mm256_loadu_ps(credit + r));
        const __m256 g = _mm256_mul_ps(weight, _mm256_loadu_ps(battles + r));
        wins_low = _mm256_add_pd(wins_low, _mm256_cvtps_pd(_mm256_castps256_ps128(w)));
        wins_high = _mm256_add_pd(wins_high, _mm256_cvtps_pd(_mm256_extractf128_ps(w, 1)));
        games_low = _mm256_add_pd(games_low, _mm256_cvtps_pd(_mm256_castps256_ps128(g)));
        games_high = _mm256_add_pd(games_high, _mm256_cvtps_pd(_mm256_extractf128_ps(g, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(wins_low, wins_high));
    double wins = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    _mm256_storeu_pd(lanes, _mm256_add_pd(games_low, games_high));
    double games = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    double tail[2];
    turnout_weighted_sums_portable(similarities + r, credit + r, battles + r, count - r, rate, offset, tail);
    sums[0] = wins + tail[0];
    sums[1] = games + tail[1];
}

int turnout_kernels_vectorized(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
}

void turnout_int8_similarities(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int16_t *query, float query_scale, float *out, float extremes[2]) {
    if (turnout_kernels_vectorized()) {
        similarities_vector(rows, scales, count, dimensions, query, query_scale, out, extremes);
    } else {
        turnout_int8_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
    }
}

void turnout_int8_similarities_at(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                  const int16_t *query, float query_scale, float *out) {
    if (turnout_kernels_vectorized()) {
        similarities_at_vector(rows, scales, dimensions, indices, count, query, query_scale, out);
    } else {
        turnout_int8_similarities_at_portable(rows, scales, dimensions, indices, count, query, query_scale, out);
    }
}

void turnout_int4_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]) {
    if (turnout_kernels_vectorized()) {
        int4_similarities_vector(rows, scales, count, dimensions, query, query_scale, out, extremes);
    } else {
        turnout_int4_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
    }
}

void turnout_weighted_sums(const float *similarities, const float *credit, const float *battles, size_t count,
                           float rate, float offset, double sums[2]) {
    if (turnout_kernels_vectorized()) {
        weighted_sums_vector(similarities, credit, battles, count, rate, offset, sums);
    } else {
        turnout_weighted_sums_portable(similarities, credit, battles, count, rate, offset, sums);
    }
}

#else

int turnout_kernels_vectorized(void) {
    return 0;
}

void turnout_int8_similarities(const int8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int16_t *query, float query_scale, float *out, float extremes[2]) {
    turnout_int8_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
}

void turnout_int8_similarities_at(const int8_t *rows, const float *scales, size_t dimensions, const uint32_t *indices, size_t count,
                                  const int16_t *query, float query_scale, float *out) {
    turnout_int8_similarities_at_portable(rows, scales, dimensions, indices, count, query, query_scale, out);
}

void turnout_int4_similarities(const uint8_t *rows, const float *scales, size_t count, size_t dimensions,
                               const int8_t *query, float query_scale, float *out, float extremes[2]) {
    turnout_int4_similarities_portable(rows, scales, count, dimensions, query, query_scale, out, extremes);
}

void turnout_weighted_sums(const float *similarities, const float *credit, const float *battles, size_t count,
                           float rate, float offset, double sums[2]) {
    turnout_weighted_sums_portable(similarities, credit, battles, count, rate, offset, sums);
}

#endif
