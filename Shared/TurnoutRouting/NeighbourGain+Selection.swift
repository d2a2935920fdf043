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
    /// with the smallest summed squared error against the observed gain wins, each prompt's
    /// error counting as much as the prompt does.
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
        let total = gains.indices.reduce(0.0) { $0 + Double(gains[$1]) * weight($1) }
        let totalWeight = gains.indices.reduce(0.0) { $0 + weight($1) }
        var errors = [Double](repeating: 0, count: candidates.count)
        let matrix = self.matrix
        let rows = (0..<count).map { row in Array(matrix[(row * dimensions)..<((row + 1) * dimensions)]) }
        forEachSimilarityRow(rows) { row, similarities in
            let nearest = Self.nearest(similarities, count: largest, excluding: row)
            let observed = Double(gains[row])
            let others = totalWeight - weight(row)
            let prior = others > 0 ? (total - observed * weight(row)) / others : 0
            // Prefix sums of the sorted neighbours' weighted gains and weights give every candidate's estimate.
            var prefix = [Double](repeating: 0, count: nearest.count + 1)
            var prefixWeight = [Double](repeating: 0, count: nearest.count + 1)
            for (position, index) in nearest.enumerated() {
                prefix[position + 1] = prefix[position] + Double(gains[index]) * weight(index)
                prefixWeight[position + 1] = prefixWeight[position] + weight(index)
            }
            for (candidate, k) in candidates.enumerated() {
                let error = estimate(prefix[k], weight: prefixWeight[k], prior: prior) - observed
                errors[candidate] += weight(row) * error * error
            }
        }
        var best = 0
        for candidate in errors.indices where errors[candidate] < errors[best] { best = candidate }
        return Selection(neighbours: candidates[best], errors: errors)
    }
}
