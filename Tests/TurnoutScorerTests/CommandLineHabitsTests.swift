import Foundation
import Testing
import TurnoutRuntime
import TurnoutTestSupport

/// How `turnout` behaves when its output is a file, as under a supervisor or `| tee`.
@Suite struct CommandLineHabitsTests {
    /// Standard output is line-buffered: `turnout up` says what it is doing while it does it,
    /// not when it exits.
    @Test func upSpeaksWhileItRunsWhenPipedToAFile() async throws {
        let directory = TestPaths.temporaryDirectory("up-banner")
        let log = directory.appendingPathComponent("up.log")
        let process = try ManagedProcess(executable: TestPaths.executable("turnout"),
                                         arguments: ["up", "--ports", "free", "--state-dir", directory.appendingPathComponent("state").path], logFile: log)
        var seenWhileRunning = false
        for _ in 0..<200 where process.isRunning {
            if let text = try? String(contentsOf: log, encoding: .utf8), text.contains("Starting the stack") {
                seenWhileRunning = process.isRunning
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let status = await process.terminated()
        #expect(seenWhileRunning, "the first line is in the file before the process ends: \(process.recentLog())")
        #expect(status == 0 || status == 1, "stopped on SIGTERM: \(status)")
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
