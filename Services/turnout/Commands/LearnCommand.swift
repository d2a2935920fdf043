import Foundation
import TurnoutHTTPClient
import TurnoutRouting
import TurnoutRuntime

/// `turnout learn`: retrains a live router on its base sources plus the deployment's own
/// battles, and promotes the candidate only if it beats the live router on the most recent
/// battles, held out by time (docs/learning.md).
enum LearnCommand {
    static let spec = CommandSpec(
        name: "turnout learn",
        summary: "Train a candidate for a live router on its base sources plus the deployment's judged battles (GET /battles), compare it with the live router on the most recent battles held out by time, and promote it where the scorers hot-reload only if it is better by --margin; otherwise say why and change nothing.",
        options: [
            OptionSpec("router", value: "NAME", help: "The live router: <routers-dir>/NAME.json"),
            OptionSpec("routers-dir", env: "TURNOUT_SCORER_ROUTERS_DIR", default: "routers", value: "DIR", help: "Where the scorers load routers from"),
            OptionSpec("battles", env: "TURNOUT_BATTLES", default: "http://127.0.0.1:9464/battles", value: "URL|FILE",
                       help: "The deployment's battles: the collector's GET /battles, or an export of it saved as .jsonl"),
            OptionSpec("export-key", env: "TURNOUT_COLLECTOR_EXPORT_KEY", default: "", value: "KEY", help: "Bearer key for the collector's export (--export-api-keys)"),
            OptionSpec("base", value: "PATH,...", help: "Base training sources as for turnout train (default: the live router's own sources that exist here, battles excepted)"),
            OptionSpec("battle-weight", default: "1", value: "W", help: "Each deployment battle counts W times in training (whole numbers; base examples count once)"),
            OptionSpec("holdout", default: "0.2", value: "F", help: "Share of judged battles, the newest, held out to compare the routers"),
            OptionSpec("min-holdout", default: "50", value: "N", help: "Fewest held-out battles with a winner to decide on"),
            OptionSpec("margin", default: "0.01", value: "APGR", help: "How much better the candidate's held-out APGR must be to be promoted"),
            OptionSpec("seed", default: "42", value: "N", help: "Seed for training"),
            .flag("dry-run", help: "Compare, but never promote"),
            .flag("json", help: "End with one JSON line: the decision and its figures"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache"),
        ] + TrainingOptions.specs
    )

    static let subcommand = Subcommand(name: "learn", summary: "Retrain a router on the deployment's battles; promote it only if it is better") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            return try await run(options)
        } catch {
            printError("turnout learn: \(error)")
            return 1
        }
    }

    static func run(_ options: ParsedOptions) async throws -> Int32 {
        let name = try options.require("router")
        let history = ArtifactHistory(routersDirectory: URL(fileURLWithPath: try options.require("routers-dir")), name: name)
        let model = try EvalCommand.loadModel(options)
        let live = try RouterArtifact.load(from: history.liveFile, expectedModel: model.modelID)
        let weight = try options.int("battle-weight", range: 1...100)
        let fraction = try options.double("holdout")
        guard fraction > 0, fraction < 1 else { throw ConfigurationError.invalid("--holdout must be between 0 and 1") }

        // The deployment's battles, split by time; the live router's own battles are never held out.
        let origin = try options.require("battles")
        let battles = try DeploymentBattle.lines(try await fetch(origin, key: options.string("export-key")), origin: origin)
        guard let first = battles.first else { throw ConfigurationError.invalid("\(origin) holds no battles: is shadow judging on (docs/learning.md)?") }
        let cutoff = live.trainingSources?.compactMap { $0.kind == "deployment" ? $0.toMs : nil }.max()
        let split = LearningSplit(battles, heldOutFraction: fraction, after: cutoff)
        printError("\(origin): \(battles.count) battles between \(first.strongModel) and \(first.weakModel); \(split.heldOut.count) newest held out, \(split.training.count) train")

        // The candidate: base sources, then the training battles, each counted `weight` times.
        var corpus = try TrainingOptions.corpus(try baseSources(options, live: live), options)
        let trainingItems = split.training.map(\.item)
        corpus.items += Array(repeating: trainingItems, count: weight).flatMap { $0 }
        corpus.sources.append(TrainingSource(name: origin, kind: "deployment", items: trainingItems, licence: "the operator's own traffic",
                                             weight: Double(weight), fromMs: split.training.first?.timeMs, toMs: split.training.last?.timeMs))
        let embeddings = try EvalCommand.embed(corpus.items.map(\.prompt), model: model, options: options)
        let candidate = try RouterTraining.artifact(kind: live.kind, items: corpus.items, embeddings: embeddings, seed: UInt64(try options.int("seed", range: 0...Int.max)),
                                                    embeddingModel: model.modelID, dimensions: model.dimensions, sources: corpus.sources)

        // Both routers on the same held-out battles.
        let heldOut = split.heldOut.map(\.item)
        let heldOutEmbeddings = try EvalCommand.embed(heldOut.map(\.prompt), model: model, options: options)
        let decision = PromotionDecision(live: live.winRates(for: heldOutEmbeddings), candidate: candidate.winRates(for: heldOutEmbeddings), heldOut: heldOut,
                                         margin: try options.double("margin"), minimumHeldOut: try options.int("min-holdout", range: 1...Int.max))
        var promoted = false
        if decision.promote, !options.flag("dry-run") {
            let kept = try history.promote(candidate)
            promoted = true
            print("promoted: \(decision.reason); \(history.liveFile.path) is now \(candidate.checksum.prefix(12))" + (kept.map { " (the previous one is kept in \($0.path))" } ?? ""))
        } else {
            print("not promoted: \(decision.promote ? decision.reason + " (dry run)" : decision.reason)")
        }
        if options.flag("json") {
            let fields: [String: Any] = ["promoted": promoted, "live_apgr": decision.liveAPGR, "candidate_apgr": decision.candidateAPGR, "margin": decision.margin,
                                         "held_out": decision.heldOut, "training_battles": split.training.count, "battles": battles.count,
                                         "live_version": String(live.checksum.prefix(12)), "candidate_version": String(candidate.checksum.prefix(12))]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
        }
        return 0
    }

    /// `--base`, or the live router's own sources that are not deployment battles and exist here.
    static func baseSources(_ options: ParsedOptions, live: RouterArtifact) throws -> [URL] {
        let given = TrainingOptions.paths(options, "base")
        if !given.isEmpty { return given }
        let own = (live.trainingSources ?? []).filter { $0.kind != "deployment" }.map { URL(fileURLWithPath: $0.name) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !own.isEmpty else {
            throw ConfigurationError.invalid("the live router records no base sources found here; name them with --base (for example ../shared/data/mmlu)")
        }
        return own
    }

    /// The export's bytes, from the collector or a file.
    static func fetch(_ origin: String, key: String?) async throws -> [UInt8] {
        guard origin.hasPrefix("http://") || origin.hasPrefix("https://") else {
            return Array(try Data(contentsOf: URL(fileURLWithPath: origin)))
        }
        let client = HTTPClient()
        defer { client.shutdown() }
        var request = HTTPRequest(url: origin)
        if let key, !key.isEmpty { request.headers.append(("Authorization", "Bearer \(key)")) }
        request.timeout = .seconds(600)
        let response = try await client.send(request)
        guard response.status == 200 else {
            throw ConfigurationError.invalid("\(origin) answered HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        return response.body
    }
}
