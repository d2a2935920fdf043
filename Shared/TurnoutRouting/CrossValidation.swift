/// Seeded K-fold splits, so no question is ever scored by a router trained on it.
public enum CrossValidation {
    /// Fold index per item: a seeded shuffle dealt round-robin into `folds`.
    public static func assignFolds(count: Int, folds: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<count)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        var assignment = [Int](repeating: 0, count: count)
        for (position, index) in order.enumerated() { assignment[index] = position % max(1, folds) }
        return assignment
    }

    /// Win rates for every item, each computed by a router trained on the other folds.
    public static func heldOutWinRates(count: Int, folds: Int, seed: UInt64,
                                       train: ([Int]) -> (Int) -> Double) -> [Double] {
        let assignment = assignFolds(count: count, folds: folds, seed: seed)
        var rates = [Double](repeating: 0, count: count)
        for fold in 0..<max(1, folds) {
            let trainIndices = (0..<count).filter { assignment[$0] != fold }
            let score = train(trainIndices)
            for index in 0..<count where assignment[index] == fold { rates[index] = score(index) }
        }
        return rates
    }
}

/// SplitMix64: small, fast, reproducible across platforms, for seeded shuffles and noise.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
