import CTurnoutKernels
import Foundation

/// RouteLLM's `sw_ranking` in the compact form the scorer serves: int8 unit embeddings with a
/// scale per row, one row per unique prompt with its outcome counts.
///
/// Scoring reads every row once per query, so its cost is the bytes it streams: 100,000 fp32
/// rows of 384 are 154 MB, int8 rows are 38 MB. The int8 dot products run in a C kernel (AVX2
/// when the CPU has it) against the query quantised to int16, so the only rounding is the rows'
/// own (half a step of `scale`), which moves a win rate by about 1e-4 at 1,000 battles and less
/// with more. Battles that share a prompt share a row: the weight is computed once per prompt
/// and multiplies its counts. The result matches `SimilarityWeightedRanking` (the exact fp32
/// form, kept for evaluation) to within that rounding.
public struct QuantizedSimilarityRanking: Sendable {
    public let dimensions: Int
    /// Row-major, `count x dimensions`: component j of row r is about `codes[r * dimensions + j] * scales[r]`.
    public let codes: [Int8]
    /// Per row: the largest absolute component over 127 (0 for a zero vector).
    public let scales: [Float]
    /// Per row: battles the strong model won, the weak model won, and tied.
    public let strongWins: [UInt32]
    public let weakWins: [UInt32]
    public let ties: [UInt32]
    /// Per row, as the weight loop reads them: `strong + tie / 2` and all battles, the strong
    /// model's share of RouteLLM's duplicated battles (a tie is one win each way).
    let winCredit: [Float]
    let battles: [Float]

    /// Whether this CPU takes the kernels' AVX2+FMA paths (else their portable loops).
    public static var usesVectorKernels: Bool { turnout_kernels_vectorized() != 0 }

    /// Unique prompts (rows).
    public var count: Int { scales.count }
    /// Battles over all rows.
    public var battleCount: Int { zip(strongWins, zip(weakWins, ties)).reduce(0) { $0 + Int($1.0) + Int($1.1.0) + Int($1.1.1) } }

    /// Quantises training battles, merging battles whose prompts quantise to the same row.
    /// - Parameters:
    ///   - embeddings: one prompt embedding per battle, `dimensions` long (normalised here).
    ///   - outcomes: one per battle, the strong model's view.
    public init(dimensions: Int, embeddings: [[Float]], outcomes: [SimilarityWeightedRanking.Outcome]) {
        precondition(embeddings.count == outcomes.count, "one outcome per battle")
        var codes: [Int8] = []
        var scales: [Float] = []
        var counts: [(strong: UInt32, weak: UInt32, tie: UInt32)] = []
        var rowOf: [RowKey: Int] = [:]
        var rowCodes = [Int8](repeating: 0, count: dimensions)
        for (vector, outcome) in zip(embeddings, outcomes) {
            precondition(vector.count == dimensions, "every embedding has \(dimensions) dimensions")
            let scale = Self.quantise(vector, into: &rowCodes)
            let key = RowKey(codes: rowCodes, scale: scale.bitPattern)
            let row: Int
            if let known = rowOf[key] {
                row = known
            } else {
                row = scales.count
                rowOf[key] = row
                codes.append(contentsOf: rowCodes)
                scales.append(scale)
                counts.append((0, 0, 0))
            }
            switch outcome {
            case .strongWins: counts[row].strong += 1
            case .weakWins: counts[row].weak += 1
            case .tie: counts[row].tie += 1
            }
        }
        self.init(dimensions: dimensions, codes: codes, scales: scales,
                  strongWins: counts.map(\.strong), weakWins: counts.map(\.weak), ties: counts.map(\.tie))
    }

    /// Rows as stored; the caller has checked that the lengths agree.
    init(dimensions: Int, codes: [Int8], scales: [Float], strongWins: [UInt32], weakWins: [UInt32], ties: [UInt32]) {
        self.dimensions = dimensions
        self.codes = codes
        self.scales = scales
        self.strongWins = strongWins
        self.weakWins = weakWins
        self.ties = ties
        winCredit = scales.indices.map { Float(strongWins[$0]) + Float(ties[$0]) / 2 }
        battles = scales.indices.map { Float(strongWins[$0]) + Float(weakWins[$0]) + Float(ties[$0]) }
    }

    struct RowKey: Hashable {
        let codes: [Int8]
        let scale: UInt32
    }

    /// Writes the int8 codes of `vector / |vector|` and returns their scale.
    static func quantise(_ vector: [Float], into codes: inout [Int8]) -> Float {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        let largest = vector.reduce(Float(0)) { max($0, abs($1)) }
        guard norm > 0, norm.isFinite, largest > 0 else {
            for index in codes.indices { codes[index] = 0 }
            return 0
        }
        let scale = largest / norm / 127
        let inverse = 127 / largest
        for index in vector.indices { codes[index] = Int8(max(-127, min(127, (vector[index] * inverse).rounded()))) }
        return scale
    }

    /// The strong model's win rate for a prompt embedding (0.5 for a wrong-sized or non-finite one).
    public func winRate(for embedding: [Float]) -> Double {
        guard count > 0, embedding.count == dimensions else { return 0.5 }
        let norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm.isFinite else { return 0.5 }
        // The query as int16, as fine as the int32 sums allow: 128 * dimensions * limit < 2^31.
        let limit = Float(min(32767, Int(Int32.max) / (128 * dimensions)))
        let largest = embedding.reduce(Float(0)) { max($0, abs($1)) }
        var query = [Int16](repeating: 0, count: dimensions)
        var queryScale: Float = 0
        if norm > 0, largest > 0 {
            queryScale = largest / norm / limit
            let inverse = limit / largest
            for index in embedding.indices { query[index] = Int16(max(-limit, min(limit, (embedding[index] * inverse).rounded()))) }
        }
        var extremes: [Float] = [0, 0]
        let similarities = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            turnout_int8_similarities(codes, scales, count, dimensions, query, queryScale, buffer.baseAddress, &extremes)
            initialized = count
        }
        let (credit, games) = weightedCounts(similarities: similarities, lowest: extremes[0], highest: extremes[1])
        let ratings = BradleyTerry.ratings(players: 2, pairs: [.init(first: 0, second: 1, games: 2 * games, winsOfFirst: 2 * credit)])
        return BradleyTerry.winProbability(ratings[0], over: ratings[1])
    }

    /// RouteLLM's weights `10 * 10^(sim / max_sim)` applied to the counts: the sums of
    /// `weight * winCredit` and `weight * battles`, each weight divided by the largest one.
    ///
    /// Dividing by the largest weight changes neither the win rate (a ratio) nor the fitted
    /// ratings, and keeps every exponent at or below zero, so nothing overflows even when
    /// `max_sim` is tiny or negative.
    func weightedCounts(similarities: [Float], lowest: Float, highest: Float) -> (credit: Double, games: Double) {
        let rate = highest != 0 ? Float(M_LN10) / highest : 0
        // The largest exponent: at the most similar row when the rate is positive, else at the least.
        let offset = rate >= 0 ? highest * rate : lowest * rate
        var sums: [Double] = [0, 0]
        turnout_weighted_sums(similarities, winCredit, battles, count, rate, offset, &sums)
        return (sums[0], sums[1])
    }
}
