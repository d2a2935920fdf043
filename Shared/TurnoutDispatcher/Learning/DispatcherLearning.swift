/// The dispatcher's part in learning from its own traffic: shadow judging when configured,
/// and the answered requests users may rate.
public struct DispatcherLearning: Sendable {
    public let shadow: ShadowJudge?
    public let feedback: FeedbackReceiver
    public let recent: RecentRequests
    public let redactor: Redactor
    /// Whether remembered requests keep their routed text (`feedback.store_prompts`).
    public let storePrompts: Bool

    public init(shadow: ShadowJudge?, feedback: FeedbackReceiver, recent: RecentRequests, redactor: Redactor, storePrompts: Bool) {
        self.shadow = shadow
        self.feedback = feedback
        self.recent = recent
        self.redactor = redactor
        self.storePrompts = storePrompts
    }
}
