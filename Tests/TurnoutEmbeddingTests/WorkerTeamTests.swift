import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TurnoutEmbedding

/// The encoder's spinning helpers: every part of every job runs once, whoever is awake.
// Serialized: the timing test below must not share the cores with the others' spinning helpers.
@Suite("WorkerTeam", .serialized)
struct WorkerTeamTests {
    @Test("every iteration of 5,000 jobs of 2 to 9 parts runs exactly once, and each job has finished when perform returns")
    func everyIterationRunsOnce() {
        let team = WorkerTeam(helpers: 3)
        let runs = Mutex<[Int]>([])
        for job in 0..<5_000 {
            let iterations = 2 + job % 8
            runs.withLock { $0 = Array(repeating: 0, count: iterations) }
            team.perform(iterations: iterations) { index in runs.withLock { $0[index] += 1 } }
            let counted = runs.withLock { $0 }
            #expect(counted == Array(repeating: 1, count: iterations), "job \(job): \(counted)")
            if counted != Array(repeating: 1, count: iterations) { return }
        }
    }

    @Test("a parked helper wakes for a job: two 30 ms parts take well under 60 ms")
    func aParkedHelperHelps() {
        // Spin 1 ms, then sleep 20 ms so the helper has parked before each job.
        let team = WorkerTeam(helpers: 1, spin: .milliseconds(1))
        var best = Double.infinity
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.02)
            let start = DispatchTime.now().uptimeNanoseconds
            team.perform(iterations: 2) { _ in Thread.sleep(forTimeInterval: 0.03) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        #expect(best < 50, "the fastest of five jobs took \(best) ms: the helper never ran a part")
    }

    @Test("helpers told not to spin still take parts, and jobs posted from four threads at once each run every part exactly once")
    func concurrentCallersAndNoSpinning() {
        let team = WorkerTeam(helpers: 1, spinWhile: { false })
        let total = Atomic<Int>(0), offCaller = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for job in 0..<50 {
                let runs = Mutex<[Int]>([0, 0, 0])
                let callerThread = currentThreadID()
                team.perform(iterations: 3) { index in
                    // Parts long enough (1 ms) for a parked helper to wake and take one.
                    Thread.sleep(forTimeInterval: 0.001)
                    runs.withLock { $0[index] += 1 }
                    if currentThreadID() != callerThread { offCaller.add(1, ordering: .relaxed) }
                    total.add(1, ordering: .relaxed)
                }
                let counted = runs.withLock { $0 }
                #expect(counted == [1, 1, 1], "caller \(caller), job \(job): \(counted)")
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 50 * 3)
        #expect(offCaller.load(ordering: .relaxed) > 0, "the parked helper never ran a part")
    }

    @Test("a team whose last job held its owner is freed with it, and its helpers end")
    func aTeamIsFreedWithItsOwner() {
        final class Owner: Sendable {
            let team: WorkerTeam
            init(exits: Counter) { team = WorkerTeam(helpers: 2, onHelperExit: { exits.value.add(1, ordering: .relaxed) }) }
        }
        let exits = Counter()
        weak var released: Owner?
        do {
            let owner = Owner(exits: exits)
            // The job's closure holds the owner, as the encoder's attention job holds the encoder.
            owner.team.perform(iterations: 3) { _ in _ = owner.team.threads }
            released = owner
        }
        // A helper may still be returning from the job's last part, holding its closure a moment.
        let deadline = Date().addingTimeInterval(5)
        while released != nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(released == nil, "the team's last job kept its owner alive")
        while exits.value.load(ordering: .relaxed) < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(exits.value.load(ordering: .relaxed) == 2, "\(exits.value.load(ordering: .relaxed)) of 2 helpers ended")
    }

    @Test("a team without helpers runs jobs on the caller, in order")
    func noHelpers() {
        let team = WorkerTeam(helpers: 0)
        let order = Mutex<[Int]>([])
        team.perform(iterations: 5) { index in order.withLock { $0.append(index) } }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(team.threads == 1)
    }
}

/// A shareable counter for closures that outlive a test's stack frame.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// The calling thread's pthread id as a number (Sendable, unlike `Thread`; Linux Foundation's
/// `Thread.current` does not report a helper's name).
private func currentThreadID() -> UInt {
    #if canImport(Darwin)
    UInt(bitPattern: pthread_self())
    #else
    UInt(pthread_self())
    #endif
}
