import COpenBLAS
import Foundation

/// Two L2-regularised logistic regressions over frozen prompt embeddings: one predicts whether
/// the strong model answers a prompt well, the other whether the weak model does.
///
/// Why two heads rather than one classifier of the battle: routing should send a prompt to the
/// strong model when that buys the most quality, and the quality bought is
/// `P(strong right) - P(weak right)`. A battle label (strong wins, tie, weak wins) folds "both
/// right" and "both wrong" into one tie and so throws away what the golden labels say about
/// each model on its own; each head here learns from all of it.
///
/// The loss is convex, so full-batch Nesterov-accelerated gradient descent with the step 1/L
/// (L bounded from the unit-norm inputs) converges deterministically, with no seed and no tuning
/// of the step; only the L2 penalty is chosen (see `CorrectnessHeads+Selection.swift`).
public struct CorrectnessHeads: Sendable, Equatable {
    /// Outputs: the strong model's head, then the weak model's.
    public static let heads = 2
    public let dimensions: Int
    /// Row-major `dimensions x 2` weights (column 0 strong, column 1 weak).
    public let weights: [Float]
    /// Biases of the strong and the weak head.
    public let biases: [Float]

    /// A model with the given parameters (for tests and decoding).
    /// - Precondition: `weights.count == dimensions * 2` and `biases.count == 2`.
    public init(dimensions: Int, weights: [Float], biases: [Float]) {
        precondition(weights.count == dimensions * Self.heads && biases.count == Self.heads, "2 weights per dimension and 2 biases")
        self.dimensions = dimensions
        self.weights = weights
        self.biases = biases
    }

    /// A model from packed parameters: `d x 2` weights, then 2 biases.
    init(parameters: [Float], dimensions d: Int) {
        self.init(dimensions: d, weights: Array(parameters[0..<(d * Self.heads)]), biases: Array(parameters[(d * Self.heads)...]))
    }

    /// Fits both heads to embeddings and each model's score on them.
    /// - Parameters:
    ///   - embeddings: prompt embeddings (normalised here to unit length).
    ///   - strongScores, weakScores: each model's correctness, on 0...1; a soft score (0.5 for a
    ///     tied battle) is a valid target of the logistic loss. Values outside are clamped.
    ///   - l2: penalty on the weights (not the biases), on the mean-loss scale.
    ///   - iterations: Nesterov steps.
    ///   - weights: how much each example counts (nil: all alike); the loss is their weighted mean.
    public init(embeddings: [[Float]], strongScores: [Double], weakScores: [Double], weights: [Double]? = nil, l2: Double, iterations: Int = 400) {
        let d = embeddings.first?.count ?? 0
        let (x, targets) = Self.design(embeddings, strongScores: strongScores, weakScores: weakScores, dimensions: d)
        let rows = Self.rowWeights(weights, count: embeddings.count)
        let theta = Self.fit(x: x, targets: targets, weights: rows, rows: embeddings.count, dimensions: d, l2s: [l2], iterations: iterations)[0]
        self.init(parameters: theta, dimensions: d)
    }

    /// Example weights scaled to average 1 (so the mean loss, its curvature bound and the L2
    /// scale are those of unweighted data); nil when all are alike.
    static func rowWeights(_ weights: [Double]?, count: Int) -> [Float]? {
        guard let weights, weights.count == count, count > 0 else { return nil }
        let total = weights.reduce(0) { $0 + max(0, $1) }
        guard total > 0, weights.contains(where: { $0 != weights[0] }) else { return nil }
        return weights.map { Float(max(0, $0) * Double(count) / total) }
    }

    /// Unit rows of the embeddings, flattened row-major, and the clamped targets, two per row.
    static func design(_ embeddings: [[Float]], strongScores: [Double], weakScores: [Double], dimensions d: Int) -> ([Float], [Float]) {
        precondition(strongScores.count == embeddings.count && weakScores.count == embeddings.count, "one score per model per embedding")
        var x = [Float](repeating: 0, count: embeddings.count * d)
        var targets = [Float](repeating: 0, count: embeddings.count * Self.heads)
        for (row, vector) in embeddings.enumerated() {
            // A vector of the wrong size (never produced by one embedding model) stays a zero row.
            let norm = vector.count == d ? vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() : 0
            for column in 0..<d where norm > 0 { x[row * d + column] = vector[column] / norm }
            targets[row * Self.heads] = Float(min(1, max(0, strongScores[row])))
            targets[row * Self.heads + 1] = Float(min(1, max(0, weakScores[row])))
        }
        return (x, targets)
    }

