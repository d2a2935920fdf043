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
///
/// Routers whose int8 rows exceed `scanBudgetBytes` (12 MiB: 32,768 rows of 384) scan a
/// coarser copy instead: 4 bits per component up to twice that, 2 bits beyond (9.6 MB for
/// 100,000 rows of 384, against 38 MB of int8), derived from the int8 codes when the router is
/// built or loaded, so artifacts keep one int8 format. Coarse rounding alone biases `max_sim`
/// (the largest of 100,000 noisy similarities is noisy upwards), which rescales every weight
/// and moved win rates by 2.5e-3 on clustered data; so the rows within a margin of the coarse
/// maximum are recomputed from the int8 codes, and the maximum is theirs. What remains is
/// per-row noise that averages out over many rows.
public struct QuantizedSimilarityRanking: Sendable {
    /// Which rows the per-query similarity pass reads.
    public enum SimilarityPass: String, Sendable {
        /// int8 codes, int16 query: rounding moves a win rate by about 1e-4 at most.
        case int8
        /// 4-bit codes, int8 query, the top rows refined from int8: half the bytes.
        case int4
        /// 2-bit codes, int8 query, the top rows refined from int8: a quarter of the bytes,
        /// win rates within about 5e-4 of exact.
        case int2
    }

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
    /// The pass `winRate(for:)` takes.
    public let similarityPass: SimilarityPass
    /// For `.int4` and `.int2`: the coarse rows (empty for `.int8`).
    let packed: PackedRows

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
    ///   - pass: the similarity pass; nil chooses by size (`pass(rows:dimensions:)`).
    public init(dimensions: Int, embeddings: [[Float]], outcomes: [SimilarityWeightedRanking.Outcome], pass: SimilarityPass? = nil) {
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
                  strongWins: counts.map(\.strong), weakWins: counts.map(\.weak), ties: counts.map(\.tie), pass: pass)
    }

    /// Rows as stored; the caller has checked that the lengths agree. A nil `pass` chooses by row count.
    /// The 2-bit pass takes its rows grouped by direction (`localityOrder`), so that the heavy
    /// rows it recomputes from int8 are read in runs.
    init(dimensions: Int, codes: [Int8], scales: [Float], strongWins: [UInt32], weakWins: [UInt32], ties: [UInt32], pass: SimilarityPass? = nil) {
        let chosen = pass ?? Self.pass(rows: scales.count, dimensions: dimensions)
        var (codes, scales, strongWins, weakWins, ties) = (codes, scales, strongWins, weakWins, ties)
        if chosen == .int2 {
            let order = Self.localityOrder(codes: codes, scales: scales, dimensions: dimensions)
            if order != Array(scales.indices) {
                codes = order.flatMap { codes[($0 * dimensions)..<(($0 + 1) * dimensions)] }
                (scales, strongWins, weakWins, ties) = (order.map { scales[$0] }, order.map { strongWins[$0] }, order.map { weakWins[$0] }, order.map { ties[$0] })
            }
        }
        self.dimensions = dimensions
        self.codes = codes
        self.scales = scales
        self.strongWins = strongWins
        self.weakWins = weakWins
        self.ties = ties
        winCredit = scales.indices.map { Float(strongWins[$0]) + Float(ties[$0]) / 2 }
        battles = scales.indices.map { Float(strongWins[$0]) + Float(weakWins[$0]) + Float(ties[$0]) }
        similarityPass = chosen
        packed = Self.pack(chosen, codes: codes, scales: scales, dimensions: dimensions)
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
        guard count > 0, embedding.count == dimensions, let query = QuantizedQuery(embedding) else { return 0.5 }
        var extremes: [Float] = [0, 0]
        var similarities: [Float] = []
        // A zero query weighs every row alike; the int8 pass handles it without refining them all.
        if similarityPass != .int8, query.scale > 0 {
            similarities = coarseSimilarities(embedding, norm: query.norm, largest: query.largest, extremes: &extremes)
            let highest = refine(&similarities, top: extremes[1], query: query.codes, queryScale: query.scale)
            extremes[1] = highest
        }
        // The int8 pass: the default, and the fallback when no similarity is positive (then the
        // least similar row sets the offset, and the coarse pass never refined it).
        if similarityPass == .int8 || !(extremes[1] > 0) {
            similarities = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                turnout_int8_similarities(codes, scales, count, dimensions, query.codes, query.scale, buffer.baseAddress, &extremes)
                initialized = count
            }
        }
        let (credit, games) = weightedCounts(similarities: similarities, lowest: extremes[0], highest: extremes[1])
        let ratings = BradleyTerry.ratings(players: 2, pairs: [.init(first: 0, second: 1, games: 2 * games, winsOfFirst: 2 * credit)])
        return BradleyTerry.winProbability(ratings[0], over: ratings[1])
    }

    /// The 4- or 2-bit pass: the query as int8 (its rounding is small beside the rows'),
    /// zero-padded to whole blocks as the kernels read them.
    func coarseSimilarities(_ embedding: [Float], norm: Float, largest: Float, extremes: inout [Float]) -> [Float] {
        let padded = similarityPass == .int2 ? 4 * turnout_int2_row_bytes(dimensions) : 2 * turnout_int4_row_bytes(dimensions)
        var query = [Int8](repeating: 0, count: padded)
        var queryScale: Float = 0
        if norm > 0, largest > 0 {
            queryScale = largest / norm / 127
            let inverse = 127 / largest
            for index in embedding.indices { query[index] = Int8(max(-127, min(127, (embedding[index] * inverse).rounded()))) }
        }
        let kernel = similarityPass == .int2 ? turnout_int2_similarities : turnout_int4_similarities
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            kernel(packed.bytes.pointer, packed.scales, count, dimensions, query, queryScale, buffer.baseAddress, &extremes)
            initialized = count
        }
    }

    /// Recomputes from int8 the rows within the refine margin of the largest coarse similarity
    /// (`top`), in one kernel call, and returns the largest of them.
    ///
    /// The 2-bit pass also refines every row whose weight is at least 1/e of the largest
    /// (similarity above `top * (1 - 1 / ln 10)`): a row's rounding moves the win rate in
    /// proportion to its weight, and where prompts cluster, the heavy rows are few enough not
    /// to average their 2-bit noise out (2.9e-3 on 12 clusters of 20,000 rows without this).
    func refine(_ similarities: inout [Float], top: Float, query: [Int16], queryScale: Float) -> Float {
        var floor = top - packed.refineMargin
        if similarityPass == .int2, top > 0 { floor = min(floor, top * (1 - 1 / Float(M_LN10))) }
        var indices: [UInt32] = []
        for (row, value) in similarities.enumerated() where value >= floor { indices.append(UInt32(truncatingIfNeeded: row)) }
        let exact = [Float](unsafeUninitializedCapacity: indices.count) { buffer, initialized in
            turnout_int8_similarities_at(codes, scales, dimensions, indices, indices.count, query, queryScale, buffer.baseAddress)
            initialized = indices.count
        }
        var highest = -Float.infinity
        for (index, row) in indices.enumerated() {
            similarities[Int(row)] = exact[index]
            highest = max(highest, exact[index])
        }
        return highest
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
