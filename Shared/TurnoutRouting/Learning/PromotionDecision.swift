import Foundation

/// Whether a candidate router replaces the live one: only when it beats it on the same
/// held-out battles by a stated margin of APGR, and by more than the noise of those battles.
///
/// Both are needed. The margin says what gain is worth a change; it says nothing about luck.
/// With 588 held-out battles (a third of them with a winner) the difference's standard error
/// is about 0.04, and a margin-only gate promoted a candidate 0.04 worse than the live router
/// one time in five (`scripts/promotion_power.py`). The candidate must also be better by
/// `standardErrors` bootstrap standard errors of the difference; below that the verdict is
/// "not yet", with an estimate of how many battles would settle it.
///
/// Held-out battles come in blocks (`LearningSplit`), each predicted by its own candidate.
/// Each block's curve is taken on its own (pooling the blocks' win rates into one ranking
/// would mix candidates whose win rates sit on different scales), and the blocks are pooled
/// as APGR's parts: the areas above the weak line, summed over blocks weighted by size, over
/// the summed gap between the strong and weak lines. Dividing block by block instead would
/// let a small block whose gap is near zero, or negative (the weak model winning more of it),
/// swing or flip the result.
public struct PromotionDecision: Sendable, Equatable {
    public var liveAPGR: Double
    public var candidateAPGR: Double
    public var margin: Double
    /// How many standard errors of the difference the candidate must be ahead by.
    public var standardErrors: Double
    public var heldOut: Int
    public var decided: Int
    public var promote: Bool
    /// Why, in a sentence, for the operator.
    public var reason: String
    /// Each block's own figures, oldest first: for the operator to see the trend; the
    /// decision is taken on the pooled ones.
    public var perBlock: [BlockFigures] = []
    /// The bootstrap standard error of `candidateAPGR - liveAPGR` (0 when nothing was
    /// compared): the same battles resampled within each block. The decision does not use
    /// it; it tells the operator whether a refusal means "worse" or "not enough battles yet".
    public var differenceStandardError = 0.0
    /// When the candidate is ahead by the margin but within the noise: about how many held-out
    /// battles would make the same difference clear (the error shrinks as one over the root
    /// of their number). nil otherwise.
    public var heldOutNeeded: Int?

    public struct BlockFigures: Sendable, Equatable {
        public var battles: Int
        public var liveAPGR: Double
        public var candidateAPGR: Double
    }

    /// One held-out block: its battles, and each router's win rates for them.
    public struct Block: Sendable {
        public var items: [BenchmarkItem]
        public var live: [Double]
        public var candidate: [Double]

        public init(items: [BenchmarkItem], live: [Double], candidate: [Double]) {
            self.items = items
            self.live = live
            self.candidate = candidate
        }
    }

    /// - Parameters:
    ///   - minimumHeldOut: fewer held-out battles than this cannot tell routers apart: nothing changes.
    public init(live: [Double], candidate: [Double], heldOut: [BenchmarkItem], margin: Double, standardErrors: Double = 1, minimumHeldOut: Int, thresholds: Int = 10) {
        self.init(blocks: [Block(items: heldOut, live: live, candidate: candidate)], margin: margin, standardErrors: standardErrors,
                  minimumHeldOut: minimumHeldOut, thresholds: thresholds)
    }

