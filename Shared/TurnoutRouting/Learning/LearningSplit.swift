/// How `turnout learn` divides the deployment's battles to judge a candidate: by time, never
/// at random, because what matters is how a router does on the traffic that comes next.
///
/// The newest judged battles are held out, in consecutive blocks (rolling origin, as time
/// series are validated): each block is predicted by a candidate trained only on the battles
/// before it, and the live router is scored on the same blocks. Pooling the blocks judges the
/// candidate's recipe on many more battles than one final block would, without any
/// prediction seeing its future: a single block of a few hundred battles decides by noise
/// (APGR over 235 GSM8K questions moved by 0.08 between subsets of one run).
public struct LearningSplit: Sendable {
    /// Every battle, in time order.
    public var battles: [DeploymentBattle]
    /// The held-out blocks, oldest first.
    public var blocks: [[DeploymentBattle]]

    /// - Parameters:
    ///   - fraction: the share of shadow battles held out, the newest.
    ///   - blocks: how many consecutive blocks they are cut into.
    ///   - after: battles at or before this time are never held out: the live router may have
    ///     been trained on them (its artifact's training sources say until when).
    /// Feedback battles are never held out: a rating and a judge's verdict are labels of
    /// different kinds. They train the blocks after them.
    public init(_ battles: [DeploymentBattle], heldOutFraction fraction: Double, blocks count: Int = 1, after cutoff: Int64?) {
        self.battles = battles.sorted { ($0.timeMs, $0.id) < ($1.timeMs, $1.id) }
        let judged = self.battles.filter { $0.source == .shadow }
        let eligible = judged.filter { battle in cutoff.map { battle.timeMs > $0 } ?? true }
        let held = Array(eligible.suffix(min(eligible.count, Int((Double(judged.count) * min(max(fraction, 0), 1)).rounded()))))
        let size = max(1, Int((Double(held.count) / Double(max(1, count))).rounded(.up)))
        blocks = stride(from: 0, to: held.count, by: size).map { Array(held[$0..<min(held.count, $0 + size)]) }
    }

    /// Every held-out battle, in time order.
    public var heldOut: [DeploymentBattle] { blocks.flatMap { $0 } }

    /// What trains the candidate that predicts block `index`: every battle before the block
    /// began (never one of its own, nor a later one).
    public func training(before index: Int) -> [DeploymentBattle] {
        guard let first = blocks[index].first else { return battles }
        return battles.filter { ($0.timeMs, $0.id) < (first.timeMs, first.id) }
    }

    /// What trains a candidate judged on no block: every battle not held out.
    public var training: [DeploymentBattle] {
        let held = Set(heldOut.map(\.id))
        return battles.filter { !held.contains($0.id) }
    }
}
