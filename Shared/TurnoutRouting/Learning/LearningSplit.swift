/// How `turnout learn` divides the deployment's battles: the most recent judged ones are held
/// out to compare the candidate with the live router, split by time rather than at random,
/// because what matters is how a router does on the traffic that comes next; everything
/// older trains.
public struct LearningSplit: Sendable {
    public var training: [DeploymentBattle]
    public var heldOut: [DeploymentBattle]

    /// - Parameters:
    ///   - fraction: the share of shadow battles held out, the newest.
    ///   - after: battles at or before this time are never held out: the live router may have
    ///     been trained on them (its artifact's training sources say until when).
    /// Feedback battles always train: a rating and a judge's verdict are labels of different kinds.
    public init(_ battles: [DeploymentBattle], heldOutFraction fraction: Double, after cutoff: Int64?) {
        let ordered = battles.sorted { ($0.timeMs, $0.id) < ($1.timeMs, $1.id) }
        let judged = ordered.filter { $0.source == .shadow }
        let eligible = judged.filter { battle in cutoff.map { battle.timeMs > $0 } ?? true }
        let count = min(eligible.count, Int((Double(judged.count) * min(max(fraction, 0), 1)).rounded()))
        let held = Set(eligible.suffix(count).map(\.id))
        heldOut = ordered.filter { held.contains($0.id) }
        training = ordered.filter { !held.contains($0.id) }
    }
}
