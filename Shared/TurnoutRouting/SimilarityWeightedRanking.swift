import COpenBLAS
import Foundation

/// RouteLLM's similarity-weighted ranking (`sw_ranking`) for a strong/weak pair.
///
/// For a prompt, every training battle is weighted by how similar its prompt is
/// (`10 * 10^(sim / max_sim)`), weighted Bradley-Terry ratings are fitted, and the strong
/// model's win rate is read off the ratings. Similarities are one sgemv over the stored unit
/// embeddings; the fit works on per-pair sufficient statistics, so it costs O(battles) to
/// aggregate and O(1) to solve for two models.
///
/// This exact fp32 form is what evaluation trains per fold; the scorer serves the same router
/// from `QuantizedSimilarityRanking`, which reads a quarter of the bytes per query.
public struct SimilarityWeightedRanking: Sendable {
    /// Outcome of one training battle, strong model's view.
    public enum Outcome: UInt8, Sendable, Codable {
        case strongWins, weakWins, tie
    }

    public let dimensions: Int
    /// Unit embeddings, row-major, one row per battle.
    public let embeddings: [Float]
    public let outcomes: [Outcome]

    public var count: Int { outcomes.count }

    public init(dimensions: Int, embeddings: [[Float]], outcomes: [Outcome]) {
        precondition(embeddings.count == outcomes.count, "one outcome per battle")
        self.dimensions = dimensions
        var flat: [Float] = []
        flat.reserveCapacity(embeddings.count * dimensions)
        for vector in embeddings {
            let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            flat.append(contentsOf: norm > 0 ? vector.map { $0 / norm } : vector)
        }
        self.embeddings = flat
        self.outcomes = outcomes
    }

    /// The strong model's win rate for a prompt embedding.
    public func winRate(for embedding: [Float]) -> Double {
        guard count > 0, embedding.count == dimensions else { return 0.5 }
        let norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        let query = norm > 0 ? embedding.map { $0 / norm } : embedding
        var similarities = [Float](repeating: 0, count: count)
        embeddings.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { vector in
                similarities.withUnsafeMutableBufferPointer { out in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimensions), 1,
                                matrix.baseAddress, Int32(dimensions), vector.baseAddress, 1, 0, out.baseAddress, 1)
                }
            }
        }
        let maxSimilarity = Double(similarities.max() ?? 1)
        let scale = maxSimilarity != 0 ? log(10.0) / maxSimilarity : 0
        // Battles are duplicated as RouteLLM does: a tie counts as one win each way.
        var strongWins = 0.0
        var games = 0.0
        for index in 0..<count {
            let weight = 10 * exp(Double(similarities[index]) * scale)
            games += 2 * weight
            switch outcomes[index] {
            case .strongWins: strongWins += 2 * weight
            case .tie: strongWins += weight
            case .weakWins: break
            }
        }
        let ratings = BradleyTerry.ratings(players: 2, pairs: [.init(first: 0, second: 1, games: games, winsOfFirst: strongWins)])
        return BradleyTerry.winProbability(ratings[0], over: ratings[1])
    }
}

extension SimilarityWeightedRanking.Outcome {
    /// Golden label from benchmark outcomes: the strong model right and the weak one wrong is
    /// a strong win, the reverse a weak win, equal outcomes a tie.
    public init(_ item: BenchmarkItem) {
        if item.strongScore > item.weakScore {
            self = .strongWins
        } else if item.strongScore < item.weakScore {
            self = .weakWins
        } else {
            self = .tie
        }
    }
}
