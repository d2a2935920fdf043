import COpenBLAS
import CTurnoutKernels
import Foundation

/// The expected quality gain of the strong model for a prompt, estimated from the training
/// prompts most similar to it: the mean of `strong score - weak score` over its `neighbours`
/// nearest training prompts (cosine similarity), shrunk towards the mean gain of all of them
/// by `priorWeight` pseudo-prompts.
///
/// Why: a linear model over embeddings draws one hyperplane, but which questions the weak
/// model fails clusters by topic (an MMLU subject, a kind of word problem) in ways a hyperplane
/// blurs. A local average captures that; and unlike `sw_ranking`, whose weights
/// (`10 * 10^(sim / max sim)`) vary only tenfold over all of the training set and so give
/// nearly a global average, it looks at the nearest prompts alone. The shrinkage keeps a
/// neighbourhood of few prompts from looking certain.
///
/// Embeddings are stored as unit vectors quantised to int8 with one scale per row (a quarter
/// of float32's size, and cosine similarities within about 0.01 of exact); training,
/// evaluation and serving all use the quantised rows, so what is measured is what is served.
public struct NeighbourGain: Sendable {
    public let dimensions: Int
    /// How many nearest training prompts are averaged (at most the number stored).
    public let neighbours: Int
    /// Pseudo-prompts of the mean gain added to every neighbourhood.
    public let priorWeight: Double
    /// Row-major int8 codes of the unit embeddings; row `r` is `codes[r*d..<(r+1)*d] * scales[r]`.
    public let codes: [Int8]
    public let scales: [Float]
    /// `strong score - weak score` of each stored prompt, in -1...1.
    public let gains: [Float]
    /// How much each stored prompt counts in a neighbourhood's mean (the deployment's own
    /// battles can count more than base data); nil when all count 1.
    public let weights: [Float]?
    /// The (weighted) mean of `gains`, the value every estimate is shrunk towards.
    public let meanGain: Double

    public var count: Int { gains.count }

    /// Stores unit, quantised copies of `embeddings` and their gains.
    /// - Parameters:
    ///   - gains: `strong score - weak score` per embedding, clamped to -1...1.
    ///   - neighbours: k, at least 1.
    ///   - weights: how much each prompt counts (nil: 1 each); the prior counts `priorWeight`.
    public init(embeddings: [[Float]], gains: [Double], weights: [Double]? = nil, neighbours: Int, priorWeight: Double = 5) {
        precondition(embeddings.count == gains.count, "one gain per embedding")
        let d = embeddings.first?.count ?? 0
        var codes = [Int8](repeating: 0, count: embeddings.count * d)
        var scales = [Float](repeating: 0, count: embeddings.count)
        for (row, vector) in embeddings.enumerated() where vector.count == d {
            let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            let largest = vector.reduce(Float(0)) { max($0, abs($1)) } / norm
            scales[row] = largest / 127
            for column in 0..<d {
                codes[row * d + column] = Int8((vector[column] / norm / scales[row]).rounded())
            }
        }
        let counted = weights.flatMap { $0.count == gains.count && $0.contains { $0 != 1 } ? $0.map { Float(max(0, $0)) } : nil }
        self.init(dimensions: d, codes: codes, scales: scales, gains: gains.map { Float(min(1, max(-1, $0))) }, weights: counted,
                  neighbours: neighbours, priorWeight: priorWeight)
    }

    /// A store from its stored form (decoding, `with(neighbours:)`).
    /// - Precondition: `codes.count == dimensions * gains.count`, `scales.count == gains.count`,
    ///   and `weights`, when given, one per gain.
    init(dimensions: Int, codes: [Int8], scales: [Float], gains: [Float], weights: [Float]? = nil, neighbours: Int, priorWeight: Double) {
        precondition(codes.count == dimensions * gains.count && scales.count == gains.count && (weights?.count ?? gains.count) == gains.count,
                     "one row of codes, one scale and one weight per gain")
        self.dimensions = dimensions
        self.codes = codes
        self.scales = scales
        self.gains = gains
        self.weights = weights
        self.neighbours = max(1, neighbours)
        self.priorWeight = max(0, priorWeight)
        let total = weights.map { $0.reduce(0.0) { $0 + Double($1) } } ?? Double(gains.count)
        let sum = gains.indices.reduce(0.0) { $0 + Double(gains[$1]) * Double(weights?[$1] ?? 1) }
        meanGain = total > 0 ? sum / total : 0
    }

    /// The weight of stored prompt `row`.
    @inline(__always)
    func weight(_ row: Int) -> Double {
        Double(weights?[row] ?? 1)
    }

    /// The rows dequantised to floats, for BLAS. Made per batch rather than kept: the scorer
    /// never needs them (24 MB at 15,361 rows), and a batch's product costs far more.
    var matrix: [Float] {
        var matrix = [Float](repeating: 0, count: codes.count)
        for row in 0..<count {
            for column in 0..<dimensions { matrix[row * dimensions + column] = Float(codes[row * dimensions + column]) * scales[row] }
        }
        return matrix
    }

