/// RouteLLM's model tiers: Elo ratings of every model in a set of battles, then the models
/// grouped into tiers of similar strength.
///
/// Few battles pit exactly the strong model against the weak one (a few hundred of Arena's
/// 55k). RouteLLM's `sw_ranking` widens that by treating each model as its tier, so every
/// battle between a model as strong as the strong one and a model as weak as the weak one
/// counts. `ModelPairing` uses these tiers the same way.
public enum ModelTiers {
    /// Elo ratings (scale 400, base 10, anchored at 1000) maximising the likelihood of the
    /// battles, as RouteLLM's `compute_elo_mle_with_tie` fits them: every battle counted twice,
    /// a tie (either kind) as one win each way. Battles of a model against itself are skipped.
    public static func ratings(_ battles: [Battle]) -> [String: Double] {
        let names = Array(Set(battles.flatMap { [$0.modelA, $0.modelB] })).sorted()
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() { index[name] = position }
        var statistics: [Int: BradleyTerry.PairStatistics] = [:]
        for battle in battles {
            guard let a = index[battle.modelA], let b = index[battle.modelB], a != b else { continue }
            let first = min(a, b), second = max(a, b)
            // Wins of `first` out of the two copies of this battle.
            let winsOfFirst: Double
            switch battle.winner {
            case .modelA: winsOfFirst = a == first ? 2 : 0
            case .modelB: winsOfFirst = b == first ? 2 : 0
            case .tie, .tieBothBad: winsOfFirst = 1
            }
            let key = first * names.count + second
            var pair = statistics[key] ?? BradleyTerry.PairStatistics(first: first, second: second, games: 0, winsOfFirst: 0)
            pair.games += 2
            pair.winsOfFirst += winsOfFirst
            statistics[key] = pair
        }
        let pairs = statistics.keys.sorted().compactMap { statistics[$0] }
        let ratings = BradleyTerry.ratings(players: names.count, pairs: pairs)
        var result: [String: Double] = [:]
        for (name, rating) in zip(names, ratings) { result[name] = rating }
        return result
    }

    /// Tier per model, 0 the strongest, as RouteLLM's `compute_tiers` assigns them: the models
    /// sorted by rating are cut into `count` contiguous runs minimising the sum of the runs'
    /// (population) variances, by its dynamic programme. With fewer models than tiers every
    /// model gets a tier of its own; tier numbers may then skip, as they do in RouteLLM.
    public static func tiers(ratings: [String: Double], count: Int) -> [String: Int] {
        // Strongest first; equal ratings in name order so the result is deterministic.
        let ordered = ratings.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let n = ordered.count, m = max(1, count)
        guard n > 0 else { return [:] }
        let values = ordered.map(\.value)
        func at(_ i: Int, _ j: Int, _ tier: Int) -> Int { (i * n + j) * m + tier }
        // cost[i, j, t]: least summed variance of models i...j cut into t + 1 runs; a single
        // model costs 0 however many runs it is asked to fill, as in RouteLLM.
        var cost = [Double](repeating: 0, count: n * n * m)
        var cut = [Int](repeating: 0, count: n * n * m)
        for i in 0..<n {
            for j in (i + 1)..<n { cost[at(i, j, 0)] = variance(values[i...j]) }
        }
        for tier in 1..<m {
            for i in 0..<n {
                for j in (i + 1)..<n {
                    var best = 1e9
                    for l in i..<j {
                        let candidate = cost[at(i, l, tier - 1)] + cost[at(l + 1, j, 0)]
                        if best > candidate {
                            best = candidate
                            cut[at(i, j, tier)] = l
                        }
                    }
                    cost[at(i, j, tier)] = best
                }
            }
        }
        // Walk the cuts back from the full range: the last index of each run.
        var ends: [Int] = []
        var remaining = n
        for tier in stride(from: m - 1, through: 1, by: -1) {
            let end = cut[at(0, remaining - 1, tier)]
            ends.append(end)
            remaining = end + 1
        }
        ends.reverse()
        ends.append(n - 1)
        var result: [String: Int] = [:]
        var start = 0
        for (tier, end) in ends.enumerated() {
            if start <= end {
                for position in start...end { result[ordered[position].key] = tier }
            }
            start = end + 1
        }
        return result
    }

    /// numpy's `var`: the population variance.
    static func variance(_ values: ArraySlice<Double>) -> Double {
        guard !values.isEmpty else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }
}
