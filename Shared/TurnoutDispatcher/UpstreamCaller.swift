import Dispatch
import Foundation
import Synchronization
import TurnoutHTTPClient
import TurnoutTelemetry
import TurnoutWire

/// Calls upstreams: breaker, concurrency cap, 429 with Retry-After, fallback before the first byte.
///
/// A failure before the first byte (no connection, 5xx, timeout waiting for the head, an open
/// breaker) moves on to the next candidate, because nothing has reached the client yet. A 4xx
/// other than 429 is the request's fault, not the upstream's, and goes back to the client.
public final class UpstreamCaller: Sendable {
    /// How one upstream call ended, the `outcome` label of `turnout_dispatcher_upstream_calls_total`.
    enum Outcome: String, CaseIterable, Sendable {
        case ok, clientError = "client_error", serverError = "server_error", timeout, connectError = "connect_error"
        case transportError = "transport_error", rateLimited = "rate_limited", rateLimitedRetry = "rate_limited_retry"
        case breakerOpen = "breaker_open", busy
    }

    struct Member: Sendable {
        let configuration: UpstreamConfiguration
        let apiKey: String?
        let breaker: CircuitBreaker
        let limiter: ConcurrencyLimiter
        /// Made up front: counting a call takes no lock.
        let calls: [Outcome: Counter]
        /// Requests this upstream answered after another failed, by the one first chosen.
        let fallbacksFrom: [String: Counter]

        func count(_ outcome: Outcome) {
            calls[outcome]?.increment()
        }
    }

    let members: [String: Member]
    private let client: HTTPClient
    private let maxRetryAfter: Duration
    let logger: Logger

    public init(upstreams: [UpstreamConfiguration], client: HTTPClient, maxRetryAfter: Duration, environment: [String: String],
                breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(10), metrics: MetricsRegistry, logger: Logger) {
        var members: [String: Member] = [:]
        for upstream in upstreams {
            let key = upstream.apiKeyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            var calls: [Outcome: Counter] = [:]
            for outcome in Outcome.allCases {
                calls[outcome] = metrics.counter("turnout_dispatcher_upstream_calls_total", help: "Upstream calls by upstream and outcome.",
                                                 labels: ["upstream": upstream.name, "outcome": outcome.rawValue])
            }
            var fallbacks: [String: Counter] = [:]
            for other in upstreams where other.name != upstream.name {
                fallbacks[other.name] = metrics.counter("turnout_dispatcher_fallbacks_total", help: "Requests answered by another upstream after the chosen one failed before its first byte.",
                                                        labels: ["from": other.name, "to": upstream.name])
            }
            members[upstream.name] = Member(configuration: upstream, apiKey: key,
                                            breaker: CircuitBreaker(failureThreshold: breakerThreshold, cooldown: breakerCooldown),
                                            limiter: ConcurrencyLimiter(limit: upstream.maxConcurrency), calls: calls, fallbacksFrom: fallbacks)
        }
        self.members = members
        self.client = client
        self.maxRetryAfter = maxRetryAfter
        self.logger = logger
    }

    /// Tries `candidates` in order until one answers with a head worth relaying.
    public func call(_ request: ChatRequest, candidates: [String], deadline: Deadline, requestID: String) async throws(UpstreamFailure) -> UpstreamReply {
        let start = DispatchTime.now().uptimeNanoseconds
        var lastFailure = UpstreamFailure(error: OpenAIError(status: 503, message: "no upstream is configured for this request", type: "api_error"),
                                          retryAfter: nil, firstByteMs: 0)
        for (index, name) in candidates.enumerated() {
            guard let member = members[name] else { continue }
            if index > 0 {
                member.fallbacksFrom[candidates[0]]?.increment()
                logger.warning("falling back", ["from": .string(candidates[index - 1]), "to": .string(name), "request_id": .string(requestID),
                                                "error": .string(lastFailure.error.message)])
            }
            do throws(UpstreamFailure) {
                var reply = try await attempt(member, request, deadline: deadline, requestID: requestID, start: start)
                reply.fellBack = index > 0
                return reply
            } catch {
                lastFailure = error
            }
        }
        throw lastFailure
    }

