import Foundation
import Testing
import TurnoutEmbedder
import TurnoutTestSupport
import TurnoutWire

@Suite struct DynamicBatcherTests {
    /// A deterministic encoder that records every pass: each vector is [length, first token].
    final class RecordingEncoder: Sendable {
        let passes = Locked<[[Int]]>([])

        func encode(_ batch: [[Int32]]) -> [[Float]] {
            passes.withLock { $0.append(batch.map(\.count)) }
            Thread.sleep(forTimeInterval: 0.005)
            return batch.map { [Float($0.count), Float($0.first ?? -1)] }
        }
    }

    @Test func concurrentRequestsShareForwardPassesAndKeepTheirOrder() async throws {
        let encoder = RecordingEncoder()
        var configuration = DynamicBatcher.Configuration()
        configuration.maxWait = .milliseconds(20)
        let batcher = DynamicBatcher(configuration: configuration) { encoder.encode($0) }
        defer { batcher.shutdown() }
        let results = await withTaskGroup(of: (Int, [[Float]]).self) { group in
            for request in 0..<16 {
                group.addTask {
                    let sequences: [[Int32]] = [[Int32(request), 1, 2], [Int32(request) + 100]]
                    return (request, (try? await batcher.embed(sequences)) ?? [])
                }
            }
            return await group.reduce(into: [Int: [[Float]]]()) { $0[$1.0] = $1.1 }
        }
        for request in 0..<16 {
            #expect(results[request] == [[3, Float(request)], [1, Float(request + 100)]])
        }
        let passes = encoder.passes.value
        #expect(passes.reduce(0) { $0 + $1.count } == 32)
        #expect(passes.count < 16, "32 sequences from 16 concurrent requests should share passes, got \(passes.count)")
    }

    @Test func passesStayWithinTheTokenBudgetAndGroupByLength() async throws {
        let encoder = RecordingEncoder()
        var configuration = DynamicBatcher.Configuration()
        configuration.maxWait = .milliseconds(30)
        configuration.tokenBudget = 400
        let batcher = DynamicBatcher(configuration: configuration) { encoder.encode($0) }
        defer { batcher.shutdown() }
        var sequences: [[Int32]] = []
        for index in 0..<20 { sequences.append(Array(repeating: 7, count: index % 2 == 0 ? 10 : 100)) }
        let vectors = try await batcher.embed(sequences)
        #expect(vectors.map { Int($0[0]) } == sequences.map(\.count))
        for pass in encoder.passes.value {
            #expect(pass.count * (pass.max() ?? 0) <= 400)
        }
        // Lengths 10 and 100 never share a pass while each fills one on its own.
        #expect(encoder.passes.value.contains { Set($0) == [10] })
    }

    /// A lone request must not wait for company that never comes; the time limit fails the test if it does.
    @Test(.timeLimit(.minutes(1))) func aLoneRequestIsServedWhenTheWindowCloses() async throws {
        let encoder = RecordingEncoder()
        var configuration = DynamicBatcher.Configuration()
        configuration.maxWait = .milliseconds(50)
        let batcher = DynamicBatcher(configuration: configuration) { encoder.encode($0) }
        defer { batcher.shutdown() }
        let vectors = try await batcher.embed([[1, 2, 3]])
        #expect(vectors == [[3, 1]])
    }

    /// With an hour-long window, only a full batch can finish within the time limit.
    @Test(.timeLimit(.minutes(1))) func aFullBatchDoesNotWaitForTheWindow() async throws {
        let encoder = RecordingEncoder()
        var configuration = DynamicBatcher.Configuration()
        configuration.maxWait = .seconds(3600)
        configuration.maxBatchSize = 4
        let batcher = DynamicBatcher(configuration: configuration) { encoder.encode($0) }
        defer { batcher.shutdown() }
        let vectors = try await batcher.embed([[1], [2], [3], [4]])
        #expect(vectors.map { $0[1] } == [1, 2, 3, 4])
        #expect(encoder.passes.value == [[1, 1, 1, 1]])
    }

