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
            OptionSpec("battle-weight", default: "auto", value: "auto|W",
                       help: "How much each deployment battle counts in training, base examples counting 1; auto: together as much as the base sources (docs/learning.md)"),
            OptionSpec("holdout", default: "0.75", value: "F", help: "Share of judged battles, the newest, held out to compare the routers (all of them train what is promoted, see --refit)"),
            OptionSpec("blocks", default: "4", value: "N", help: "Consecutive blocks the held-out battles are cut into, each predicted by a candidate trained on the battles before it"),
            OptionSpec("min-holdout", default: "50", value: "N", help: "Fewest held-out battles to decide on (ties count; some must have a winner)"),
            OptionSpec("thresholds", default: "10", value: "N", help: "Quantile bins of win rates APGR is taken over (RouteLLM uses 10)"),
            OptionSpec("margin", default: "0.01", value: "APGR", help: "How much better the candidate's held-out APGR must be to be promoted"),
            OptionSpec("standard-errors", default: "1", value: "Z", help: "And by how many bootstrap standard errors of the difference, so that luck alone does not promote (0: the margin only)"),
            OptionSpec("seed", default: "42", value: "N", help: "Seed for training"),
            .flag("dry-run", help: "Compare, but never promote"),
            OptionSpec("refit", default: "true", value: "true|false",
                       help: "Once the candidate wins, promote the same recipe fitted on every battle, the held-out newest too; false promotes exactly what was compared"),
            OptionSpec("candidate-out", default: "", value: "FILE", help: "Also write the candidate here, promoted or not (to inspect it, or evaluate it with turnout eval --artifacts)"),
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
        let fraction = try options.double("holdout")
        guard try options.double("standard-errors") >= 0 else { throw ConfigurationError.invalid("--standard-errors must be 0 or more") }
        guard fraction > 0, fraction < 1 else { throw ConfigurationError.invalid("--holdout must be between 0 and 1") }

        // The deployment's battles, split by time; the live router's own battles are never held out.
        let origin = try options.require("battles")
        let battles = try DeploymentBattle.lines(try await fetch(origin, key: options.string("export-key")), origin: origin)
        guard let first = battles.first else { throw ConfigurationError.invalid("\(origin) holds no battles: is shadow judging on (docs/learning.md)?") }
        let cutoff = live.trainingSources?.compactMap { $0.kind == "deployment" ? $0.toMs : nil }.max()
        let split = LearningSplit(battles, heldOutFraction: fraction, blocks: try options.int("blocks", range: 1...20), after: cutoff)
        printError("\(origin): \(battles.count) battles between \(first.strongModel) and \(first.weakModel); the \(split.heldOut.count) newest held out in \(split.blocks.count) blocks")

        // The candidate: base sources, then the training battles, weighted.
        let base = try TrainingOptions.corpus(try baseSources(options, live: live), options)
        let seed = UInt64(try options.int("seed", range: 0...Int.max))
        func train(on battles: [DeploymentBattle]) throws -> RouterArtifact {
            var corpus = base
            let items = battles.map(\.item)
            let weight = try battleWeight(options, base: base.items.count, battles: items.count)
            corpus.items += items
            corpus.sources.append(TrainingSource(name: origin, kind: "deployment", items: items, licence: "the operator's own traffic",
                                                 weight: weight, fromMs: battles.first?.timeMs, toMs: battles.last?.timeMs))
            printError("training a \(live.kind) router on \(base.items.count) base examples and \(items.count) battles, each battle counting \(String(format: "%.2f", weight))")
            let embeddings = try EvalCommand.embed(corpus.items.map(\.prompt), model: model, options: options)
            let weights = weight == 1 ? nil : Array(repeating: 1.0, count: base.items.count) + Array(repeating: weight, count: items.count)
            return try RouterTraining.artifact(kind: live.kind, items: corpus.items, embeddings: embeddings, weights: weights, seed: seed,
                                               embeddingModel: model.modelID, dimensions: model.dimensions, sources: corpus.sources)
        }
        // Each held-out block predicted by a candidate trained on what came before it; the live router on the same battles.
        var blocks: [PromotionDecision.Block] = []
        var candidate: RouterArtifact?
        for (index, block) in split.blocks.enumerated() {
            let trained = try train(on: split.training(before: index))
            let items = block.map(\.item)
            let embeddings = try EvalCommand.embed(items.map(\.prompt), model: model, options: options)
            blocks.append(PromotionDecision.Block(items: items, live: live.winRates(for: embeddings), candidate: trained.winRates(for: embeddings)))
            candidate = trained
        }
        let decision = PromotionDecision(blocks: blocks, margin: try options.double("margin"), standardErrors: try options.double("standard-errors"), minimumHeldOut: try options.int("min-holdout", range: 1...Int.max),
                                         thresholds: try options.int("thresholds", range: 2...10_000))
        for (index, block) in decision.perBlock.enumerated() {
            printError("held-out block \(index + 1) of \(decision.perBlock.count): \(block.battles) battles, APGR live \(PromotionDecision.format(block.liveAPGR)), candidate \(PromotionDecision.format(block.candidateAPGR))")
        }
        // What is promoted: the recipe fitted on every battle, or (without refit) the last block's candidate.
        let refit = (options.string("refit") ?? "true") != "false"
        var final = candidate
        if final == nil || (decision.promote && !options.flag("dry-run") && refit) {
            final = try train(on: split.battles)
        }
        guard let candidate = final else { throw ConfigurationError.invalid("no candidate was trained") }
        if let path = options.string("candidate-out"), !path.isEmpty {
            try candidate.write(to: URL(fileURLWithPath: path))
        }
        let candidateVersion = String(try candidate.sealedChecksum().prefix(12))
        var promoted = false
        if decision.promote, !options.flag("dry-run") {
            let kept = try history.promote(candidate)
            promoted = true
            print("promoted: \(decision.reason); \(history.liveFile.path) is now \(candidateVersion)" + (kept.map { " (the previous one is kept in \($0.path))" } ?? ""))
        } else {
            print("not promoted: \(decision.promote ? decision.reason + " (dry run)" : decision.reason)")
        }
        if options.flag("json") {
            let fields: [String: Any] = ["promoted": promoted, "live_apgr": decision.liveAPGR, "candidate_apgr": decision.candidateAPGR, "margin": decision.margin, "difference_se": decision.differenceStandardError, "standard_errors": decision.standardErrors,
                                         "held_out": decision.heldOut, "blocks": split.blocks.count, "battles": battles.count,
                                         "live_version": String(live.checksum.prefix(12)), "candidate_version": candidateVersion, "held_out_needed": decision.heldOutNeeded ?? 0]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
        }
        return 0
    }

    /// `--battle-weight`: a number, or `auto`, which makes the battles together count as much
    /// as the base examples (never less than 1 each): the deployment's own traffic is the
    /// distribution routing is judged on, and however few battles there are yet, they should
    /// not drown in a base set a hundred times their size.
    static func battleWeight(_ options: ParsedOptions, base: Int, battles: Int) throws -> Double {
        let text = options.string("battle-weight") ?? "auto"
        if text == "auto" { return battles > 0 ? max(1, Double(base) / Double(battles)) : 1 }
        guard let weight = Double(text), weight.isFinite, weight >= 0.01, weight <= 10_000 else {
            throw ConfigurationError.invalid("--battle-weight must be auto or a number from 0.01 to 10000, got \"\(text)\"")
        }
        return weight
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
