import Foundation
import Testing
import TurnoutCollector
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// A minute ago: test rows must be younger than the stores' retention.
let recently = Int64(Date().timeIntervalSince1970 * 1000) - 60_000

extension BattleRecord {
    static func sample(_ id: String, timeMs: Int64 = recently, winner: Winner = .modelA, source: Source = .shadow, version: String = "v1") -> BattleRecord {
        BattleRecord(id: id, timeMs: timeMs, requestID: "req-\(id)", prompt: "How many primes are there below \(id)?", modelA: "big", modelB: "small",
                     winner: winner, judge: "judge", router: "gain", routerVersion: version, route: "weak", source: source)
    }
}

extension FeedbackRecord {
    static func sample(_ id: String, rating: Rating = .down, timeMs: Int64 = recently) -> FeedbackRecord {
        FeedbackRecord(id: id, timeMs: timeMs, requestTimeMs: timeMs - 10, rating: rating, score: nil, comment: nil, router: "gain", routerVersion: "v1",
                       route: "weak", answeringModel: "small", strongModel: "big", weakModel: "small", prompt: "Prompt of \(id), long enough")
    }
}

@Suite struct LearningStoreTests {
    func store(learning: RecordStore.Retention = .learningDefault) throws -> RecordStore {
        let path = TestPaths.temporaryDirectory("learning").appendingPathComponent("records.sqlite").path
        return try RecordStore(path: path, learningRetention: learning, logger: Logger(service: "test", sink: MemoryLogSink()))
    }

    @Test func battlesAndRatingsAreStoredOncePerID() async throws {
        let records = try store()
        defer { records.close() }
        let battles = (0..<50).map { BattleRecord.sample("b\($0)") }
        #expect(try await records.store(battles: battles) == 50)
        #expect(try await records.store(battles: battles) == 0)
        #expect(try await records.store(feedback: [.sample("r1"), .sample("r2")]) == 2)
        #expect(try await records.store(feedback: [.sample("r1", rating: .up)]) == 0, "one rating per request: the first stands")
        let page = try records.exportPage(.feedback, since: 0, until: .max, after: nil)
        #expect(page.lines.count == 2 && page.lines.allSatisfy { $0.contains("\"rating\":\"down\"") })
    }

    @Test func exportsPageInTimeOrderAndFilter() async throws {
        let records = try store()
        defer { records.close() }
        // 2,500 battles over 25 ms, stored out of order, a tenth from feedback.
        let battles = (0..<2500).reversed().map { BattleRecord.sample(String(format: "b%05d", $0), timeMs: recently + Int64($0 / 100), source: $0 % 10 == 0 ? .feedback : .shadow) }
        _ = try await records.store(battles: battles)
        var cursor: RecordStore.ExportCursor?
        var seen: [String] = []
        repeat {
            let page = try records.exportPage(.battles, since: 0, until: .max, after: cursor)
            seen += try page.lines.map { try JSONDecoder().decode(BattleRecord.self, from: Data($0.utf8)).id }
            cursor = page.lines.count == RecordStore.exportPageSize ? page.last : nil
        } while cursor != nil
        #expect(seen == (0..<2500).map { String(format: "b%05d", $0) }, "every battle once, in time order")
        let window = try records.exportPage(.battles, since: recently + 5, until: recently + 7, after: nil)
        #expect(window.lines.count == 200)
        let judged = try records.exportPage(.battles, since: 0, until: .max, after: nil, source: .feedback, limit: 5000)
        #expect(judged.lines.count == 250)
    }