    public init(blocks: [Block], margin: Double, standardErrors: Double = 1, minimumHeldOut: Int, thresholds: Int = 10) {
        let heldOut = blocks.flatMap(\.items)
        self.margin = margin
        self.standardErrors = standardErrors
        self.heldOut = heldOut.count
        decided = heldOut.filter { $0.strongScore != $0.weakScore }.count
        guard heldOut.count >= minimumHeldOut, decided > 0 else {
            liveAPGR = 0
            candidateAPGR = 0
            promote = false
            reason = "only \(heldOut.count) held-out battles (\(decided) not tied); at least \(minimumHeldOut), some with a winner, are needed to compare routers"
            return
        }
        let live = Self.pooled(blocks, \.live, thresholds: thresholds), candidate = Self.pooled(blocks, \.candidate, thresholds: thresholds)
        perBlock = zip(blocks.filter { !$0.items.isEmpty }, zip(live.blocks, candidate.blocks)).map { block, figures in
            let gap = max(figures.0.gap, figures.1.gap)
            return BlockFigures(battles: block.items.count, liveAPGR: gap > 0 ? figures.0.gain / gap : 0, candidateAPGR: gap > 0 ? figures.1.gain / gap : 0)
        }
        // Both routers' gaps are the same lines over nearly the same shares; one gap for both.
        let gap = max(live.gap, candidate.gap)
        guard gap > 0.02 * Double(heldOut.count) else {
            liveAPGR = 0
            candidateAPGR = 0
            promote = false
            reason = "on the \(heldOut.count) held-out battles the strong model is hardly better than the weak one; nothing to route on"
            return
        }
        liveAPGR = live.gain / gap
        candidateAPGR = candidate.gain / gap
        differenceStandardError = Self.bootstrapStandardError(blocks, thresholds: thresholds)
        let difference = candidateAPGR - liveAPGR
        let noise = standardErrors * differenceStandardError
        let figures = "candidate APGR \(Self.format(candidateAPGR)) against the live router's \(Self.format(liveAPGR)) on \(heldOut.count) held-out battles"
            + " (difference \(String(format: "%+.4f", difference)), give or take \(String(format: "%.3f", differenceStandardError)))"
        if difference < margin {
            promote = false
            reason = "\(figures): not \(Self.format(margin)) better, so the live router stays"
        } else if difference < noise {
            promote = false
            let needed = Int((Double(heldOut.count) * (noise / difference) * (noise / difference)).rounded(.up))
            heldOutNeeded = needed
            reason = "\(figures): better by the margin but not by \(Self.format(standardErrors)) standard errors, which could be luck; not yet,"
                + " the live router stays (about \(needed) held-out battles would tell)"
        } else {
            promote = true
            reason = "\(figures): at least \(Self.format(margin)) better, and by more than \(Self.format(standardErrors)) standard errors"
        }
    }

    /// Per block, the area of a router's curve above the weak line and the gap to the strong line, each weighted by block size.
    static func pooled(_ blocks: [Block], _ rates: (Block) -> [Double], thresholds: Int) -> (gain: Double, gap: Double, blocks: [(gain: Double, gap: Double)]) {
        var gain = 0.0, gap = 0.0
        var each: [(gain: Double, gap: Double)] = []
        for block in blocks where !block.items.isEmpty {
            let benchmark = Benchmark(name: "held-out battles", strongModel: "strong", weakModel: "weak", items: block.items)
            let curve = RouterMetrics.curve(winRates: rates(block), items: block.items,
                                            thresholds: RouterMetrics.quantileThresholds(rates(block), count: thresholds))
            let shares = curve.map(\.strongShare)
            let span = (shares.max() ?? 0) - (shares.min() ?? 0)
            let size = Double(block.items.count)
            let part = (gain: size * (RouterMetrics.auc(curve) - benchmark.weakQuality * span), gap: size * (benchmark.strongQuality - benchmark.weakQuality) * span)
            each.append(part)
            gain += part.gain
            gap += part.gap
        }
        return (gain, gap, each)
    }

    /// The spread of the pooled difference over `resamples` draws of each block's battles with
    /// replacement (seeded, so a decision reads the same every time it is taken).
    static func bootstrapStandardError(_ blocks: [Block], thresholds: Int, resamples: Int = 200) -> Double {
        var generator = SeededGenerator(seed: 0x5eed)
        var differences: [Double] = []
        for _ in 0..<resamples {
            let drawn = blocks.map { block in
                let picks = block.items.indices.map { _ in Int.random(in: block.items.indices, using: &generator) }
                return Block(items: picks.map { block.items[$0] }, live: picks.map { block.live[$0] }, candidate: picks.map { block.candidate[$0] })
            }
            let live = pooled(drawn, \.live, thresholds: thresholds), candidate = pooled(drawn, \.candidate, thresholds: thresholds)
            let gap = max(live.gap, candidate.gap)
            if gap > 0 { differences.append((candidate.gain - live.gain) / gap) }
        }
        guard differences.count > 1 else { return 0 }
        let mean = differences.reduce(0, +) / Double(differences.count)
        return (differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(differences.count - 1)).squareRoot()
    }

    public static func format(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
