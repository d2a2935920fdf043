import CTurnoutKernels
import Synchronization

/// The coarser copies of the int8 rows that large routers scan instead, derived when a router
/// is built or loaded (artifacts keep one int8 format).
extension QuantizedSimilarityRanking {
    /// Bytes the similarity pass may read per query before a coarser copy is chosen. The
    /// default, 12 MiB, is about what one core streams from memory in a millisecond when the
    /// L3 holds none of it (12 GB/s here), so a query stays near a millisecond whatever the
    /// neighbours do. At 384 dimensions: int8 up to 32,768 rows, 4 bits up to 65,536, 2 bits
    /// beyond. A process sets its own before loading routers (`turnout-scorer
    /// --sw-scan-budget-mib`): a larger budget buys accuracy with time.
    public static var scanBudgetBytes: Int { scanBudget.load(ordering: .relaxed) }

    public static func setScanBudget(bytes: Int) {
        scanBudget.store(max(1, bytes), ordering: .relaxed)
    }

    private static let scanBudget = Atomic<Int>(defaultScanBudgetBytes)
    public static let defaultScanBudgetBytes = 12 << 20

    /// The finest pass whose rows fit `budget` (the coarsest when none does).
    public static func pass(rows: Int, dimensions: Int, budget: Int = scanBudgetBytes) -> SimilarityPass {
        if rows * dimensions <= budget { return .int8 }
        if rows * turnout_int4_row_bytes(dimensions) <= budget { return .int4 }
        return .int2
    }

    /// What a coarse pass reads: packed rows, one scale per row, and how far below the largest
    /// coarse similarity a row may be and still be the most similar (those are recomputed
    /// from int8, because `max_sim` rescales every weight).
    struct PackedRows {
        let bytes: HugePageBytes
        let scales: [Float]
        let refineMargin: Float
    }

    static func pack(_ pass: SimilarityPass, codes: [Int8], scales: [Float], dimensions: Int) -> PackedRows {
        switch pass {
        case .int8: PackedRows(bytes: HugePageBytes([]), scales: [], refineMargin: 0)
        case .int4: packFourBit(codes: codes, scales: scales, dimensions: dimensions)
        case .int2: packTwoBit(codes: codes, scales: scales, dimensions: dimensions)
        }
    }

    /// Each code re-rounded to -7...7 (an int8 row's largest code is 127, so 7 steps still span
    /// it) with its scale times 127 / 7, stored + 8 as nibbles. The margin is three standard
    /// deviations of a row's rounding error against a unit query (`scale / sqrt(12)` for the
    /// coarsest row): on 100,000 clustered rows that refines about 950 rows per query with the
    /// same win rates as six (5,800 rows); two lets the error double.
    static func packFourBit(codes: [Int8], scales: [Float], dimensions: Int) -> PackedRows {
        let stride = turnout_int4_row_bytes(dimensions)
        // Padding nibbles are 8: code 0.
        var packed = [UInt8](repeating: 0x88, count: stride * scales.count)
        for row in scales.indices {
            for component in 0..<dimensions {
                let code = Int(codes[row * dimensions + component])
                let nibble = UInt8(max(-7, min(7, (Double(code) * 7 / 127).rounded())) + 8)
                // Block of 64, then low nibble for the first 32 components and high for the rest.
                let block = component / 64, within = component % 64
                let byte = row * stride + block * 32 + within % 32
                packed[byte] = within < 32 ? (packed[byte] & 0xF0) | nibble : (packed[byte] & 0x0F) | nibble << 4
            }
        }
        let packedScales = scales.map { $0 * 127 / 7 }
        return PackedRows(bytes: HugePageBytes(packed), scales: packedScales, refineMargin: 3 * (packedScales.max() ?? 0) / Float(12).squareRoot())
    }

    /// Four levels, -1.5, -0.5, 0.5 and 1.5 steps, with the step the row's root mean square:
    /// for the bell-shaped components of an embedding that is the best uniform four-level
    /// quantiser (a step from the largest component would leave the middle levels nearly
    /// empty). Stored as code + 2 in crumbs, with half a step as the scale. The margin is three
    /// standard deviations of the worst row's rounding error against a unit query, from the
    /// rows' actual errors: `|error| / sqrt(dimensions)`.
    static func packTwoBit(codes: [Int8], scales: [Float], dimensions: Int) -> PackedRows {
        let stride = turnout_int2_row_bytes(dimensions)
        var packed = [UInt8](repeating: 0, count: stride * scales.count)
        var halfSteps = [Float](repeating: 0, count: scales.count)
        var worstError: Float = 0
        for row in scales.indices {
            let base = row * dimensions
            let meanSquare = (0..<dimensions).reduce(Float(0)) { $0 + Float(codes[base + $1]) * Float(codes[base + $1]) } / Float(dimensions)
            let step = meanSquare.squareRoot()
            guard step > 0 else { continue }
            var squaredError: Float = 0
            for component in 0..<dimensions {
                let code = Float(codes[base + component])
                let level = max(-2, min(1, (code / step).rounded(.down)))
                let error = (level + 0.5) * step - code
                squaredError += error * error
                let crumb = UInt8(level + 2)
                let block = component / 128, within = component % 128
                packed[row * stride + block * 32 + within % 32] |= crumb << (2 * (within / 32))
            }
            halfSteps[row] = step * scales[row] / 2
            worstError = max(worstError, squaredError.squareRoot() * scales[row])
        }
        return PackedRows(bytes: HugePageBytes(packed), scales: halfSteps, refineMargin: 3 * worstError / Float(dimensions).squareRoot())
    }
}

extension QuantizedSimilarityRanking {
    /// Row positions grouped by direction: each row's key is which side of 12 fixed random
    /// hyperplanes it lies on, and rows are ordered by key (ties by position). Similar prompts
    /// share most of their key, so a cluster's rows end up in a few contiguous runs.
    ///
    /// Why: the 2-bit pass recomputes every heavy row from int8, and where prompts cluster
    /// that is the whole cluster of the query, thousands of rows. Scattered over the table they
    /// are thousands of cache misses; grouped, they are a few sequential reads. Order changes
    /// nothing else: every sum is over all rows.
    static func localityOrder(codes: [Int8], scales: [Float], dimensions: Int) -> [Int] {
        let rows = scales.count
        var generator = SeededGenerator(seed: 0x7475_726E_6F75_74)
        var keys = [UInt16](repeating: 0, count: rows)
        // One int8 pass per hyperplane (3 ms each at 100,000 rows of 384): the sign of a row's
        // similarity to the plane's normal is the side it lies on.
        var sides = [Float](repeating: 0, count: rows)
        var extremes: [Float] = [0, 0]
        for plane in 0..<12 {
            let normal = (0..<dimensions).map { _ in Int16(Int.random(in: -127...127, using: &generator)) }
            turnout_int8_similarities(codes, scales, rows, dimensions, normal, 1, &sides, &extremes)
            for row in 0..<rows where sides[row] > 0 { keys[row] |= 1 << plane }
        }
        return (0..<rows).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
    }
}
