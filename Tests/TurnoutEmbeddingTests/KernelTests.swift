import CTurnoutKernels
import Foundation
import Testing
@testable import TurnoutEmbedding

/// The vectorized approximations against libm, over their whole working range.
@Suite("EncoderKernels")
struct KernelTests {
    @Test("GELU is within 5e-7 of libm's, relative to max(1, |x|), on [-8, 8], on both paths")
    func geluAccuracy() {
        // A count that is not a multiple of 16, so the AVX-512 loop's tail runs too.
        let inputs = stride(from: -8.0, to: 8.0, by: 0.001).map { Float($0) }
        var fast = inputs, portable = inputs
        turnout_gelu(&fast, fast.count)
        turnout_gelu_portable(&portable, portable.count)
        var worst: Double = 0, apart: Float = 0
        for (index, x) in inputs.enumerated() {
            let reference = Double(x) * 0.5 * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            worst = max(worst, abs(Double(fast[index]) - reference) / max(1, abs(Double(x))))
            apart = max(apart, abs(fast[index] - portable[index]))
        }
        #expect(worst < 5e-7, "worst error \(worst)")
        #expect(apart < 2e-6, "the AVX-512 and portable paths differ by \(apart)")
    }

    @Test("softmax is within 2e-6 relative of an exact one on both paths, for every width to 70, and leaves the stride's gap alone")
    func softmaxAccuracy() {
        var worst: Double = 0
        for width in 1...70 {
            let stride = width + 3
            // Scores spread over exp's whole range, so rows hold values that underflow too.
            let scores = (0..<(2 * stride)).map { Float(($0 * 37) % 181) - 90 }
            var fast = scores, portable = scores
            turnout_softmax_rows(&fast, 2, width, stride)
            turnout_softmax_rows_portable(&portable, 2, width, stride)
            for row in 0..<2 {
                let line = scores[(row * stride)..<(row * stride + width)].map(Double.init)
                let top = line.max() ?? 0
                let total = line.reduce(0) { $0 + Foundation.exp($1 - top) }
                for column in 0..<width {
                    let exact = Foundation.exp(line[column] - top) / total
                    for path in [fast, portable] {
                        let got = Double(path[row * stride + column])
                        worst = max(worst, exact > 1e-30 ? abs(got - exact) / exact : abs(got))
                    }
                }
                for gap in width..<stride {
                    #expect(fast[row * stride + gap] == scores[row * stride + gap] && portable[row * stride + gap] == scores[row * stride + gap])
                }
            }
        }
        #expect(worst < 2e-6, "worst relative error \(worst)")
    }

    @Test("softmax rows of ragged widths sum to one and keep their order")
    func softmax() {
        for width in [1, 5, 16, 17, 40] {
            var rows = (0..<(3 * width)).map { Float($0 % 7) - 3 }
            rows.withUnsafeMutableBufferPointer { buffer in
                EncoderKernels.softmaxRows(buffer.baseAddress!, count: 3, width: width, stride: width)
            }
            for row in 0..<3 {
                let values = rows[(row * width)..<((row + 1) * width)]
                #expect(abs(values.reduce(0, +) - 1) < 1e-5, "width \(width)")
                #expect(values.allSatisfy { $0 > 0 })
            }
            if width > 1 { #expect(rows[1] > rows[0]) }
        }
    }

    @Test("GELU matches x * Phi(x)")
    func gelu() {
        var values = (0..<64).map { Float($0 - 32) / 6 }
        let expected = values.map { x in Double(x) * 0.5 * (1 + Foundation.erf(Double(x) / 2.0.squareRoot())) }
        values.withUnsafeMutableBufferPointer { EncoderKernels.gelu($0.baseAddress!, count: 64) }
        for (value, reference) in zip(values, expected) {
            #expect(abs(Double(value) - reference) < 2e-6)
        }
    }

    @Test("LayerNorm gives zero mean and unit variance before scale and bias")
    func layerNorm() {
        var rows = (0..<64).map { Float($0 * $0 % 11) }
        let residual = [Float](repeating: 1, count: 64)
        let scale = [Float](repeating: 2, count: 32), bias = [Float](repeating: 0.5, count: 32)
        rows.withUnsafeMutableBufferPointer { buffer in
            EncoderKernels.layerNorm(buffer.baseAddress!, adding: residual, count: 2, width: 32, scale: scale, bias: bias, epsilon: 1e-12)
        }
        for row in 0..<2 {
            let values = rows[(row * 32)..<((row + 1) * 32)].map { ($0 - 0.5) / 2 }
            let mean = values.reduce(0, +) / 32
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 32
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 1e-4)
        }
    }

    @Test("both LayerNorm paths match a double-precision reference, with and without the residual", arguments: [true, false])
    func layerNormPaths(withResidual: Bool) {
        let (count, width) = (3, 384)
        var state: UInt64 = 0x1234_5678
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 20_001 - 10_000) / 1000
        }
        var input = (0..<(count * width)).map { _ in next() }
        input[5] = 300  // one large channel, as BERT's hidden states have
        let residual = (0..<(count * width)).map { _ in next() }
        let scale = (0..<width).map { _ in next() / 10 }, bias = (0..<width).map { _ in next() / 10 }
        let expected: [Double] = (0..<count).flatMap { row -> [Double] in
            let values = (0..<width).map { Double(input[row * width + $0]) + (withResidual ? Double(residual[row * width + $0]) : 0) }
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            return values.indices.map { (values[$0] - mean) / (variance + 1e-12).squareRoot() * Double(scale[$0]) + Double(bias[$0]) }
        }
        for portable in [false, true] {
            var rows = input
            residual.withUnsafeBufferPointer { addend in
                (portable ? turnout_layer_norm_portable : turnout_layer_norm)(&rows, withResidual ? addend.baseAddress : nil, count, width, scale, bias, 1e-12)
            }
            let worst = zip(rows, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst < 1e-4, "portable \(portable): largest difference \(worst)")
        }
    }
}
