#include "CTurnoutKernels.h"

#include <math.h>

// Exact GELU, x/2 (1 + erf(x / sqrt 2)), for the encoder's feed-forward layers: every
// intermediate activation of every layer passes through it (1536 per token per layer), so it
// is a tenth of the int8 encoder's time when written in Swift's SIMD types, which this
// toolchain lowers to SSE. erf is Eigen's rational approximation, clamped to +-4 (where erf is
// 1 to float precision), on both paths, so they agree to an ulp or so (KernelTests).

#define ERF_P0 -2.72614225801306e-10f
#define ERF_P1 2.77068142495902e-08f
#define ERF_P2 -2.10102402082508e-06f
#define ERF_P3 -5.69250639462346e-05f
#define ERF_P4 -7.34990630326855e-04f
#define ERF_P5 -2.95459980854025e-03f
#define ERF_P6 -1.60960333262415e-02f
#define ERF_Q0 -1.45660718464996e-05f
#define ERF_Q1 -2.13374055278905e-04f
#define ERF_Q2 -1.68282697438203e-03f
#define ERF_Q3 -7.37332916720468e-03f
#define ERF_Q4 -1.42647390514189e-02f
#define INV_SQRT2 0.7071067811865475f

static inline float gelu_one(float v) {
    float x = v * INV_SQRT2;
    x = x < -4 ? -4 : (x > 4 ? 4 : x);
    const float x2 = x * x;
    float p = x2 * ERF_P0 + ERF_P1;
    p = p * x2 + ERF_P2;
    p = p * x2 + ERF_P3;
    p = p * x2 + ERF_P4;
    p = p * x2 + ERF_P5;
    p = p * x2 + ERF_P6;
    float q = x2 * ERF_Q0 + ERF_Q1;
    q = q * x2 + ERF_Q2;
    q = q * x2 + ERF_Q3;
    q = q * x2 + ERF_Q4;
    return 0.5f * v * (1 + x * p / q);
}

void turnout_gelu_portable(float *values, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] = gelu_one(values[i]);
}

// Softmax of attention score rows. A row is as long as its sequence, 23 for a routed
// question, so a 16-wide loop would leave most of it to a scalar tail: the AVX-512 path
// masks the last chunk instead, and its exp is 2^k times a degree-7 polynomial on
// |r| <= ln2/2 (relative error about 2e-7), with inputs below -87 giving about 0.

void turnout_softmax_rows_portable(float *rows, size_t count, size_t width, size_t stride) {
    for (size_t row = 0; row < count; row++) {
        float *values = rows + row * stride;
        float maximum = -INFINITY, sum = 0;
        for (size_t i = 0; i < width; i++) maximum = values[i] > maximum ? values[i] : maximum;
        for (size_t i = 0; i < width; i++) {
            values[i] = expf(values[i] - maximum);
            sum += values[i];
        }
        const float inverse = 1 / sum;
        for (size_t i = 0; i < width; i++) values[i] *= inverse;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

AVX512 static void gelu_avx512(float *values, size_t count) {
    const __m512 low = _mm512_set1_ps(-4), high = _mm512_set1_ps(4), half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1);
    const __m512 scale = _mm512_set1_ps(INV_SQRT2);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 v = _mm512_loadu_ps(values + i);
        const __m512 x = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, scale), low), high);
        const __m512 x2 = _mm512_mul_ps(x, x);
        __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(ERF_P0), _mm512_set1_ps(ERF_P1));
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P2));
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P3));
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P4));
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P5));
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P6));
        __m512 q = _mm512_fmadd_ps(x2, _mm512_set1_ps(ERF_Q0), _mm512_set1_ps(ERF_Q1));
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q2));
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q3));
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q4));
        const __m512 erf = _mm512_div_ps(_mm512_mul_ps(x, p), q);
        _mm512_storeu_ps(values + i, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf)));
    }
    turnout_gelu_portable(values + i, count - i);
}

AVX512 static __m512 exp_avx512(__m512 input) {
    const __m512 x = _mm512_min_ps(_mm512_max_ps(input, _mm512_set1_ps(-87)), _mm512_set1_ps(88));
    // Round x log2(e) to an integer k by adding 1.5 * 2^23: k then sits in the low mantissa bits.
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.4426950408889634f), shifter);
    const __m512 k = _mm512_sub_ps(shifted, shifter);
    const __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.4286067653301870e-06f), _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x));
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1));
    const __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(shifter));
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
    return _mm512_mul_ps(p, scale);
}

AVX512 static void softmax_rows_avx512(float *rows, size_t count, size_t width, size_t stride) {
    const size_t chunks = (width + 15) / 16;
    const __mmask16 last = (__mmask16)(width % 16 == 0 ? 0xFFFF : (1u << (width % 16)) - 1);
    for (size_t row = 0; row < count; row++) {
        float *values = rows + row * stride;
        __m512 maxima = _mm512_set1_ps(-INFINITY);
        for (size_t c = 0; c < chunks; c++) {
            const __mmask16 mask = c + 1 == chunks ? last : 0xFFFF;
            maxima = _mm512_mask_max_ps(maxima, mask, maxima, _mm512_maskz_loadu_ps(mask, values + c * 16));
        }
        const __m512 maximum = _mm512_set1_ps(_mm512_reduce_max_ps(maxima));
        __m512 sums = _mm512_setzero_ps();
        for (size_t c = 0; c < chunks; c++) {
            const __mmask16 mask = c + 1 == chunks ? last : 0xFFFF;
            const __m512 exponentials = exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, values + c * 16), maximum));
            sums = _mm512_mask_add_ps(sums, mask, sums, exponentials);
            _mm512_mask_storeu_ps(values + c * 16, mask, exponentials);
        }
        const __m512 inverse = _mm512_set1_ps(1 / _mm512_reduce_add_ps(sums));
        for (size_t c = 0; c < chunks; c++) {
            const __mmask16 mask = c + 1 == chunks ? last : 0xFFFF;
            _mm512_mask_storeu_ps(values + c * 16, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, values + c * 16), inverse));
        }
    }
}

#endif

void turnout_gelu(float *values, size_t count) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (__builtin_cpu_supports("avx512f")) {
        gelu_avx512(values, count);
        return;
    }
#endif
    turnout_gelu_portable(values, count);
}

void turnout_softmax_rows(float *rows, size_t count, size_t width, size_t stride) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (__builtin_cpu_supports("avx512f")) {
        softmax_rows_avx512(rows, count, width, stride);
        return;
    }
#endif
    turnout_softmax_rows_portable(rows, count, width, stride);
}
