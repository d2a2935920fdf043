import Foundation
import Testing
import TurnoutRouting
import TurnoutScorer
import TurnoutScorerAPI
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// Scorers hold no state a peer needs: any replica answers any request the same way, and
/// losing one behind the client costs no request.
@Suite struct ScorerReplicaTests {
    @Test func threeReplicasAnswerAlikeAndSurviveALoss() async throws {
        let directory = TestPaths.temporaryDirectory("routers-replicas")
        let artifact = ScorerProcessTests.artifact(bias: 0.1)
        try artifact.write(to: directory.appendingPathComponent("cls.json"))
        var replicas: [RunningService] = []
        for _ in 0..<3 {
            replicas.append(try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                           arguments: ["--routers-dir", directory.path, "--embedder", ""]))
        }
        defer { for replica in replicas { replica.process.terminate() } }

        // Each replica, asked directly, gives the same answer as the artifact itself.
        let probes = (0..<8).map { ScorerProcessTests.axis($0) }
        for replica in replicas {
            let direct = try WireClient.forTesting([replica.wireTarget])
            defer { direct.shutdown() }
            for probe in probes {
                let reply = try await direct.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: probe, router: "cls", threshold: 0.5))
                #expect(abs(reply.winRate - artifact.winRate(for: probe)) < 1e-12)
            }
        }

        // One client over all three; a replica is killed a third of the way through.
        let client = try WireClient.forTesting(replicas.map(\.wireTarget))
        defer { client.shutdown() }
        let failures = TestCounter()
        let answered = TestCounter()
        let victim = replicas[1].process
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<10 {
                group.addTask {
                    for call in 0..<60 {
                        let probe = probes[(worker + call) % probes.count]
                        do {
                            let reply = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: probe, router: "cls", threshold: 0.5))
                            if abs(reply.winRate - artifact.winRate(for: probe)) > 1e-12 { failures.increment() }
                        } catch {
                            failures.increment()
                        }
                        if answered.increment() == 200 { victim.killHard() }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(answered.value == 600)
        #expect(failures.value == 0, "Scorer/Score is idempotent: calls to the dead replica are retried on the others")
        #expect(replicas[1].process.exitStatusIfExited() != nil)
    }
}
