import Foundation
import Testing
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport

@Suite struct CommandSpecTests {
    let spec = CommandSpec(name: "turnout-test", summary: "A test command.", options: ServerOptions.specs(prefix: "TURNOUT_TEST", defaultListen: "0.0.0.0:7102") + [
        .flag("json", help: "Print JSON"),
    ])

    @Test func flagsBeatEnvironmentWhichBeatsDefaults() throws {
        let environment = ["TURNOUT_TEST_LISTEN": "127.0.0.1:9000", "TURNOUT_TEST_IO_THREADS": "3"]
        let fromEnvironment = try spec.parse([], environment: environment)
        #expect(try fromEnvironment.hostPort("listen") == HostPort(host: "127.0.0.1", port: 9000))
        #expect(try fromEnvironment.int("io-threads") == 3)
        #expect(try fromEnvironment.duration("read-timeout") == .seconds(30))
        let fromFlags = try spec.parse(["--listen", "[::1]:7", "--io-threads=2", "--json"], environment: environment)
        #expect(try fromFlags.hostPort("listen") == HostPort(host: "::1", port: 7))
        #expect(try fromFlags.int("io-threads") == 2)
        #expect(fromFlags.flag("json"))
        #expect(!fromEnvironment.flag("json"))
    }

    @Test func badInputNamesTheOption() throws {
        #expect(throws: ConfigurationError.invalid("unknown option --nope for 'turnout-test' (see turnout-test --help)")) {
            try spec.parse(["--nope"], environment: [:])
        }
        #expect(throws: ConfigurationError.invalid("option --listen needs a value")) {
            try spec.parse(["--listen"], environment: [:])
        }
        let parsed = try spec.parse(["--io-threads", "many", "--read-timeout", "soon", "--listen", "nohost"], environment: [:])
        #expect(throws: ConfigurationError.self) { try parsed.int("io-threads") }
        #expect(throws: ConfigurationError.self) { try parsed.duration("read-timeout") }
        #expect(throws: ConfigurationError.self) { try parsed.hostPort("listen") }
        #expect(throws: ConfigurationError.self) { try ServerOptions.serverConfiguration(parsed) }
    }

    @Test func helpDescribesEveryOptionAndItsVariable() throws {
        do {
            _ = try spec.parse(["--help"], environment: [:])
            Issue.record("--help should be reported")
        } catch {
            guard case let .helpRequested(text) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            for option in spec.options {
                #expect(text.contains("--\(option.name)"))
                if let variable = option.environment { #expect(text.contains(variable)) }
            }
            #expect(text.contains("default: 0.0.0.0:7102"))
        }
    }

    @Test(arguments: [("250ms", Duration.milliseconds(250)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)), ("5m", .seconds(300)), ("3", .seconds(3)), ("100us", .microseconds(100))])
    func durationsParse(text: String, expected: Duration) {
        #expect(ParsedOptions.parseDuration(text) == expected)
    }

    @Test(arguments: ["", "ms", "-1s", "fast", "1x", "1e30s", "inf", "nan"])
    func badDurationsAreRejected(text: String) {
        #expect(ParsedOptions.parseDuration(text) == nil)
    }

    @Test func hostPortsParse() throws {
        #expect(try HostPort(parsing: ":7101") == HostPort(host: "0.0.0.0", port: 7101))
        #expect(try HostPort(parsing: "scorer:7102").host == "scorer")
        #expect(throws: TransportError.self) { try HostPort(parsing: "::1:7102") }
        for (text, loopback) in [("127.0.0.1:1", true), ("127.8.0.2:1", true), ("localhost:1", true), ("[::1]:1", true),
                                 (":1", false), ("0.0.0.0:1", false), ("10.0.0.7:1", false), ("dispatcher:1", false), ("[::]:1", false)] {
            #expect(try HostPort(parsing: text).isLoopback == loopback, "\(text)")
        }
        #expect(throws: TransportError.self) { try HostPort(parsing: "host:99999") }
        #expect(throws: TransportError.self) { try HostPort(parsing: "host") }
    }
}

