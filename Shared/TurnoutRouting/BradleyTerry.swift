import Foundation

/// Weighted Bradley-Terry ratings on the Elo scale, solved exactly by Newton's method on
/// sufficient statistics aggregated per pair of players.
///
/// RouteLLM fits a logistic regression without intercept over every (duplicated) battle; the
/// log-likelihood depends on the battles only through, for each pair, the total weight of
/// their games and the weight of one side's wins. Aggregating first makes a solve cost
/// O(pairs) per Newton step instead of O(battles).
public enum BradleyTerry {
    /// Weighted games between two players: `games` in all, `winsOfFirst` won by `first`.
    public struct PairStatistics: Sendable, Equatable {
        public var first: Int
        public var second: Int
        public var games: Double
        public var winsOfFirst: Double

        public init(first: Int, second: Int, games: Double, winsOfFirst: Double) {
            self.first = first
            self.second = second
            self.games = games
            self.winsOfFirst = winsOfFirst
        }
    }

    /// Elo-scale ratings (scale 400, base 10) maximising the likelihood, player 0 pinned at
    /// `anchor`. Newton's method with step halving; a pair one side always wins pushes the
    /// ratings apart until `maxRatingGap` caps them (the unregularised MLE is infinite there).
    public static func ratings(players: Int, pairs: [PairStatistics], anchor: Double = 1000,
                               maxIterations: Int = 100, tolerance: Double = 1e-10, maxRatingGap: Double = 4000) -> [Double] {
        guard players > 1 else { return Array(repeating: anchor, count: players) }
        let ln10 = log(10.0)
        // Work in natural units r = ln(10) * rating / 400; player 0 fixed at 0.
        var r = [Double](repeating: 0, count: players)
        let free = players - 1
        let limit = maxRatingGap / 400 * ln10
        func logLikelihood(_ r: [Double]) -> Double {
            var total = 0.0
            for pair in pairs where pair.games > 0 {
                let d = r[pair.first] - r[pair.second]
                total += pair.winsOfFirst * logSigmoid(d) + (pair.games - pair.winsOfFirst) * logSigmoid(-d)
            }
            return total
        }
        var current = logLikelihood(r)
        for _ in 0..<maxIterations {
            var gradient = [Double](repeating: 0, count: players)
            var hessian = [Double](repeating: 0, count: players * players)
            for pair in pairs where pair.games > 0 {
                let d = r[pair.first] - r[pair.second]
                let p = sigmoid(d)
                let g = pair.winsOfFirst - pair.games * p
                let h = pair.games * p * (1 - p)
                gradient[pair.first] += g
                gradient[pair.second] -= g
                hessian[pair.first * players + pair.first] += h
                hessian[pair.second * players + pair.second] += h
                hessian[pair.first * players + pair.second] -= h
                hessian[pair.second * players + pair.first] -= h
            }
            // Solve (H_ff + tiny ridge) step = g_f over the free players 1..n-1.
            var system = [Double](repeating: 0, count: free * free)
            var rhs = [Double](repeating: 0, count: free)
            for i in 0..<free {
                rhs[i] = gradient[i + 1]
                for j in 0..<free { system[i * free + j] = hessian[(i + 1) * players + (j + 1)] }
                system[i * free + i] += 1e-12
            }
            guard let step = solveSymmetric(system, rhs, size: free) else { break }
            var scale = 1.0
            var next = r
            var improved = false
            for _ in 0..<30 {
                for i in 0..<free { next[i + 1] = min(max(r[i + 1] + scale * step[i], -limit), limit) }
                let value = logLikelihood(next)
                if value >= current - 1e-12 {
                    improved = value > current + tolerance * max(1, abs(current))
                    r = next
                    current = value
                    break
                }
                scale /= 2
            }
            let stepSize = step.reduce(0) { max($0, abs($1)) } * scale
            if !improved || stepSize < tolerance { break }
        }
        return r.map { anchor + $0 * 400 / ln10 }
    }

    /// Probability that a player rated `a` beats one rated `b`.
    public static func winProbability(_ a: Double, over b: Double) -> Double {
        1 / (1 + pow(10, (b - a) / 400))
    }

    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    static func logSigmoid(_ x: Double) -> Double {
        x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))
    }

    /// Gaussian elimination with partial pivoting; nil for a singular system.
    static func solveSymmetric(_ matrix: [Double], _ rhs: [Double], size n: Int) -> [Double]? {
        var a = matrix
        var b = rhs
        for column in 0..<n {
            var pivot = column
            for row in column + 1..<n where abs(a[row * n + column]) > abs(a[pivot * n + column]) { pivot = row }
            guard abs(a[pivot * n + column]) > 1e-300 else { return nil }
            if pivot != column {
                for k in 0..<n { a.swapAt(column * n + k, pivot * n + k) }
                b.swapAt(column, pivot)
            }
            for row in column + 1..<n {
                let factor = a[row * n + column] / a[column * n + column]
                if factor == 0 { continue }
                for k in column..<n { a[row * n + k] -= factor * a[column * n + k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in row + 1..<n { sum -= a[row * n + k] * x[k] }
            x[row] = sum / a[row * n + row]
        }
        return x
    }
}
