import Foundation
import Testing
import TurnoutRouting

@Suite struct BradleyTerryTests {
    struct Battle {
        let a: Int
        let b: Int
        /// 1: a wins, 0: b wins, 0.5: tie.
        let outcome: Double
        let weight: Double
    }

    /// Deterministic battles among four players of different strength, with weights.
    static func battles() -> [Battle] {
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let strength = [0.0, 0.8, -0.5, 1.6]
        var result: [Battle] = []
        for _ in 0..<400 {
            let a = Int(next() * 4), b = (a + 1 + Int(next() * 3)) % 4
            let p = 1 / (1 + exp(-(strength[a] - strength[b])))
            let u = next()
            let outcome = u < 0.1 ? 0.5 : (u < 0.1 + 0.9 * p ? 1.0 : 0.0)
            result.append(Battle(a: a, b: b, outcome: outcome, weight: 10 * pow(10, next())))
        }
        return result
    }

    /// The straightforward computation: RouteLLM's duplicated battles (a tie is one win each
    /// way), a logistic regression without intercept fitted by full-design Newton (IRLS) over
    /// every battle, player 0 pinned.
    static func reference(_ battles: [Battle], players: Int) -> [Double] {
        var rows: [(a: Int, b: Int, y: Double, w: Double)] = []
        for battle in battles {
            rows.append((battle.a, battle.b, battle.outcome >= 0.5 ? 1 : 0, battle.weight))
            rows.append((battle.a, battle.b, battle.outcome > 0.5 ? 1 : 0, battle.weight))
        }
        let ln10 = log(10.0)
        var beta = [Double](repeating: 0, count: players)
        for _ in 0..<200 {
            var gradient = [Double](repeating: 0, count: players)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: players), count: players)
            for row in rows {
                var x = [Double](repeating: 0, count: players)
                x[row.a] = ln10
                x[row.b] = -ln10
                let z = (0..<players).reduce(0) { $0 + x[$1] * beta[$1] }
                let p = 1 / (1 + exp(-z))
                for i in 0..<players {
                    gradient[i] += row.w * (row.y - p) * x[i]
                    for j in 0..<players { hessian[i][j] += row.w * p * (1 - p) * x[i] * x[j] }
                }
            }
            // Pin player 0: solve for the others.
            let n = players - 1
            var system = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { system[i * n + j] = hessian[i + 1][j + 1] } }
            let rhs = (0..<n).map { gradient[$0 + 1] }
            let step = solve(system, rhs, n)
            for i in 0..<n { beta[i + 1] += step[i] }
            if step.map(abs).max() ?? 0 < 1e-14 { break }
        }
        return beta.map { 1000 + 400 * $0 }
    }

    static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var a = a, b = b
        for c in 0..<n {
            for r in c + 1..<n {
                let f = a[r * n + c] / a[c * n + c]
                for k in c..<n { a[r * n + k] -= f * a[c * n + k] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            x[r] = (b[r] - (r + 1..<n).reduce(0) { $0 + a[r * n + $1] * x[$1] }) / a[r * n + r]
        }
        return x
    }

    /// Aggregates battles into per-pair statistics, duplicating them as RouteLLM does.
    static func pairs(_ battles: [Battle]) -> [BradleyTerry.PairStatistics] {
        var table: [String: BradleyTerry.PairStatistics] = [:]
        for battle in battles {
            let key = "\(battle.a)-\(battle.b)"
            var entry = table[key] ?? BradleyTerry.PairStatistics(first: battle.a, second: battle.b, games: 0, winsOfFirst: 0)
            entry.games += 2 * battle.weight
            entry.winsOfFirst += 2 * battle.outcome * battle.weight
            table[key] = entry
        }
        return table.keys.sorted().compactMap { table[$0] }
    }

    @Test func newtonOnPairStatisticsAgreesWithTheFullRegression() {
        let battles = Self.battles()
        let fast = BradleyTerry.ratings(players: 4, pairs: Self.pairs(battles))
        let slow = Self.reference(battles, players: 4)
        for (a, b) in zip(fast, slow) {
            #expect(abs(a - b) < 1e-6, "\(fast) vs \(slow)")
        }
        // Stronger players rate higher.
        #expect(fast[3] > fast[1] && fast[1] > fast[0] && fast[0] > fast[2])
    }

    @Test func twoPlayersHaveTheClosedForm() {
        // Weighted: strong wins 30, weak wins 10, ties 20: p = (30 + 20/2) / 60.
        let pairs = [BradleyTerry.PairStatistics(first: 0, second: 1, games: 2 * 60, winsOfFirst: 2 * 30 + 20)]
        let ratings = BradleyTerry.ratings(players: 2, pairs: pairs)
        #expect(abs(BradleyTerry.winProbability(ratings[0], over: ratings[1]) - 40.0 / 60.0) < 1e-9)
    }

    @Test func aCleanSweepIsCappedNotInfinite() {
        let ratings = BradleyTerry.ratings(players: 2, pairs: [.init(first: 0, second: 1, games: 10, winsOfFirst: 10)])
        #expect(ratings.allSatisfy { $0.isFinite })
        #expect(BradleyTerry.winProbability(ratings[0], over: ratings[1]) > 0.99)
    }
}
