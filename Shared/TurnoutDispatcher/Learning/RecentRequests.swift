import Synchronization

/// The answered requests a user may still rate (`POST /v1/feedback`): the newest `capacity`
/// of them, for `maxAge`. Each remembers how it was routed and, when prompts are kept, its
/// routed text, so a rating can become a training example.
public final class RecentRequests: Sendable {
    public struct Entry: Sendable, Equatable {
        public var requestID: String
        public var timeMs: Int64
        public var router: String
        public var routerVersion: String
        public var route: String
        public var answeringModel: String
        public var prompt: String?
        /// The client that asked (its key's index); only it may rate the answer.
        public var client: Int?

        public init(requestID: String, timeMs: Int64, router: String, routerVersion: String, route: String, answeringModel: String, prompt: String?,
                    client: Int? = nil) {
            self.requestID = requestID
            self.timeMs = timeMs
            self.router = router
            self.routerVersion = routerVersion
            self.route = route
            self.answeringModel = answeringModel
            self.prompt = prompt
            self.client = client
        }
    }

    public enum Lookup: Sendable, Equatable {
        /// Rateable now; `rate` has marked it rated.
        case found(Entry)
        /// Rated before: the first rating stands.
        case alreadyRated(Entry)
        /// Never answered here, or forgotten (too old, or pushed out by newer ones).
        case unknown
    }

    private struct State {
        var entries: [String: (entry: Entry, rated: Bool)] = [:]
        /// Request ids in arrival order, for evicting the oldest; `head` is the oldest live one.
        var order: [String] = []
        var head = 0
    }

    public let capacity: Int
    public let maxAgeMs: Int64
    private let state = Mutex(State())

    public init(capacity: Int, maxAge: Duration) {
        self.capacity = max(1, capacity)
        maxAgeMs = max(0, maxAge.milliseconds)
    }

    public func remember(_ entry: Entry) {
        state.withLock { state in
            if state.entries[entry.requestID] == nil { state.order.append(entry.requestID) }
            state.entries[entry.requestID] = (entry, false)
            while state.entries.count > capacity, state.head < state.order.count {
                state.entries[state.order[state.head]] = nil
                state.head += 1
            }
            if state.head > 4096, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    /// Looks `requestID` up for a rating by `client` at `nowMs`, marking it rated when found.
    /// Another client's request reads as unknown: ids are not secrets, and one client must not
    /// steer the router with ratings of another's answers.
    public func rate(_ requestID: String, by client: Int? = nil, nowMs: Int64) -> Lookup {
        state.withLock { state in
            guard let (entry, rated) = state.entries[requestID], nowMs - entry.timeMs <= maxAgeMs, entry.client == client else { return .unknown }
            if rated { return .alreadyRated(entry) }
            state.entries[requestID] = (entry, true)
            return .found(entry)
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}
