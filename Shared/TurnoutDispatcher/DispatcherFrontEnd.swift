import Foundation
import Synchronization
import TurnoutJSON
import TurnoutTransport

/// The OpenAI-compatible HTTP surface: paths, authentication, request ids, health and readiness.
public final class DispatcherFrontEnd: Sendable {
    private let dispatcher: Dispatcher
    private let keys: BearerToken
    /// Whether the embedder, a scorer and routers are reachable; see `ready()`.
    private let readiness: @Sendable () async -> (ready: Bool, detail: [String: String])
    private let sequence = Atomic<UInt64>(0)
    private let instance = String(UInt32.random(in: 0...UInt32.max), radix: 16)

    public init(dispatcher: Dispatcher, readiness: @escaping @Sendable () async -> (ready: Bool, detail: [String: String])) {
        self.dispatcher = dispatcher
        keys = BearerToken(keys: dispatcher.configuration.apiKeys)
        self.readiness = readiness
    }

    public func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/health"), ("HEAD", "/health"):
            return .json(200, Array(#"{"status":"ok"}"#.utf8))
        case ("GET", "/ready"), ("HEAD", "/ready"):
            return await ready()
        default:
            break
        }
        guard path.hasPrefix("/v1/") else {
            return .json(404, OpenAIError.notFound("no route for \(request.method) \(path)").body)
        }
        let client: Int?
        switch identify(authorization: request.header("authorization")) {
        case let .success(identified): client = identified
        case let .failure(refusal): return .json(refusal.status, refusal.body, headers: [("WWW-Authenticate", "Bearer")])
        }
        switch (request.method, path) {
        case ("POST", "/v1/chat/completions"):
            return await complete(request, client: client)
        case ("POST", "/v1/route"):
            return await route(request)
        case ("GET", "/v1/models"):
            return .json(200, await models())
        case ("POST", "/v1/feedback"):
            return feedback(request, client: client)
        case ("GET", _) where path.hasPrefix("/v1/models/"):
            return await model(id: String(path.dropFirst("/v1/models/".count)))
        case (_, "/v1/chat/completions"), (_, "/v1/route"), (_, "/v1/models"), (_, "/v1/feedback"):
            let error = OpenAIError(status: 405, message: "method \(request.method) is not allowed on \(path)", type: "invalid_request_error")
            return .json(405, error.body)
        case (_, _) where path.hasPrefix("/v1/models/"):
            let error = OpenAIError(status: 405, message: "method \(request.method) is not allowed on \(path)", type: "invalid_request_error")
            return .json(405, error.body)
        default:
            return .json(404, OpenAIError.notFound("unknown endpoint \(request.method) \(path); this server offers /v1/chat/completions, /v1/models, /v1/route and /v1/feedback").body)
        }
    }

