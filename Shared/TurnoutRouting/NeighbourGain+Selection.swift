import Foundation

extension NeighbourGain {
    /// The outcome of choosing how many neighbours to average.
    public struct Selection: Sendable, Equatable {
        /// The chosen number of neighbours.
        public var neighbours: Int
        /// Summed squared leave-one-out error per candidate, in grid order (empty when
        /// `fallback` was taken for want of data).
        public var errors: [Double]
    }

    /// Chooses k by leave-one-out over the stored prompts: each prompt's gain is estimated from
    /// its nearest *other* stored prompts (and the mean gain of the others), and the candidate
    /// with the smallest summed squared error against the observed gain wins.
    ///
    /// Why leave-one-out: for a nearest-neighbour average it is exact and cheap (one pass over
    /// the similarities gives every candidate at once), it uses every training prompt, and it
    /// never looks at the data the router is evaluated on. Ties go to the earlier candidate.
    /// - Parameters:
    ///   - grid: candidate values of k; those not below the number of stored prompts are
    ///     dropped, and `fallback` is used when none is left.
    public func selectNeighbours(grid: [Int], fallback: Int) -> Selection {
        let candidates = grid.filter { $0 >= 1 && $0 < count }
        guard let largest = candidates.max(), count > 1 else { return Selection(neighbours: fallback, errors: []) }
        let total = gains.reduce(0.0) { $0 + Double($1) }
        var errors = [Double](repeating: 0, count: candidates.count)
        let matrix = self.matrix
        let rows = (0..<count).map { row in Array(matrix[(row * dimensions)..<((row + 1) * dimensions)]) }
        forEachSimilarityRow(rows) { row, similarities in
            let nearest = Self.nearest(similarities, count: largest, excluding: row)
            let observed = Double(gains[row])
            let prior = (total - observed) / Double(count - 1)
            // Prefix sums of the sorted neighbours' gains give every candidate's estimate.
            var prefix = [Double](repeating: 0, count: nearest.count + 1)
            for (position, index) in nearest.enumerated() { prefix[position + 1] = prefix[position] + Double(gains[index]) }
            for (candidate, k) in candidates.enumerated() {
                let error = estimate(prefix[k], neighbours: k, prior: prior) - observed
                errors[candidate] += error * error
            }
        }
        var best = 0
        for candidate in errors.indices where errors[candidate] < errors[best] { best = candidate }
        return Selection(neighbours: candidates[best], errors: errors)
    }
}
