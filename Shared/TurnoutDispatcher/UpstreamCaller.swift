import Dispatch
import Foundation
import Synchronization
import TurnoutHTTPClient
import TurnoutJSON
import TurnoutTelemetry
import TurnoutWire

/// Calls upstreams: breaker, concurrency cap, rate-limit memory, fallback before the first byte.
///
/// A failure before the first byte (no connection, 5xx, timeout waiting for the head, an open
/// breaker, a whole 200 that is not a chat completion) moves on to the next candidate, because
/// nothing has reached the client yet. A 4xx other than 429 is the request's fault, not the
/// upstream's, and goes back to the client.
///
/// A 429 with Retry-After marks the upstream limited until then (at most `maxRetryAfter`):
/// nothing waits it out. Routed requests go to the other model at once, and pass-through ones
/// get the 429 at once with what remains of the Retry-After, so a client's own retry policy
/// decides. Waiting it out in the dispatcher held every request to a limited upstream for the
/// whole Retry-After, three times over, and throughput fell from 89 to 10.5 requests a second.
public final class UpstreamCaller: Sendable {
    /// How one upstream call ended, the `outcome` label of `turnout_dispatcher_upstream_calls_total`.
    enum Outcome: String, CaseIterable, Sendable {
        case ok, clientError = "client_error", serverError = "server_error", timeout, connectError = "connect_error"
        case transportError = "transport_error", rateLimited = "rate_limited"
        case breakerOpen = "breaker_open", busy, invalidResponse = "invalid_response"
        /// Cancelled because the other model's head came first (a hedged routed request).
        case hedgeCancelled = "hedge_cancelled"
    }

    /// Until when an upstream said it is rate limiting, in uptime nanoseconds (0: it did not).
    final class RateLimitMemory: Sendable {
        let until = Atomic<UInt64>(0)
    }

    struct Member: Sendable {
        let configuration: UpstreamConfiguration
        let apiKey: String?
        let breaker: CircuitBreaker
        let limiter: ConcurrencyLimiter
        let rateLimit = RateLimitMemory()
        /// The learnt wait for a head before a routed request asks the other model too; nil: off.
        let firstByte: FirstByteDeadline?
        /// 1 while the breaker is open or half-open, for the alert on open breakers.
        let breakerOpen: Gauge
        /// Made up front: counting a call takes no lock.
        let calls: [Outcome: Counter]
        /// Requests this upstream answered after another failed, by the one first chosen.
        let fallbacksFrom: [String: Counter]
        /// What calls cancelled by a hedge had already cost, where their usage was known.
        let hedgeCost: Counter

        func count(_ outcome: Outcome) {
            calls[outcome]?.increment()
        }
    }

    let members: [String: Member]
    private let client: HTTPClient
    private let maxRetryAfter: Duration
    let logger: Logger

