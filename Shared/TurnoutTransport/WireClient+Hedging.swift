import Dispatch
import TurnoutWire

extension WireClient {
    /// One call of `method` on `endpoint`, timed.
    func once(_ endpoint: Endpoint, _ method: MethodDescriptor, body: [UInt8], metadata: [String: String], deadline: Deadline?) async -> Result<ResponseEnvelope, RPCError> {
        let started = DispatchTime.now().uptimeNanoseconds
        let result: Result<ResponseEnvelope, RPCError>
        do {
            let connection = try endpoint.connection(loop: loop, configuration: configuration, logger: logger)
            result = await connection.call(method: method.fullName, body: body, metadata: metadata, deadline: deadline)
        } catch {
            endpoint.recordFailure(configuration)
            return .failure(RPCError(.unavailable, "cannot connect to \(endpoint.key): \(error)", cause: error))
        }
        switch result {
        case let .success(response) where response.code == .ok:
            let nanos = DispatchTime.now().uptimeNanoseconds &- started
            hedges.record(method.fullName, milliseconds: Double(nanos) / 1e6, nowMs: Int64(started / 1_000_000))
        case let .success(response) where response.code == .deadlineExceeded:
            endpoint.recordSlow(configuration)
        case let .failure(error) where error.code == .deadlineExceeded:
            endpoint.recordSlow(configuration)
        default:
            break
        }
        return result
    }

    /// One attempt of a call: on the endpoint picked, and, for an idempotent method that has
    /// taken longer than its recent p95 (`HedgeTimer`), on a second endpoint too. The first
    /// answer that is OK wins and the other call is cancelled; an endpoint beaten by a hedge
    /// while it still had not answered earns a strike towards ejection (`Endpoint.recordSlow`).
    func attemptHedged(_ method: MethodDescriptor, body: [UInt8], metadata: [String: String], deadline: Deadline?,
                 excluding excluded: Set<String>) async -> (endpoint: Endpoint, result: Result<ResponseEnvelope, RPCError>)? {
        guard let first = pick(excluding: excluded) else { return nil }
        let nowMs = Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
        guard method.idempotent, let delay = hedges.delay(for: method.fullName, nowMs: nowMs), endpointCount > 1 else {
            return (first, await once(first, method, body: body, metadata: metadata, deadline: deadline))
        }
        return await withTaskGroup(of: (endpoint: Endpoint, result: Result<ResponseEnvelope, RPCError>, hedge: Bool)?.self) { group in
            group.addTask { (first, await self.once(first, method, body: body, metadata: metadata, deadline: deadline), false) }
            group.addTask {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled, let second = self.pick(excluding: excluded.union([first.key])), second !== first else { return nil }
                return (second, await self.once(second, method, body: body, metadata: metadata, deadline: deadline), true)
            }
            var failed: (endpoint: Endpoint, result: Result<ResponseEnvelope, RPCError>)?
            for await outcome in group {
                guard let outcome else { continue }
                // An answer, OK or an error the server chose (not found, invalid argument), ends
                // the race; a lost connection or an expiry waits for the other call.
                if case let .success(response) = outcome.result, response.code != .unavailable, response.code != .deadlineExceeded {
                    if outcome.hedge, response.code == .ok { first.recordSlow(configuration) }
                    group.cancelAll()
                    return (outcome.endpoint, outcome.result)
                }
                failed = failed ?? (outcome.endpoint, outcome.result)
            }
            return failed ?? (first, .failure(RPCError(.unavailable, "no answer from \(first.key)")))
        }
    }
}
