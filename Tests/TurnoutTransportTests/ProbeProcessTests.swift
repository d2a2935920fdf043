import Foundation
import Testing
import TurnoutRuntime
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// `turnout-probe`, the container health check, run as a process against real echo servers.
@Suite struct ProbeProcessTests {
    /// Runs the probe to its end; returns its exit status and what it printed on stdout.
    static func probe(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let output = TestPaths.temporaryDirectory("probe").appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = try ManagedProcess(executable: TestPaths.executable("turnout-probe"), arguments: arguments, logFile: output)
        let status = await process.exited()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output.deletingLastPathComponent())
        return (status, text)
    }

    @Test func servingExitsZeroAndAnythingElseExitsOne() async throws {
        let echo = try await EchoProcesses.start()
        defer { echo.process.terminate() }
        let target = echo.target.description
        let serving = try await Self.probe([target, "--timeout", "2s"])
        #expect(serving.status == 0)
        #expect(serving.output.contains("SERVING"))
        #expect(try await Self.probe(["--timeout=1s", target, "--service", "Echo"]).status == 0)
        #expect(try await Self.probe([target, "--service", "Scorer"]).status == 1, "an unknown service is not SERVING")
    }

    @Test func badArgumentsExitTwo() async throws {
        #expect(try await Self.probe([]).status == 2)
        #expect(try await Self.probe(["127.0.0.1:7101", "--timeout", "soon"]).status == 2)
        #expect(try await Self.probe(["127.0.0.1:7101", "--retries", "3"]).status == 2)
        #expect(try await Self.probe(["no-port-here"]).status == 2)
        #expect(try await Self.probe(["--help"]).status == 0)
    }

    /// A draining server fails the probe at once (its listening socket is closed), and a stopped one too.
    @Test func aDrainingOrStoppedServerFailsTheProbe() async throws {
        let echo = try await EchoProcesses.start(extraArguments: ["--drain-timeout", "20s"])
        defer { echo.process.killHard() }
        let target = echo.target.description
        #expect(try await Self.probe([target]).status == 0)
        // One call in flight keeps the server draining until it ends. The Echo/Echo sent after it on
        // the same connection answers first, which shows the server has read the Sleep.
        let connection = try RawWireConnection(port: echo.port)
        var burst: [UInt8] = []
        RequestEnvelope(id: 1, method: "Echo/Sleep", body: Array(#"{"ms":3000}"#.utf8)).encodeFrame(into: &burst)
        RequestEnvelope(id: 2, method: "Echo/Echo", body: Array("{}".utf8)).encodeFrame(into: &burst)
        try await connection.send(burst)
        #expect(try await connection.readResponse()?.id == 2)
        kill(echo.process.pid, SIGTERM)
        try await waitUntil { echo.process.logLines.contains { $0.contains("\"draining\"") } }
        #expect(try await Self.probe([target, "--timeout", "1s"]).status == 1, "a draining server must fail the probe")
        let slept = try await connection.readResponse()
        #expect(slept?.id == 1)
        #expect(slept?.code == .ok)
        #expect(await echo.process.exited() == 0)
        #expect(try await Self.probe([target, "--timeout", "1s"]).status == 1, "a stopped server must fail the probe")
    }
}