    /// `POST /v1/chat/completions`: the body is read here, once, and the result mapped to HTTP.
    private func complete(_ request: HTTPServerRequest, client: Int?) async -> HTTPServerResponse {
        let id = requestID(given: request.header("x-request-id"))
        let result: CompletionResult
        do throws(OpenAIError) {
            result = await dispatcher.complete(try ChatRequest(body: request.body), requestID: id, client: client)
        } catch {
            result = dispatcher.refuse(error, requestID: id)
        }
        let headers = result.route.headers
        var response: HTTPServerResponse
        switch result.answer {
        case let .completion(body):
            response = .json(200, body, headers: headers)
        case let .stream(stream):
            response = HTTPServerResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")] + headers,
                                          body: .stream { writer in await stream.relay { writer.write($0) } })
        case let .failure(error):
            response = .json(error.status, error.body, headers: headers + (error.retryAfter.map { [("Retry-After", $0)] } ?? []))
        }
        response.afterDelivery = result.afterDelivery
        return response
    }

    /// `POST /v1/feedback` (`FeedbackReceiver`).
    private func feedback(_ request: HTTPServerRequest, client: Int?) -> HTTPServerResponse {
        guard let learning = dispatcher.learning else {
            return .json(503, OpenAIError(status: 503, message: "this dispatcher takes no feedback", type: "api_error", code: "feedback_unavailable").body)
        }
        do throws(OpenAIError) {
            return .json(200, try learning.feedback.receive(try FeedbackReceiver.Submission(body: request.body), client: client))
        } catch {
            return .json(error.status, error.body)
        }
    }

    /// `POST /v1/route`.
    private func route(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        do throws(OpenAIError) {
            return .json(200, try await dispatcher.route(try RouteRequest(body: request.body)).encoded())
        } catch {
            return .json(error.status, error.body)
        }
    }

    /// nil when the request may proceed. Keys are compared in constant time.
    public func authenticate(authorization header: String?) -> OpenAIError? {
        if case let .failure(refusal) = identify(authorization: header) { return refusal }
        return nil
    }

    /// The client a request comes from (the index of the key it presents; nil without keys),
    /// or its refusal. Ratings are accepted only from the client a request came from.
    public func identify(authorization header: String?) -> Result<Int?, OpenAIError> {
        switch keys.match(authorization: header) {
        case let .success(client): .success(client)
        case .failure(.missing): .failure(.unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."))
        case .failure(.malformed): .failure(.unauthorized("The Authorization header must be 'Bearer YOUR_KEY'."))
        case .failure(.wrongKey): .failure(.unauthorized("Incorrect API key provided."))
        }
    }

    /// The client's `x-request-id` when it sent a sane one, else a fresh id.
    public func requestID(given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count),
           given.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) {
            return given
        }
        let number = sequence.add(1, ordering: .relaxed).newValue
        return "turnout-\(instance)-\(Int64(Date().timeIntervalSince1970 * 1000))-\(number)"
    }

    /// Router models (`router-<name>` for each router a scorer serves) and the upstreams.
    func models() async -> [UInt8] {
        await dispatcher.decider.refreshRouters()
        var ids = dispatcher.decider.knownRouters.sorted().map { (id: "router-\($0)", owner: "turnout") }
        ids += dispatcher.configuration.upstreams.map { (id: $0.name, owner: "upstream") }
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"object\":\"list\",\"data\":[", to: &bytes)
        for (index, entry) in ids.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendModel(entry.id, owner: entry.owner, to: &bytes)
        }
        JSONWriter.appendRaw("]}", to: &bytes)
        return bytes
    }

    /// `GET /v1/models/{id}`: any name a chat completion would take (`router-mf`,
    /// `router-mf-0.2`, `router-mf@30%`, an upstream), else 404 `model_not_found`.
    func model(id encoded: String) async -> HTTPServerResponse {
        let id = encoded.removingPercentEncoding ?? encoded
        if dispatcher.decider.knownRouters.isEmpty || (ModelSelection.routerName(in: id).map { !dispatcher.decider.knownRouters.contains($0) } ?? false) {
            await dispatcher.decider.refreshRouters()
        }
        do throws(OpenAIError) {
            let selection = try ModelSelection.parse(id, routers: dispatcher.decider.knownRouters, upstreams: Set(dispatcher.configuration.upstreams.map(\.name)))
            var bytes: [UInt8] = []
            Self.appendModel(id, owner: selection.router == nil ? "upstream" : "turnout", to: &bytes)
            return .json(200, bytes)
        } catch {
            return .json(error.status, error.body)
        }
    }

    private static func appendModel(_ id: String, owner: String, to bytes: inout [UInt8]) {
        JSONWriter.appendRaw("{\"id\":", to: &bytes)
        JSONWriter.appendString(id, to: &bytes)
        JSONWriter.appendRaw(",\"object\":\"model\",\"created\":", to: &bytes)
        JSONWriter.appendInteger(Int(Date().timeIntervalSince1970), to: &bytes)
        JSONWriter.appendRaw(",\"owned_by\":", to: &bytes)
        JSONWriter.appendString(owner, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    func ready() async -> HTTPServerResponse {
        let (ready, detail) = await readiness()
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"status\":", to: &bytes)
        JSONWriter.appendString(ready ? "ready" : "not_ready", to: &bytes)
        JSONWriter.appendRaw(",\"checks\":", to: &bytes)
        JSONWriter.appendStringMap(detail, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return .json(ready ? 200 : 503, bytes)
    }
}

extension CompletionRoute {
    /// `x-request-id` and, as far as the request got, the route, the answering model and
    /// whether it fell back: the one place every client sees what routing did.
    var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("x-request-id", requestID)]
        guard let decision else { return headers }
        headers.append(("x-turnout-route", decision.route))
        guard let answeringModel else { return headers }
        headers.append(("x-turnout-model", answeringModel))
        if decision.isRouted { headers.append(("x-turnout-router", decision.router)) }
        if let winRate = decision.winRate { headers.append(("x-turnout-win-rate", String(format: "%.6f", winRate))) }
        if let threshold = decision.threshold { headers.append(("x-turnout-threshold", String(format: "%.6f", threshold))) }
        if fellBack { headers.append(("x-turnout-fallback", "true")) }
        if decision.defaultRoute { headers.append(("x-turnout-default-route", "true")) }
        if let costUSD { headers.append(("x-turnout-cost-usd", String(format: "%.8f", costUSD))) }
        return headers
    }
}
