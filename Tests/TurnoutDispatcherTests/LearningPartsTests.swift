import Foundation
import Synchronization
import Testing
import TurnoutCollectorAPI
import TurnoutDispatcher
import TurnoutJSON
import TurnoutTelemetry

@Suite struct PairwiseJudgeTests {
    @Test(arguments: [
        ("A is better. [[A]]", PairwiseJudge.Verdict.a),
        ("[[B]]", .b),
        ("Both are equally good: [[C]]", .tie),
        ("I say [[A]], yes, [[A]].", .a),
    ])
    func readsTheVerdict(_ reply: String, _ verdict: PairwiseJudge.Verdict) {
        #expect(PairwiseJudge.verdict(in: reply) == verdict)
    }

    @Test(arguments: ["No verdict here.", "[[A]] or maybe [[B]]", "[A]", "", "[[D]]"])
    func aReplyWithoutOneVerdictIsUnparseable(_ reply: String) {
        #expect(PairwiseJudge.verdict(in: reply) == nil)
    }

    @Test func theSwappedJudgementsMustAgree() {
        // First call: the strong answer is A; second: it is B.
        #expect(PairwiseJudge.outcome(strongFirst: .a, strongSecond: .b) == .strong)
        #expect(PairwiseJudge.outcome(strongFirst: .b, strongSecond: .a) == .weak)
        #expect(PairwiseJudge.outcome(strongFirst: .tie, strongSecond: .tie) == .tie)
        // A judge that always says A favours a position, not an answer: a tie.
        #expect(PairwiseJudge.outcome(strongFirst: .a, strongSecond: .a) == .tie)
        #expect(PairwiseJudge.outcome(strongFirst: .a, strongSecond: .tie) == .tie)
    }

    @Test func theRequestCarriesTheQuestionAndBothAnswers() throws {
        let body = PairwiseJudge.requestBody(model: "judge-1", question: "What is \"2 + 2\"?", answerA: "4", answerB: "five", maxTokens: 64)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["model"] as? String == "judge-1" && object["temperature"] as? Int == 0 && object["max_tokens"] as? Int == 64)
        let messages = try #require(object["messages"] as? [[String: String]])
        #expect(messages.count == 2 && messages[0]["role"] == "system" && messages[0]["content"]?.contains("[[C]]") == true)
        let user = try #require(messages[1]["content"])
        #expect(user.contains("[User Question]\nWhat is \"2 + 2\"?\n\n[The Start of Assistant A's Answer]\n4\n[The End of Assistant A's Answer]"))
        #expect(user.contains("[The Start of Assistant B's Answer]\nfive\n[The End of Assistant B's Answer]"))
    }
}

@Suite struct SpendWindowTests {
    @Test func spendLeavesTheWindowAfterAnHour() {
        let now = Mutex<Int64>(1_000_000_000)
        let window = SpendWindow { now.withLock { $0 } }
        window.record(0.5)
        window.record(0.25)
        window.record(-3)
        window.record(.nan)
        #expect(window.lastHour == 0.75)
        now.withLock { $0 += 30 * 60_000 }
        window.record(1)
        #expect(window.lastHour == 1.75)
        now.withLock { $0 += 31 * 60_000 }
        #expect(window.lastHour == 1, "the first minute's spend is over an hour old")
        now.withLock { $0 += 60 * 60_000 }
        #expect(window.lastHour == 0)
    }
}

@Suite struct RecentRequestsTests {
    static func entry(_ id: String, at time: Int64) -> RecentRequests.Entry {
        RecentRequests.Entry(requestID: id, timeMs: time, router: "gain", routerVersion: "v1", route: "weak", answeringModel: "weak-model", prompt: nil)
    }

