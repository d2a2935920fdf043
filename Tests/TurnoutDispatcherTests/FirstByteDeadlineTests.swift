import Foundation
import Testing
import TurnoutDispatcher
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutTestSupport

@Suite struct FirstByteDeadlineTests {
    @Test func learnsFromRecentHeadsWithinAFloorAndTheConfiguredTimeout() {
        let deadline = FirstByteDeadline(floor: .seconds(1))
        for index in 0..<19 { deadline.record(100, stream: true, nowMs: Int64(index)) }
        #expect(deadline.deadline(stream: true, ceiling: .seconds(30), nowMs: 20) == .seconds(30), "19 heads are too few to go by")
        deadline.record(100, stream: true, nowMs: 20)
        #expect(deadline.deadline(stream: true, ceiling: .seconds(30), nowMs: 21) == .seconds(1), "3 x 100 ms is under the floor")
        for index in 0..<200 { deadline.record(4_000, stream: false, nowMs: Int64(index)) }
        #expect(deadline.deadline(stream: false, ceiling: .seconds(30), nowMs: 300) == .seconds(12), "whole answers apart: 3 x p95")
        #expect(deadline.deadline(stream: false, ceiling: .seconds(5), nowMs: 300) == .seconds(5), "never above the configured timeout")
        #expect(deadline.deadline(stream: true, ceiling: .seconds(30), nowMs: 700_000) == .seconds(30), "ten minutes on, the heads are too old")
    }

    /// An upstream that stops answering: a routed request is hedged to the other model after the
    /// learnt wait, not the configured 10 s, and the first head wins; one that fails outright
    /// is left at once.
    @Test func aHungUpstreamIsLeftAfterTheLearntWait() async throws {
        let hung = try await TestUpstream.start(name: "hung")
        let other = try await TestUpstream.start(name: "other")
        defer { hung.stop(); other.stop() }
        var slow = UpstreamConfiguration(name: "hung", baseURL: hung.baseURL + "/v1")
        slow.firstByteTimeout = .seconds(10)
        let healthy = UpstreamConfiguration(name: "other", baseURL: other.baseURL + "/v1")
        let http = HTTPClient()
        defer { http.shutdown() }
        let caller = UpstreamCaller(upstreams: [slow, healthy], client: http, maxRetryAfter: .seconds(1), environment: [:], adaptiveFirstByteFloor: .seconds(1),
                                    metrics: MetricsRegistry(), logger: Logger(service: "test", minimumLevel: .error))
        let request = try ChatRequest(body: Array(#"{"model":"router-x","messages":[{"role":"user","content":"hello"}]}"#.utf8))
        for index in 0..<25 {
            let reply = try await caller.call(request, candidates: ["hung", "other"], deadline: .after(.seconds(20)), requestID: "warm-\(index)")
            #expect(reply.upstream.name == "hung")
            reply.slot.release()
        }
        // The wait is learnt from the warm-up heads: on a loaded machine their p95 can put it
        // above the 1 s floor, so the timings are checked against what was learnt.
        let learnt = try #require(caller.learntFirstByteWait(for: "hung", stream: false), "25 heads are enough to learn a wait")
        #expect(learnt >= .seconds(1) && learnt < .seconds(5), "at least the floor, well under the configured 10 s: \(learnt)")
        try hung.set(mode: "stall", count: 5)
        let started = ContinuousClock.now
        let reply = try await caller.call(request, candidates: ["hung", "other"], deadline: .after(.seconds(20)), requestID: "stalled")
        let waited = ContinuousClock.now - started
        reply.slot.release()
        #expect(reply.upstream.name == "other" && reply.fellBack)
        #expect(waited >= learnt - .milliseconds(100) && waited < learnt + .milliseconds(1_500), "about the learnt \(learnt), not 10 s: \(waited)")

        // Slow rather than hung: past the wait both are asked, and the first head wins.
        let slowHead = learnt + .seconds(3)
        try hung.set(mode: "ok", count: 5, delayMilliseconds: Int(slowHead.components.seconds) * 1_000)
        let raced = ContinuousClock.now
        let racing = try await caller.call(request, candidates: ["hung", "other"], deadline: .after(.seconds(20)), requestID: "slow")
        racing.slot.release()
        #expect(racing.upstream.name == "other" && ContinuousClock.now - raced < learnt + .milliseconds(1_500))
        // A failure before the wait goes to the other model at once.
        try hung.set(mode: "fail500", count: 5)
        let failed = ContinuousClock.now
        let fallback = try await caller.call(request, candidates: ["hung", "other"], deadline: .after(.seconds(20)), requestID: "failing")
        fallback.slot.release()
        #expect(fallback.upstream.name == "other" && fallback.fellBack && ContinuousClock.now - failed < .milliseconds(800))
    }
}
