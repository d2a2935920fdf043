import COpenBLAS
import Foundation
import TurnoutRouting
import TurnoutRuntime

/// `turnout bench scorer`: per-query cost of sw_ranking and mf, and Scorer/Score over the wire.
enum ScorerBench {
    static let spec = CommandSpec(
        name: "turnout bench scorer",
        summary: "Measure routers: sw_ranking over 100,000 battles and mf per query on one core, and Scorer/Score with the embedding supplied at 50 connections.",
        options: [
            .flag("json", help: "Print one JSON object instead of text"),
            OptionSpec("battles", default: "100000", value: "N", help: "Training battles for the sw_ranking measurement"),
            OptionSpec("routers-dir", default: "routers", value: "DIR", help: "Artifacts for the service phase (needs mf.json)"),
            OptionSpec("duration", default: "3s", value: "DURATION", help: "Measured time of the service phase"),
        ]
    )

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            BenchSupport.warnIfDebug()
            var report: [String: Double] = [:]
            var generator = SeededGenerator(seed: 1)
            func unitVector() -> [Float] {
                let raw = (0..<384).map { _ in Float.random(in: -1...1, using: &generator) }
                let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return raw.map { $0 / norm }
            }
            // One core, as a replica pinned to one CPU would run.
            openblas_set_num_threads(1)
            let battles = try options.int("battles", range: 100...10_000_000)
            let outcomes: [SimilarityWeightedRanking.Outcome] = (0..<battles).map { _ in [.strongWins, .weakWins, .tie][Int.random(in: 0..<3, using: &generator)] }
            let sw = SimilarityWeightedRanking(dimensions: 384, embeddings: (0..<battles).map { _ in unitVector() }, outcomes: outcomes)
            let queries = (0..<50).map { _ in unitVector() }
            var swTimes: [Double] = []
            for query in queries + queries {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = sw.winRate(for: query)
                swTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            swTimes.sort()
            report["sw_p50_ms"] = swTimes[swTimes.count / 2]
            report["sw_battles"] = Double(battles)

            // As the scorer serves it: an artifact, whose mf is folded into one vector at load.
            let mf = RouterArtifact(kind: "mf", embeddingModel: "bench", embeddingDimensions: 384, hyperparameters: [:], trainingDataSHA256: "",
                                    trainingBattles: 0, calibration: [:], weights: .matrixFactorization(MatrixFactorization(embeddingDimensions: 384, dimension: 128, seed: 7)))
            var mfTimes: [Double] = []
            for index in 0..<5000 {
                let query = queries[index % queries.count]
                let start = DispatchTime.now().uptimeNanoseconds
                _ = mf.winRate(for: query)
                mfTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
            }
            mfTimes.sort()
            report["mf_p50_us"] = mfTimes[mfTimes.count / 2]
            openblas_set_num_threads(2)

            // The service, embedding supplied, 50 connections.
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-scorer-\(UUID().uuidString)")
            let scorer = try ManagedProcess(executable: BenchSupport.executable("turnout-scorer"), arguments: [
                "--listen", "127.0.0.1:0", "--state-dir", state.path, "--routers-dir", try options.require("routers-dir"), "--embedder", "", "--log-level", "warning"])
            defer { scorer.terminate() }
            let port = try await scorer.listening()
            let body = Array("{\"router\":\"mf\",\"threshold\":0.5,\"embedding\":[\(queries[0].map { String($0) }.joined(separator: ","))]}".utf8)
            let load = LoadGenerator(port: UInt16(port), connections: 50, pipeline: 1, method: "Scorer/Score", body: body)
            let result = try load.run(warmup: .milliseconds(500), duration: try options.duration("duration"))
            guard result.errors == 0 else { throw BenchError("\(result.errors) Scorer/Score calls failed (is there a routers/mf.json?)") }
            report["score_rps_c50"] = result.requestsPerSecond.rounded()
            report["score_c50_p50_us"] = result.percentileMicroseconds(0.5)
            report["score_c50_p99_us"] = result.percentileMicroseconds(0.99)
            if options.flag("json") {
                print(BenchSupport.json(report))
            } else {
                for key in report.keys.sorted() { print("\(key): \(String(format: "%.3f", report[key] ?? 0))") }
            }
            return 0
        } catch {
            printError("turnout bench scorer: \(error)")
            return 1
        }
    }
}
