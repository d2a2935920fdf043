import CTurnoutKernels
import Dispatch
import Foundation
import Synchronization

/// Threads that split one forward pass's products with the thread running it, and stay awake
/// between them.
///
/// A pass hands work to the other cores about thirty times, every 50 to 150 µs. With
/// `DispatchQueue.concurrentPerform` each hand-off wakes a parked thread, and on a virtual
/// machine waking an idle vCPU costs about as much as the work handed over: a 21-token query
/// took as long on two cores as on one. A helper here spins for `spin` after each job, so the
/// next hand-off finds it running; and the caller claims every part no helper has picked up
/// yet, so a helper that is slow to wake never stalls the pass, it only fails to help.
///
/// Spinning burns a core, so helpers spin only while `spinWhile` holds (the encoder's rule:
/// while a single pass is in flight, which has the cores to itself) and park otherwise.
final class WorkerTeam: Sendable {
    private let state: TeamState
    private let helpers: [TeamHelper]

    /// - Parameters:
    ///   - helpers: threads besides the caller's (cores - 1 for one pass on every core).
    ///   - spin: how long an idle helper waits awake for the next job before it parks.
    ///   - spinWhile: checked while spinning; a helper parks as soon as it is false.
    ///   - onHelperExit: called on each helper's thread as it ends (after the team is gone).
    init(helpers count: Int, spin: Duration = .microseconds(250), spinWhile: @escaping @Sendable () -> Bool = { true },
         onHelperExit: @escaping @Sendable () -> Void = {}) {
        let nanoseconds = UInt64(max(0, spin.components.seconds)) * 1_000_000_000 + UInt64(max(0, spin.components.attoseconds / 1_000_000_000))
        state = TeamState(spinNanoseconds: nanoseconds, spinWhile: spinWhile)
        helpers = (0..<max(0, count)).map { _ in TeamHelper() }
        for (index, helper) in helpers.enumerated() {
            let state = state
            let thread = Thread {
                state.serve(helper)
                onHelperExit()
            }
            thread.name = "encoder-helper-\(index)"
            thread.start()
        }
    }

    deinit {
        state.stopped.store(true, ordering: .sequentiallyConsistent)
        for helper in helpers where helper.parked.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.signal() }
    }

    /// Threads that may run a job's iterations: the caller's and the helpers'.
    var threads: Int { helpers.count + 1 }

    /// Runs `body(0..<iterations)`, each index once, on the caller's thread and any helper that
    /// is free, and returns when all have finished. While another caller's job is running, this
    /// one's iterations run on the caller's thread alone.
    func perform(iterations: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard iterations > 1, !helpers.isEmpty,
              state.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for index in 0..<iterations { body(index) }
            return
        }
        defer { state.busy.store(false, ordering: .releasing) }
        let job = state.post(iterations: iterations, body: body)
        // Parts beyond the caller's need at most iterations - 1 helpers.
        for helper in helpers.prefix(iterations - 1) where helper.parked.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.signal() }
        state.work(on: job)
        // A helper still on a part it claimed: spin; after a millisecond (far longer than any
        // part), yield the core in case it is the one that helper was preempted from.
        var spins = 0
        var yieldAfter: UInt64 = 0
        while state.completed.load(ordering: .acquiring) < iterations {
            spins += 1
            if spins & 255 != 0 {
                turnout_cpu_relax()
                continue
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if yieldAfter == 0 { yieldAfter = now + 1_000_000 }
            if now >= yieldAfter { sched_yield() } else { turnout_cpu_relax() }
        }
        // Drop the job's closure, which may hold what holds this team.
        state.finish(job)
    }
}

/// One job: its generation tags the ticket its iterations are claimed from, so a helper holding
/// an older job can never claim a newer job's iteration.
private struct TeamJob: Sendable {
    let generation: UInt32
    let iterations: Int
    let body: @Sendable (Int) -> Void
}

/// A helper's parking spot: `parked` is set while it sleeps (or is about to) on `wake`.
private final class TeamHelper: Sendable {
    let parked = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
}

