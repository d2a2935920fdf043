import CTurnoutKernels
import Foundation
import Testing
@testable import TurnoutEmbedding

/// The int8 products: the VNNI kernel against the portable loop (the same integers, so nearly
/// the same floats), both against the fp32 product, and the outlier split that keeps a row's
/// few large values from coarsening the rest.
@Suite("int8 products")
struct QuantizedProductTests {
    /// A deterministic pseudo-random matrix (no global generator, so tests can run in parallel).
    static func matrix(rows: Int, columns: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<(rows * columns)).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return (Float(state % 20_001) / 10_000 - 1) * scale
        }
    }

    /// `c[m, n] = a[m, k] * w[n, k]^T` in double.
    static func exactProduct(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int) -> [Float] {
        (0..<(m * n)).map { index in
            let r = index / n, j = index % n
            return Float((0..<k).reduce(0.0) { $0 + Double(a[r * k + $1]) * Double(w[j * k + $1]) })
        }
    }

    /// Runs the int8 product of `a` and `w` through `quantize` and `multiply` (the VNNI or portable pair).
    static func product(
        _ a: [Float], _ w: [Float], m: Int, n: Int, k: Int, clip: Float, portable: Bool
    ) -> (output: [Float], outlierCounts: [UInt32]) {
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix($0.baseAddress!, rows: n, columns: k, refinements: []) }
        let stride = turnout_qgemm_padded_depth(k), paddedRows = (m + 3) / 4 * 4, limit = 8
        var codes = [UInt8](repeating: 128, count: paddedRows * stride)
        var scales = [Float](repeating: 0, count: paddedRows)
        var counts = [UInt32](repeating: 0, count: paddedRows)
        var channels = [UInt32](repeating: 0, count: paddedRows * limit)
        var residuals = [Float](repeating: 0, count: paddedRows * limit)
        var output = [Float](repeating: 0, count: m * n)
        counts.withUnsafeMutableBufferPointer { counts in
            channels.withUnsafeMutableBufferPointer { channels in
                residuals.withUnsafeMutableBufferPointer { residuals in
                    let outliers = turnout_qgemm_outliers(counts: counts.baseAddress, channels: channels.baseAddress, residuals: residuals.baseAddress, limit: limit)
                    (portable ? turnout_qgemm_quantize_rows_portable : turnout_qgemm_quantize_rows)(a, m, k, k, clip, limit, &codes, stride, &scales, outliers)
                    (portable ? turnout_qgemm_portable : turnout_qgemm)(m, n, k, codes, stride, scales, outliers, matrix.codes, matrix.scales,
                                                                        matrix.compensation, matrix.wide, nil, &output, n, 0, matrix.blocks)
                }
            }
        }
        return (output, Array(counts.prefix(m)))
    }

    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        let difference = zip(actual, expected).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let norm = expected.reduce(0.0) { $0 + Double($1 * $1) }
        return (difference / norm).squareRoot()
    }

    @Test("the VNNI kernel gives the portable loop's results, for ragged row counts and column blocks", arguments: [(1, 16, 36), (5, 48, 68), (7, 80, 384), (33, 1152, 384)])
    func vnniMatchesPortable(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var a = Self.matrix(rows: m, columns: k, seed: 1)
        a[0] = 40  // an outlier, so the residual path runs in both
        let w = Self.matrix(rows: n, columns: k, seed: 2, scale: 0.1)
        let fast = Self.product(a, w, m: m, n: n, k: k, clip: 4, portable: false)
        let portable = Self.product(a, w, m: m, n: n, k: k, clip: 4, portable: true)
        #expect(fast.outlierCounts == portable.outlierCounts)
        #expect(fast.outlierCounts[0] >= 1)
        let worst = zip(fast.output, portable.output).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst) (VNNI available: \(turnout_qgemm_vnni_available()))")
    }

    @Test("an int8 product is within 1% of the exact one")
    func closeToExact() {
        let (m, n, k) = (9, 64, 384)
        let a = Self.matrix(rows: m, columns: k, seed: 3), w = Self.matrix(rows: n, columns: k, seed: 4, scale: 0.05)
        let error = Self.relativeError(Self.product(a, w, m: m, n: n, k: k, clip: 4, portable: false).output, Self.exactProduct(a, w, m: m, n: n, k: k))
        #expect(error < 0.01, "relative error \(error)")
    }

    @Test("an outlying value is kept exactly instead of coarsening its row")
    func outliersKeepTheirRow() {
        let (m, n, k) = (4, 32, 384)
        var a = Self.matrix(rows: m, columns: k, seed: 5, scale: 0.5)
        a[7] = 30  // the [CLS] token's channel-99 pattern: one value 60x the rest
        let w = Self.matrix(rows: n, columns: k, seed: 6, scale: 0.05)
        let exact = Self.exactProduct(a, w, m: m, n: n, k: k)
        let clipped = Self.product(a, w, m: m, n: n, k: k, clip: 4, portable: false)
        let unclipped = Self.product(a, w, m: m, n: n, k: k, clip: 0, portable: false)
        #expect(clipped.outlierCounts[0] == 1)
        #expect(unclipped.outlierCounts.allSatisfy { $0 == 0 })
        let firstRow = { (output: [Float]) in Self.relativeError(Array(output.prefix(n)), Array(exact.prefix(n))) }
        #expect(firstRow(clipped.output) < 0.01, "with the outlier split: \(firstRow(clipped.output))")
        #expect(firstRow(clipped.output) * 4 < firstRow(unclipped.output), "split \(firstRow(clipped.output)), unsplit \(firstRow(unclipped.output))")
    }

    @Test("a row with more outliers than the limit raises its threshold and keeps at most the limit")
    func outlierLimit() {
        let (m, n, k) = (2, 16, 64)
        var a = Self.matrix(rows: m, columns: k, seed: 7, scale: 0.1)
        for channel in stride(from: 0, to: 64, by: 2) { a[channel] = 50 }  // half the row is "outlying"
        let w = Self.matrix(rows: n, columns: k, seed: 8, scale: 0.1)
        let result = Self.product(a, w, m: m, n: n, k: k, clip: 4, portable: false)
        #expect(result.outlierCounts[0] <= 8)
        let error = Self.relativeError(result.output, Self.exactProduct(a, w, m: m, n: n, k: k))
        #expect(error < 0.02, "relative error \(error)")
    }

    @Test("a [CLS]-like row through both special-row terms is 5 times closer to exact than plain int8, either term alone closer, none the same, for every projection's shape",
          arguments: [(1152, 384), (384, 384), (1536, 384), (384, 1536)])
    func specialRowsAreFiner(shape: (Int, Int)) {
        let (n, k) = shape, m = 6
        var a = Self.matrix(rows: m, columns: k, seed: 11, scale: 0.5)
        a[99] = 30  // [CLS]: one channel 60 times the rest
        a[5 * k + 3] = -12  // [SEP], the last row: a smaller outlier
        let w = Self.matrix(rows: n, columns: k, seed: 12, scale: 0.05)
        let exact = Self.exactProduct(a, w, m: m, n: n, k: k)
        func rowError(_ output: [Float], _ row: Int) -> Double {
            Self.relativeError(Array(output[(row * n)..<((row + 1) * n)]), Array(exact[(row * n)..<((row + 1) * n)]))
        }
        let choices: [SpecialRows.Terms] = [[.rowRemainder, .weightRemainder], .rowRemainder, .weightRemainder, []]
        for terms in choices {
            let (plain, refined, again) = Self.specialProduct(a, w, m: m, n: n, k: k, terms: terms)
            for row in [0, m - 1] {
                let label = "terms \(terms.rawValue), row \(row): refined \(rowError(refined, row)), plain \(rowError(plain, row))"
                switch terms {
                case [.rowRemainder, .weightRemainder]:
                    // What is left is mostly the outlier meeting its bf16 weights (8 bits).
                    #expect(rowError(refined, row) * 5 < rowError(plain, row), "\(label)")
                    #expect(rowError(refined, row) < 2e-3, "\(label)")
                case []:
                    #expect(refined == plain, "\(label)")
                default:
                    #expect(rowError(refined, row) < rowError(plain, row), "\(label)")
                }
            }
            // The rows between are the plain product, untouched.
            #expect(Array(refined[n..<((m - 1) * n)]) == Array(plain[n..<((m - 1) * n)]))
            // Its scratch products are zero again: a second pass on the same workspace gives the same.
            #expect(again == refined, "terms \(terms.rawValue)")
        }
    }

    @Test("one workspace through a layer's four projections in order, each with its own terms, gives what a fresh workspace gives each")
    func specialRowsAcrossProjections() {
        let m = 6
        let layer: [(n: Int, k: Int, terms: SpecialRows.Terms)] = [
            (1152, 384, .forProjection(.queryKeyValue, layer: 0, of: 6)), (384, 384, .forProjection(.attentionOutput, layer: 0, of: 6)),
            (1536, 384, .forProjection(.intermediate, layer: 0, of: 6)), (384, 1536, .forProjection(.output, layer: 0, of: 6)),
            (384, 1536, .forProjection(.output, layer: 5, of: 6)), (1152, 384, .forProjection(.queryKeyValue, layer: 1, of: 6)),
        ]
        #expect(layer.map(\.terms.rawValue) == [1, 1, 1, 2, 0, 1])
        let shared = EncoderWorkspace(configuration: MiniLMConfiguration(), attentionWorkers: 1)
        for (step, projection) in layer.enumerated() {
            var a = Self.matrix(rows: m, columns: projection.k, seed: UInt64(20 + step), scale: 0.5)
            a[7] = 25
            a[5 * projection.k + 1] = -9
            let w = Self.matrix(rows: projection.n, columns: projection.k, seed: UInt64(40 + step), scale: 0.05)
            let fresh = Self.specialProduct(a, w, m: m, n: projection.n, k: projection.k, terms: projection.terms)
            let reused = Self.specialProduct(a, w, m: m, n: projection.n, k: projection.k, terms: projection.terms, workspace: shared)
            #expect(reused.1 == fresh.1, "step \(step): the shared workspace's result differs")
            #expect(reused.2 == fresh.2, "step \(step): the shared workspace's second pass differs")
        }
    }

    /// The plain int8 product of `a` and `w`, the same with `terms` added to its first and last
    /// rows (in two column ranges, as two workers would), and that added again on the same workspace.
    static func specialProduct(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int, terms: SpecialRows.Terms,
                               workspace given: EncoderWorkspace? = nil) -> ([Float], [Float], [Float]) {
        let workspace = given ?? EncoderWorkspace(configuration: MiniLMConfiguration(), attentionWorkers: 1)
        workspace.reserve(tokens: m, longestSequence: m)
        workspace.special.mark(lengths: [m], offsets: [0])
        #expect(workspace.special.rows == [0, UInt32(m - 1)])
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix($0.baseAddress!, rows: n, columns: k, refinements: terms) }
        #expect((matrix.remainder != nil) == terms.contains(.weightRemainder))
        var plain = [Float](repeating: 0, count: m * n), refined = [Float](repeating: 0, count: m * n), again = plain
        a.withUnsafeBufferPointer { input in
            turnout_qgemm_quantize_rows(input.baseAddress, m, k, k, 4, EncoderWorkspace.outlierLimit, workspace.codes, workspace.codeStride,
                                        workspace.rowScales, workspace.outliers)
            turnout_qgemm(m, n, k, workspace.codes, workspace.codeStride, workspace.rowScales, workspace.outliers, matrix.codes, matrix.scales,
                          matrix.compensation, matrix.wide, nil, &plain, n, 0, matrix.blocks)
            refined = plain
            again = plain
            workspace.special.prepare(input: input.baseAddress!, inputs: k, for: matrix, workspace)
            workspace.special.addProducts(matrix, inputs: k, outputs: n, into: &refined, blocks: 0, 1)
            workspace.special.addProducts(matrix, inputs: k, outputs: n, into: &refined, blocks: 1, matrix.blocks)
            workspace.special.addProducts(matrix, inputs: k, outputs: n, into: &again, blocks: 0, matrix.blocks)
        }
        return (plain, refined, again)
    }

    @Test("with a bias, both kernels write bias plus product over whatever the output held")
    func biasReplacesTheOutput() {
        let (m, n, k) = (5, 80, 68)
        var a = Self.matrix(rows: m, columns: k, seed: 13)
        a[2] = 25  // an outlier, so the epilogue's outlier terms meet the bias
        let w = Self.matrix(rows: n, columns: k, seed: 14, scale: 0.1)
        let bias = Self.matrix(rows: 1, columns: n, seed: 15)
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix($0.baseAddress!, rows: n, columns: k, refinements: []) }
        let stride = turnout_qgemm_padded_depth(k), limit = 8
        var codes = [UInt8](repeating: 128, count: 8 * stride), scales = [Float](repeating: 0, count: 8)
        var counts = [UInt32](repeating: 0, count: 8), channels = [UInt32](repeating: 0, count: 8 * limit), residuals = [Float](repeating: 0, count: 8 * limit)
        var results: [[Float]] = []
        for portable in [false, true] {
            var plain = [Float](repeating: 0, count: m * n), biased = [Float](repeating: 1e6, count: m * n)
            counts.withUnsafeMutableBufferPointer { counts in
                channels.withUnsafeMutableBufferPointer { channels in
                    residuals.withUnsafeMutableBufferPointer { residuals in
                        let outliers = turnout_qgemm_outliers(counts: counts.baseAddress, channels: channels.baseAddress, residuals: residuals.baseAddress, limit: limit)
                        turnout_qgemm_quantize_rows(a, m, k, k, 4, limit, &codes, stride, &scales, outliers)
                        let multiply = portable ? turnout_qgemm_portable : turnout_qgemm
                        multiply(m, n, k, codes, stride, scales, outliers, matrix.codes, matrix.scales, matrix.compensation, matrix.wide, nil, &plain, n, 0, matrix.blocks)
                        multiply(m, n, k, codes, stride, scales, outliers, matrix.codes, matrix.scales, matrix.compensation, matrix.wide, bias, &biased, n, 0, matrix.blocks)
                    }
                }
            }
            #expect(counts[0] == 1)
            let worst = (0..<(m * n)).map { abs(biased[$0] - (plain[$0] + bias[$0 % n])) }.max() ?? .infinity
            #expect(worst < 1e-5, "portable \(portable): largest difference \(worst)")
            results.append(biased)
        }
        let apart = zip(results[0], results[1]).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(apart < 1e-5, "VNNI and portable differ by \(apart)")
    }

    @Test("zero rows and zero weights give zero, not NaN")
    func zeros() {
        let (m, n, k) = (3, 16, 32)
        let result = Self.product([Float](repeating: 0, count: m * k), Self.matrix(rows: n, columns: k, seed: 9), m: m, n: n, k: k, clip: 4, portable: false)
        #expect(result.output.allSatisfy { $0 == 0 })
        let zeroWeights = Self.product(Self.matrix(rows: m, columns: k, seed: 10), [Float](repeating: 0, count: n * k), m: m, n: n, k: k, clip: 4, portable: false)
        #expect(zeroWeights.output.allSatisfy { $0 == 0 })
    }
}
