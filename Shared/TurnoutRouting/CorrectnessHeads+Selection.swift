import Foundation

extension CorrectnessHeads {
    /// The outcome of choosing the L2 penalty.
    public struct Selection: Sendable, Equatable {
        /// The chosen penalty.
        public var l2: Double
        /// Summed squared error of the predicted gain per candidate, in grid order (empty when
        /// there was too little data to cross-validate and `fallback` was taken).
        public var errors: [Double]
    }

    /// Chooses the L2 penalty by K-fold cross-validation on the training data alone.
    ///
    /// Why this criterion: the router ranks prompts by the predicted gain
    /// `P(strong right) - P(weak right)`, so each candidate is judged by how well that gain
    /// predicts the observed `strong score - weak score` on the inner fold it was not fitted on
    /// (summed squared error), rather than by each head's likelihood separately. The inner
    /// folds are a seeded split of the training rows only, so the data a router is evaluated
    /// on never influences its penalty. Ties go to the earlier (smaller) candidate.
    /// - Parameters:
    ///   - grid: candidate penalties; `fallback` is used when it is empty or there are fewer
    ///     than two rows per fold.
    ///   - folds: inner folds (at least 2).
    ///   - seed: seed of the inner split.
    ///   - weights: how much each example counts, in the fits and in the held-out error; nil: alike.
    public static func selectL2(embeddings: [[Float]], strongScores: [Double], weakScores: [Double], weights: [Double]? = nil, grid: [Double],
                                fallback: Double, folds: Int, seed: UInt64, iterations: Int = 400) -> Selection {
        let n = embeddings.count
        let d = embeddings.first?.count ?? 0
        let folds = max(2, folds)
        guard !grid.isEmpty, d > 0, n >= 2 * folds else { return Selection(l2: fallback, errors: []) }
        let (x, targets) = design(embeddings, strongScores: strongScores, weakScores: weakScores, dimensions: d)
        let rows = rowWeights(weights, count: n)
        let assignment = CrossValidation.assignFolds(count: n, folds: folds, seed: seed)
        var errors = [Double](repeating: 0, count: grid.count)
        for fold in 0..<folds {
            let train = (0..<n).filter { assignment[$0] != fold }
            let held = (0..<n).filter { assignment[$0] == fold }
            let trainX = gather(x, rows: train, width: d), trainTargets = gather(targets, rows: train, width: heads)
            let trainWeights = rows.flatMap { all in rowWeights(train.map { Double(all[$0]) }, count: train.count) }
            let fitted = fit(x: trainX, targets: trainTargets, weights: trainWeights, rows: train.count, dimensions: d, l2s: grid, iterations: iterations)
            for (candidate, parameters) in fitted.enumerated() {
                let model = CorrectnessHeads(parameters: parameters, dimensions: d)
                for row in held {
                    let observed = Double(targets[row * heads]) - Double(targets[row * heads + 1])
                    let predicted = model.gain(unitRow: x[(row * d)..<((row + 1) * d)])
                    errors[candidate] += Double(rows?[row] ?? 1) * (predicted - observed) * (predicted - observed)
                }
            }
        }
        var best = 0
        for candidate in errors.indices where errors[candidate] < errors[best] { best = candidate }
        return Selection(l2: grid[best], errors: errors)
    }

    /// The rows `rows` of a row-major matrix `width` wide.
    static func gather(_ matrix: [Float], rows: [Int], width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * width)
        for (position, row) in rows.enumerated() {
            for column in 0..<width { out[position * width + column] = matrix[row * width + column] }
        }
        return out
    }

    /// The gain for a row that is already of unit length (selection's inner loop).
    func gain(unitRow: ArraySlice<Float>) -> Double {
        var strong = Double(biases[0]), weak = Double(biases[1])
        for (column, value) in unitRow.enumerated() {
            strong += Double(value) * Double(weights[column * Self.heads])
            weak += Double(value) * Double(weights[column * Self.heads + 1])
        }
        return 1 / (1 + exp(-strong)) - 1 / (1 + exp(-weak))
    }
}
