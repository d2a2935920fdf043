/// Whether a candidate router replaces the live one: only when it beats it on the same
/// held-out battles by a stated margin of APGR, so noise alone never promotes.
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
    public var heldOut: Int
    public var decided: Int
    public var promote: Bool
    /// Why, in a sentence, for the operator.
    public var reason: String
    /// Each block's own figures, oldest first: for the operator to see the trend; the
    /// decision is taken on the pooled ones.
    public var perBlock: [BlockFigures] = []

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
    public init(live: [Double], candidate: [Double], heldOut: [BenchmarkItem], margin: Double, minimumHeldOut: Int, thresholds: Int = 10) {
        self.init(blocks: [Block(items: heldOut, live: live, candidate: candidate)], margin: margin, minimumHeldOut: minimumHeldOut, thresholds: thresholds)
    }

    public init(blocks: [Block], margin: Double, minimumHeldOut: Int, thresholds: Int = 10) {
        let heldOut = blocks.flatMap(\.items)
        self.margin = margin
        self.heldOut = heldOut.count
        decided = heldOut.filter { $0.strongScore != $0.weakScore }.count
        guard heldOut.count >= minimumHeldOut, decided > 0 else {
            liveAPGR = 0
            candidateAPGR = 0
            promote = false
            reason = "only \(heldOut.count) held-out battles (\(decided) not tied); at least \(minimumHeldOut), some with a winner, are needed to compare routers"
            return
        }
        // Per block, the area of a router's curve above the weak line and the gap to the strong line.
        func pooled(_ rates: (Block) -> [Double]) -> (gain: Double, gap: Double, blocks: [(gain: Double, gap: Double)]) {
            var gain = 0.0, gap = 0.0
            var each: [(gain: Double, gap: Double)] = []
            for block in blocks where !block.items.isEmpty {
                let benchmark = Benchmark(name: "held-out battles", strongModel: "strong", weakModel: "weak", items: block.items)
                let curve = RouterMetrics.curve(winRates: rates(block), items: block.items,
                                                thresholds: RouterMetrics.quantileThresholds(rates(block), count: thresholds))
                let shares = curve.map(\.strongShare)
                let span = (shares.max() ?? 0) - (shares.min() ?? 0)
                let size = Double(block.items.count)
                each.append((size * (RouterMetrics.auc(curve) - benchmark.weakQuality * span), size * (benchmark.strongQuality - benchmark.weakQuality) * span))
                gain += each[each.count - 1].gain
                gap += each[each.count - 1].gap
            }
            return (gain, gap, each)
        }
        let live = pooled(\.live), candidate = pooled(\.candidate)
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
        promote = candidateAPGR >= liveAPGR + margin
        let figures = "candidate APGR \(Self.format(candidateAPGR)) against the live router's \(Self.format(liveAPGR)) on \(heldOut.count) held-out battles"
        reason = promote ? "\(figures): at least \(Self.format(margin)) better" : "\(figures): not \(Self.format(margin)) better, so the live router stays"
    }

    public static func format(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
