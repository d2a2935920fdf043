import Foundation
import Testing
import TurnoutRuntime
import TurnoutTestSupport

/// How `turnout` behaves when its output is a file, as under a supervisor or `| tee`.
@Suite struct CommandLineHabitsTests {
    /// Standard output is line-buffered: `turnout up`'s endpoint banner is in the file as soon
    /// as the stack is up, not when it exits.
    @Test func upSpeaksWhileItRunsWhenPipedToAFile() async throws {
        let directory = TestPaths.temporaryDirectory("up-banner")
        let routers = directory.appendingPathComponent("routers")
        try FileManager.default.createDirectory(at: routers, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent("routers/mf.json"), to: routers.appendingPathComponent("mf.json"))
        let log = directory.appendingPathComponent("up.log")
        let process = try ManagedProcess(executable: TestPaths.executable("turnout"), arguments: [
            "up", "--ports", "free", "--state-dir", directory.appendingPathComponent("state").path, "--routers-dir", routers.path,
            "--model-dir", LearnCommandProcessTests.modelDirectory,
        ], logFile: log)
        var bannerWhileRunning = false
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, process.isRunning {
            if let text = try? String(contentsOf: log, encoding: .utf8), text.contains("Turnout is up") {
                bannerWhileRunning = process.isRunning
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = await process.terminated(grace: .seconds(30))
        #expect(bannerWhileRunning, "the banner is in the file while the stack runs: \(process.recentLog())")
        #expect(status == 0, "stopped cleanly on SIGTERM: \(status)")
    }

    @Test func progressIsABarOnATerminalAndSparseLinesOtherwise() {
        var clock = Date(timeIntervalSince1970: 0)
        var written: [String] = []
        let lines = ProgressReport("embedding", total: 1000, style: .lines, interval: 10, now: { clock }, write: { written.append($0) })
        for _ in 0..<10 {
            clock += 3
            lines.advance(by: 100)
        }
        #expect(written == ["embedding: 400/1000 (40%), 12 s, about 18 s left\n", "embedding: 800/1000 (80%), 24 s, about 6 s left\n",
                            "embedding: 1000/1000 (100%), 30 s\n"], "one line per ten seconds, and the last")
        written = []
        clock = Date(timeIntervalSince1970: 0)
        let bar = ProgressReport("embedding", total: 4, style: .bar, now: { clock }, write: { written.append($0) })
        clock += 90
        bar.advance(by: 2)
        bar.advance(by: 2)
        #expect(written.count == 2 && written[0].hasPrefix("\r[###############               ] embedding: 2/4 (50%), 1 min 30 s"))
        #expect(written[1].hasSuffix("\n") && written[1].contains("4/4 (100%)"))
    }
}
