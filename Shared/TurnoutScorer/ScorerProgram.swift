import Foundation
import TurnoutEmbedderAPI
import TurnoutEmbedding
import TurnoutRouting
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// Configuration and assembly of `turnout-scorer`.
public enum ScorerProgram {
    public static let serviceName = "turnout-scorer"

    public static let spec = CommandSpec(
        name: serviceName,
        summary: "The scoring service: a strong-model win rate and a route for a prompt, from router artifacts in a directory (reloaded on SIGHUP and when a file changes).",
        options: ServerOptions.specs(prefix: "TURNOUT_SCORER", defaultListen: "0.0.0.0:7102") + [
            OptionSpec("routers-dir", env: "TURNOUT_SCORER_ROUTERS_DIR", default: "routers", value: "DIR", help: "Directory of router artifacts (*.json, from turnout train)"),
            OptionSpec("embedder", env: "TURNOUT_EMBEDDER", default: "127.0.0.1:7101", value: "HOST:PORT,...", help: "Embedding service for requests that send text (empty: embeddings only)"),
            OptionSpec("embedding-model", env: "TURNOUT_SCORER_EMBEDDING_MODEL", default: MiniLM.defaultModelID, value: "ID", help: "Embedding model artifacts must have been trained with"),
            OptionSpec("watch-interval", env: "TURNOUT_SCORER_WATCH_INTERVAL", default: "2s", value: "DURATION", help: "How often the directory is checked for changed artifacts"),
            OptionSpec("sw-scan-budget-mib", env: "TURNOUT_SCORER_SW_SCAN_BUDGET_MIB", default: String(QuantizedSimilarityRanking.defaultScanBudgetBytes >> 20), value: "MIB",
                       help: "Rows an sw_ranking query may read; larger routers scan 4-bit, then 2-bit copies (faster, win rates within about 1e-3)"),
        ]
    )

    public static func makeService(_ context: ServiceRunner.Context) throws -> ServiceRunner.Service {
        let options = context.options
        // Before any router loads: the pass each sw_ranking router takes depends on it.
        QuantizedSimilarityRanking.setScanBudget(bytes: try options.int("sw-scan-budget-mib", range: 1...(1 << 20)) << 20)
        let routers = RouterSet(directory: URL(fileURLWithPath: try options.require("routers-dir")), embeddingModel: options.string("embedding-model"),
                                embeddingDimensions: nil, metrics: context.metrics, logger: context.logger)
        routers.reload(force: true)
        if routers.all.isEmpty {
            context.logger.warning("no router artifacts loaded yet", ["dir": .string(routers.directory.path)])
        }
        let embedderTargets = options.string("embedder") ?? ""
        let embedder: WireClient? = embedderTargets.isEmpty ? nil
            : try WireClient(configuration: ClientConfiguration(targets: try options.hostPorts("embedder")), logger: context.logger)
        let scorer = ScorerService(routers: routers, embedder: embedder.map(EmbedderClient.init), metrics: context.metrics, logger: context.logger)
        var registry = HandlerRegistry()
        scorer.register(in: &registry)
        let interval = try options.duration("watch-interval")
        let watcher = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                routers.reload()
            }
        }
        return ServiceRunner.Service(registry: registry, reload: { routers.reload(force: true) }, stop: {
            watcher.cancel()
            embedder?.shutdown()
        })
    }
}
