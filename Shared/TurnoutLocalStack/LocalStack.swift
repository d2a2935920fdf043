import Foundation
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// All four services as local processes on loopback: collector, embedder, two scorer replicas
/// behind the dispatcher's client, and the dispatcher. What `turnout up` runs, and what the
/// end-to-end test drives.
///
/// Each service logs to `<state>/logs/<name>.log` and keeps its files under `<state>/<name>`.
/// `<state>/stack.json` records the supervisor's pid and every endpoint, for `turnout down`
/// and for scripts.
public final class LocalStack: @unchecked Sendable {
    // @unchecked Sendable: `processes` is only touched by the supervisor's own calls, one at a time.

    public struct Ports: Sendable, Codable, Equatable {
        public var collectorWire: Int
        public var collectorHTTP: Int
        public var embedder: Int
        public var scorers: [Int]
        public var dispatcherWire: Int
        public var dispatcherHTTP: Int

        /// The services' own defaults (second scorer on 7112).
        public static let standard = Ports(collectorWire: 7104, collectorHTTP: 9464, embedder: 7101, scorers: [7102, 7112], dispatcherWire: 7103, dispatcherHTTP: 6060)

        /// Free ports picked now, for tests and for running beside another stack.
        public static func free(scorers: Int = 2) throws(TransportError) -> Ports {
            func port() throws(TransportError) -> Int { Int(try LoopbackSocket.freePort()) }
            var scorerPorts: [Int] = []
            for _ in 0..<scorers { scorerPorts.append(try port()) }
            return Ports(collectorWire: try port(), collectorHTTP: try port(), embedder: try port(), scorers: scorerPorts,
                         dispatcherWire: try port(), dispatcherHTTP: try port())
        }
    }

    public struct Configuration: Sendable {
        public var stateDirectory: URL
        public var ports: Ports
        public var executableDirectory: URL
        public var routersDirectory: String
        public var modelDirectory: String
        /// The dispatcher's `--config`; nil: its `--strong-*`/`--weak-*` options from the environment.
        public var dispatcherConfig: String?
        public var apiKeys: [String] = []
        /// Added to every service's environment.
        public var environment: [String: String] = [:]
        public var reportInterval = "2s"
        public var readyTimeout: Duration = .seconds(120)

        public init(stateDirectory: URL, ports: Ports, executableDirectory: URL, routersDirectory: String, modelDirectory: String, dispatcherConfig: String? = nil) {
            self.stateDirectory = stateDirectory
            self.ports = ports
            self.executableDirectory = executableDirectory
            self.routersDirectory = routersDirectory
            self.modelDirectory = modelDirectory
            self.dispatcherConfig = dispatcherConfig
        }
    }

    /// What `stack.json` holds.
    public struct Record: Codable, Sendable {
        public var supervisorPID: Int32
        public var ports: Ports
        public var pids: [String: Int32]

        enum CodingKeys: String, CodingKey {
            case supervisorPID = "supervisor_pid"
            case ports, pids
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case start(service: String, detail: String)
        case notReady(service: String, detail: String)

