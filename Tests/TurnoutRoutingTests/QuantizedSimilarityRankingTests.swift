import CTurnoutKernels
import Foundation
import Testing
import TurnoutRouting

/// Random training battles: unit vectors, either spread uniformly or in tight clusters (as
/// real prompt embeddings are, so that similarities reach 0.9 and one cluster dominates).
struct RandomBattles {
    var embeddings: [[Float]] = []
    var outcomes: [SimilarityWeightedRanking.Outcome] = []
    var generator: SeededGenerator

    init(count: Int, dimensions: Int, clusters: Int?, seed: UInt64) {
        generator = SeededGenerator(seed: seed)
        let centres = (0..<(clusters ?? 0)).map { _ in vector(dimensions) }
        for _ in 0..<count {
            if centres.isEmpty {
                embeddings.append(vector(dimensions))
                outcomes.append([.strongWins, .weakWins, .tie][Int.random(in: 0..<3, using: &generator)])
            } else {
                let cluster = Int.random(in: 0..<centres.count, using: &generator)
                embeddings.append(near(centres[cluster]))
                // Each cluster leans its own way, so the win rate depends on the prompt.
                let strongShare = Double(cluster + 1) / Double(centres.count + 1)
                outcomes.append(Double.random(in: 0..<1, using: &generator) < strongShare ? .strongWins : [.weakWins, .tie][Int.random(in: 0..<2, using: &generator)])
            }
        }
    }

    mutating func vector(_ dimensions: Int) -> [Float] {
        (0..<dimensions).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    mutating func near(_ centre: [Float]) -> [Float] {
        centre.map { $0 + Float.random(in: -0.25...0.25, using: &generator) }
    }
}

@Suite struct QuantizedSimilarityRankingTests {
    @Test(arguments: [(2000, nil), (2000, 12), (300, 5)] as [(Int, Int?)])
    func compactWinRatesMatchTheExactRouter(battles: Int, clusters: Int?) {
        var data = RandomBattles(count: battles, dimensions: 384, clusters: clusters, seed: UInt64(battles + (clusters ?? 0)))
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes)
        let compact = QuantizedSimilarityRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes)
        #expect(compact.count == battles)
        // New prompts, and prompts seen in training (their own battle has the largest weight).
        var queries = (0..<15).map { _ in clusters == nil ? data.vector(384) : data.near(data.embeddings[Int.random(in: 0..<battles, using: &data.generator)]) }
        queries += data.embeddings.prefix(5)
        var spread: (Double, Double) = (1, 0)
        for query in queries {
            let reference = exact.winRate(for: query)
            let rate = compact.winRate(for: query)
            #expect(abs(rate - reference) < 1e-3, "compact \(rate), exact \(reference)")
            spread = (min(spread.0, reference), max(spread.1, reference))
        }
        // The clustered data must make win rates differ, or the comparison proves little.
        if clusters != nil { #expect(spread.1 - spread.0 > 0.05) }
    }