    @Test func aRequestIsRatedOnceWhileItIsRemembered() {
        let recent = RecentRequests(capacity: 3, maxAge: .seconds(60))
        for index in 0..<5 { recent.remember(Self.entry("r\(index)", at: 1000)) }
        #expect(recent.count == 3)
        #expect(recent.rate("r0", nowMs: 1000) == .unknown, "the oldest were forgotten")
        #expect(recent.rate("r4", nowMs: 2000) == .found(Self.entry("r4", at: 1000)))
        #expect(recent.rate("r4", nowMs: 2000) == .alreadyRated(Self.entry("r4", at: 1000)))
        #expect(recent.rate("r3", nowMs: 1000 + 61_000) == .unknown, "too old")
        #expect(recent.rate("nope", nowMs: 1000) == .unknown)
    }
}

@Suite struct RedactorTests {
    @Test func patternsAreReplacedAndLongTextCut() throws {
        let redactor = try Redactor(patterns: ["[0-9]{13,19}", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"], maxBytes: 40)
        #expect(redactor.redact("card 4111111111111111 mail a.b@c.io") == "card [redacted] mail [redacted]")
        let cut = redactor.redact(String(repeating: "é", count: 30))
        #expect(cut.utf8.count <= 40 && cut == String(repeating: "é", count: 20), "cut on a character boundary")
        // One character longer than the limit (a letter and many combining marks) is cut, not emptied.
        let zalgo = redactor.redact("a" + String(repeating: "\u{0301}", count: 100))
        #expect(!zalgo.isEmpty && zalgo.utf8.count <= 40)
        #expect(throws: (any Error).self) { try Redactor(patterns: ["(unclosed"], maxBytes: 10) }
    }
}

@Suite struct FeedbackSubmissionTests {
    @Test func ratingsAndScoresAreRead() throws {
        let up = try FeedbackReceiver.Submission(body: Array(#"{"request_id":"r1","rating":"up","comment":"great"}"#.utf8))
        #expect(up.requestID == "r1" && up.rating == .up && up.comment == "great" && up.score == nil)
        let low = try FeedbackReceiver.Submission(body: Array(#"{"request_id":"r2","score":0.2}"#.utf8))
        #expect(low.rating == .down && low.score == 0.2)
        #expect(try FeedbackReceiver.Submission(body: Array(#"{"request_id":"r3","score":0.5}"#.utf8)).rating == .up)
    }

    @Test(arguments: [
        (#"{"rating":"up"}"#, "request_id"),
        (#"{"request_id":"","rating":"up"}"#, "request_id"),
        (#"{"request_id":"r","rating":"meh"}"#, "rating"),
        (#"{"request_id":"r"}"#, "rating"),
        (#"{"request_id":"r","score":7}"#, "score"),
        (#"{"request_id":"r","score":"high"}"#, "score"),
        (#"{"request_id":5,"rating":"up"}"#, "request_id"),
        ("not json", "not a JSON object"),
    ])
    func badBodiesAre400sNamingTheField(_ body: String, _ field: String) {
        do {
            _ = try FeedbackReceiver.Submission(body: Array(body.utf8))
            Issue.record("\(body) must be refused")
        } catch {
            #expect(error.status == 400)
            #expect(error.param == field || error.message.contains(field), "\(error)")
        }
    }
}

@Suite struct ChatAnswerTests {
    @Test func theFirstChoicesTextIsRead() throws {
        let whole = try JSONObjectMembers(Array(#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Paris."}},{"message":{"content":"Lyon"}}]}"#.utf8))
        #expect(ChatAnswer.content(of: whole) == "Paris.")
        let chunk = try JSONObjectMembers(Array(#"{"choices":[{"index":0,"delta":{"content":" is"}}]}"#.utf8))
        #expect(ChatAnswer.delta(of: chunk) == " is")
        let toolCall = try JSONObjectMembers(Array(#"{"choices":[{"message":{"content":null,"tool_calls":[]}}]}"#.utf8))
        #expect(ChatAnswer.content(of: toolCall) == nil)
        #expect(ChatAnswer.content(of: try JSONObjectMembers(Array(#"{"error":{}}"#.utf8))) == nil)
    }
}