    public init(upstreams: [UpstreamConfiguration], client: HTTPClient, maxRetryAfter: Duration, environment: [String: String],
                breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(10), adaptiveFirstByteFloor: Duration? = nil,
                metrics: MetricsRegistry, logger: Logger) {
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
                                            limiter: ConcurrencyLimiter(limit: upstream.maxConcurrency),
                                            firstByte: adaptiveFirstByteFloor.map { FirstByteDeadline(floor: $0) },
                                            breakerOpen: metrics.gauge("turnout_dispatcher_breaker_open", help: "1 while an upstream's circuit breaker is open or half-open.",
                                                                       labels: ["upstream": upstream.name]),
                                            calls: calls, fallbacksFrom: fallbacks,
                                            hedgeCost: metrics.counter("turnout_dispatcher_hedge_cost_usd_total", help: "What upstream calls that lost a hedge cost, where their usage was known.",
                                                                       labels: ["upstream": upstream.name]))
        }
        self.members = members
        self.client = client
        self.maxRetryAfter = maxRetryAfter
        self.logger = logger
    }

    /// The wait a routed request to `upstream` would now give its head before hedging; nil when
    /// the adaptive wait is off or too few heads have been seen. For the logs and the tests.
    public func learntFirstByteWait(for upstream: String, stream: Bool) -> Duration? {
        guard let member = members[upstream], let learnt = member.firstByte else { return nil }
        let ceiling = member.configuration.firstByteTimeout
        let wait = learnt.deadline(stream: stream, ceiling: ceiling, nowMs: Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000))
        return wait < ceiling ? wait : nil
    }

    /// Tries `candidates` in order until one answers with a head worth relaying; a routed
    /// request whose chosen upstream has a learnt first-byte wait is hedged (`hedged`).
    public func call(_ request: ChatRequest, candidates: [String], deadline: Deadline, requestID: String) async throws(UpstreamFailure) -> UpstreamReply {
        let start = DispatchTime.now().uptimeNanoseconds
        if candidates.count == 2, let primary = members[candidates[0]], let secondary = members[candidates[1]], let learnt = primary.firstByte {
            let wait = learnt.deadline(stream: request.stream, ceiling: primary.configuration.firstByteTimeout, nowMs: Int64(start / 1_000_000))
            if wait < primary.configuration.firstByteTimeout {
                return try await hedged(request, primary: primary, secondary: secondary, after: wait, deadline: deadline, requestID: requestID, start: start)
            }
        }
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
                member.breakerOpen.set(0)
                reply.fellBack = index > 0
                return reply
            } catch {
                member.breakerOpen.set(member.breaker.state == .closed ? 0 : 1)
                lastFailure = error
            }
        }
        throw lastFailure
    }

    /// One call of `member`, waiting up to its configured first-byte timeout for the head.
    func attempt(_ member: Member, _ request: ChatRequest, deadline: Deadline, requestID: String, start: UInt64) async throws(UpstreamFailure) -> UpstreamReply {
        let upstream = member.configuration
        func failure(_ status: Int, _ message: String, outcome: Outcome, retryAfter: String? = nil) -> UpstreamFailure {
            member.count(outcome)
            return UpstreamFailure(error: .upstream(status, message), retryAfter: retryAfter, firstByteMs: RouteDecider.milliseconds(since: start))
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let limitedUntil = member.rateLimit.until.load(ordering: .relaxed)
        if limitedUntil > now {
            let seconds = Int((Double(limitedUntil - now) / 1e9).rounded(.up))
            throw failure(429, "upstream \(upstream.name) is rate limiting for another \(seconds) s", outcome: .rateLimited, retryAfter: String(seconds))
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
        let remaining = Duration.nanoseconds(Int64(min(deadline.remainingNanoseconds, UInt64(Int64.max))))
        guard remaining > .zero else { throw failure(504, "the request's deadline passed before \(upstream.name) answered", outcome: .timeout) }
        var http = HTTPRequest(method: "POST", url: upstream.chatCompletionsURL, headers: [("Content-Type", "application/json"), ("Accept", request.stream ? "text/event-stream" : "application/json"), ("X-Request-Id", requestID)],
                               body: request.upstreamBody(model: upstream.upstreamModel))
        if let key = member.apiKey { http.headers.append(("Authorization", "Bearer \(key)")) }
        http.timeout = min(upstream.timeout, remaining)
        http.headerTimeout = min(upstream.firstByteTimeout, remaining)
        let sent = DispatchTime.now().uptimeNanoseconds
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
            if error == .cancelled {
                // The other model's head came first: not this upstream's failure.
                throw failure(499, "upstream \(upstream.name) was cancelled: the other model answered first", outcome: .hedgeCancelled)
            }
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
        if head.status < 500 {
            member.firstByte?.record(RouteDecider.milliseconds(since: sent), stream: request.stream, nowMs: Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000))
        }
        switch head.status {
        case 429:
            let retryAfter = head.header("retry-after")
            if let wait = retryAfter.flatMap(Self.retryDelay), wait > .zero {
                let marked = min(wait, maxRetryAfter)
                member.rateLimit.until.store(DispatchTime.now().uptimeNanoseconds + UInt64(marked.milliseconds) * 1_000_000, ordering: .relaxed)
                logger.info("upstream rate limited; marked until its Retry-After", ["upstream": .string(upstream.name), "wait_ms": .int(marked.milliseconds), "request_id": .string(requestID)])
            }
            member.breaker.recordSuccess()
            throw failure(429, "upstream \(upstream.name) is rate limiting" + (retryAfter.map { " (Retry-After: \($0))" } ?? ""), outcome: .rateLimited, retryAfter: retryAfter)
        case 500...599:
            member.breaker.recordFailure()
            throw failure(502, "upstream \(upstream.name) answered HTTP \(head.status)", outcome: .serverError)
        case 200..<300:
            // A whole answer that is not a chat completion (a proxy's HTML error page, an empty
            // body) is the upstream's failure, caught before anything reaches the client.
            if case let .whole(bytes) = body, let problem = Self.notACompletion(bytes) {
                member.breaker.recordFailure()
                throw failure(502, "upstream \(upstream.name) answered HTTP \(head.status) with \(problem)", outcome: .invalidResponse)
            }
            fallthrough
        default:
            member.breaker.recordSuccess()
            member.count(head.status < 400 ? .ok : .clientError)
            return UpstreamReply(upstream: upstream, head: head, body: body, fellBack: false, firstByteMs: RouteDecider.milliseconds(since: start),
                                 slot: slot)
        }
    }

    /// Why a whole 2xx body is not a chat completion, or nil when it is one.
    static func notACompletion(_ body: [UInt8]) -> String? {
        do throws(JSONError) {
            let members = try JSONObjectMembers(body)
            return members["choices"] == nil ? "a JSON body without choices; not a chat completion" : nil
        } catch {
            return "a body that is not JSON (\(error))"
        }
    }

    /// Retry-After in seconds (`"2"`, `"0.5"`); HTTP dates are not waited on.
    static func retryDelay(_ text: String) -> Duration? {
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
