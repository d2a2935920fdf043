import Foundation
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutWire

/// Embeddings from any OpenAI-compatible `/embeddings` endpoint (for example OpenAI's
/// `text-embedding-3-small`, which RouteLLM uses), for deployments that prefer a hosted model.
///
/// Rate limits (429) and server errors (5xx) are retried with exponential backoff, honouring
/// `Retry-After`, within the caller's deadline; what still fails is UNAVAILABLE. A request the
/// upstream refuses as invalid (other 4xx) is INVALID_ARGUMENT, with the upstream's message.
public final class RemoteEmbeddingBackend: EmbeddingBackend {
    public struct Configuration: Sendable {
        /// Base URL including the API version, e.g. `https://api.openai.com/v1`.
        public var baseURL: String
        public var model: String
        public var dimensions: Int
        /// Sent as `Authorization: Bearer ...`; never logged.
        public var apiKey: String?
        public var timeout: Duration = .seconds(10)
        public var maxAttempts = 4
        public var initialBackoff: Duration = .milliseconds(200)

        public init(baseURL: String, model: String, dimensions: Int, apiKey: String?) {
            self.baseURL = baseURL
            self.model = model
            self.dimensions = dimensions
            self.apiKey = apiKey
        }
    }

    public let configuration: Configuration
    private let client: HTTPClient
    private let logger: Logger

    public var modelID: String { configuration.model }
    public var dimensions: Int { configuration.dimensions }

    public init(configuration: Configuration, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    public func embed(_ texts: [String]) async throws(RPCError) -> [[Float]] {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(Payload(model: configuration.model, input: texts)))
        } catch {
            throw RPCError(.internal, "could not encode the embeddings request", cause: ErrorDescription(error))
        }
        var request = HTTPRequest(method: "POST", url: endpoint, headers: [("Content-Type", "application/json")], body: body)
        if let key = configuration.apiKey, !key.isEmpty { request.headers.append(("Authorization", "Bearer \(key)")) }
        request.timeout = configuration.timeout
        let deadline = CallContext.current?.deadline
        var backoff = configuration.initialBackoff
        var lastProblem = ""
        for attempt in 1...max(1, configuration.maxAttempts) {
            if let deadline {
                guard !deadline.hasPassed else { break }
                request.timeout = min(configuration.timeout, .milliseconds(max(1, deadline.remainingMilliseconds)))
            }
            var pause = backoff
            do {
                let response = try await client.send(request)
                switch response.status {
                case 200..<300:
                    return try decode(response.body, expected: texts.count)
                case 429, 500..<600:
                    lastProblem = "upstream answered \(response.status)\(Self.upstreamMessage(response.body).map { ": \($0)" } ?? "")"
                    if let retryAfter = response.head.header("retry-after"), let seconds = Double(retryAfter), seconds >= 0 {
                        pause = .milliseconds(Int64(seconds * 1000))
                    }
                default:
                    throw RPCError(.invalidArgument, "the embeddings upstream refused the request (\(response.status)): \(Self.upstreamMessage(response.body) ?? "no message")")
                }
            } catch let error as HTTPClientError {
                if case .invalidRequest = error { throw RPCError(.internal, "bad embeddings upstream URL \(endpoint): \(error)") }
                lastProblem = error.description
            } catch let error as RPCError {
                throw error
            } catch {
                lastProblem = "\(error)"
            }
            guard attempt < configuration.maxAttempts else { break }
            if let deadline, Deadline.after(pause) >= deadline { break }
            logger.warning("embeddings upstream failed; retrying", ["attempt": .int(attempt), "problem": .string(lastProblem), "pause_ms": .int(pause.milliseconds)])
            try? await Task.sleep(for: pause)
            backoff *= 2
        }
        throw RPCError(.unavailable, "embeddings upstream \(endpoint) unavailable: \(lastProblem)")
    }

    private var endpoint: String {
        configuration.baseURL.hasSuffix("/") ? configuration.baseURL + "embeddings" : configuration.baseURL + "/embeddings"
    }

    private struct Payload: Encodable {
        let model: String
        let input: [String]
    }

    private struct Reply: Decodable {
        struct Item: Decodable {
            let index: Int
            let embedding: [Float]
        }

        let data: [Item]
    }

    /// Parses the reply, puts vectors in input order and makes them unit length.
    private func decode(_ body: [UInt8], expected count: Int) throws(RPCError) -> [[Float]] {
        let reply: Reply
        do {
            reply = try JSONDecoder().decode(Reply.self, from: Data(body))
        } catch {
            throw RPCError(.unavailable, "the embeddings upstream returned malformed JSON: \(String(decoding: body.prefix(80), as: UTF8.self))")
        }
        var vectors = [[Float]?](repeating: nil, count: count)
        for item in reply.data where (0..<count).contains(item.index) {
            vectors[item.index] = item.embedding
        }
        var result: [[Float]] = []
        for vector in vectors {
            guard let vector, vector.count == configuration.dimensions else {
                throw RPCError(.unavailable, "the embeddings upstream returned \(reply.data.count) vectors for \(count) texts, or not \(configuration.dimensions) dimensions each")
            }
            let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            result.append(norm > 0 ? vector.map { $0 / norm } : vector)
        }
        return result
    }

    private static func upstreamMessage(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let error = object["error"] as? [String: Any], let message = error["message"] as? String else { return nil }
        return String(message.prefix(300))
    }
}