    /// The coarse passes (refined at the top from int8) stay close to the exact router on
    /// clustered data, where an unrefined `max_sim` alone moved win rates by 2.5e-3, and on
    /// uniform data, for new prompts and prompts seen in training: 4 bits within 1e-3, 2 bits
    /// within 2e-3 at 20,000 rows (1.4e-3 at worst here; the noise averages out over more rows:
    /// about 4e-4 at 100,000 in `turnout bench scorer`). At 1,000 battles 4-bit rounding alone moves win rates by up to
    /// 2.5e-3, which is why small routers keep int8.
    @Test(arguments: [(20_000, 12, .int4), (20_000, nil, .int4), (20_000, 12, .int2), (20_000, nil, .int2)]
          as [(Int, Int?, QuantizedSimilarityRanking.SimilarityPass)])
    func coarseWinRatesMatchTheExactRouter(battles: Int, clusters: Int?, pass: QuantizedSimilarityRanking.SimilarityPass) {
        var data = RandomBattles(count: battles, dimensions: 384, clusters: clusters, seed: UInt64(battles + 7 * (clusters ?? 0)))
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes)
        let compact = QuantizedSimilarityRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes, pass: pass)
        #expect(compact.similarityPass == pass)
        let tolerance = pass == .int4 ? 1e-3 : 2e-3
        var queries = (0..<25).map { _ in clusters == nil ? data.vector(384) : data.near(data.embeddings[Int.random(in: 0..<battles, using: &data.generator)]) }
        queries += data.embeddings.prefix(5)
        for query in queries {
            let reference = exact.winRate(for: query)
            let rate = compact.winRate(for: query)
            #expect(abs(rate - reference) < tolerance, "\(pass) \(rate), exact \(reference)")
        }
    }

    /// The 2-bit pass stores rows grouped by direction: a cluster's rows, interleaved at
    /// random in the input, come out in few runs, and the order changes no win rate.
    @Test func twoBitRowsAreGroupedByDirectionWithoutChangingWinRates() throws {
        var data = RandomBattles(count: 6000, dimensions: 384, clusters: 12, seed: 21)
        let coarse = QuantizedSimilarityRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes, pass: .int2)
        let fine = QuantizedSimilarityRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes, pass: .int8)
        // Which cluster each stored row came from: its nearest input row's cluster is not
        // kept, so compare stored rows by similarity to their neighbour instead: in runs, most
        // neighbours are in the same cluster (similarity near 0.9), at random about 1 in 12 are.
        let rows = coarse.count
        var sameCluster = 0
        for row in 1..<rows {
            var dot: Int32 = 0
            for component in 0..<384 { dot += Int32(coarse.codes[(row - 1) * 384 + component]) * Int32(coarse.codes[row * 384 + component]) }
            if Float(dot) * coarse.scales[row - 1] * coarse.scales[row] > 0.5 { sameCluster += 1 }
        }
        #expect(sameCluster > rows * 9 / 10, "\(sameCluster) of \(rows) neighbours share a cluster")
        #expect(coarse.battleCount == fine.battleCount)
        // Same rows, other order: stored and loaded back (6,000 rows load as int8), it answers
        // as the router built in input order does.
        let reordered = try JSONDecoder().decode(QuantizedSimilarityRanking.self, from: JSONEncoder().encode(coarse))
        #expect(reordered.similarityPass == .int8 && reordered.codes == coarse.codes)
        #expect(reordered.codes != fine.codes, "the rows were reordered")
        for _ in 0..<5 {
            let query = data.near(data.embeddings[Int.random(in: 0..<6000, using: &data.generator)])
            #expect(abs(reordered.winRate(for: query) - fine.winRate(for: query)) < 1e-6)
        }
    }

    /// The finest pass whose rows fit the scan budget: int8 for MMLU-sized routers, 4 bits up
    /// to twice the budget's int8 rows, 2 bits beyond; a loaded router chooses the same way.
    @Test func theSizeChoosesThePass() throws {
        #expect(QuantizedSimilarityRanking.scanBudgetBytes == QuantizedSimilarityRanking.defaultScanBudgetBytes)
        let budgetRows = QuantizedSimilarityRanking.scanBudgetBytes / 384
        #expect(QuantizedSimilarityRanking.pass(rows: 14_042, dimensions: 384) == .int8)
        #expect(QuantizedSimilarityRanking.pass(rows: budgetRows, dimensions: 384) == .int8)
        #expect(QuantizedSimilarityRanking.pass(rows: budgetRows + 1, dimensions: 384) == .int4)
        #expect(QuantizedSimilarityRanking.pass(rows: 2 * budgetRows, dimensions: 384) == .int4)
        #expect(QuantizedSimilarityRanking.pass(rows: 2 * budgetRows + 1, dimensions: 384) == .int2)
        #expect(QuantizedSimilarityRanking.pass(rows: 100_000, dimensions: 384) == .int2)
        #expect(QuantizedSimilarityRanking.pass(rows: 10_000_000, dimensions: 384) == .int2)
        // An operator's larger budget keeps more routers fine-grained.
        #expect(QuantizedSimilarityRanking.pass(rows: 100_000, dimensions: 384, budget: 40 << 20) == .int8)
        #expect(QuantizedSimilarityRanking.pass(rows: 100_000, dimensions: 384, budget: 20 << 20) == .int4)
        var generator = SeededGenerator(seed: 5)
        let embeddings = (0..<100).map { _ in (0..<4).map { _ in Float.random(in: -1...1, using: &generator) } }
        let coarse = QuantizedSimilarityRanking(dimensions: 4, embeddings: embeddings, outcomes: Array(repeating: .tie, count: 100), pass: .int2)
        let decoded = try JSONDecoder().decode(QuantizedSimilarityRanking.self, from: JSONEncoder().encode(coarse))
        #expect(decoded.similarityPass == .int8)
        let query: [Float] = [0.3, -0.2, 0.9, 0.1]
        #expect(abs(coarse.winRate(for: query) - 0.5) < 1e-6 && abs(decoded.winRate(for: query) - 0.5) < 1e-6)
    }

    @Test func battlesThatShareAPromptShareARow() {
        var data = RandomBattles(count: 100, dimensions: 64, clusters: 4, seed: 3)
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        for round in 0..<3 {
            for (index, embedding) in data.embeddings.enumerated() {
                embeddings.append(embedding)
                outcomes.append(round == 0 ? data.outcomes[index] : [.strongWins, .weakWins, .tie][(index + round) % 3])
            }
        }
        let compact = QuantizedSimilarityRanking(dimensions: 64, embeddings: embeddings, outcomes: outcomes)
        #expect(compact.count == 100)
        #expect(compact.battleCount == 300)
        let exact = SimilarityWeightedRanking(dimensions: 64, embeddings: embeddings, outcomes: outcomes)
        for _ in 0..<10 {
            let query = data.near(data.embeddings[Int.random(in: 0..<100, using: &data.generator)])
            #expect(abs(compact.winRate(for: query) - exact.winRate(for: query)) < 1e-3)
        }
    }

    /// Every pass: the coarse ones hand a zero query and an all-negative one to the int8 pass.
    @Test(arguments: [QuantizedSimilarityRanking.SimilarityPass.int8, .int4, .int2])
    func unusualQueriesAnswerWithoutTrapping(pass: QuantizedSimilarityRanking.SimilarityPass) {
        let compact = QuantizedSimilarityRanking(dimensions: 3, embeddings: [[1, 0.1, 0], [0.9, 0, 0.2], [1, 0, 0]], outcomes: [.strongWins, .strongWins, .weakWins], pass: pass)
        let exact = SimilarityWeightedRanking(dimensions: 3, embeddings: [[1, 0.1, 0], [0.9, 0, 0.2], [1, 0, 0]], outcomes: [.strongWins, .strongWins, .weakWins])
        #expect(compact.winRate(for: [1, 2]) == 0.5)
        #expect(compact.winRate(for: [.nan, 0, 0]) == 0.5)
        #expect(compact.winRate(for: [.infinity, 0, 0]) == 0.5)
        // A zero query weighs every battle alike: two strong wins out of three.
        #expect(abs(compact.winRate(for: [0, 0, 0]) - 2.0 / 3) < 1e-6)
        // Every similarity negative: max_sim < 0 flips the weights, as RouteLLM's formula does.
        let opposite: [Float] = [-1, 0.05, -0.1]
        #expect(abs(compact.winRate(for: opposite) - exact.winRate(for: opposite)) < 1e-3)
        #expect(compact.winRate(for: opposite).isFinite)
    }
}