    /// One upstream, including waits on 429 that fit within the deadline.
    private func attempt(_ member: Member, _ request: ChatRequest, deadline: Deadline, requestID: String, start: UInt64) async throws(UpstreamFailure) -> UpstreamReply {
        let upstream = member.configuration
        func failure(_ status: Int, _ message: String, outcome: Outcome, retryAfter: String? = nil) -> UpstreamFailure {
            member.count(outcome)
            return UpstreamFailure(error: .upstream(status, message), retryAfter: retryAfter, firstByteMs: RouteDecider.milliseconds(since: start))
        }
        guard member.breaker.allowCall() else {
            throw failure(503, "upstream \(upstream.name) is failing; its circuit breaker is open", outcome: .breakerOpen)
        }
        guard await member.limiter.acquire(until: deadline) else {
            // A full upstream is a busy one, not a dead one; this also frees a half-open trial.
            member.breaker.recordSuccess()
            throw failure(503, "upstream \(upstream.name) is at its concurrency limit (\(upstream.maxConcurrency)) and no slot freed in time", outcome: .busy)
        }
        let slot = UpstreamSlot(member.limiter)
        let body = request.upstreamBody(model: upstream.upstreamModel)
        var rateLimitedAttempts = 0
        while true {
            let remaining = Duration.nanoseconds(Int64(min(deadline.remainingNanoseconds, UInt64(Int64.max))))
            guard remaining > .zero else { throw failure(504, "the request's deadline passed before \(upstream.name) answered", outcome: .timeout) }
            var http = HTTPRequest(method: "POST", url: upstream.chatCompletionsURL, headers: [("Content-Type", "application/json"), ("Accept", request.stream ? "text/event-stream" : "application/json"), ("X-Request-Id", requestID)], body: body)
            if let key = member.apiKey { http.headers.append(("Authorization", "Bearer \(key)")) }
            http.timeout = min(upstream.timeout, remaining)
            http.headerTimeout = min(upstream.firstByteTimeout, remaining)
            let head: HTTPResponseHead
            let body: UpstreamReply.Body
            do throws(HTTPClientError) {
                if request.stream {
                    let (streamHead, stream) = try await client.stream(http)
                    (head, body) = (streamHead, .stream(stream))
                } else {
                    let response = try await client.send(http)
                    (head, body) = (response.head, .whole(response.body))
                }
            } catch {
                member.breaker.recordFailure()
                switch error {
                case .timedOut(beforeHeaders: true):
                    throw failure(504, "upstream \(upstream.name) did not answer within \(http.headerTimeout.map { "\($0)" } ?? "its timeout")", outcome: .timeout)
                case .timedOut(beforeHeaders: false):
                    throw failure(504, "upstream \(upstream.name) did not finish its answer within \(http.timeout)", outcome: .timeout)
                case .connectFailed:
                    throw failure(502, "could not connect to upstream \(upstream.name): \(error)", outcome: .connectError)
                default:
                    throw failure(502, "upstream \(upstream.name) failed: \(error)", outcome: .transportError)
                }
            }
            switch head.status {
            case 429:
                let retryAfter = head.header("retry-after")
                let wait = retryAfter.flatMap(Self.retryDelay)
                rateLimitedAttempts += 1
                if let wait, wait <= maxRetryAfter, wait < remaining, rateLimitedAttempts <= 3 {
                    member.count(.rateLimitedRetry)
                    logger.info("upstream rate limited; retrying after Retry-After", ["upstream": .string(upstream.name), "wait_ms": .int(wait.milliseconds), "request_id": .string(requestID)])
                    try? await Task.sleep(for: wait)
                    continue
                }
                member.breaker.recordSuccess()
                throw failure(429, "upstream \(upstream.name) is rate limiting" + (retryAfter.map { " (Retry-After: \($0))" } ?? ""), outcome: .rateLimited, retryAfter: retryAfter)
            case 500...599:
                member.breaker.recordFailure()
                throw failure(502, "upstream \(upstream.name) answered HTTP \(head.status)", outcome: .serverError)
            default:
                member.breaker.recordSuccess()
                member.count(head.status < 400 ? .ok : .clientError)
                return UpstreamReply(upstream: upstream, head: head, body: body, fellBack: false, firstByteMs: RouteDecider.milliseconds(since: start),
                                     slot: slot)
            }
        }
    }

    /// Retry-After in seconds (`"2"`, `"0.5"`); HTTP dates are not waited on.
    static func retryDelay(_ text: String) -> Duration? {
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
