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
