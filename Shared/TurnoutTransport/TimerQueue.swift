/// Timers of one event loop, ordered by due time in a binary heap.
///
/// Cancelled timers stay in the heap and are skipped when they come due: cancellation is
/// common (most deadlines never fire) and this keeps it O(1).
public struct TimerQueue {
    public struct Token: Hashable, Sendable {
        let id: UInt64
    }

    private struct Entry {
        let due: UInt64
        let id: UInt64
        let work: () -> Void
    }

    private var heap: [Entry] = []
    private var cancelled: Set<UInt64> = []
    private var nextID: UInt64 = 1

    public init() {}

    mutating func schedule(at due: UInt64, _ work: @escaping () -> Void) -> Token {
        let id = nextID
        nextID += 1
        heap.append(Entry(due: due, id: id, work: work))
        siftUp(heap.count - 1)
        return Token(id: id)
    }

    mutating func cancel(_ token: Token) {
        cancelled.insert(token.id)
    }

    /// How long `epoll_wait` may sleep: until the next timer, at most `cap` milliseconds.
    func millisecondsUntilNext(now: UInt64, cap: Int) -> Int {
        guard let first = heap.first else { return cap }
        guard first.due > now else { return 0 }
        return min(cap, Int((first.due - now + 999_999) / 1_000_000))
    }

    /// Removes and returns the next timer due by `now`, skipping cancelled ones.
    /// The caller runs it, so a timer may schedule another without overlapping this mutation.
    mutating func popExpired(now: UInt64) -> (() -> Void)? {
        while let first = heap.first, first.due <= now {
            let entry = popFirst()
            if cancelled.remove(entry.id) == nil {
                return entry.work
            }
        }
        if heap.isEmpty { cancelled.removeAll() }
        return nil
    }

    private mutating func popFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