@Suite struct SimilarityKernelTests {
    /// The AVX2 path (when this CPU has it) gives the portable loop's similarities exactly,
    /// including the rows and dimensions left over from its blocks of 4 rows and 16 components.
    @Test(arguments: [(384, 1003), (37, 9), (16, 4), (5, 3)])
    func vectorSimilaritiesEqualThePortableOnes(dimensions: Int, count: Int) {
        var generator = SeededGenerator(seed: UInt64(dimensions * count))
        let rows = (0..<(dimensions * count)).map { _ in Int8.random(in: -127...127, using: &generator) }
        let scales = (0..<count).map { _ in Float.random(in: 0...0.01, using: &generator) }
        let query = (0..<dimensions).map { _ in Int16.random(in: -32767...32767, using: &generator) }
        var fast = [Float](repeating: 0, count: count), portable = fast
        var fastExtremes: [Float] = [0, 0], portableExtremes: [Float] = [0, 0]
        turnout_int8_similarities(rows, scales, count, dimensions, query, 3e-5, &fast, &fastExtremes)
        turnout_int8_similarities_portable(rows, scales, count, dimensions, query, 3e-5, &portable, &portableExtremes)
        #expect(fast == portable)
        #expect(fastExtremes == portableExtremes)
        #expect(portableExtremes == [portable.min() ?? 0, portable.max() ?? 0])
        // One row checked by hand, in Double.
        let dot = (0..<dimensions).reduce(0.0) { $0 + Double(rows[dimensions + $1]) * Double(query[$1]) }
        #expect(abs(Double(portable[1]) - Double(scales[1]) * 3e-5 * dot) <= 1e-6 * max(1, abs(Double(portable[1]))))
    }

