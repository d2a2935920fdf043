import Dispatch
import Foundation
import TurnoutTransport
import TurnoutWire

/// The dispatcher's request logic: read the request, decide the route, call the upstream,
/// relay the answer with the answering model's name, record what happened.
///
/// Knows nothing of sockets: it takes request bytes and answers `HTTPServerResponse`s, which
/// the HTTP front end writes and the wire methods translate.
public final class Dispatcher: Sendable {
    public let configuration: DispatcherConfiguration
    public let decider: RouteDecider
    let caller: UpstreamCaller
    let recorder: DispatchRecorder

    public init(configuration: DispatcherConfiguration, decider: RouteDecider, caller: UpstreamCaller, recorder: DispatchRecorder) {
        self.configuration = configuration
        self.decider = decider
        self.caller = caller
        self.recorder = recorder
    }

    /// `POST /v1/chat/completions`.
    public func complete(body: [UInt8], requestID: String) async -> HTTPServerResponse {
        var outcome = DispatchOutcome(requestID: requestID, arrivedAtMs: Int64(Date().timeIntervalSince1970 * 1000), startNanos: DispatchTime.now().uptimeNanoseconds)
        let request: ChatRequest
        do throws(OpenAIError) {
            request = try ChatRequest(body: body)
            outcome.stream = request.stream
            let decision = try await decider.decide(try decider.selection(for: request.model), text: request.routingText)
            outcome.decision = decision
        } catch {
            return fail(error, &outcome)
        }
        guard let decision = outcome.decision else { return fail(OpenAIError(status: 500, message: "no route was decided", type: "api_error"), &outcome) }
        var candidates = [decision.model]
        if configuration.fallback, decision.isRouted {
            candidates.append(decision.model == configuration.strong ? configuration.weak : configuration.strong)
        }
        let reply: UpstreamReply
        do throws(UpstreamFailure) {
            reply = try await caller.call(request, candidates: candidates, deadline: .after(configuration.requestTimeout), requestID: requestID)
        } catch {
            outcome.firstByteMs = error.firstByteMs
            var response = fail(error.error, &outcome, decision: decision)
            if let retryAfter = error.retryAfter { response.headers.append(("Retry-After", retryAfter)) }
            return response
        }
        outcome.answeringModel = reply.upstream.name
        outcome.fellBack = reply.fellBack
        outcome.firstByteMs = reply.firstByteMs
        let headers = routeHeaders(decision, answering: reply.upstream.name, fellBack: reply.fellBack, requestID: requestID)
        if request.stream, reply.head.status == 200 {
            return StreamRelay(reply: reply, clientWantsUsage: request.clientWantsUsage, recorder: recorder, outcome: outcome).response(headers: headers)
        }
        return await relayWhole(reply, headers: headers, outcome: &outcome)
    }

    /// Reads a whole (non-streamed, or error) upstream answer and relays it with `model` rewritten.
    private func relayWhole(_ reply: UpstreamReply, headers: [(name: String, value: String)], outcome: inout DispatchOutcome) async -> HTTPServerResponse {
        defer { reply.slot.release() }
        var body: [UInt8] = []
        switch reply.body {
        case let .whole(bytes):
            body = bytes
        case let .stream(stream):
            do {
                for try await chunk in stream {
                    body.append(contentsOf: chunk)
                }
            } catch {
                return fail(.upstream(502, "upstream \(reply.upstream.name) broke off its answer: \(error)"), &outcome, decision: outcome.decision)
            }
        }
        let members: JSONObjectMembers
        do throws(JSONError) {
            members = try JSONObjectMembers(body)
        } catch {
            return fail(.upstream(502, "upstream \(reply.upstream.name) answered HTTP \(reply.head.status) with a body that is not JSON (\(error))"), &outcome, decision: outcome.decision)
        }
        outcome.status = reply.head.status
        guard reply.head.status < 300 else {
            // The request's own fault (4xx): the upstream's OpenAI-shaped error goes back as it is.
            let relayed = members.contains("error") ? body : OpenAIError.upstream(reply.head.status, "upstream \(reply.upstream.name) answered HTTP \(reply.head.status)").body
            recorder.finish(outcome)
            return .json(reply.head.status, relayed, headers: headers)
        }
        guard members["choices"] != nil else {
            return fail(.upstream(502, "upstream \(reply.upstream.name) answered without choices; not a chat completion"), &outcome, decision: outcome.decision)
        }
        outcome.usage = TokenUsage.parse(members["usage"])
        recorder.finish(outcome)
        return .json(200, members.replacing([("model", JSONObjectMembers.string(reply.upstream.name))]), headers: headers)
    }

    /// `POST /v1/route`: the decision alone, without calling an upstream.
    public func route(body: [UInt8]) async -> HTTPServerResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let decision: RouteDecision
        do throws(OpenAIError) {
            let request = try RouteRequest(body: body)
            decision = try await decider.decide(try decider.selection(for: request.model), text: request.text)
        } catch {
            return .json(error.status, error.body)
        }
        return .json(200, RouteRequest.answer(decision, totalMs: RouteDecider.milliseconds(since: start)))
    }

    func routeHeaders(_ decision: RouteDecision, answering: String, fellBack: Bool, requestID: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("x-request-id", requestID), ("x-turnout-route", decision.route), ("x-turnout-model", answering)]
        if decision.isRouted { headers.append(("x-turnout-router", decision.router)) }
        if let winRate = decision.winRate { headers.append(("x-turnout-win-rate", String(format: "%.6f", winRate))) }
        if let threshold = decision.threshold { headers.append(("x-turnout-threshold", String(format: "%.6f", threshold))) }
        if fellBack { headers.append(("x-turnout-fallback", "true")) }
        if decision.defaultRoute { headers.append(("x-turnout-default-route", "true")) }
        return headers
    }

    private func fail(_ error: OpenAIError, _ outcome: inout DispatchOutcome, decision: RouteDecision? = nil) -> HTTPServerResponse {
        outcome.status = error.status
        recorder.finish(outcome)
        var headers: [(name: String, value: String)] = [("x-request-id", outcome.requestID)]
        if let decision { headers.append(("x-turnout-route", decision.route)) }
        return .json(error.status, error.body, headers: headers)
    }
}
