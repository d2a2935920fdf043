import Foundation
import Testing
import TurnoutRouting
import TurnoutRuntime
import TurnoutScorerAPI
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// `turnout learn` and `turnout rollback` as a operator runs them, on real embeddings, with a
/// scorer serving the routers directory they change.
@Suite struct LearnCommandProcessTests {
    static let modelDirectory = ProcessInfo.processInfo.environment["TURNOUT_MODEL_DIR"] ?? TestPaths.packageRoot.appendingPathComponent("models/all-MiniLM-L6-v2").path

    /// Two families of prompts: proofs the strong model wins, and trivia both answer (a tie).
    static func prompt(_ index: Int, hard: Bool) -> String {
        hard ? "Prove rigorously that the recursive sequence number \(index) converges, with every step justified."
            : "What colour is a ripe banana? Question \(index) of the trivia round."
    }

    /// Battles of both families, the winner right (`flipped` false) or the wrong way round.
    static func battles(_ range: Range<Int>, flipped: Bool, startMs: Int64 = 1_000) -> [[String: Any]] {
        range.map { index in
            let hard = index % 2 == 0
            let winner = hard != flipped ? "model_a" : "tie"
            return ["id": "b\(index)", "time_ms": startMs + Int64(index), "prompt": prompt(index, hard: hard), "model_a": "big", "model_b": "small",
                    "winner": winner, "source": "shadow", "router_version": "v0"]
        }
    }

