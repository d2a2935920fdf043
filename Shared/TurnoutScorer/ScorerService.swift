import TurnoutEmbedderAPI
import TurnoutRouting
import TurnoutScorerAPI
import TurnoutTelemetry
import TurnoutWire

/// The `Scorer` service: a win rate and a route for a prompt, from the routers in a directory.
///
/// Stateless between requests, so any number of replicas can serve behind the wire client.
/// Given text instead of an embedding, it asks the embedding service, passing on what is
/// left of the caller's deadline.
public final class ScorerService: Sendable {
    public let routers: RouterSet
    private let embedder: EmbedderClient?
    private let winRates: Histogram
    private let logger: Logger

    public init(routers: RouterSet, embedder: EmbedderClient?, metrics: MetricsRegistry, logger: Logger) {
        self.routers = routers
        self.embedder = embedder
        self.logger = logger
        winRates = metrics.histogram("turnout_scorer_win_rate", help: "Predicted strong-model win rates.", buckets: stride(from: 0.1, through: 1.0, by: 0.1).map { $0 })
    }

    public func register(in registry: inout HandlerRegistry) {
        registry.register(ScorerAPI.score) { [self] request, _ in try await score(request) }
        registry.register(ScorerAPI.routers) { [self] _, _ in
            ScorerAPI.RoutersResponse(routers: routers.all.map(\.info))
        }
    }

    public func score(_ request: ScorerAPI.ScoreRequest) async throws(RPCError) -> ScorerAPI.ScoreResponse {
        guard let entry = routers.entry(request.router) else {
            let known = routers.all.map(\.name).joined(separator: ", ")
            throw RPCError(.notFound, "no router \"\(request.router)\" is loaded (loaded: \(known.isEmpty ? "none" : known))")
        }
        let artifact = entry.artifact
        let embedding: [Float]
        if let given = request.embedding {
            guard given.count == artifact.embeddingDimensions else {
                throw RPCError(.invalidArgument, "embedding has \(given.count) dimensions; router \(request.router) expects \(artifact.embeddingDimensions)")
            }
            guard given.allSatisfy({ $0.isFinite }) else { throw RPCError(.invalidArgument, "embedding holds a non-finite number") }
            embedding = given
        } else if let text = request.text {
            guard let embedder else { throw RPCError(.failedPrecondition, "this scorer has no embedder configured; send an embedding") }
            embedding = try await embedder.vector(for: text, model: artifact.embeddingModel, dimensions: artifact.embeddingDimensions)
        } else {
            throw RPCError(.invalidArgument, "give an embedding or a text")
        }
        let threshold = try threshold(for: request, artifact: artifact)
        let winRate = artifact.winRate(for: embedding)
        winRates.observe(winRate)
        return ScorerAPI.ScoreResponse(winRate: winRate, route: winRate >= threshold ? "strong" : "weak", threshold: threshold, routerVersion: entry.version)
    }

    /// An explicit threshold, else the one calibrated for the asked strong fraction (or 30%).
    private func threshold(for request: ScorerAPI.ScoreRequest, artifact: RouterArtifact) throws(RPCError) -> Double {
        if let threshold = request.threshold {
            guard threshold.isFinite, (0...1).contains(threshold) else { throw RPCError(.invalidArgument, "threshold must be between 0 and 1") }
            return threshold
        }
        let fraction = request.strongFraction ?? 0.3
        guard fraction.isFinite, (0...1).contains(fraction) else { throw RPCError(.invalidArgument, "strong_fraction must be between 0 and 1") }
        if let exact = artifact.calibration[TrainingData.key(fraction)] { return exact }
        // Between calibrated points: the nearest one.
        guard let nearest = artifact.calibration.keys.compactMap(Double.init).min(by: { abs($0 - fraction) < abs($1 - fraction) }),
              let value = artifact.calibration[TrainingData.key(nearest)] else {
            throw RPCError(.failedPrecondition, "router has no calibration; send a threshold")
        }
        return value
    }
}