        public var description: String {
            switch self {
            case let .start(service, detail): "\(service) did not start: \(detail)"
            case let .notReady(service, detail): "\(service) did not become SERVING: \(detail)"
            }
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private var processes: [(name: String, process: ManagedProcess)] = []

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public var recordURL: URL { configuration.stateDirectory.appendingPathComponent("stack.json") }

    /// The services in start order, with their command lines.
    public func plan() -> [(name: String, executable: String, arguments: [String], wirePort: Int)] {
        let ports = configuration.ports
        let state = configuration.stateDirectory
        func common(_ name: String, _ port: Int) -> [String] {
            ["--listen", "127.0.0.1:\(port)", "--state-dir", state.appendingPathComponent(name).path, "--instance", name]
        }
        let collector = "127.0.0.1:\(ports.collectorWire)"
        let reporting = ["--collector", collector, "--report-interval", configuration.reportInterval]
        var plan: [(name: String, executable: String, arguments: [String], wirePort: Int)] = [
            ("collector", "turnout-collector", common("collector", ports.collectorWire) + ["--http-listen", "127.0.0.1:\(ports.collectorHTTP)"], ports.collectorWire),
            ("embedder", "turnout-embedder", common("embedder", ports.embedder) + ["--model-dir", configuration.modelDirectory] + reporting, ports.embedder),
        ]
        for (index, port) in ports.scorers.enumerated() {
            plan.append(("scorer-\(index + 1)", "turnout-scorer", common("scorer-\(index + 1)", port) + [
                "--routers-dir", configuration.routersDirectory, "--embedder", "127.0.0.1:\(ports.embedder)"] + reporting, port))
        }
        var dispatcher = common("dispatcher", ports.dispatcherWire) + [
            "--http-listen", "127.0.0.1:\(ports.dispatcherHTTP)", "--embedder", "127.0.0.1:\(ports.embedder)",
            "--scorer", ports.scorers.map { "127.0.0.1:\($0)" }.joined(separator: ","),
        ] + reporting
        if let config = configuration.dispatcherConfig { dispatcher += ["--config", config] }
        if !configuration.apiKeys.isEmpty { dispatcher += ["--api-keys", configuration.apiKeys.joined(separator: ",")] }
        plan.append(("dispatcher", "turnout-dispatcher", dispatcher, ports.dispatcherWire))
        return plan
    }

    /// Starts every service in order and waits until each answers SERVING; on failure stops what started.
    public func start() async throws(Failure) {
        let logs = configuration.stateDirectory.appendingPathComponent("logs")
        try? FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        for step in plan() {
            do throws(Failure) {
                try await launch(step.name, step.executable, step.arguments, wirePort: step.wirePort)
            } catch {
                await stop()
                throw error
            }
        }
        writeRecord()
    }

    /// Starts (or restarts) one service of the plan by name.
    public func launch(_ name: String) async throws(Failure) {
        guard let step = plan().first(where: { $0.name == name }) else { throw .start(service: name, detail: "no such service in the stack") }
        try await launch(step.name, step.executable, step.arguments, wirePort: step.wirePort)
        writeRecord()
    }

    private func launch(_ name: String, _ executable: String, _ arguments: [String], wirePort: Int) async throws(Failure) {
        let path = configuration.executableDirectory.appendingPathComponent(executable).path
        let log = configuration.stateDirectory.appendingPathComponent("logs/\(name).log")
        var environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { $1 }
        environment["TURNOUT_EXIT_WITH_PARENT"] = "1"
        let process: ManagedProcess
        do {
            process = try ManagedProcess(executable: path, arguments: arguments, environment: environment, logFile: log)
            _ = try await process.listening(timeout: configuration.readyTimeout)
        } catch {
            throw .start(service: name, detail: "\(error) (log: \(log.path))")
        }
        processes.removeAll { $0.name == name }
        processes.append((name, process))
        try await waitUntilServing(name, port: wirePort, process: process)
        logger.info("service ready", ["service": .string(name), "port": .int(wirePort), "pid": .int(process.pid)])
    }

    private func waitUntilServing(_ name: String, port: Int, process: ManagedProcess) async throws(Failure) {
        let client: WireClient
        do {
            var configuration = ClientConfiguration(targets: [HostPort(host: "127.0.0.1", port: UInt16(port))])
            configuration.maxAttempts = 1
            client = try WireClient(configuration: configuration, logger: Logger(service: "turnout-up", minimumLevel: .error))
        } catch {
            throw .notReady(service: name, detail: "\(error)")
        }
        defer { client.shutdown() }
        let deadline = Deadline.after(configuration.readyTimeout)
        var last = "no answer"
        while !deadline.hasPassed {
            if let status = process.exitStatusIfExited() { throw .notReady(service: name, detail: "exited with status \(status): \(process.recentLog(5))") }
            do throws(RPCError) {
                let reply = try await client.call(HealthAPI.check, HealthCheckRequest(), deadline: .after(.seconds(1)))
                if reply.status == .serving { return }
                last = reply.status.rawValue
            } catch {
                last = error.description
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw .notReady(service: name, detail: last)
    }

    /// Watches the services until the task is cancelled: one that exits is started again, after
    /// a backoff that doubles with each quick death (1 s, 2 s, 4 s, ... at most 30 s) and
    /// resets once it has run for a minute; `stack.json` is rewritten with its new pid.
    /// `report` hears of each death and restart, for the operator.
    public func supervise(report: @Sendable (String) -> Void) async {
        var backoff: [String: Duration] = [:]
        var startedAt: [String: ContinuousClock.Instant] = [:]
        let now = ContinuousClock.now
        for (name, _) in processes { startedAt[name] = now }
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            for (name, process) in processes {
                guard !Task.isCancelled, let status = process.exitStatusIfExited() else { continue }
                let ranFor = startedAt[name].map { ContinuousClock.now - $0 } ?? .zero
                let wait = ranFor >= .seconds(60) ? .seconds(1) : min(.seconds(30), (backoff[name] ?? .milliseconds(500)) * 2)
                backoff[name] = wait
                report("\(name) exited with status \(status) after \(ranFor.seconds.rounded()) s; restarting in \(wait.seconds) s (log: logs/\(name).log)")
                logger.warning("service exited; restarting", ["service": .string(name), "status": .int(Int(status)), "backoff_ms": .int(wait.milliseconds)])
                try? await Task.sleep(for: wait)
                guard !Task.isCancelled else { return }
                do throws(Failure) {
                    try await launch(name)
                    startedAt[name] = ContinuousClock.now
                    report("\(name) restarted (pid \(self.process(name)?.pid ?? 0))")
                } catch {
                    report("\(name) did not restart: \(error); trying again")
                    startedAt[name] = ContinuousClock.now
                }
            }
        }
    }

    /// The running process of a service, e.g. `scorer-1`.
    public func process(_ name: String) -> ManagedProcess? {
        processes.first { $0.name == name }?.process
    }

    /// SIGTERM to every service in reverse start order (the dispatcher first, the collector
    /// last, so the last routing records still reach it); each gets `grace` to drain.
    public func stop(grace: Duration = .seconds(15)) async {
        for (name, process) in processes.reversed() {
            let status = await process.terminated(grace: grace)
            logger.info("service stopped", ["service": .string(name), "status": .int(status)])
        }
        processes.removeAll()
        try? FileManager.default.removeItem(at: recordURL)
    }

    private func writeRecord() {
        let record = Record(supervisorPID: getpid(), ports: configuration.ports,
                            pids: Dictionary(processes.map { ($0.name, $0.process.pid) }, uniquingKeysWith: { $1 }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(record) { try? data.write(to: recordURL, options: .atomic) }
    }
}
