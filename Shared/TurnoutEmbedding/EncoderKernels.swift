import CTurnoutKernels
import Foundation

/// The element-wise parts of the forward pass: bias broadcast, LayerNorm, softmax, GELU, pooling.
///
/// Everything here works on raw pointers in SIMD16 chunks: these loops touch every activation
/// of every layer, and per-element Swift overhead (bounds checks, scalar libm calls) would
/// cost more than the matrix products around them. GELU and softmax, which need `erf` and
/// `exp`, are in C (`CTurnoutKernels`) with an AVX-512 path: the SIMD types here compile to
/// SSE on this toolchain's x86-64 baseline, and Glibc's scalar `expf`/`erff` would each take
/// longer than the whole rest of the kernel.
enum EncoderKernels {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    /// Copies `row` (`width` floats) into each of `rows` consecutive rows of `output`.
    static func broadcastRows(_ row: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for index in 0..<rows {
            (output + index * width).update(from: row, count: width)
        }
    }

    /// `rows[r] = LayerNorm(rows[r] + addend[r]) * scale + bias` for each row; `addend` may be nil.
    /// In C (`turnout_layer_norm`), for AVX-512, with the reference's two passes (the mean, then
    /// the variance of the deviations) for accuracy.
    static func layerNorm(
        _ rows: UnsafeMutablePointer<Float>, adding addend: UnsafePointer<Float>?, count: Int, width: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        turnout_layer_norm(rows, addend, count, width, scale, bias, epsilon)
    }

    /// Softmax of each of `count` rows of `width` floats (row stride `stride`), in place.
    /// In C (`turnout_softmax_rows`): a row is as long as its sequence, 23 values for a routed
    /// question, and the C path masks its last chunk where a 16-wide loop here would leave
    /// most of it to libm's scalar `expf`.
    static func softmaxRows(_ rows: UnsafeMutablePointer<Float>, count: Int, width: Int, stride: Int) {
        turnout_softmax_rows(rows, count, width, stride)
    }

    /// Exact (erf-based) GELU in place: `x * (1 + erf(x / sqrt 2)) / 2`. `count` must be a multiple of 16.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % Self.width == 0, "GELU buffer must be a multiple of \(Self.width)")
        // In C, for AVX-512: these SIMD types compile to SSE here, and GELU touches more
        // values than anything else in the pass (`turnout_gelu`: erf as Eigen approximates it).
        turnout_gelu(values, count)
    }

    /// Mean of `count` rows of `width` floats, scaled to unit length (zero stays zero).
    static func meanPoolNormalized(_ rows: UnsafePointer<Float>, count: Int, width: Int) -> [Float] {
        var result = [Float](repeating: 0, count: width)
        guard count > 0 else { return result }
        result.withUnsafeMutableBufferPointer { output in
            for row in 0..<count {
                let values = rows + row * width
                for channel in 0..<width { output[channel] += values[channel] }
            }
            var squares: Float = 0
            for channel in 0..<width {
                output[channel] /= Float(count)
                squares += output[channel] * output[channel]
            }
            // sentence-transformers' Normalize: x / max(|x|, 1e-12).
            let inverse = 1 / max(squares.squareRoot(), 1e-12)
            for channel in 0..<width { output[channel] *= inverse }
        }
        return result
    }
}
