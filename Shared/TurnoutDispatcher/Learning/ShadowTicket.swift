import Synchronization

/// One request chosen for shadow judging: what the job needs, and the client's answer as it
/// arrives. The job starts only once the answer is complete and delivered (`finish`); an
/// answer that breaks off gives no job.
public final class ShadowTicket: Sendable {
    public let requestID: String
    public let timeMs: Int64
    /// The routed text: what the battle trains on.
    public let question: String
    /// The request's system instructions, which the judge sees before the question.
    public let instructions: String?
    public let router: String
    public let routerVersion: String
    public let route: String
    /// The upstream that answered the client, and the one that answers the shadow call.
    public let answeringModel: String
    public let otherModel: String
    /// The client's request as the other model is sent it.
    public let otherBody: [UInt8]

    private struct Answer {
        var text = ""
        var complete = false
    }

    private let answer = Mutex(Answer())

    init(requestID: String, timeMs: Int64, question: String, instructions: String?, router: String, routerVersion: String, route: String, answeringModel: String,
         otherModel: String, otherBody: [UInt8]) {
        self.requestID = requestID
        self.timeMs = timeMs
        self.question = question
        self.instructions = instructions
        self.router = router
        self.routerVersion = routerVersion
        self.route = route
        self.answeringModel = answeringModel
        self.otherModel = otherModel
        self.otherBody = otherBody
    }

    /// Adds a streamed chunk's text to the client's answer.
    func append(_ text: String) {
        answer.withLock { $0.text += text }
    }

    /// What the judge is asked about: the instructions, then the question.
    var judgedQuestion: String {
        instructions.map { "\($0)\n\n\(question)" } ?? question
    }

    /// The client's answer is whole (a completion, or a stream that reached `[DONE]`); a
    /// completion without text (tool calls) leaves it empty, which nothing is judged on.
    func complete(with text: String? = nil) {
        answer.withLock { answer in
            if let text { answer.text = text }
            answer.complete = true
        }
    }

    /// The client's whole answer; nil if it never completed.
    var completedAnswer: String? {
        answer.withLock { $0.complete ? $0.text : nil }
    }
}
