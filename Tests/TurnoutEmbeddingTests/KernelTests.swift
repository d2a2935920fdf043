import Foundation
import Testing
@testable import TurnoutEmbedding

/// The vectorized approximations against libm, over their whole working range.
@Suite("EncoderKernels")
struct KernelTests {
    @Test("erf is within 5e-7 (a few float ulps of 1) of libm on [-6, 6]")
    func erfAccuracy() {
        var worst: Double = 0
        for start in stride(from: -6.0, to: 6.0, by: 0.016) {
            let inputs = EncoderKernels.Vector((0..<16).map { Float(start + Double($0) * 0.001) })
            let outputs = EncoderKernels.erf(inputs)
            for lane in 0..<16 {
                worst = max(worst, abs(Double(outputs[lane]) - Foundation.erf(Double(inputs[lane]))))
            }
        }
        #expect(worst < 5e-7, "worst error \(worst)")
    }

    @Test("exp is within 1e-6 relative of libm on [-87, 87.8]")
    func expAccuracy() {
        var worst: Double = 0
        for start in stride(from: -87.0, to: 87.8, by: 0.16) {
            let inputs = EncoderKernels.Vector((0..<16).map { Float(start + Double($0) * 0.01) })
            let outputs = EncoderKernels.exp(inputs)
            for lane in 0..<16 {
                let exact = Foundation.exp(Double(inputs[lane]))
                worst = max(worst, abs(Double(outputs[lane]) - exact) / exact)
            }
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
        #expect(EncoderKernels.exp(EncoderKernels.Vector(repeating: -1000))[0] < 1e-37)
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
}
