import COpenBLAS
import Foundation

/// RouteLLM's matrix factorization router for a strong/weak pair.
///
/// Model vectors P (dim 128, L2-normalised when used), a text projection W (embedding dims to
/// 128, no bias) and a classifier vector c (no bias) score a model for a prompt as
/// `s(m, q) = c . (P_m_hat * W q)`. Trained with Adam on the logistic loss of
/// `s(winner) - s(loser)` (ties dropped), with Gaussian noise on the prompt embeddings; the
/// win rate is `sigmoid(s(strong) - s(weak))`.
public struct MatrixFactorization: Sendable, Codable {
    public struct Hyperparameters: Sendable, Codable {
        public var dimension = 128
        public var learningRate: Float = 3e-4
        public var weightDecay: Float = 1e-5
        public var batchSize = 64
        public var epochs = 100
        public var noise: Float = 0.05
        public var seed: UInt64 = 42

        public init() {}
    }

    public let embeddingDimensions: Int
    public let dimension: Int
    /// Rows: strong (0), weak (1); unnormalised, as trained.
    public var modelVectors: [Float]
    /// Row-major `dimension x embeddingDimensions`.
    public var projection: [Float]
    public var classifier: [Float]

    /// Parameters initialised as PyTorch initialises the same layers, from `seed`.
    public init(embeddingDimensions: Int, dimension: Int, seed: UInt64) {
        self.embeddingDimensions = embeddingDimensions
        self.dimension = dimension
        var generator = SeededGenerator(seed: seed)
        modelVectors = (0..<(2 * dimension)).map { _ in Float(Self.gaussian(&generator)) }
        let projectionBound = 1 / Float(embeddingDimensions).squareRoot()
        projection = (0..<(dimension * embeddingDimensions)).map { _ in Float.random(in: -projectionBound...projectionBound, using: &generator) }
        let classifierBound = 1 / Float(dimension).squareRoot()
        classifier = (0..<dimension).map { _ in Float.random(in: -classifierBound...classifierBound, using: &generator) }
    }

    /// Trains on unit prompt embeddings; each battle is (embedding index, strong won?). Ties are dropped by the caller.
    public static func train(embeddings: [[Float]], strongWon: [Bool], hyperparameters: Hyperparameters = .init()) -> MatrixFactorization {
        let d = embeddings.first?.count ?? 0
        var model = MatrixFactorization(embeddingDimensions: d, dimension: hyperparameters.dimension, seed: hyperparameters.seed)
        guard !embeddings.isEmpty, d > 0 else { return model }
        var optimizer = AdamState(count: model.parameterCount)
        var generator = SeededGenerator(seed: hyperparameters.seed &+ 1)
        var order = Array(embeddings.indices)
        for _ in 0..<hyperparameters.epochs {
            order.shuffle(using: &generator)
            for start in stride(from: 0, to: order.count, by: hyperparameters.batchSize) {
                let batch = Array(order[start..<min(order.count, start + hyperparameters.batchSize)])
                var inputs = [Float](repeating: 0, count: batch.count * d)
                for (row, index) in batch.enumerated() {
                    for column in 0..<d {
                        inputs[row * d + column] = embeddings[index][column] + hyperparameters.noise * Float(gaussian(&generator))
                    }
                }
                let (_, gradient) = model.lossAndGradient(inputs: inputs, strongWon: batch.map { strongWon[$0] })
                optimizer.step(&model, gradient: gradient, learningRate: hyperparameters.learningRate, weightDecay: hyperparameters.weightDecay)
            }
        }
        return model
    }

    var parameterCount: Int { modelVectors.count + projection.count + classifier.count }

    /// With two models the score margin is linear in the prompt: `(c * (P_s_hat - P_w_hat))^T W q`.
    /// This folds everything but `q` into one vector, so scoring is a single 384-term dot product.
    public func scoringVector() -> [Float] {
        let (strong, weak) = normalisedModelVectors()
        var vector = [Float](repeating: 0, count: embeddingDimensions)
        for j in 0..<dimension {
            let weight = classifier[j] * (strong[j] - weak[j])
            let row = j * embeddingDimensions
            for column in 0..<embeddingDimensions { vector[column] += weight * projection[row + column] }
        }
        return vector
    }

    /// The win rate from a folded `scoringVector()`.
    public static func winRate(scoringVector: [Float], embedding: [Float]) -> Double {
        guard scoringVector.count == embedding.count else { return 0.5 }
        var margin: Float = 0
        for index in 0..<embedding.count { margin += scoringVector[index] * embedding[index] }
        return 1 / (1 + exp(-Double(margin)))
    }

