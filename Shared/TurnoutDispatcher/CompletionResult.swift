/// What the dispatcher made of one chat completion, before any transport sees it: the HTTP
/// front end and the `Dispatcher/Complete` wire method each map it to their own terms.
public struct CompletionResult: Sendable {
    public enum Answer: Sendable {
        /// A whole chat completion, its `model` already the upstream that answered.
        case completion([UInt8])
        /// Server-sent events relayed as the upstream sends them; the consumer drives it.
        case stream(CompletionStream)
        /// No answer: the request was refused, or no upstream gave one worth relaying.
        case failure(OpenAIError)
    }

    public var answer: Answer
    public var route: CompletionRoute
    /// For whoever delivers the answer to call once it has: starts the work that must never
    /// delay it (a shadow job). Nil when there is none.
    public var afterDelivery: (@Sendable () -> Void)?

    public init(answer: Answer, route: CompletionRoute, afterDelivery: (@Sendable () -> Void)? = nil) {
        self.answer = answer
        self.route = route
        self.afterDelivery = afterDelivery
    }
}
