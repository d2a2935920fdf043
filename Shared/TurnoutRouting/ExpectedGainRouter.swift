import Foundation

/// Turnout's own router (`gain`): it sends a prompt to the strong model in order of the
/// quality that call is expected to buy, `P(strong right) - P(weak right)`, estimated twice
/// and averaged:
///
/// - globally, by `CorrectnessHeads`: two logistic regressions, one per model, over the
///   prompt embedding;
/// - locally, by `NeighbourGain`: the mean gain of the most similar training prompts.
///
/// Why this ranks better than the routers it replaces:
/// - RouteLLM's routers predict P(strong wins the battle). A prompt both models answer right
///   and one both answer wrong are alike to them (a tie), yet sending either strong buys
///   nothing; what a strong call buys is `P(strong right) - P(weak right)` =
///   `P(strong wins) - P(weak wins)`, and that is what this router ranks by. Learning each
///   model's correctness separately also keeps the signal that ties throw away.
/// - The two estimates err differently: the linear heads generalise across topics but draw one
///   hyperplane; the neighbours follow clusters of hard questions but are noisy where training
///   prompts are sparse. Both estimate the same quantity on the same scale, so their plain
///   mean needs no calibration and no weight to tune.
/// - Every hyperparameter that matters (the heads' L2 penalty, the number of neighbours) is
///   chosen on the training data alone (inner cross-validation, leave-one-out), so nothing is
///   tuned on the prompts a router is evaluated on.
///
/// The win rate handed to thresholds is `(1 + gain) / 2`, in 0...1 like the other routers'.
/// Training is deterministic: the only randomness is the seeded inner split.
public struct ExpectedGainRouter: Sendable, Codable {
    public struct Hyperparameters: Sendable, Codable {
        /// Candidate L2 penalties of the heads, chosen by inner cross-validation.
        public var l2Grid: [Double] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
        /// The penalty when there is too little data to cross-validate.
        public var fallbackL2 = 1e-3
        /// Candidate numbers of neighbours, chosen by leave-one-out.
        public var neighbourGrid: [Int] = [25, 50, 100, 200, 400]
        /// The number of neighbours when there is too little data to choose.
        public var fallbackNeighbours = 50
        /// Pseudo-prompts of the mean gain in every neighbourhood.
        public var priorWeight = 5.0
        /// Inner folds for the L2 penalty.
        public var innerFolds = 3
        /// Nesterov steps per head fit.
        public var iterations = 400
        /// Seed of the inner split.
        public var seed: UInt64 = 0

        public init() {}
    }

    public let heads: CorrectnessHeads
    public let neighbours: NeighbourGain
    /// The L2 penalty the heads were fitted with.
    public let l2: Double

    public init(heads: CorrectnessHeads, neighbours: NeighbourGain, l2: Double) {
        self.heads = heads
        self.neighbours = neighbours
        self.l2 = l2
    }

    /// Trains on prompt embeddings and each model's score on them (0...1: correctness, or
    /// 1 / 0 / 0.5 for a battle won, lost or tied).
    /// - Parameter weights: how much each example counts, in both halves and in choosing their
    ///   hyperparameters (nil: alike); what `turnout learn` gives the deployment's own battles.
    public init(embeddings: [[Float]], strongScores: [Double], weakScores: [Double], weights: [Double]? = nil, hyperparameters: Hyperparameters = .init()) {
        let selection = CorrectnessHeads.selectL2(embeddings: embeddings, strongScores: strongScores, weakScores: weakScores, weights: weights,
                                                  grid: hyperparameters.l2Grid, fallback: hyperparameters.fallbackL2,
                                                  folds: hyperparameters.innerFolds, seed: hyperparameters.seed, iterations: hyperparameters.iterations)
        heads = CorrectnessHeads(embeddings: embeddings, strongScores: strongScores, weakScores: weakScores, weights: weights,
                                 l2: selection.l2, iterations: hyperparameters.iterations)
        l2 = selection.l2
        let store = NeighbourGain(embeddings: embeddings, gains: zip(strongScores, weakScores).map { $0 - $1 }, weights: weights,
                                  neighbours: hyperparameters.fallbackNeighbours, priorWeight: hyperparameters.priorWeight)
        neighbours = store.with(neighbours: store.selectNeighbours(grid: hyperparameters.neighbourGrid, fallback: hyperparameters.fallbackNeighbours).neighbours)
    }

    /// The expected quality gain of a strong call, in -1...1.
    public func gain(for embedding: [Float]) -> Double {
        (heads.gain(for: embedding) + neighbours.gain(for: embedding)) / 2
    }

    /// `(1 + gain) / 2`: the score thresholds apply to.
    public func winRate(for embedding: [Float]) -> Double {
        (1 + gain(for: embedding)) / 2
    }

    /// Win rates of many embeddings at once (the neighbour search batched), as `winRate(for:)` each.
    public func winRates(for embeddings: [[Float]]) -> [Double] {
        let local = neighbours.gains(for: embeddings)
        return embeddings.indices.map { (1 + (heads.gain(for: embeddings[$0]) + local[$0]) / 2) / 2 }
    }
}