    /// Parameters (`d x 2` weights, then 2 biases) minimising the mean logistic loss plus
    /// `l2 / 2 |W|^2`, one parameter vector per penalty in `l2s`.
    ///
    /// All penalties are fitted in one pass: their heads are the columns of one `d x 2m`
    /// matrix, so each step reads the inputs once for all of them (the inputs are what the
    /// step's time goes on) and makes two matrix products instead of `2m` narrow ones. The
    /// columns do not interact: each follows its own Nesterov path with its own step.
    static func fit(x: [Float], targets: [Float], weights: [Float]? = nil, rows n: Int, dimensions d: Int, l2s: [Double], iterations: Int) -> [[Float]] {
        let k = heads * l2s.count
        guard n > 0, d > 0, k > 0 else { return l2s.map { _ in [Float](repeating: 0, count: d * heads + heads) } }
        let count = d * k + k
        var theta = [Float](repeating: 0, count: count)
        var lookahead = theta
        let penalties = (0..<k).map { Float(l2s[$0 / heads]) }
        // The logistic loss has curvature at most 1/4 per unit |x|^2, and |(x, 1)|^2 = 2.
        let steps = (0..<k).map { Float(1 / (0.25 * 2 + l2s[$0 / heads])) }
        var scratch = [Float](repeating: 0, count: n * k)
        var gradient = [Float](repeating: 0, count: count)
        for iteration in 1...max(1, iterations) {
            Self.gradient(at: lookahead, x: x, targets: targets, weights: weights, n: n, d: d, l2: penalties, scratch: &scratch, into: &gradient)
            let previous = theta
            for index in 0..<count { theta[index] = lookahead[index] - steps[index % k] * gradient[index] }
            let momentum = Float(iteration - 1) / Float(iteration + 2)
            for index in 0..<count { lookahead[index] = theta[index] + momentum * (theta[index] - previous[index]) }
        }
        // Unpack candidate c: its two columns of the weights, then its two biases.
        return l2s.indices.map { candidate in
            var parameters = [Float](repeating: 0, count: d * heads + heads)
            for row in 0..<d {
                for head in 0..<heads { parameters[row * heads + head] = theta[row * k + candidate * heads + head] }
            }
            for head in 0..<heads { parameters[d * heads + head] = theta[d * k + candidate * heads + head] }
            return parameters
        }
    }

    /// Gradient of the mean logistic loss plus the L2 terms, at `theta` (`d x k` weights, then
    /// `k` biases, for `k = l2.count` heads; head `c` is fitted to target column `c % 2`, so
    /// pairs of columns are (strong, weak) heads, one pair per penalty).
    /// - Parameters:
    ///   - x: `n x d` unit rows; `targets`: `n x 2`; `scratch`: `n x k` working space.
    ///   - weights: per row, averaging 1 (`rowWeights`); nil for all alike.
    public static func gradient(at theta: [Float], x: [Float], targets: [Float], weights: [Float]? = nil, n: Int, d: Int, l2: [Float],
                                scratch: inout [Float], into gradient: inout [Float]) {
        let k = l2.count
        theta.withUnsafeBufferPointer { parameters in
            x.withUnsafeBufferPointer { inputs in
                scratch.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(d), 1,
                                inputs.baseAddress, Int32(d), parameters.baseAddress, Int32(k), 0, out.baseAddress, Int32(k))
                }
            }
        }
        var biasGradient = [Float](repeating: 0, count: k)
        for row in 0..<n {
            let scale = (weights?[row] ?? 1) / Float(n)
            for column in 0..<k {
                let z = scratch[row * k + column] + theta[d * k + column]
                // Residual: probability minus target, scaled for the (weighted) mean.
                let residual = (1 / (1 + exp(-z)) - targets[row * heads + column % heads]) * scale
                scratch[row * k + column] = residual
                biasGradient[column] += residual
            }
        }
        x.withUnsafeBufferPointer { inputs in
            scratch.withUnsafeBufferPointer { residuals in
                gradient.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(k), Int32(n), 1,
                                inputs.baseAddress, Int32(d), residuals.baseAddress, Int32(k), 0, out.baseAddress, Int32(k))
                }
            }
        }
        for index in 0..<(d * k) { gradient[index] += l2[index % k] * theta[index] }
        for column in 0..<k { gradient[d * k + column] = biasGradient[column] }
    }

    /// P(strong right) and P(weak right) for an embedding; (0.5, 0.5) for one of the wrong size.
    public func probabilities(for embedding: [Float]) -> (strong: Double, weak: Double) {
        guard embedding.count == dimensions else { return (0.5, 0.5) }
        let norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        var strong = Double(biases[0]), weak = Double(biases[1])
        for column in 0..<dimensions {
            let value = Double(norm > 0 ? embedding[column] / norm : 0)
            strong += value * Double(weights[column * Self.heads])
            weak += value * Double(weights[column * Self.heads + 1])
        }
        return (1 / (1 + exp(-strong)), 1 / (1 + exp(-weak)))
    }

    /// The expected quality gain of the strong model: P(strong right) - P(weak right), in -1...1.
    public func gain(for embedding: [Float]) -> Double {
        let (strong, weak) = probabilities(for: embedding)
        return strong - weak
    }
}

/// Decoding checks the shapes and values scoring relies on, so a damaged artifact is refused at
/// load rather than trapping on its first request.
extension CorrectnessHeads: Codable {
    enum CodingKeys: String, CodingKey {
        case dimensions, weights, biases
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dimensions = try container.decode(Int.self, forKey: .dimensions)
        let weights = try container.decode([Float].self, forKey: .weights)
        let biases = try container.decode([Float].self, forKey: .biases)
        guard dimensions >= 0, weights.count == dimensions * Self.heads else {
            throw DecodingError.dataCorruptedError(forKey: .weights, in: container, debugDescription: "holds \(weights.count) values; \(dimensions) dimensions need \(dimensions * Self.heads)")
        }
        guard biases.count == Self.heads else {
            throw DecodingError.dataCorruptedError(forKey: .biases, in: container, debugDescription: "holds \(biases.count) values, not \(Self.heads)")
        }
        guard (weights + biases).allSatisfy(\.isFinite) else {
            throw DecodingError.dataCorruptedError(forKey: .weights, in: container, debugDescription: "holds a value that is not finite")
        }
        self.init(dimensions: dimensions, weights: weights, biases: biases)
    }
}