    static func write(_ lines: [[String: Any]], to url: URL) throws {
        let text = try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }.joined(separator: "\n")
        try Data((text + "\n").utf8).write(to: url)
    }

    /// Runs `turnout`; its standard output and, apart, its standard error.
    static func turnout(_ arguments: [String], in directory: URL) async throws -> (status: Int32, output: String, errors: String) {
        let log = directory.appendingPathComponent("turnout-\(UUID().uuidString).log")
        let process = try ManagedProcess(executable: TestPaths.executable("turnout"), arguments: arguments, logFile: log)
        let status = await process.exited()
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "", process.logLines.joined(separator: "\n"))
    }

    /// A live `classifier` router trained by `turnout train` on `base`.
    static func live(_ directory: URL, flipped: Bool) async throws -> (routers: URL, common: [String]) {
        let routers = directory.appendingPathComponent("routers")
        try FileManager.default.createDirectory(at: routers, withIntermediateDirectories: true)
        let base = directory.appendingPathComponent("base.jsonl")
        try write(battles(0..<60, flipped: flipped), to: base)
        let common = ["--model-dir", modelDirectory, "--cache", directory.appendingPathComponent("cache.sqlite").path,
                      "--strong-model", "big", "--weak-model", "small", "--pairing", "exact"]
        let trained = try await turnout(["train", "--router", "classifier", "--train", base.path, "--out", routers.appendingPathComponent("cls.json").path,
                                         "--licence", "\(base.path)=CC0-1.0"] + common, in: directory)
        #expect(trained.status == 0, "\(trained.output)")
        #expect(trained.errors.contains("embedding: 60/60 (100%)"), "progress, in plain lines off a terminal: \(trained.errors)")
        return (routers, common)
    }

    static func decision(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{\"") && $0.contains("\"promoted\"") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aBetterCandidateIsPromotedServedAndRolledBack() async throws {
        let directory = TestPaths.temporaryDirectory("learn-better")
        let (routers, common) = try await Self.live(directory, flipped: true)
        let liveFile = routers.appendingPathComponent("cls.json")
        let original = try RouterArtifact.load(from: liveFile)
        #expect(original.trainingSources?.first?.licence == "CC0-1.0" && original.trainingSources?.first?.items == 60)
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                    arguments: ["--routers-dir", routers.path, "--embedder", "", "--watch-interval", "100ms"])
        defer { scorer.process.terminate() }
        let client = try WireClient.forTesting([scorer.wireTarget])
        defer { client.shutdown() }
        #expect(try await ScorerClient(client).routers().first?.version == String(original.checksum.prefix(12)))

        let deployment = directory.appendingPathComponent("battles.jsonl")
        try Self.write(Self.battles(100..<300, flipped: false), to: deployment)
        let learned = try await Self.turnout(["learn", "--router", "cls", "--routers-dir", routers.path, "--battles", deployment.path, "--json", "--min-holdout", "20",
                                              "--holdout", "0.2", "--blocks", "2"] + common,
                                             in: directory)
        #expect(learned.status == 0, "\(learned.output)")
        let decision = try Self.decision(learned.output)
        #expect(decision["promoted"] as? Bool == true, "\(learned.output)")
        #expect((decision["candidate_apgr"] as? Double ?? 0) > (decision["live_apgr"] as? Double ?? 1))
        #expect(decision["held_out"] as? Int == 40 && decision["blocks"] as? Int == 2)
        #expect((decision["difference_se"] as? Double ?? 0) > 0, "the difference comes with its spread")

        // The scorer serves the candidate, and says what it was trained on.
        let promoted = try RouterArtifact.load(from: liveFile)
        try await waitUntil(timeout: .seconds(10)) { (try? await ScorerClient(client).routers().first?.version) == String(promoted.checksum.prefix(12)) }
        let sources = try #require(try await ScorerClient(client).routers().first?.trainingSources)
        #expect(sources.map(\.kind) == ["battles", "deployment"])
        #expect(sources[1].items == 200 && sources[1].licence == "the operator's own traffic" && sources[1].toMs == 1_000 + 299, "refitted on every battle")
        #expect(sources[0].name == directory.appendingPathComponent("base.jsonl").path, "the live router's own base source, found again")

        let rolledBack = try await Self.turnout(["rollback", "--router", "cls", "--routers-dir", routers.path], in: directory)
        #expect(rolledBack.status == 0, "\(rolledBack.output)")
        #expect(try RouterArtifact.load(from: liveFile).checksum == original.checksum)
        try await waitUntil(timeout: .seconds(10)) { (try? await ScorerClient(client).routers().first?.version) == String(original.checksum.prefix(12)) }
    }

    @Test func aWorseCandidateOrTooFewBattlesChangeNothing() async throws {
        let directory = TestPaths.temporaryDirectory("learn-worse")
        let (routers, common) = try await Self.live(directory, flipped: false)
        let liveFile = routers.appendingPathComponent("cls.json")
        let before = try Data(contentsOf: liveFile)
        // Training battles the wrong way round, the newest (held out) the right way.
        let deployment = directory.appendingPathComponent("battles.jsonl")
        try Self.write(Self.battles(100..<260, flipped: true) + Self.battles(260..<300, flipped: false, startMs: 10_000), to: deployment)
        let worse = try await Self.turnout(["learn", "--router", "cls", "--routers-dir", routers.path, "--battles", deployment.path, "--json", "--min-holdout", "20",
                                            "--holdout", "0.2", "--blocks", "1"] + common,
                                           in: directory)
        #expect(worse.status == 0, "\(worse.output)")
        #expect(try Self.decision(worse.output)["promoted"] as? Bool == false)
        #expect(worse.output.contains("not promoted") && worse.output.contains("the live router stays"))
        #expect(try Data(contentsOf: liveFile) == before, "the live artifact is untouched")
        #expect(!FileManager.default.fileExists(atPath: routers.appendingPathComponent(".history").path))

        let few = try await Self.turnout(["learn", "--router", "cls", "--routers-dir", routers.path, "--battles", deployment.path, "--min-holdout", "500"] + common,
                                         in: directory)
        #expect(few.status == 0 && few.output.contains("at least 500"), "\(few.output)")
        #expect(try Data(contentsOf: liveFile) == before)

        // Bad input: no such router, an export that is not one, nothing to roll back to.
        let missing = try await Self.turnout(["learn", "--router", "nope", "--routers-dir", routers.path, "--battles", deployment.path] + common, in: directory)
        #expect(missing.status == 1 && missing.output.contains("nope.json"))
        let garbage = directory.appendingPathComponent("garbage.jsonl")
        try Data("{\"prompt\":\"x\"}\n".utf8).write(to: garbage)
        let unreadable = try await Self.turnout(["learn", "--router", "cls", "--routers-dir", routers.path, "--battles", garbage.path] + common, in: directory)
        #expect(unreadable.status == 1 && unreadable.output.contains("line 1"))
        let nothing = try await Self.turnout(["rollback", "--router", "cls", "--routers-dir", routers.path], in: directory)
        #expect(nothing.status == 1 && nothing.output.contains("no earlier artifact"))
    }
}