@Suite struct LoggerTests {
    @Test func linesAreOneJSONObjectWithEscapedFields() throws {
        let sink = MemoryLogSink()
        let logger = Logger(service: "scorer", minimumLevel: .info, baseFields: ["instance": "a"], sink: sink)
        logger.debug("hidden")
        logger.info("line \"one\"\nsecond", ["count": .int(3), "ratio": 0.5, "ok": true, "peer": "127.0.0.1:1"])
        #expect(sink.recorded.count == 1)
        let line = try #require(sink.recorded.first)
        #expect(line.hasSuffix("\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "line \"one\"\nsecond")
        #expect(object["service"] as? String == "scorer")
        #expect(object["level"] as? String == "info")
        #expect(object["instance"] as? String == "a")
        #expect(object["count"] as? Int == 3)
        #expect(object["ok"] as? Bool == true)
        let timestamp = try #require(object["ts"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"))
    }
}

@Suite struct ManagedProcessTests {
    @Test func reportsExitStatusAndSignals() async throws {
        let quick = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", "echo oops >&2; exit 3"])
        #expect(await quick.exited() == 3)
        #expect(quick.logLines == ["oops"])
        let sleeper = try ManagedProcess(executable: "/bin/sleep", arguments: ["30"])
        #expect(sleeper.isRunning)
        // SIGTERM must reach the child even though we spawn from threads that block signals.
        #expect(sleeper.terminate(grace: .seconds(5)) == 128 + SIGTERM)
    }

    @Test func missingExecutableFailsToLaunch() {
        #expect(throws: ManagedProcess.Failure.self) {
            try ManagedProcess(executable: "/nonexistent/turnout", arguments: [])
        }
    }

    @Test func aServiceThatExitsBeforeListeningIsReported() async throws {
        let process = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", "echo '{\"msg\":\"could not start\"}' >&2; exit 1"])
        do {
            _ = try await process.listening(timeout: .seconds(10))
            Issue.record("should not report listening")
        } catch {
            guard case let .exitedEarly(status, log) = error else {
                Issue.record("unexpected failure: \(error)")
                return
            }
            #expect(status == 1)
            #expect(log.contains("could not start"))
        }
    }
}

@Suite struct OrphanTests {
    /// A service whose parent is SIGKILLed ends too, instead of holding its port forever.
    @Test func servicesExitWithTheirParent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orphan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pidFile = directory.appendingPathComponent("pid").path
        let turnout = ManagedProcess.currentExecutableDirectory.appendingPathComponent("turnout").path
        let parent = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", "'\(turnout)' echo-server --listen 127.0.0.1:0 & echo $! > '\(pidFile)'; wait"])
        var child: Int32 = 0
        for _ in 0..<500 where child == 0 {
            child = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(child > 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(kill(child, 0) == 0, "the echo server should be running")
        parent.killHard()
        var gone = false
        for _ in 0..<500 where !gone {
            gone = kill(child, 0) != 0
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(gone, "the echo server outlived its parent")
    }
}

@Suite struct ExitCodeTests {
    /// Bad options, shared or service-specific, exit 2 with the option named; --help exits 0.
    @Test func badOptionsExitTwo() async throws {
        let collector = ManagedProcess.currentExecutableDirectory.appendingPathComponent("turnout-collector").path
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("exit-\(UUID().uuidString)").path
        let specific = try ManagedProcess(executable: collector, arguments: ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--state-dir", state, "--durability", "bogus"])
        #expect(await specific.exited() == 2)
        #expect(specific.recentLog().contains("--durability"))
        let shared = try ManagedProcess(executable: collector, arguments: ["--io-threads", "lots"])
        #expect(await shared.exited() == 2)
        let help = try ManagedProcess(executable: collector, arguments: ["--help"])
        #expect(await help.exited() == 0)
    }
}