    /// The same store averaging `neighbours` prompts.
    public func with(neighbours: Int) -> NeighbourGain {
        NeighbourGain(dimensions: dimensions, codes: codes, scales: scales, gains: gains, weights: weights, neighbours: neighbours, priorWeight: priorWeight)
    }

    /// The estimated gain for an embedding: 0 (no evidence either way) for an empty store or an
    /// embedding of the wrong size.
    ///
    /// One query, as the scorer asks, reads the int8 rows through the integer kernel
    /// `sw_ranking` serves from (a quarter of the dequantised rows' bytes: 5.9 MB at 15,361
    /// rows, where the float product read 24 MB and took 5 ms). The query's own rounding to
    /// int16 moves a similarity by about 1e-5, which can only swap neighbours that tie to that
    /// precision; batches (evaluation, training) keep the matrix product.
    public func gain(for embedding: [Float]) -> Double {
        guard count > 0, embedding.count == dimensions else { return 0 }
        guard let query = QuantizedQuery(embedding) else { return gains(for: [embedding])[0] }
        var extremes: [Float] = [0, 0]
        let similarities = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            turnout_int8_similarities(codes, scales, count, dimensions, query.codes, query.scale, buffer.baseAddress, &extremes)
            initialized = count
        }
        let nearest = similarities.withUnsafeBufferPointer { Self.nearest($0, count: min(neighbours, count), excluding: nil) }
        return estimate(averaging: nearest)
    }

    /// Estimated gains for many embeddings at once (one matrix product per block of them).
    public func gains(for embeddings: [[Float]]) -> [Double] {
        var result = [Double](repeating: 0, count: embeddings.count)
        guard count > 0 else { return result }
        let valid = embeddings.indices.filter { embeddings[$0].count == dimensions }
        let k = min(neighbours, count)
        forEachSimilarityRow(valid.map { embeddings[$0] }) { position, similarities in
            let nearest = Self.nearest(similarities, count: k, excluding: nil)
            result[valid[position]] = estimate(averaging: nearest)
        }
        return result
    }

    /// The shrunk mean over the stored prompts `nearest`, towards the mean gain of all of them.
    func estimate(averaging nearest: [Int]) -> Double {
        estimate(nearest.reduce(0.0) { $0 + Double(gains[$1]) * weight($1) }, weight: nearest.reduce(0.0) { $0 + weight($1) }, prior: meanGain)
    }

    /// The shrunk mean: `(weighted sum of the neighbours' gains + priorWeight * prior) /
    /// (their weight + priorWeight)`.
    func estimate(_ sum: Double, weight: Double, prior: Double) -> Double {
        let total = weight + priorWeight
        return total > 0 ? (sum + priorWeight * prior) / total : 0
    }

    /// Calls `body` with each query's cosine similarities to every stored row, in query order,
    /// computing them in blocks of up to 256 queries by one matrix product each (one query, as
    /// the scorer asks, needs only one row of working space).
    func forEachSimilarityRow(_ queries: [[Float]], _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let d = dimensions, n = count, block = max(1, min(256, queries.count))
        let matrix = self.matrix
        var similarities = [Float](repeating: 0, count: block * n)
        for start in stride(from: 0, to: queries.count, by: block) {
            let rows = min(block, queries.count - start)
            var unit = [Float](repeating: 0, count: rows * d)
            for row in 0..<rows {
                let query = queries[start + row]
                let norm = query.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                for column in 0..<d where norm > 0 { unit[row * d + column] = query[column] / norm }
            }
            unit.withUnsafeBufferPointer { left in
                matrix.withUnsafeBufferPointer { right in
                    similarities.withUnsafeMutableBufferPointer { out in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(d), 1,
                                    left.baseAddress, Int32(d), right.baseAddress, Int32(d), 0, out.baseAddress, Int32(n))
                    }
                }
            }
            similarities.withUnsafeBufferPointer { all in
                for row in 0..<rows { body(start + row, UnsafeBufferPointer(rebasing: all[(row * n)..<((row + 1) * n)])) }
            }
        }
    }

    /// Indices of the `count` largest similarities, most similar first; equal similarities go
    /// to the lower index, so the result is deterministic. `excluding` is skipped (leave-one-out).
    static func nearest(_ similarities: UnsafeBufferPointer<Float>, count k: Int, excluding: Int?) -> [Int] {
        guard k > 0 else { return [] }
        // A min-heap of the best k so far, its root the worst of them.
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func better(_ a: Int, _ b: Int) -> Bool {
            similarities[a] > similarities[b] || (similarities[a] == similarities[b] && a < b)
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var worst = parent
                if left < heap.count && better(heap[worst], heap[left]) { worst = left }
                if right < heap.count && better(heap[worst], heap[right]) { worst = right }
                if worst == parent { return }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
        for index in 0..<similarities.count where index != excluding {
            if heap.count < k {
                heap.append(index)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard better(heap[parent], heap[child]) else { break }
                    heap.swapAt(parent, child)
                    child = parent
                }
            } else if better(index, heap[0]) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted(by: better)
    }
}
