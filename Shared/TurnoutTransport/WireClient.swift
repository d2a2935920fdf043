import Dispatch
import Synchronization
import TurnoutTelemetry
import TurnoutWire

/// A client for one logical service spread over any number of endpoints.
///
/// Each call goes to the less loaded of two endpoints picked at random (power of two
/// choices on outstanding calls). Endpoints whose connections fail, or that keep timing out or
/// losing to hedges, are ejected for a growing while. Deadlines propagate from the calling
/// handler; idempotent calls are hedged on a second endpoint past their recent p95 and
/// retried on connection failure or UNAVAILABLE while time remains.
public final class WireClient: ClientTransport {
    public let configuration: ClientConfiguration
    let logger: Logger
    let loop: EventLoop
    /// Recent latencies per method, for hedging idempotent calls.
    let hedges = HedgeTimer()
    private let ownsLoop: Bool
    private let endpoints = Mutex<[Endpoint]>([])
    private let stopped = Atomic<Bool>(false)
    private let resolver = Mutex<Task<Void, Never>?>(nil)
    /// Endpoints dropped by re-resolution that still had calls in flight; closed once idle.
    private let retired = Mutex<[Endpoint]>([])
    /// Each target's last successful resolution, kept while its name fails to resolve.
    private let lastResolved = Mutex<[HostPort: [SocketAddress]]>([:])
    /// Calls in progress, and whether the deadline sweep is scheduled: the sweep runs only
    /// while calls are in flight, so an idle client does not wake its loop 200 times a second.
    private let callsInProgress = Atomic<Int>(0)
    private let sweeping = Atomic<Bool>(false)

