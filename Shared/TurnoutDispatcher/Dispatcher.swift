import Dispatch
import Foundation
import TurnoutJSON

/// The dispatcher's request logic: decide the route, call the upstream, relay the answer with
/// the answering model's name, record what happened.
///
/// Knows nothing of HTTP or the wire: it takes a parsed request and answers a
/// `CompletionResult`, which each front end maps to its own responses.
public final class Dispatcher: Sendable {
    public let configuration: DispatcherConfiguration
    public let decider: RouteDecider
    let caller: UpstreamCaller
    let recorder: DispatchRecorder
    /// Shadow judging and feedback; nil in a dispatcher that does neither.
    public let learning: DispatcherLearning?
    /// Tenants' rate limits and budgets; nil without client keys.
    public let tenants: TenantGate?

    public init(configuration: DispatcherConfiguration, decider: RouteDecider, caller: UpstreamCaller, recorder: DispatchRecorder, learning: DispatcherLearning? = nil,
                tenants: TenantGate? = nil) {
        self.configuration = configuration
        self.tenants = tenants
        self.decider = decider
        self.caller = caller
        self.recorder = recorder
        self.learning = learning
    }

    /// A chat completion: routed, or passed through to the upstream its `model` names.
    /// - Parameter client: who asked (the index of its key), so only it may rate the answer.
    public func complete(_ request: ChatRequest, requestID: String, client: Int? = nil) async -> CompletionResult {
        var outcome = DispatchOutcome(requestID: requestID)
        outcome.client = client
        outcome.stream = request.stream
        let tenant = configuration.tenant(forClient: client)
        outcome.tenant = tenant?.name
        if let tenant, let refusal = tenants?.admit(tenant) {
            return fail(refusal.error(tenant: tenant.name), &outcome)
        }
        let decision: RouteDecision
        do throws(OpenAIError) {
            decision = try await decider.decide(try decider.selection(for: request.model), text: request.routingText)
        } catch {
            return fail(error, &outcome)
        }
        outcome.decision = decision
        var candidates = [decision.model]
        if configuration.fallback, decision.isRouted {
            candidates.append(decision.model == configuration.strong ? configuration.weak : configuration.strong)
        }
        let reply: UpstreamReply
        do throws(UpstreamFailure) {
            reply = try await caller.call(request, candidates: candidates, deadline: .after(configuration.requestTimeout), requestID: requestID)
        } catch {
            outcome.firstByteMs = error.firstByteMs
            var refusal = error.error
            refusal.retryAfter = error.retryAfter
            return fail(refusal, &outcome)
        }
        outcome.answeringModel = reply.upstream.name
        outcome.fellBack = reply.fellBack
        outcome.firstByteMs = reply.firstByteMs
        if let learning, learning.storePrompts { outcome.routedText = request.routingText.map { Redactor.cut($0, toBytes: learning.redactor.maxBytes) } }
        let ticket = reply.head.status == 200 ? learning?.shadow?.ticket(for: request, decision: decision, answeringModel: reply.upstream.name,
                                                                         fellBack: reply.fellBack, requestID: requestID, arrivedAtMs: outcome.arrivedAtMs) : nil
        var result: CompletionResult
        if request.stream, reply.head.status == 200 {
            result = CompletionResult(answer: .stream(CompletionStream(reply: reply, clientWantsUsage: request.clientWantsUsage, recorder: recorder,
                                                                       outcome: outcome, ticket: ticket)),
                                      route: outcome.route)
        } else {
            result = await relayWhole(reply, outcome: &outcome, ticket: ticket)
        }
        if let ticket, let shadow = learning?.shadow {
            result.afterDelivery = { shadow.submit(ticket) }
        }
        return result
    }

    /// Records a request refused before it reached `complete` (its body could not be read).
    public func refuse(_ error: OpenAIError, requestID: String) -> CompletionResult {
        var outcome = DispatchOutcome(requestID: requestID)
        return fail(error, &outcome)
    }

    /// Reads a whole (non-streamed, or error) upstream answer and relays it with `model` rewritten.
    private func relayWhole(_ reply: UpstreamReply, outcome: inout DispatchOutcome, ticket: ShadowTicket?) async -> CompletionResult {
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
                return fail(.upstream(502, "upstream \(reply.upstream.name) broke off its answer: \(error)"), &outcome)
            }
        }
        let members: JSONObjectMembers
        do throws(JSONError) {
            members = try JSONObjectMembers(body)
        } catch {
            return fail(.upstream(502, "upstream \(reply.upstream.name) answered HTTP \(reply.head.status) with a body that is not JSON (\(error))"), &outcome)
        }
        guard reply.head.status < 300 else {
            // The request's own fault (4xx): the upstream's OpenAI-shaped error goes back to the client.
            return fail(OpenAIError(relaying: members, status: reply.head.status, upstream: reply.upstream.name), &outcome)
        }
        outcome.status = reply.head.status
        outcome.usage = TokenUsage.parse(members["usage"])
        outcome.costUSD = recorder.cost(of: outcome)
        recorder.finish(outcome)
        ticket?.complete(with: ChatAnswer.content(of: members))
        return CompletionResult(answer: .completion(members.replacing([("model", JSONObjectMembers.string(reply.upstream.name))])), route: outcome.route)
    }

    /// The decision alone, without calling an upstream (`POST /v1/route`, `Dispatcher/Route`).
    /// - Throws: `OpenAIError` 400 for an unknown router or no text to route on.
    public func route(_ request: RouteRequest) async throws(OpenAIError) -> RouteAnswer {
        let start = DispatchTime.now().uptimeNanoseconds
        let decision = try await decider.decide(try decider.selection(for: request.model), text: request.text)
        return RouteAnswer(decision, totalMs: RouteDecider.milliseconds(since: start))
    }

    private func fail(_ error: OpenAIError, _ outcome: inout DispatchOutcome) -> CompletionResult {
        outcome.status = error.status
        recorder.finish(outcome)
        return CompletionResult(answer: .failure(error), route: outcome.route)
    }
}