    /// The strong model's win rate for a prompt embedding.
    public func winRate(for embedding: [Float]) -> Double {
        guard embedding.count == embeddingDimensions else { return 0.5 }
        let (strong, weak) = normalisedModelVectors()
        var margin = 0.0
        for j in 0..<dimension {
            var h: Float = 0
            let row = j * embeddingDimensions
            for column in 0..<embeddingDimensions { h += projection[row + column] * embedding[column] }
            margin += Double(classifier[j] * (strong[j] - weak[j]) * h)
        }
        return 1 / (1 + exp(-margin))
    }

    func normalisedModelVectors() -> ([Float], [Float]) {
        func unit(_ slice: ArraySlice<Float>) -> [Float] {
            let norm = max(slice.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return slice.map { $0 / norm }
        }
        return (unit(modelVectors[0..<dimension]), unit(modelVectors[dimension..<(2 * dimension)]))
    }

    /// Mean logistic loss of the batch and its gradient, laid out as P, W, c.
    public func lossAndGradient(inputs: [Float], strongWon: [Bool]) -> (Double, [Float]) {
        let b = strongWon.count, d = embeddingDimensions, k = dimension
        let (strong, weak) = normalisedModelVectors()
        // H = inputs (b x d) . W^T (d x k)
        var hidden = [Float](repeating: 0, count: b * k)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(k), Int32(d), 1, inputs, Int32(d), projection, Int32(d), 0, &hidden, Int32(k))
        var loss = 0.0
        var gradHidden = [Float](repeating: 0, count: b * k)
        var gradClassifier = [Float](repeating: 0, count: k)
        var gradStrongUnit = [Float](repeating: 0, count: k)
        var gradWeakUnit = [Float](repeating: 0, count: k)
        for row in 0..<b {
            // z = s(winner) - s(loser) = sign * c . ((p_s - p_w) * h)
            let sign: Float = strongWon[row] ? 1 : -1
            var z: Float = 0
            for j in 0..<k { z += classifier[j] * (strong[j] - weak[j]) * hidden[row * k + j] }
            z *= sign
            loss += Double(z >= 0 ? log1p(exp(-z)) : -z + log1p(exp(z)))
            // dL/dz = sigmoid(z) - 1, averaged over the batch.
            let dz = (1 / (1 + exp(-z)) - 1) / Float(b) * sign
            for j in 0..<k {
                let h = hidden[row * k + j]
                let difference = strong[j] - weak[j]
                gradClassifier[j] += dz * difference * h
                gradHidden[row * k + j] = dz * classifier[j] * difference
                gradStrongUnit[j] += dz * classifier[j] * h
                gradWeakUnit[j] -= dz * classifier[j] * h
            }
        }
        // dW = gradHidden^T (k x b) . inputs (b x d)
        var gradProjection = [Float](repeating: 0, count: k * d)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(d), Int32(b), 1, gradHidden, Int32(k), inputs, Int32(d), 0, &gradProjection, Int32(d))
        // Through the normalisation: dP = (g - p_hat (p_hat . g)) / |P|.
        func throughNorm(_ gradUnit: [Float], _ raw: ArraySlice<Float>, _ unit: [Float]) -> [Float] {
            let norm = max(raw.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            let dot = zip(unit, gradUnit).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            return (0..<k).map { (gradUnit[$0] - unit[$0] * dot) / norm }
        }
        let gradStrong = throughNorm(gradStrongUnit, modelVectors[0..<k], strong)
        let gradWeak = throughNorm(gradWeakUnit, modelVectors[k..<(2 * k)], weak)
        return (loss / Double(b), gradStrong + gradWeak + gradProjection + gradClassifier)
    }

    /// Adds `delta` to the parameters laid out as in `lossAndGradient`.
    mutating func update(_ delta: (Int, Float) -> Float) {
        var offset = 0
        for index in modelVectors.indices { modelVectors[index] += delta(offset + index, modelVectors[index]) }
        offset += modelVectors.count
        for index in projection.indices { projection[index] += delta(offset + index, projection[index]) }
        offset += projection.count
        for index in classifier.indices { classifier[index] += delta(offset + index, classifier[index]) }
    }

    static func gaussian(_ generator: inout SeededGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Adam as PyTorch implements it, with L2 weight decay added to the gradient.
struct AdamState {
    var first: [Float]
    var second: [Float]
    var step = 0

    init(count: Int) {
        first = [Float](repeating: 0, count: count)
        second = [Float](repeating: 0, count: count)
    }

    mutating func step(_ model: inout MatrixFactorization, gradient: [Float], learningRate: Float, weightDecay: Float,
                       beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        model.update { index, value in
            let g = gradient[index] + weightDecay * value
            first[index] = beta1 * first[index] + (1 - beta1) * g
            second[index] = beta2 * second[index] + (1 - beta2) * g * g
            let mHat = first[index] / correction1
            let vHat = second[index] / correction2
            return -learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
    }
}
