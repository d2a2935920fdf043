import TurnoutHTTPClient
import TurnoutJSON
import TurnoutWire

/// Calls made to learn, never for a client: the other model's answer to a shadowed request,
/// and the judge's verdicts.
extension UpstreamCaller {
    /// A learning call's answer.
    public struct SideAnswer: Sendable {
        public var content: String
        public var usage: TokenUsage?
        /// From the upstream's prices and reported usage; 0 when it reported none.
        public var costUSD: Double
    }

    /// Why a learning call gave nothing; each is a label of the shadow metrics.
    public enum SideFailure: Error, Sendable, Equatable {
        /// Taking a slot would leave fewer than the reserve for client traffic.
        case busy
        /// The upstream's breaker is not closed: client traffic is finding it failing.
        case breakerOpen
        case timeout
        /// A transport error, an error status or a body that is not a chat completion.
        case failed(String)

        public var label: String {
            switch self {
            case .busy: "busy"
            case .breakerOpen: "breaker_open"
            case .timeout: "timeout"
            case .failed: "error"
            }
        }
    }

    /// One non-streamed chat completion for learning. It takes an upstream slot only when
    /// `reserve` more stay free for client traffic and never waits for one; it reads the
    /// breaker but never moves it, so a failing judge cannot open the breaker client
    /// traffic relies on, nor take its half-open trial; it retries nothing and falls back to
    /// nothing. `client` is the learning calls' own HTTP client, apart from the clients'.
    /// - Parameter onCost: told what the call cost, whether or not its answer is usable.
    public func sideCall(_ upstreamName: String, body: [UInt8], client: HTTPClient, timeout: Duration, reserve: Int,
                         requestID: String, onCost: (Double) -> Void = { _ in }) async throws(SideFailure) -> SideAnswer {
        guard let member = members[upstreamName] else { throw .failed("upstream \(upstreamName) is not configured") }
        guard member.breaker.state == .closed else { throw .breakerOpen }
        guard member.limiter.tryAcquire(leaving: reserve) else { throw .busy }
        defer { member.limiter.release() }
        let upstream = member.configuration
        var request = HTTPRequest(method: "POST", url: upstream.chatCompletionsURL,
                                  headers: [("Content-Type", "application/json"), ("Accept", "application/json"), ("X-Request-Id", requestID)], body: body)
        if let key = member.apiKey { request.headers.append(("Authorization", "Bearer \(key)")) }
        request.timeout = timeout
        request.headerTimeout = timeout
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try await client.send(request)
        } catch {
            if case .timedOut = error { throw .timeout }
            throw .failed("upstream \(upstreamName): \(error)")
        }
        guard response.status == 200 else { throw .failed("upstream \(upstreamName) answered HTTP \(response.status)") }
        guard let members = try? JSONObjectMembers(response.body) else { throw .failed("upstream \(upstreamName) answered with no chat completion") }
        // What it cost counts whatever the answer holds: a reply with no text was still paid for.
        let usage = TokenUsage.parse(members["usage"])
        let cost = usage.map { upstream.cost(promptTokens: $0.promptTokens, completionTokens: $0.completionTokens) } ?? 0
        onCost(cost)
        guard let content = ChatAnswer.content(of: members) else { throw .failed("upstream \(upstreamName) answered with no text") }
        return SideAnswer(content: content, usage: usage, costUSD: cost)
    }
}
