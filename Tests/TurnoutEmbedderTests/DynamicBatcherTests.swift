import Foundation
import Testing
import TurnoutEmbedder
import TurnoutTestSupport

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
                    return (request, await batcher.embed(sequences))
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
        let vectors = await batcher.embed(sequences)
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
        let vectors = await batcher.embed([[1, 2, 3]])
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
        let vectors = await batcher.embed([[1], [2], [3], [4]])
        #expect(vectors.map { $0[1] } == [1, 2, 3, 4])
        #expect(encoder.passes.value == [[1, 1, 1, 1]])
    }
}
