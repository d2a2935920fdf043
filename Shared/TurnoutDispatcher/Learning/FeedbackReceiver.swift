import Foundation
import TurnoutCollectorAPI
import TurnoutJSON
import TurnoutRuntime
import TurnoutTelemetry

/// `POST /v1/feedback`: a user's rating of an answered request, by its `x-request-id`.
///
/// Body: `{"request_id": "...", "rating": "up" | "down"}`, or `"score"` (0 to 1, below 0.5 is
/// down) instead of a rating, and an optional `"comment"`. One rating per request: a second
/// is answered 200 with `"duplicate": true` and changes nothing. A request this dispatcher
/// did not answer, or answered longer ago than `feedback.max_age`, is 404. The rating goes to
/// the collector, and with it the training example it gives (`FeedbackRecord.battle`).
public final class FeedbackReceiver: Sendable {
    /// What a client sends.
    public struct Submission: Sendable, Equatable {
        public var requestID: String
        public var rating: FeedbackRecord.Rating
        public var score: Double?
        public var comment: String?

        /// - Throws: `OpenAIError` 400 naming the field.
        public init(body: [UInt8]) throws(OpenAIError) {
            let members = try ChatRequest.object(body)
            func string(_ name: String) throws(OpenAIError) -> String? {
                guard let raw = members[name] else { return nil }
                return try ChatRequest.field(name, in: raw) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.consumeNull() ? nil : scanner.readString() }
            }
            guard let id = try string("request_id"), !id.isEmpty else {
                throw .invalidRequest("request_id is required: the x-request-id of the answer you rate", param: "request_id")
            }
            requestID = id
            comment = try string("comment")
            if let comment, comment.utf8.count > 4096 { throw .invalidRequest("comment is over 4096 bytes", param: "comment") }
            if let raw = members["score"] {
                let value = try ChatRequest.field("score", in: raw) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.readDouble() }
                guard value.isFinite, (0...1).contains(value) else { throw .invalidRequest("score must be between 0 and 1", param: "score") }
                score = value
            }
            if let text = try string("rating") {
                guard let rating = FeedbackRecord.Rating(rawValue: text) else { throw .invalidRequest("rating must be \"up\" or \"down\"", param: "rating") }
                self.rating = rating
            } else if let score {
                rating = score < 0.5 ? .down : .up
            } else {
                throw .invalidRequest("give a rating (\"up\" or \"down\") or a score between 0 and 1", param: "rating")
            }
        }
    }

    private let recent: RecentRequests
    private let redactor: Redactor
    private let strong: String
    private let weak: String
    private let ratings: RecordShipper<FeedbackRecord>?
    private let battles: RecordShipper<BattleRecord>?
    private let counts: [String: Counter]
    private let clock: @Sendable () -> Int64

    public init(recent: RecentRequests, redactor: Redactor, dispatcher: DispatcherConfiguration, ratings: RecordShipper<FeedbackRecord>?,
                battles: RecordShipper<BattleRecord>?, metrics: MetricsRegistry,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.recent = recent
        self.redactor = redactor
        strong = dispatcher.strong
        weak = dispatcher.weak
        self.ratings = ratings
        self.battles = battles
        var counts: [String: Counter] = [:]
        for outcome in ["stored", "duplicate", "not_found"] {
            counts[outcome] = metrics.counter("turnout_feedback_total", help: "Ratings received, by outcome.", labels: ["outcome": outcome])
        }
        self.counts = counts
        self.clock = clock
    }

    /// Takes a rating from `client` (the index of its key).
    /// - Throws: `OpenAIError` 404 (`request_not_found`) for an unknown or too old request, or
    ///   one another client made; 503 when no collector is configured to keep it.
    /// - Returns: the JSON answer.
    public func receive(_ submission: Submission, client: Int? = nil) throws(OpenAIError) -> [UInt8] {
        guard let ratings else {
            throw OpenAIError(status: 503, message: "ratings need a collector to keep them; this dispatcher has none (--collector)", type: "api_error", code: "feedback_unavailable")
        }
        let now = clock()
        let entry: RecentRequests.Entry
        var duplicate = false
        switch recent.rate(submission.requestID, by: client, nowMs: now) {
        case .unknown:
            counts["not_found"]?.increment()
            throw OpenAIError(status: 404, message: "no answered request \"\(submission.requestID)\" in the last \(recent.maxAgeMs / 60_000) minutes on this dispatcher",
                              type: "invalid_request_error", param: "request_id", code: "request_not_found")
        case let .alreadyRated(found):
            entry = found
            duplicate = true
        case let .found(found):
            entry = found
        }
        if duplicate {
            counts["duplicate"]?.increment()
        } else {
            // Redaction runs here, for the few requests rated, never on the request path.
            let prompt = entry.prompt.map(redactor.redact).flatMap { $0.isEmpty ? nil : $0 }
            let record = FeedbackRecord(id: entry.requestID, timeMs: now, requestTimeMs: entry.timeMs, rating: submission.rating, score: submission.score,
                                        comment: submission.comment.map(redactor.redact), router: entry.router, routerVersion: entry.routerVersion,
                                        route: entry.route, answeringModel: entry.answeringModel, strongModel: strong, weakModel: weak, prompt: prompt)
            ratings.submit(record)
            if let battle = record.battle { battles?.submit(battle) }
            counts["stored"]?.increment()
        }
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"object\":\"feedback\",\"request_id\":", to: &bytes)
        JSONWriter.appendString(entry.requestID, to: &bytes)
        JSONWriter.appendRaw(",\"rating\":", to: &bytes)
        JSONWriter.appendString(submission.rating.rawValue, to: &bytes)
        JSONWriter.appendRaw(duplicate ? ",\"duplicate\":true}" : ",\"duplicate\":false}", to: &bytes)
        return bytes
    }
}