/// What the caller and the helpers share (the helpers' threads hold this, not the team, so the
/// team's deinit can stop them).
private final class TeamState: Sendable {
    let spinNanoseconds: UInt64
    let spinWhile: @Sendable () -> Bool
    let stopped = Atomic<Bool>(false)
    /// Set while a caller's job runs: one job at a time.
    let busy = Atomic<Bool>(false)
    /// The generation (high 32 bits) and the next iteration to claim (low 32).
    let ticket = Atomic<UInt64>(0)
    let completed = Atomic<Int>(0)
    /// The latest job's generation, and the job itself until it has finished.
    private let current = Mutex<(generation: UInt32, job: TeamJob?)>((0, nil))

    init(spinNanoseconds: UInt64, spinWhile: @escaping @Sendable () -> Bool) {
        self.spinNanoseconds = spinNanoseconds
        self.spinWhile = spinWhile
    }

    /// Publishes a job (the caller holds `busy`, and the previous job has finished).
    func post(iterations: Int, body: @escaping @Sendable (Int) -> Void) -> TeamJob {
        let generation = UInt32(truncatingIfNeeded: ticket.load(ordering: .relaxed) >> 32) &+ 1
        let job = TeamJob(generation: generation, iterations: iterations, body: body)
        completed.store(0, ordering: .relaxed)
        current.withLock { $0 = (generation, job) }
        ticket.store(UInt64(generation) << 32, ordering: .sequentiallyConsistent)
        return job
    }

    /// Forgets a finished job (helpers that look now find nothing to do).
    func finish(_ job: TeamJob) {
        current.withLock { if $0.generation == job.generation { $0.job = nil } }
    }

    /// Claims and runs the job's iterations until none is left.
    func work(on job: TeamJob) {
        var ticket = self.ticket.load(ordering: .acquiring)
        while UInt32(truncatingIfNeeded: ticket >> 32) == job.generation, Int(ticket & 0xffff_ffff) < job.iterations {
            let (claimed, found) = self.ticket.compareExchange(expected: ticket, desired: ticket + 1, ordering: .acquiringAndReleasing)
            if claimed {
                job.body(Int(ticket & 0xffff_ffff))
                completed.add(1, ordering: .releasing)
                ticket = self.ticket.load(ordering: .acquiring)
            } else {
                ticket = found
            }
        }
    }

    /// A helper's life: wait for a job newer than the last it saw (spinning, then parked), help with it.
    func serve(_ helper: TeamHelper) {
        var seen = UInt32(truncatingIfNeeded: ticket.load(ordering: .acquiring) >> 32)
        while !stopped.load(ordering: .relaxed) {
            waitForJob(after: seen, helper)
            let (generation, job) = current.withLock { ($0.generation, $0.job) }
            seen = generation
            if let job { work(on: job) }
        }
    }

    private func generation() -> UInt32 { UInt32(truncatingIfNeeded: ticket.load(ordering: .acquiring) >> 32) }

    /// As `generation()`, ordered with the `parked` store before it (the parking re-check).
    private func generationAfterParking() -> UInt32 { UInt32(truncatingIfNeeded: ticket.load(ordering: .sequentiallyConsistent) >> 32) }

    private func waitForJob(after seen: UInt32, _ helper: TeamHelper) {
        var deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
        var spins = 0
        while generation() == seen, !stopped.load(ordering: .relaxed) {
            spins += 1
            if spins & 63 != 0 || (DispatchTime.now().uptimeNanoseconds < deadline && spinWhile()) {
                turnout_cpu_relax()
                continue
            }
            // Park. A job posted between the check above and `parked` being set is seen by the
            // second check; one posted after it finds `parked` set and signals.
            helper.parked.store(true, ordering: .sequentiallyConsistent)
            if generationAfterParking() != seen || stopped.load(ordering: .sequentiallyConsistent) {
                if helper.parked.exchange(false, ordering: .sequentiallyConsistent) { return }
                // The poster cleared it first and has signalled, or is about to: take that signal.
            }
            helper.wake.wait()
            deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
            spins = 0
        }
    }
}
