import Foundation
import TurnoutEmbedder
import TurnoutRouting
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// The `Scorer` service: a win rate and a route for a prompt, from the routers in a directory.
///
/// Stateless between requests, so any number of replicas can serve behind the wire client.
/// Given text instead of an embedding, it asks the embedding service, passing on what is
/// left of the caller's deadline.
public final class ScorerService: Sendable {
    public let routers: RouterSet
    private let embedder: WireClient?
    private let winRates: Histogram
    private let logger: Logger

    public init(routers: RouterSet, embedder: WireClient?, metrics: MetricsRegistry, logger: Logger) {
        self.routers = routers
        self.embedder = embedder
        self.logger = logger
        winRates = metrics.histogram("turnout_scorer_win_rate", help: "Predicted strong-model win rates.", buckets: stride(from: 0.1, through: 1.0, by: 0.1).map { $0 })
    }

    public func register(in registry: inout HandlerRegistry) {
        // Scorer/Score is the hot path: its body is read by the wire's scanner (hundreds of floats
        // per request) and its answer written by hand, instead of going through Codable.
        registry.registerRaw(ScorerAPI.score) { [self] body, _ in
            let response = try await score(try Self.parseScoreRequest(body))
            var bytes: [UInt8] = []
            JSONWriter.appendRaw("{\"win_rate\":", to: &bytes)
            bytes.append(contentsOf: String(response.winRate).utf8)
            JSONWriter.appendRaw(",\"route\":", to: &bytes)
            JSONWriter.appendString(response.route, to: &bytes)
            JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
            bytes.append(contentsOf: String(response.threshold).utf8)
            JSONWriter.appendRaw(",\"router_version\":", to: &bytes)
            JSONWriter.appendString(response.routerVersion, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
            return bytes
        }
        registry.register(ScorerAPI.routers) { [self] (_: EmptyMessage, _: CallContext) async throws -> ScorerAPI.RoutersResponse in
            ScorerAPI.RoutersResponse(routers: routers.all.map { entry in
                var pass: String?
                if case .similarityRanking(let model) = entry.artifact.weights { pass = model.similarityPass.rawValue }
                return ScorerAPI.RouterInfo(name: entry.name, kind: entry.artifact.kind, version: entry.version, embeddingModel: entry.artifact.embeddingModel,
                                            embeddingDims: entry.artifact.embeddingDimensions, trainingBattles: entry.artifact.trainingBattles,
                                            createdAt: entry.artifact.createdAt, strongFractions: entry.artifact.calibration.keys.sorted(), similarityPass: pass)
            })
        }
    }

    /// Reads a `ScoreRequest` body; unknown fields are ignored, as `Codable` would.
    static func parseScoreRequest(_ body: [UInt8]) throws(RPCError) -> ScorerAPI.ScoreRequest {
        var scanner = JSONScanner(bytes: body)
        var request = ScorerAPI.ScoreRequest(router: "")
        var sawRouter = false
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "embedding": if try !scanner.consumeNull() { request.embedding = try scanner.readFloatArray() }
                case "text": if try !scanner.consumeNull() { request.text = try scanner.readString() }
                case "router":
                    request.router = try scanner.readString()
                    sawRouter = true
                case "threshold": if try !scanner.consumeNull() { request.threshold = try scanner.readDouble() }
                case "strong_fraction": if try !scanner.consumeNull() { request.strongFraction = try scanner.readDouble() }
                default: try scanner.skipValue()
                }
            }
        } catch {
            throw RPCError(.invalidArgument, "invalid body: \(error)")
        }
        guard sawRouter else { throw RPCError(.invalidArgument, "invalid body: missing field \"router\"") }
        return request
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
            let body = try WireCoding.encode(EmbedderAPI.EmbedRequest(texts: [text], model: artifact.embeddingModel))
            let reply = try EmbedderAPI.EmbedResponse.parse(try await embedder.callRaw(EmbedderAPI.embed, body: body))
            guard let vector = reply.vectors.first, vector.count == artifact.embeddingDimensions else {
                throw RPCError(.internal, "the embedder returned no vector of \(artifact.embeddingDimensions) dimensions")
            }
            embedding = vector
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
