import Foundation
import Testing
import TurnoutEmbedder
import TurnoutEmbedderAPI
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// The real `turnout-embedder` process with the real model.
@Suite struct EmbedderServiceProcessTests {
    static var modelDirectory: String {
        ProcessInfo.processInfo.environment["TURNOUT_MODEL_DIR"] ?? TestPaths.packageRoot.appendingPathComponent("models/all-MiniLM-L6-v2").path
    }

    @Test func servesUnitVectorsInOrderAndCachesThem() async throws {
        let state = TestPaths.temporaryDirectory("embedder")
        let embedder = try await RunningService.start("turnout-embedder", stateDirectory: state, arguments: ["--model-dir", Self.modelDirectory])
        defer { embedder.process.terminate() }
        let client = try WireClient.forTesting([embedder.wireTarget])
        defer { client.shutdown() }
        let texts = ["What is the capital of France?", "", "Write a Python function that reverses a linked list.", "What is the capital of France?"]
        let reply = try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: texts))
        #expect(reply.model == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(reply.dims == 384)
        #expect(reply.vectors.count == 4)
        #expect(reply.vectors[0] == reply.vectors[3])
        for vector in reply.vectors {
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
        // Concurrent single-text calls are batched and come back matching a one-off embedding.
        let singles = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask {
                    (index, try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: [text])).vectors[0])
                }
            }
            return try await group.reduce(into: [Int: [Float]]()) { $0[$1.0] = $1.1 }
        }
        for index in texts.indices {
            let single = try #require(singles[index])
            let cosine = zip(single, reply.vectors[index]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(cosine > 0.99999)
        }
        let info = try await client.call(EmbedderAPI.info, EmptyMessage())
        #expect(info.cacheHits >= 4)
        #expect(info.backend == "local")
    }

    @Test func aMissingModelStopsStartupWithTheSetupHint() async throws {
        let process = try ManagedProcess(executable: TestPaths.executable("turnout-embedder"), arguments: [
            "--listen", "127.0.0.1:0", "--state-dir", TestPaths.temporaryDirectory().path, "--model-dir", "/nonexistent/model"])
        #expect(await process.exited() == 1)
        let log = process.recentLog()
        #expect(log.contains("/nonexistent/model/vocab.txt") || log.contains("/nonexistent/model/model.safetensors"))
        #expect(log.contains("scripts/setup.sh"))
    }

    /// `--max-tokens` cuts each text: with room for three word pieces, a long text embeds as
    /// its first three words do, and differs from a text that shares only two. The uncut
    /// vectors a first run cached on the same state directory are not served to the second:
    /// the cache is kept per precision and cut.
    @Test func maxTokensCutsEachTextAndIsCachedApart() async throws {
        let state = TestPaths.temporaryDirectory("embedder-cut")
        let texts = ["alpha beta gamma delta epsilon zeta", "alpha beta gamma", "alpha beta"]
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        func vectors(_ arguments: [String]) async throws -> (vectors: [[Float]], hits: Int) {
            let embedder = try await RunningService.start("turnout-embedder", stateDirectory: state, arguments: ["--model-dir", Self.modelDirectory] + arguments)
            let client = try WireClient.forTesting([embedder.wireTarget])
            let vectors = try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: texts)).vectors
            let hits = try await client.call(EmbedderAPI.info, EmptyMessage()).cacheHits
            client.shutdown()
            // A clean stop writes the cache's queued entries before the next run opens the file.
            #expect(await embedder.process.terminated() == 0)
            return (vectors, hits)
        }
        let uncut = try await vectors([])
        #expect(cosine(uncut.vectors[0], uncut.vectors[1]) < 0.99, "uncut, the long text is not its first three words")
        let cut = try await vectors(["--max-tokens", "5"])
        #expect(cut.hits == 0, "the uncut run's vectors are cached apart")
        #expect(cosine(cut.vectors[0], cut.vectors[1]) > 0.99999)
        #expect(cosine(cut.vectors[0], cut.vectors[2]) < 0.99)
        let again = try await vectors([])
        #expect(again.hits == 3 && again.vectors == uncut.vectors, "and the uncut ones are still there for an uncut run")
    }

    @Test(arguments: [["--encoder-precision", "fp16"], ["--max-tokens", "2"], ["--batch-workers", "0"]])
    func aBadEncoderOptionStopsStartupNamingIt(_ option: [String]) async throws {
        let process = try ManagedProcess(executable: TestPaths.executable("turnout-embedder"), arguments: [
            "--listen", "127.0.0.1:0", "--state-dir", TestPaths.temporaryDirectory().path, "--model-dir", Self.modelDirectory] + option)
        #expect(await process.exited() == 2, "a configuration error exits with the usage status")
        #expect(process.recentLog().contains(option[0]), "\(process.recentLog())")
    }

    @Test func aCorruptCacheIsMovedAsideAndTheServiceServes() async throws {
        let state = TestPaths.temporaryDirectory("embedder-corrupt")
        try Data(repeating: 0x77, count: 20000).write(to: state.appendingPathComponent("embedding-cache.sqlite"))
        let embedder = try await RunningService.start("turnout-embedder", stateDirectory: state, arguments: ["--model-dir", Self.modelDirectory])
        defer { embedder.process.terminate() }
        let client = try WireClient.forTesting([embedder.wireTarget])
        defer { client.shutdown() }
        let reply = try await client.call(EmbedderAPI.embed, EmbedderAPI.EmbedRequest(texts: ["still serving"]))
        #expect(reply.vectors.count == 1)
        #expect(embedder.process.logLines.contains { $0.contains("embedding cache was damaged") })
        let names = try FileManager.default.contentsOfDirectory(atPath: state.path)
        #expect(names.contains { $0.hasPrefix("embedding-cache.sqlite.corrupt-") })
    }

    @Test func embedCommandUsesTheServiceOrComputesInProcess() async throws {
        let embedder = try await RunningService.start("turnout-embedder", stateDirectory: TestPaths.temporaryDirectory(), arguments: ["--model-dir", Self.modelDirectory])
        defer { embedder.process.terminate() }
        func run(_ arguments: [String]) async throws -> [String: Any] {
            let directory = TestPaths.temporaryDirectory("embed-cli")
            let output = directory.appendingPathComponent("out.json")
            let process = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", "'\(TestPaths.executable("turnout"))' embed \(arguments.map { "'\($0)'" }.joined(separator: " ")) > '\(output.path)'"])
            #expect(await process.exited() == 0, "\(process.recentLog())")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        }
        let viaService = try await run(["--target", "127.0.0.1:\(embedder.wirePort)", "hello world"])
        #expect((viaService["source"] as? String)?.hasPrefix("service") == true)
        let local = try await run(["--target", "127.0.0.1:1", "--model-dir", Self.modelDirectory, "hello world"])
        #expect(local["source"] as? String == "in-process")
        let a = try #require((viaService["vectors"] as? [[Double]])?.first)
        let b = try #require((local["vectors"] as? [[Double]])?.first)
        #expect(a.count == 384)
        #expect(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } > 0.99999)
    }
}