    /// With no batching window, a pass starts as soon as a worker is free, and the requests
    /// that arrive while it runs all share the next pass.
    @Test(.timeLimit(.minutes(1))) func requestsArrivingDuringAPassShareTheNext() async throws {
        let release = DispatchSemaphore(value: 0)
        let passes = Locked<[Int]>([])
        let reports = Locked<[DynamicBatcher.PassReport]>([])
        var configuration = DynamicBatcher.Configuration()
        configuration.workers = 1
        #expect(configuration.maxWait == .zero, "the default starts a pass at once")
        let batcher = DynamicBatcher(configuration: configuration, encoder: { batch in
            let first = passes.withLock { passes -> Bool in
                passes.append(batch.count)
                return passes.count == 1
            }
            if first { _ = release.wait(timeout: .now() + 30) }
            return batch.map { [Float($0[0])] }
        }, onPass: { report in reports.withLock { $0.append(report) } })
        defer { batcher.shutdown() }
        async let lone = batcher.embed([[0]])
        while passes.value.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        // The lone request's pass started with nothing else queued; eight more arrive during it.
        let later = Task {
            await withTaskGroup(of: [[Float]].self) { group in
                for number in 1...8 { group.addTask { (try? await batcher.embed([[Int32(number)]])) ?? [] } }
                return await group.reduce(into: [[Float]]()) { $0 += $1 }
            }
        }
        while batcher.queuedSequences < 8 { try await Task.sleep(for: .milliseconds(1)) }
        // Held a while longer with all eight queued: each of them then waits at least this.
        try await Task.sleep(for: .milliseconds(50))
        release.signal()
        #expect(try await lone == [[0]])
        let answered = await later.value
        #expect(Set(answered.map { $0[0] }) == Set((1...8).map(Float.init)))
        #expect(passes.value == [1, 8])
        // What the queue metrics are fed: the eight were left waiting when the first pass ended,
        // and the second pass's earliest had waited through the hold; nothing is left after it.
        // (Only a lower bound: a loaded machine makes every wait longer, the first pass's too.)
        let seen = reports.value
        #expect(seen.map(\.queued) == [8, 0])
        #expect(seen.count == 2 && seen[1].waitedSeconds >= 0.05, "\(seen.map(\.waitedSeconds))")
    }

    /// Two workers run two passes at once: the second pass starts while the first is still running.
    @Test(.timeLimit(.minutes(1))) func twoWorkersRunPassesConcurrently() async throws {
        let inFlight = Locked((now: 0, most: 0))
        let bothRunning = DispatchSemaphore(value: 0)
        var configuration = DynamicBatcher.Configuration()
        configuration.workers = 2
        configuration.maxBatchSize = 1
        let batcher = DynamicBatcher(configuration: configuration) { batch in
            let now = inFlight.withLock { state -> Int in
                state.now += 1
                state.most = max(state.most, state.now)
                return state.now
            }
            if now == 2 {
                bothRunning.signal()
                bothRunning.signal()
            }
            // Each pass waits (up to 10 s) for the other to start; one worker alone would time out here.
            _ = bothRunning.wait(timeout: .now() + 10)
            inFlight.withLock { $0.now -= 1 }
            return batch.map { [Float($0[0])] }
        }
        defer { batcher.shutdown() }
        async let first = batcher.embed([[1]])
        async let second = batcher.embed([[2]])
        #expect(try await first == [[1]])
        #expect(try await second == [[2]])
        #expect(inFlight.value.most == 2)
    }

    /// Under overload, sequences whose caller has given up are answered DEADLINE_EXCEEDED
    /// without a forward pass, and the callers still waiting are served.
    @Test(.timeLimit(.minutes(1))) func sequencesPastTheirDeadlineAreDroppedNotComputed() async throws {
        let encoder = RecordingEncoder()
        var configuration = DynamicBatcher.Configuration()
        configuration.maxWait = .milliseconds(1)
        configuration.maxBatchSize = 1
        // Every pass takes at least 5 ms, so 40 one-sequence requests need 200 ms; those with a
        // 30 ms deadline cannot all be served, those without one must be.
        let batcher = DynamicBatcher(configuration: configuration) { encoder.encode($0) }
        defer { batcher.shutdown() }
        let outcomes = await withTaskGroup(of: (Bool, Result<[[Float]], RPCError>).self) { group in
            for request in 0..<40 {
                let hurried = request % 2 == 0
                group.addTask {
                    do throws(RPCError) {
                        let vectors = try await batcher.embed([[Int32(request)]], deadline: hurried ? Deadline.after(milliseconds: 30) : nil)
                        return (hurried, .success(vectors))
                    } catch {
                        return (hurried, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [(Bool, Result<[[Float]], RPCError>)]()) { $0.append($1) }
        }
        let patient = outcomes.filter { !$0.0 }.map(\.1)
        #expect(patient.count == 20 && patient.allSatisfy { (try? $0.get()) != nil }, "requests without a deadline are all served")
        let dropped = outcomes.filter { $0.0 }.compactMap { outcome -> RPCError? in
            if case .failure(let error) = outcome.1 { return error } else { return nil }
        }
        #expect(!dropped.isEmpty, "some hurried requests must have expired in the queue")
        #expect(dropped.allSatisfy { $0.code == .deadlineExceeded && $0.message.contains("forward pass") })
        // Nothing dropped was computed: the passes hold only the requests that were answered.
        let computed = encoder.passes.value.reduce(0) { $0 + $1.count }
        #expect(computed == 40 - dropped.count)
    }

    /// After shutdown nothing would compute a request: it fails at once instead of waiting for ever.
    @Test(.timeLimit(.minutes(1))) func aRequestAfterShutdownFailsAtOnce() async throws {
        let encoder = RecordingEncoder()
        let batcher = DynamicBatcher { encoder.encode($0) }
        batcher.shutdown()
        do {
            _ = try await batcher.embed([[1, 2]])
            Issue.record("embed after shutdown must fail")
        } catch {
            #expect(error.code == .unavailable)
        }
        #expect(encoder.passes.value.isEmpty)
    }
}
