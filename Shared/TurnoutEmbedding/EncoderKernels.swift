import Foundation

/// The element-wise parts of the forward pass: bias broadcast, LayerNorm, softmax, GELU, pooling.
///
/// Everything here works on raw pointers in SIMD16 chunks: these loops touch every activation
/// of every layer, and per-element Swift overhead (bounds checks, scalar libm calls) would
/// cost more than the matrix products around them. `exp` and `erf` are polynomial/rational
/// approximations accurate to a few float ulps (see the tests), because Glibc's scalar
/// `expf`/`erff` would each take longer than the whole rest of the kernel. (The stdlib's
/// `pointwiseMin`/`pointwiseMax` are avoided too: they compile to scalar code.)
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
    /// Two passes over each row (mean, then variance of the deviations) for accuracy.
    static func layerNorm(
        _ rows: UnsafeMutablePointer<Float>, adding addend: UnsafePointer<Float>?, count: Int, width: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        let chunks = width / Self.width
        precondition(chunks * Self.width == width, "hidden size must be a multiple of \(Self.width)")
        for row in 0..<count {
            let values = rows + row * width
            if let addend {
                let other = addend + row * width
                for chunk in 0..<chunks {
                    let offset = chunk * Self.width
                    store(load(values + offset) + load(other + offset), values + offset)
                }
            }
            var sum = Vector()
            for chunk in 0..<chunks { sum += load(values + chunk * Self.width) }
            let mean = sum.sum() / Float(width)
            var squares = Vector()
            for chunk in 0..<chunks {
                let deviation = load(values + chunk * Self.width) - mean
                squares += deviation * deviation
            }
            let inverse = 1 / (squares.sum() / Float(width) + epsilon).squareRoot()
            for chunk in 0..<chunks {
                let offset = chunk * Self.width
                let normalized = (load(values + offset) - mean) * inverse
                store(normalized * load(scale + offset) + load(bias + offset), values + offset)
            }
        }
    }

    /// Softmax of each of `count` rows of `width` floats (row stride `stride`), in place.
    static func softmaxRows(_ rows: UnsafeMutablePointer<Float>, count: Int, width: Int, stride: Int) {
        let chunks = width / Self.width
        let tail = chunks * Self.width
        for row in 0..<count {
            let values = rows + row * stride
            var maxima = Vector(repeating: -.greatestFiniteMagnitude)
            for chunk in 0..<chunks {
                let candidate = load(values + chunk * Self.width)
                maxima.replace(with: candidate, where: candidate .> maxima)
            }
            var maximum = maxima.max()
            for index in tail..<width { maximum = max(maximum, values[index]) }
            var sums = Vector()
            for chunk in 0..<chunks {
                let offset = chunk * Self.width
                let exponentials = exp(load(values + offset) - maximum)
                sums += exponentials
                store(exponentials, values + offset)
            }
            var sum = sums.sum()
            // The ragged end (under 16 values) goes through libm's expf.
            for index in tail..<width {
                let exponential = Foundation.exp(values[index] - maximum)
                values[index] = exponential
                sum += exponential
            }
            let inverse = 1 / sum
            for chunk in 0..<chunks {
                let offset = chunk * Self.width
                store(load(values + offset) * inverse, values + offset)
            }
            for index in tail..<width { values[index] *= inverse }
        }
    }

    /// Exact (erf-based) GELU in place: `x * (1 + erf(x / sqrt 2)) / 2`. `count` must be a multiple of 16.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % Self.width == 0, "GELU buffer must be a multiple of \(Self.width)")
        for chunk in 0..<(count / Self.width) {
            let pointer = values + chunk * Self.width
            let x = load(pointer)
            store(0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5)), pointer)
        }
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

    /// `x` limited to `lower...upper`, by masked selects (the stdlib's `pointwiseMin`/`pointwiseMax`
    /// are not vectorized and cost more than the arithmetic around them).
    @inline(__always)
    static func clamp(_ x: Vector, _ lower: Float, _ upper: Float) -> Vector {
        var result = x
        result.replace(with: lower, where: x .< lower)
        result.replace(with: upper, where: x .> upper)
        return result
    }

    /// e^x for x in about [-87, 88]: 2^k by exponent bits times a degree-7 polynomial on
    /// |r| <= ln2/2 (relative error about 2e-7 before rounding). Inputs below -87 give ~0.
    @inline(__always)
    static func exp(_ input: Vector) -> Vector {
        let x = clamp(input, -87, 88)
        // Round x*log2(e) to an integer k by adding 1.5*2^23: k then sits in the low mantissa bits.
        let shifter: Float = 12_582_912
        let shifted = x * 1.442_695_040_888_963_4 + shifter
        let k = shifted - shifter
        let r = (x - k * 0.693_145_751_953_125) - k * 1.428_606_765_330_187_0e-06
        var p = Vector(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(Vector(repeating: shifter), to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: Vector.self)
        return p * scale
    }

    /// erf(x) as a rational function of degree 13/8 on [-4, 4] (the approximation Eigen and XLA
    /// use; absolute error below 1e-7), and +-1 outside, where float erf is exactly +-1.
    @inline(__always)
    static func erf(_ input: Vector) -> Vector {
        let x = clamp(input, -4, 4)
        let x2 = x * x
        var p = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        var q = x2 * -1.456_607_184_649_96e-05 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return x * p / q
    }
}