    /// The same for 4-bit rows: random nibbles (including the padding of a partial block of 64)
    /// against an int8 query zero past `dimensions`, with one row unpacked by hand; counts below,
    /// at and around the vector loop's blocks of 8 rows and its prefetch horizon of 24.
    @Test(arguments: [(384, 1003), (37, 9), (64, 4), (5, 3), (130, 7), (64, 8), (384, 24), (384, 25)])
    func vectorFourBitSimilaritiesEqualThePortableOnes(dimensions: Int, count: Int) {
        var generator = SeededGenerator(seed: UInt64(dimensions * count + 1))
        let stride = turnout_int4_row_bytes(dimensions)
        let rows = (0..<(stride * count)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let scales = (0..<count).map { _ in Float.random(in: 0...0.05, using: &generator) }
        var query = [Int8](repeating: 0, count: 2 * stride)
        for index in 0..<dimensions { query[index] = Int8.random(in: -127...127, using: &generator) }
        var fast = [Float](repeating: 0, count: count), portable = fast
        var fastExtremes: [Float] = [0, 0], portableExtremes: [Float] = [0, 0]
        turnout_int4_similarities(rows, scales, count, dimensions, query, 3e-3, &fast, &fastExtremes)
        turnout_int4_similarities_portable(rows, scales, count, dimensions, query, 3e-3, &portable, &portableExtremes)
        #expect(fast == portable)
        #expect(fastExtremes == portableExtremes)
        #expect(portableExtremes == [portable.min() ?? 0, portable.max() ?? 0])
        let last = count - 1
        let dot = (0..<dimensions).reduce(0.0) { sum, component in
            let byte = rows[last * stride + component / 64 * 32 + component % 32]
            let nibble = component % 64 < 32 ? byte & 15 : byte >> 4
            return sum + Double(Int(nibble) - 8) * Double(query[component])
        }
        #expect(abs(Double(portable[last]) - Double(scales[last]) * 3e-3 * dot) <= 1e-6 * max(1, abs(Double(portable[last]))))
    }

    /// The same for 2-bit rows: random crumbs (padding included) against an int8 query zero
    /// past `dimensions`, with one row unpacked by hand.
    @Test(arguments: [(384, 1003), (37, 9), (128, 8), (5, 3), (300, 25)])
    func vectorTwoBitSimilaritiesEqualThePortableOnes(dimensions: Int, count: Int) {
        var generator = SeededGenerator(seed: UInt64(dimensions * count + 2))
        let stride = turnout_int2_row_bytes(dimensions)
        let rows = (0..<(stride * count)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let scales = (0..<count).map { _ in Float.random(in: 0...0.05, using: &generator) }
        var query = [Int8](repeating: 0, count: 4 * stride)
        for index in 0..<dimensions { query[index] = Int8.random(in: -127...127, using: &generator) }
        var fast = [Float](repeating: 0, count: count), portable = fast
        var fastExtremes: [Float] = [0, 0], portableExtremes: [Float] = [0, 0]
        turnout_int2_similarities(rows, scales, count, dimensions, query, 3e-3, &fast, &fastExtremes)
        turnout_int2_similarities_portable(rows, scales, count, dimensions, query, 3e-3, &portable, &portableExtremes)
        #expect(fast == portable)
        #expect(fastExtremes == portableExtremes)
        #expect(portableExtremes == [portable.min() ?? 0, portable.max() ?? 0])
        let last = count - 1
        let dot = (0..<dimensions).reduce(0.0) { sum, component in
            let byte = rows[last * stride + component / 128 * 32 + component % 32]
            let crumb = Int(byte >> (2 * ((component % 128) / 32))) & 3
            return sum + Double(2 * crumb - 3) * Double(query[component])
        }
        #expect(abs(Double(portable[last]) - Double(scales[last]) * 3e-3 * dot) <= 1e-6 * max(1, abs(Double(portable[last]))))
    }

    /// The gathered int8 similarities the 4-bit pass refines with equal the full pass's, row for row.
    @Test(arguments: [(384, 50), (37, 9)])
    func gatheredSimilaritiesEqualTheFullPass(dimensions: Int, count: Int) {
        var generator = SeededGenerator(seed: UInt64(dimensions + count))
        let rows = (0..<(dimensions * count)).map { _ in Int8.random(in: -127...127, using: &generator) }
        let scales = (0..<count).map { _ in Float.random(in: 0...0.01, using: &generator) }
        let query = (0..<dimensions).map { _ in Int16.random(in: -32767...32767, using: &generator) }
        var all = [Float](repeating: 0, count: count)
        var extremes: [Float] = [0, 0]
        turnout_int8_similarities_portable(rows, scales, count, dimensions, query, 3e-5, &all, &extremes)
        let indices: [UInt32] = (0..<UInt32(count)).filter { $0 % 3 != 1 }.reversed()
        for kernel in [turnout_int8_similarities_at, turnout_int8_similarities_at_portable] {
            var picked = [Float](repeating: 0, count: indices.count)
            kernel(rows, scales, dimensions, indices, indices.count, query, 3e-5, &picked)
            #expect(picked == indices.map { all[Int($0)] })
        }
    }

    /// The weighted sums (a fast exp in both paths) agree with exp in Double to 1e-6 relative.
    @Test(arguments: [1001, 8, 3])
    func weightedSumsMatchDoublePrecision(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        let similarities = (0..<count).map { _ in Float.random(in: -1...0.6, using: &generator) }
        let credit = (0..<count).map { _ in Float(Int.random(in: 0...4, using: &generator)) / 2 }
        let battles = credit.map { $0 + Float(Int.random(in: 0...2, using: &generator)) }
        let rate = Float(M_LN10) / 0.6, offset = Float(M_LN10)
        var wins = 0.0, games = 0.0
        for index in 0..<count {
            let weight = exp(Double(similarities[index] * rate - offset))
            wins += weight * Double(credit[index])
            games += weight * Double(battles[index])
        }
        for kernel in [turnout_weighted_sums, turnout_weighted_sums_portable] {
            var sums: [Double] = [0, 0]
            kernel(similarities, credit, battles, count, rate, offset, &sums)
            #expect(abs(sums[0] - wins) <= 1e-6 * wins)
            #expect(abs(sums[1] - games) <= 1e-6 * games)
        }
        // Exponents far below zero underflow to nothing rather than to garbage.
        var sums: [Double] = [0, 0]
        turnout_weighted_sums([-500, 0], [1, 1], [1, 1], 2, 1, 0, &sums)
        #expect(abs(sums[0] - 1) < 1e-6)
    }
}
