#include "CTurnoutKernels.h"

#include <math.h>

// LayerNorm for the encoder: after the embeddings and after each of a layer's two residual
// additions, over every token's 384 values. In Swift's SIMD16 types it compiled to SSE on
// this toolchain's x86-64 baseline; here the AVX-512 path takes a row in 24 vectors. Both
// paths take the same two passes (the mean, then the variance of the deviations), as the
// reference does, rather than one pass of sums and sums of squares, which cancels badly.

void turnout_layer_norm_portable(float *rows, const float *addend, size_t count, size_t width, const float *scale, const float *bias,
                                 float epsilon) {
    for (size_t r = 0; r < count; r++) {
        float *values = rows + r * width;
        if (addend) {
            for (size_t t = 0; t < width; t++) values[t] += addend[r * width + t];
        }
        float sum = 0;
        for (size_t t = 0; t < width; t++) sum += values[t];
        const float mean = sum / (float)width;
        float squares = 0;
        for (size_t t = 0; t < width; t++) squares += (values[t] - mean) * (values[t] - mean);
        const float inverse = 1 / sqrtf(squares / (float)width + epsilon);
        for (size_t t = 0; t < width; t++) values[t] = (values[t] - mean) * inverse * scale[t] + bias[t];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

AVX512 static void layer_norm_avx512(float *rows, const float *addend, size_t count, size_t width, const float *scale, const float *bias,
                                     float epsilon) {
    for (size_t r = 0; r < count; r++) {
        float *values = rows + r * width;
        __m512 sum = _mm512_setzero_ps();
        for (size_t t = 0; t < width; t += 16) {
            __m512 x = _mm512_loadu_ps(values + t);
            if (addend) {
                x = _mm512_add_ps(x, _mm512_loadu_ps(addend + r * width + t));
                _mm512_storeu_ps(values + t, x);
            }
            sum = _mm512_add_ps(sum, x);
        }
        const __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(sum) / (float)width);
        __m512 squares = _mm512_setzero_ps();
        for (size_t t = 0; t < width; t += 16) {
            const __m512 deviation = _mm512_sub_ps(_mm512_loadu_ps(values + t), mean);
            squares = _mm512_fmadd_ps(deviation, deviation, squares);
        }
        const __m512 inverse = _mm512_set1_ps(1 / sqrtf(_mm512_reduce_add_ps(squares) / (float)width + epsilon));
        for (size_t t = 0; t < width; t += 16) {
            const __m512 normalized = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(values + t), mean), inverse);
            _mm512_storeu_ps(values + t, _mm512_fmadd_ps(normalized, _mm512_loadu_ps(scale + t), _mm512_loadu_ps(bias + t)));
        }
    }
}
#endif

void turnout_layer_norm(float *rows, const float *addend, size_t count, size_t width, const float *scale, const float *bias, float epsilon) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (width % 16 == 0 && __builtin_cpu_supports("avx512f")) {
        layer_norm_avx512(rows, addend, count, width, scale, bias, epsilon);
        return;
    }
#endif
    turnout_layer_norm_portable(rows, addend, count, width, scale, bias, epsilon);
}
