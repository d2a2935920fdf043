/// Whether a candidate router replaces the live one: only when it beats it on the same
/// held-out battles by a stated margin of APGR, so noise alone never promotes.
public struct PromotionDecision: Sendable, Equatable {
    public var liveAPGR: Double
    public var candidateAPGR: Double
    public var margin: Double
    public var heldOut: Int
    public var decided: Int
    public var promote: Bool
    /// Why, in a sentence, for the operator.
    public var reason: String

    /// - Parameters:
    ///   - minimumHeldOut: fewer held-out battles than this cannot tell routers apart: nothing changes.
    public init(live: [Double], candidate: [Double], heldOut: [BenchmarkItem], margin: Double, minimumHeldOut: Int, thresholds: Int = 10) {
        self.margin = margin
        self.heldOut = heldOut.count
        decided = heldOut.filter { $0.strongScore != $0.weakScore }.count
        let benchmark = Benchmark(name: "held-out battles", strongModel: "strong", weakModel: "weak", items: heldOut)
        guard heldOut.count >= minimumHeldOut, decided > 0 else {
            liveAPGR = 0
            candidateAPGR = 0
            promote = false
            reason = "only \(heldOut.count) held-out battles (\(decided) not tied); at least \(minimumHeldOut) with a winner are needed to compare routers"
            return
        }
        liveAPGR = RouterEvaluation.report(router: "live", winRates: live, benchmark: benchmark, thresholds: thresholds).apgr
        candidateAPGR = RouterEvaluation.report(router: "candidate", winRates: candidate, benchmark: benchmark, thresholds: thresholds).apgr
        promote = candidateAPGR >= liveAPGR + margin
        let figures = "candidate APGR \(Self.format(candidateAPGR)) against the live router's \(Self.format(liveAPGR)) on \(heldOut.count) held-out battles"
        reason = promote ? "\(figures): at least \(Self.format(margin)) better" : "\(figures): not \(Self.format(margin)) better, so the live router stays"
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
