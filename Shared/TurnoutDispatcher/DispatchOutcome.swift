import Dispatch
import Foundation

/// What is known about one request as it finishes, for its routing record and metrics.
public struct DispatchOutcome: Sendable {
    public var requestID: String
    public var arrivedAtMs: Int64
    public var startNanos: UInt64
    public var decision: RouteDecision?
    public var answeringModel: String = ""
    public var fellBack = false
    public var firstByteMs: Double = 0
    public var usage: TokenUsage?
    public var status: Int = 200
    public var stream = false
    /// The routed text, cut to what is stored, kept only when remembered requests keep
    /// prompts (feedback); redacted only if a rating makes it a training example.
    public var routedText: String?
    /// Who asked: the index of the client's key, nil without keys.
    public var client: Int?
    /// The tenant of that key, by name.
    public var tenant: String?
    /// What the answer cost, once known (whole answers; a stream's is in its record).
    public var costUSD: Double?

    /// A request that arrives now.
    public init(requestID: String) {
        self.requestID = requestID
        arrivedAtMs = Int64(Date().timeIntervalSince1970 * 1000)
        startNanos = DispatchTime.now().uptimeNanoseconds
    }

    /// What the client's response headers say of it.
    var route: CompletionRoute {
        CompletionRoute(requestID: requestID, decision: decision, answeringModel: answeringModel.isEmpty ? nil : answeringModel, fellBack: fellBack, costUSD: costUSD)
    }
}
