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
        // A share of 0 sends nothing strong, even a win rate of exactly 1.
        let strong = winRate >= threshold && !(request.threshold == nil && request.strongFraction == 0)
        return ScorerAPI.ScoreResponse(winRate: winRate, route: strong ? "strong" : "weak", threshold: threshold, routerVersion: entry.version)
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
        // Between calibrated points (every 5 %), linearly; all strong is a threshold of 0, none strong of 1.
        let points = ([(0.0, 1.0)] + artifact.calibration.compactMap { key, value in Double(key).map { ($0, value) } } + [(1.0, 0.0)])
            .sorted { $0.0 < $1.0 }
        guard points.count > 2 else { throw RPCError(.failedPrecondition, "router has no calibration; send a threshold") }
        guard let upper = points.firstIndex(where: { $0.0 >= fraction }), upper > 0 else { return points[0].1 }
        let (low, high) = (points[upper - 1], points[upper])
        let along = high.0 > low.0 ? (fraction - low.0) / (high.0 - low.0) : 0
        return min(1, max(0, low.1 + (high.1 - low.1) * along))
    }
}
