import Synchronization

/// Runs handler jobs as tasks, at most `limit` at a time, in arrival order.
///
/// The bound keeps a flood of requests from turning into a flood of tasks competing for two
/// cores; a running worker picks up queued jobs itself, so a busy server spawns few tasks.
final class HandlerPool: Sendable {
    typealias Job = @Sendable () async -> Void

    private struct State {
        var running = 0
        var queue: [Job] = []
        var head = 0

        mutating func popFirst() -> Job? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            head += 1
            if head >= 1024, head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func submit(_ job: @escaping Job) {
        let startWorker = state.withLock { state -> Bool in
            if state.running < limit {
                state.running += 1
                return true
            }
            state.queue.append(job)
            return false
        }
        guard startWorker else { return }
        Task {
            await job()
            while let next = self.next() {
                await next()
            }
        }
    }

    /// The next queued job, or nil after giving the worker's slot back.
    private func next() -> Job? {
        state.withLock { state in
            if let job = state.popFirst() { return job }
            state.running -= 1
            return nil
        }
    }

    var queuedCount: Int {
        state.withLock { $0.queue.count - $0.head }
    }
}
