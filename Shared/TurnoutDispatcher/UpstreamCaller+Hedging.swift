import Dispatch
import Synchronization
import TurnoutJSON
import TurnoutWire

extension UpstreamCaller {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private enum Lane: Sendable {
        case chosen, other
    }

    /// A routed request: the chosen upstream is called with its whole configured first-byte
    /// timeout, and if its head has not come within the wait learnt from its recent heads
    /// (`FirstByteDeadline`), the other model is called too. The first head to arrive wins and
    /// the other call is cancelled; a whole answer that lost had its cost counted
    /// (`turnout_dispatcher_hedge_cost_usd_total`). The chosen upstream losing without a head
    /// counts toward its breaker, as a timeout would. If the chosen one fails before the wait,
    /// the other is called at once, as without hedging.
    func hedged(_ request: ChatRequest, primary: Member, secondary: Member, after wait: Duration, deadline: Deadline, requestID: String,
                start: UInt64) async throws(UpstreamFailure) -> UpstreamReply {
        let hedgeStarted = Flag()
        let (winner, failures) = await withTaskGroup(of: (lane: Lane, result: Result<UpstreamReply, UpstreamFailure>)?.self) { group in
            group.addTask {
                (.chosen, await Self.result { () async throws(UpstreamFailure) in
                    try await self.attempt(primary, request, deadline: deadline, requestID: requestID, start: start)
                })
            }
            group.addTask {
                try? await Task.sleep(for: wait)
                guard !Task.isCancelled else { return nil }
                hedgeStarted.value.store(true, ordering: .releasing)
                return (.other, await Self.result { () async throws(UpstreamFailure) in
                    try await self.attempt(secondary, request, deadline: deadline, requestID: requestID, start: start)
                })
            }
            var winner: (lane: Lane, reply: UpstreamReply)?
            var failures: [(lane: Lane, failure: UpstreamFailure)] = []
            while let next = await group.next() {
                guard let (lane, result) = next else { continue }
                switch result {
                case let .success(reply):
                    if winner == nil {
                        winner = (lane, reply)
                        group.cancelAll()
                    } else {
                        // Both heads came: the later one is dropped, its cost counted if known.
                        lost(reply, member: lane == .chosen ? primary : secondary)
                    }
                case let .failure(failure):
                    failures.append((lane, failure))
                    // The chosen upstream failed before the hedge: go to the other at once.
                    if lane == .chosen, !hedgeStarted.value.load(ordering: .acquiring) { group.cancelAll() }
                }
            }
            return (winner, failures)
        }
        if let (lane, reply) = winner {
            var kept = reply
            if lane == .other {
                kept.fellBack = true
                secondary.fallbacksFrom[primary.configuration.name]?.increment()
                if failures.contains(where: { $0.lane == .chosen && $0.failure.error.status == 499 }) {
                    // Still no head from the chosen upstream past its learnt wait: a timeout.
                    primary.breaker.recordFailure()
                    logger.warning("hedged to the other model", ["from": .string(primary.configuration.name), "to": .string(secondary.configuration.name),
                                                                 "request_id": .string(requestID)])
                }
            }
            primary.breakerOpen.set(primary.breaker.state == .closed ? 0 : 1)
            return kept
        }
        primary.breakerOpen.set(primary.breaker.state == .closed ? 0 : 1)
        if !failures.contains(where: { $0.lane == .other }) {
            logger.warning("falling back", ["from": .string(primary.configuration.name), "to": .string(secondary.configuration.name), "request_id": .string(requestID),
                                            "error": .string(failures.first?.failure.error.message ?? "")])
            secondary.fallbacksFrom[primary.configuration.name]?.increment()
            var reply = try await attempt(secondary, request, deadline: deadline, requestID: requestID, start: start)
            reply.fellBack = true
            return reply
        }
        throw failures.last(where: { $0.lane == .other })?.failure ?? failures[0].failure
    }

    /// A reply that lost the race: its slot freed, its stream dropped, its cost counted when
    /// its usage is known (a whole answer).
    private func lost(_ reply: UpstreamReply, member: Member) {
        if case let .whole(bytes) = reply.body, let members = try? JSONObjectMembers(bytes), let usage = TokenUsage.parse(members["usage"]) {
            member.hedgeCost.increment(by: member.configuration.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
        }
        reply.slot.release()
    }

    private static func result(_ body: () async throws(UpstreamFailure) -> UpstreamReply) async -> Result<UpstreamReply, UpstreamFailure> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
