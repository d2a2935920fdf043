import Synchronization

/// Whether a server, or one service in it, takes traffic. Mirrors gRPC's health protocol.
public enum ServingStatus: String, Sendable, Codable {
    case serving = "SERVING"
    case notServing = "NOT_SERVING"
}

/// The serving status a server reports through `Health/Check`.
///
/// Services may flip a service's own status (say, while a dependency is down); the server
/// flips the whole to NOT_SERVING when draining, so balancers stop sending before connections close.
public final class HealthMonitor: Sendable {
    private struct State {
        var overall: ServingStatus
        var services: [String: ServingStatus]
    }

    private let state: Mutex<State>

    public init(initial: ServingStatus = .serving) {
        state = Mutex(State(overall: initial, services: [:]))
    }

    public func setOverall(_ status: ServingStatus) {
        state.withLock { $0.overall = status }
    }

    /// Sets one service's own status; a service with none reports the overall status.
    public func setStatus(_ status: ServingStatus, forService service: String) {
        state.withLock { $0.services[service] = status }
    }

    public var overall: ServingStatus {
        state.withLock { $0.overall }
    }

    /// A service's status: NOT_SERVING whenever the server as a whole is, otherwise its own.
    public func status(forService service: String) -> ServingStatus? {
        state.withLock { state in
            guard let own = state.services[service] else { return nil }
            return state.overall == .notServing ? .notServing : own
        }
    }
}
