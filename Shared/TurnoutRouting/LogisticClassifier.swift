import COpenBLAS
import Foundation

/// The analogue of RouteLLM's BERT classifier over frozen embeddings: a multinomial logistic
/// regression (L2-regularised) predicting {strong wins, tie, weak wins}. The win rate is
/// P(strong wins), so a tie counts as "the weak model is enough".
///
/// The loss is convex, so full-batch Nesterov-accelerated gradient descent with the step
/// 1/L (L bounded from the unit-norm inputs) converges deterministically without tuning.
public struct LogisticClassifier: Sendable, Codable {
    public static let classes = 3
    public let dimensions: Int
    /// Row-major `dimensions x 3` weights, then 3 biases.
    public let weights: [Float]
    public let biases: [Float]

    public struct Hyperparameters: Sendable, Codable {
        /// L2 penalty on the weights (not the biases), on the mean-loss scale.
        public var l2: Double = 1e-4
        public var iterations = 400

        public init(l2: Double = 1e-4, iterations: Int = 400) {
            self.l2 = l2
            self.iterations = iterations
        }
    }

    static func label(_ outcome: SimilarityWeightedRanking.Outcome) -> Int {
        switch outcome {
        case .strongWins: 0
        case .tie: 1
        case .weakWins: 2
        }
    }

    /// Fits the model to unit embeddings and their outcomes.
    public init(embeddings: [[Float]], outcomes: [SimilarityWeightedRanking.Outcome], hyperparameters: Hyperparameters = .init()) {
        let n = embeddings.count
        let d = embeddings.first?.count ?? 0
        let k = Self.classes
        dimensions = d
        guard n > 0, d > 0 else {
            weights = [Float](repeating: 0, count: d * k)
            biases = [0, 0, 0]
            return
        }
        var x = [Float](repeating: 0, count: n * d)
        for (row, vector) in embeddings.enumerated() {
            let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            for column in 0..<d { x[row * d + column] = norm > 0 ? vector[column] / norm : 0 }
        }
        let labels = outcomes.map(Self.label)
        // Parameters: W (d x k) then b (k); y is the Nesterov look-ahead point.
        let count = d * k + k
        var theta = [Float](repeating: 0, count: count)
        var previous = theta
        var lookahead = theta
        // Softmax cross-entropy has curvature at most 1/2 per unit-norm input (plus 1 for the bias column).
        let step = Float(1 / (0.5 * 2 + hyperparameters.l2))
        var logits = [Float](repeating: 0, count: n * k)
        var gradient = [Float](repeating: 0, count: count)
        for iteration in 1...max(1, hyperparameters.iterations) {
            Self.gradient(at: lookahead, x: x, labels: labels, n: n, d: d, l2: Float(hyperparameters.l2), logits: &logits, into: &gradient)
            previous = theta
            for index in 0..<count { theta[index] = lookahead[index] - step * gradient[index] }
            let momentum = Float(iteration - 1) / Float(iteration + 2)
            for index in 0..<count { lookahead[index] = theta[index] + momentum * (theta[index] - previous[index]) }
        }
        weights = Array(theta[0..<(d * k)])
        biases = Array(theta[(d * k)...])
    }

    /// Mean cross-entropy gradient plus the L2 term, at `theta`.
    public static func gradient(at theta: [Float], x: [Float], labels: [Int], n: Int, d: Int, l2: Float, logits: inout [Float], into gradient: inout [Float]) {
        let k = classes
        theta.withUnsafeBufferPointer { parameters in
            x.withUnsafeBufferPointer { inputs in
                logits.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(d), 1,
                                inputs.baseAddress, Int32(d), parameters.baseAddress, Int32(k), 0, out.baseAddress, Int32(k))
                }
            }
        }
        var biasGradient = [Float](repeating: 0, count: k)
        for row in 0..<n {
            var largest = -Float.infinity
            for c in 0..<k {
                logits[row * k + c] += theta[d * k + c]
                largest = max(largest, logits[row * k + c])
            }
            var total: Float = 0
            for c in 0..<k {
                let e = exp(logits[row * k + c] - largest)
                logits[row * k + c] = e
                total += e
            }
            for c in 0..<k {
                // Residual: probability minus one-hot label, scaled for the mean.
                let residual = (logits[row * k + c] / total - (labels[row] == c ? 1 : 0)) / Float(n)
                logits[row * k + c] = residual
                biasGradient[c] += residual
            }
        }
        x.withUnsafeBufferPointer { inputs in
            logits.withUnsafeBufferPointer { residuals in
                gradient.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(k), Int32(n), 1,
                                inputs.baseAddress, Int32(d), residuals.baseAddress, Int32(k), 0, out.baseAddress, Int32(k))
                }
            }
        }
        for index in 0..<(d * k) { gradient[index] += l2 * theta[index] }
        for c in 0..<k { gradient[d * k + c] = biasGradient[c] }
    }

    /// Class probabilities {strong wins, tie, weak wins} for an embedding.
    public func probabilities(for embedding: [Float]) -> [Double] {
        let k = Self.classes
        guard embedding.count == dimensions else { return [1.0 / 3, 1.0 / 3, 1.0 / 3] }
        let norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        var logits = biases.map(Double.init)
        for column in 0..<dimensions {
            let value = Double(norm > 0 ? embedding[column] / norm : 0)
            for c in 0..<k { logits[c] += value * Double(weights[column * k + c]) }
        }
        let largest = logits.max() ?? 0
        let exps = logits.map { exp($0 - largest) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// P(strong wins).
    public func winRate(for embedding: [Float]) -> Double {
        probabilities(for: embedding)[0]
    }
}