    @Test func judgementsAreCountedByRouterVersion() async throws {
        let records = try store()
        defer { records.close() }
        _ = try await records.store(battles: [.sample("a", winner: .modelA), .sample("b", winner: .modelB), .sample("c", winner: .tie), .sample("d", winner: .modelA),
                                              .sample("e", winner: .modelA, version: "v2"), .sample("f", winner: .modelA, source: .feedback)])
        _ = try await records.store(feedback: [.sample("r1", rating: .up), .sample("r2", rating: .down), .sample("r3", rating: .down)])
        let groups = try records.judgements(fromMs: nil, toMs: nil)
        #expect(groups.map(\.routerVersion) == ["v1", "v2"])
        let first = groups[0]
        #expect(first.judged == 4 && first.strongWins == 2 && first.weakWins == 1 && first.ties == 1, "feedback battles are not judgements")
        #expect(first.ratedUp == 1 && first.ratedDown == 2)
        #expect(abs(first.strongWinShare - 2.5 / 4) < 1e-12)
        let summary = try records.summary(fromMs: nil, toMs: nil)
        #expect(summary.judgements == groups)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any])
        let encoded = try #require((json["judgements"] as? [[String: Any]])?.first)
        #expect(encoded["strong_win_share"] as? Double == 0.625)
    }

    @Test func battleRetentionIsApartFromRoutingRecords() async throws {
        let records = try store(learning: RecordStore.Retention(maxAge: .seconds(3600), maxRows: 3))
        defer { records.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try await records.store([.sample(id: "old-record", timeMs: now - 7_200_000)])
        _ = try await records.store(battles: [.sample("old", timeMs: now - 7_200_000)] + (0..<5).map { .sample("new\($0)", timeMs: now - Int64($0)) })
        await records.enforceRetention()
        let left = try records.exportPage(.battles, since: 0, until: .max, after: nil).lines.count
        #expect(left == 3, "too old, then past the row cap")
        #expect(records.count == 1, "routing records keep their own 30-day retention")
    }
}

@Suite struct BattleExportProcessTests {
    @Test func theCollectorServesBattlesOverTheWireAndExportsThemAsJSONL() async throws {
        let collector = try await RunningService.start("turnout-collector", stateDirectory: TestPaths.temporaryDirectory("export"), http: true,
                                                       arguments: ["--export-api-keys", "export-secret", "--durability", "normal"])
        defer { collector.process.terminate() }
        let client = try WireClient.forTesting([collector.wireTarget])
        defer { client.shutdown() }
        let collectorClient = CollectorClient(client)
        let battles = (0..<1200).map { BattleRecord.sample(String(format: "b%04d", $0), timeMs: recently + Int64($0)) }
        #expect(try await collectorClient.store(battles: battles).stored == 1200)
        #expect(try await collectorClient.store(battles: Array(battles.prefix(10))).stored == 0)
        #expect(try await collectorClient.store(feedback: [.sample("r1")]).stored == 1)
        // A battle without a prompt is refused, and nothing of its batch is stored.
        var empty = BattleRecord.sample("bad")
        empty.prompt = ""
        await #expect(throws: RPCError.self) { try await collectorClient.store(battles: [empty, .sample("alongside")]) }

        let http = HTTPClient()
        defer { http.shutdown() }
        func get(_ path: String, key: String? = "export-secret") async throws -> HTTPResponse {
            var request = HTTPRequest(url: collector.httpBase + path)
            if let key { request.headers.append(("Authorization", "Bearer \(key)")) }
            return try await http.send(request)
        }
        #expect(try await get("/battles", key: nil).status == 401)
        #expect(try await get("/battles", key: "wrong").status == 401)
        let all = try await get("/battles")
        #expect(all.status == 200 && all.head.header("content-type") == "application/x-ndjson")
        let lines = String(decoding: all.body, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1200, "across two pages")
        let decoded = try lines.map { try JSONDecoder().decode(BattleRecord.self, from: Data($0.utf8)) }
        #expect(decoded == battles)
        let since = try await get("/battles?since=\(recently + 1100)&source=shadow")
        #expect(String(decoding: since.body, as: UTF8.self).split(separator: "\n").count == 100)
        #expect(try await get("/battles?since=yesterday").status == 400)
        #expect(try await get("/battles?colour=red").status == 400)
        #expect(try await get("/feedback?source=shadow").status == 400)
        #expect(String(decoding: try await get("/feedback").body, as: UTF8.self).contains("\"id\":\"r1\""))
        // The dashboard, which needs no key, shows the judged battles by router version.
        let page = String(decoding: try await get("/", key: nil).body, as: UTF8.self)
        #expect(page.contains("Judged by the deployment") && page.contains("<td>v1</td><td>1200</td>"))
    }
}
