import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TurnoutEmbedding

/// The encoder's spinning helpers: every part of every job runs once, whoever is awake.
@Suite("WorkerTeam")
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

    @Test("helpers told not to spin still take jobs, and a job runs whole on its caller when the team is busy with another")
    func concurrentCallersAndNoSpinning() {
        let team = WorkerTeam(helpers: 1, spinWhile: { false })
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<500 {
                let seen = Mutex<Set<Int>>([])
                team.perform(iterations: 3) { index in
                    seen.withLock { _ = $0.insert(index) }
                    total.add(1, ordering: .relaxed)
                }
                #expect(seen.withLock { $0 } == [0, 1, 2], "caller \(caller)")
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 500 * 3)
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