    /// - Parameter loop: the event loop for this client's sockets; a private one when nil.
    public init(configuration: ClientConfiguration, logger: Logger, loop: EventLoop? = nil) throws(TransportError) {
        self.configuration = configuration
        self.logger = logger
        if let loop {
            self.loop = loop
            ownsLoop = false
        } else {
            self.loop = try EventLoop(name: "wire-client")
            self.loop.start()
            ownsLoop = true
        }
        resolveNow()
        let interval = configuration.resolveInterval
        resolver.withLock { task in
            task = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self, !self.stopped.load(ordering: .relaxed) else { return }
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        DispatchQueue.global(qos: .utility).async {
                            self.resolveNow()
                            done.resume()
                        }
                    }
                }
            }
        }
    }

    /// Sends `body` as a call of `method` to one endpoint, retrying idempotent methods on
    /// UNAVAILABLE while time remains. Typed calls go through `call(_:_:)` (`ClientTransport`).
    public func unary(_ method: MethodDescriptor, body: [UInt8], metadata: [String: String] = [:], deadline: Deadline? = nil) async throws(RPCError) -> [UInt8] {
        callsInProgress.add(1, ordering: .acquiringAndReleasing)
        defer { callsInProgress.subtract(1, ordering: .acquiringAndReleasing) }
        startSweepingIfIdle()
        let effectiveDeadline = [deadline, CallContext.current?.deadline, configuration.defaultTimeout.map { Deadline.after($0) }]
            .compactMap { $0 }.min()
        var excluded: Set<String> = []
        var attempt = 0
        while true {
            attempt += 1
            if let effectiveDeadline, effectiveDeadline.hasPassed {
                throw RPCError(.deadlineExceeded, "deadline passed before \(method) could be sent (attempt \(attempt))")
            }
            guard let (endpoint, result) = await attemptHedged(method, body: body, metadata: metadata, deadline: effectiveDeadline, excluding: excluded) else {
                throw RPCError(.unavailable, "no endpoint for \(method): \(configuration.targets.map(\.description).joined(separator: ", ")) resolved to nothing")
            }
            let failure: RPCError
            switch result {
            case let .success(response) where response.code == .ok:
                endpoint.recordSuccess()
                return response.body
            case let .success(response):
                failure = RPCError(response.code, response.message)
            case let .failure(error):
                failure = error
            }
            guard failure.code == .unavailable, method.idempotent, attempt < configuration.maxAttempts else {
                throw failure
            }
            logger.debug("retrying", ["method": .string(method.fullName), "endpoint": .string(endpoint.key), "error": .string(failure.message)])
            excluded.insert(endpoint.key)
            let pause = configuration.retryBackoff * (1 << min(attempt - 1, 10))
            if let effectiveDeadline, Deadline.after(pause) >= effectiveDeadline {
                throw failure
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// Stops resolving and closes every connection; calls still waiting fail with UNAVAILABLE.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        resolver.withLock { $0?.cancel() }
        let all = endpoints.withLock { $0 }
        loop.execute { for endpoint in all { endpoint.closeAll() } }
        if ownsLoop { loop.stop() }
    }

    // MARK: Balancing.

    /// Power of two choices among endpoints that are not ejected or excluded; when every one
    /// is, the one whose ejection ends first, so a recovering fleet is probed rather than idle.
    func pick(excluding excluded: Set<String>) -> Endpoint? {
        let all = endpoints.withLock { $0 }
        guard !all.isEmpty else { return nil }
        let now = Deadline.nowNanos()
        let candidates = all.filter { !excluded.contains($0.key) && !$0.isEjected(now: now) }
        switch candidates.count {
        case 0:
            let fallback = all.filter { !excluded.contains($0.key) }
            return (fallback.isEmpty ? all : fallback).min { $0.ejectedUntil < $1.ejectedUntil }
        case 1:
            return candidates[0]
        default:
            let first = Int.random(in: 0..<candidates.count)
            var second = Int.random(in: 0..<(candidates.count - 1))
            if second >= first { second += 1 }
            let a = candidates[first], b = candidates[second]
            return a.outstanding <= b.outstanding ? a : b
        }
    }

    /// How many endpoints there are, ejected or not.
    var endpointCount: Int { endpoints.withLock { $0.count } }

    // MARK: Resolution and deadlines.

    /// Re-resolves every target and reconciles the endpoint list; keeps the old list on failure.
    private func resolveNow() {
        var resolved: [SocketAddress] = []
        for target in configuration.targets {
            do throws(TransportError) {
                let addresses = try configuration.resolver(target)
                lastResolved.withLock { $0[target] = addresses }
                resolved.append(contentsOf: addresses)
            } catch {
                // A resolver hiccup must not empty the endpoint list: keep what this name last gave.
                logger.warning("could not resolve target", ["target": .string(target.description), "error": .string(error.description)])
                resolved.append(contentsOf: lastResolved.withLock { $0[target] ?? [] })
            }
        }
        if resolved.isEmpty { return }
        let removed = endpoints.withLock { current -> [Endpoint] in
            let keep = current.filter { resolved.contains($0.address) }
            let gone = current.filter { !resolved.contains($0.address) }
            var next = keep
            for address in resolved where !next.contains(where: { $0.address == address }) {
                next.append(Endpoint(address: address))
            }
            current = next
            return gone
        }
        if !removed.isEmpty {
            logger.info("endpoints removed after re-resolution", ["endpoints": .string(removed.map(\.key).joined(separator: ","))])
        }
        let idle = retired.withLock { retired -> [Endpoint] in
            retired.append(contentsOf: removed)
            let idle = retired.filter { $0.outstanding == 0 }
            retired.removeAll { $0.outstanding == 0 }
            return idle
        }
        if !idle.isEmpty {
            loop.execute { for endpoint in idle { endpoint.closeAll() } }
        }
    }

    private func startSweepingIfIdle() {
        guard !sweeping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.execute { [self] in scheduleDeadlineSweep() }
    }

    /// Expires overdue calls every 5 ms while any call is in progress.
    private func scheduleDeadlineSweep() {
        guard !stopped.load(ordering: .relaxed) else { return }
        loop.schedule(after: .milliseconds(5)) { [self] in
            let now = Deadline.nowNanos()
            for endpoint in endpoints.withLock({ $0 }) + retired.withLock({ $0 }) {
                endpoint.expireDeadlines(now: now)
            }
            if callsInProgress.load(ordering: .acquiring) > 0 {
                scheduleDeadlineSweep()
                return
            }
            sweeping.store(false, ordering: .releasing)
            // A call that started between the load and the store saw the sweep still running.
            if callsInProgress.load(ordering: .acquiring) > 0 { startSweepingIfIdle() }
        }
    }
}
