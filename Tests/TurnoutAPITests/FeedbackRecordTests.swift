import Foundation
import Testing
import TurnoutCollectorAPI

@Suite struct FeedbackRecordTests {
    static func rating(route: String, _ rating: FeedbackRecord.Rating, prompt: String? = "How many primes are below 100?", router: String = "gain") -> FeedbackRecord {
        FeedbackRecord(id: "req-1", timeMs: 2000, requestTimeMs: 1000, rating: rating, score: nil, comment: nil, router: router, routerVersion: "v1",
                       route: route, answeringModel: route == "strong" ? "big" : "small", strongModel: "big", weakModel: "small", prompt: prompt)
    }

    @Test func ratingsBecomeTheDocumentedExamples() throws {
        let needed = try #require(Self.rating(route: "weak", .down).battle)
        #expect(needed.winner == .modelA && needed.modelA == "big" && needed.modelB == "small" && needed.source == .feedback && needed.timeMs == 1000)
        #expect(Self.rating(route: "weak", .up).battle?.winner == .tie)
        #expect(Self.rating(route: "strong", .down).battle?.winner == .bothBad)
        #expect(Self.rating(route: "strong", .up).battle == nil, "nothing is learnt of the weak model")
        #expect(Self.rating(route: "weak", .down, prompt: nil).battle == nil, "no text, no example")
        #expect(Self.rating(route: "passthrough", .down, router: "").battle == nil)
    }

    @Test func battlesAreTheJSONLTrainReads() throws {
        let battle = try #require(Self.rating(route: "weak", .down).battle)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(battle)) as? [String: Any])
        #expect(object["prompt"] as? String == "How many primes are below 100?")
        #expect(object["model_a"] as? String == "big" && object["model_b"] as? String == "small" && object["winner"] as? String == "model_a")
        #expect(object["time_ms"] as? Int == 1000 && object["source"] as? String == "feedback")
    }
}
