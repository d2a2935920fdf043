import Foundation
import Synchronization
import TurnoutRuntime

/// The processes a benchmark starts from the same build, all stopped when it ends; each
/// exits with the benchmark too (`TURNOUT_EXIT_WITH_PARENT`), should it die first.
final class BenchProcesses: Sendable {
    private let started = Mutex<[ManagedProcess]>([])

    /// Starts a sibling executable (`turnout-dispatcher`, `turnout-stub-upstream`, ...).
    /// - Parameters:
    ///   - logFile: where its standard output (and log) go; nowhere when nil.
    ///   - niceness: run it at this lower CPU priority (`nice`): for stand-ins of what runs on
    ///     other machines in a deployment (the LLMs), so that on this one they yield the cores
    ///     to the services measured.
    func launch(_ name: String, _ arguments: [String], logFile: URL? = nil, niceness: Int = 0) throws -> ManagedProcess {
        let path = BenchSupport.executable(name)
        let (executable, all) = niceness == 0 ? (path, arguments) : ("/usr/bin/nice", ["-n", String(niceness), path] + arguments)
        let process = try ManagedProcess(executable: executable, arguments: all,
                                         environment: ProcessInfo.processInfo.environment.merging(["TURNOUT_EXIT_WITH_PARENT": "1"]) { $1 }, logFile: logFile)
        started.withLock { $0.append(process) }
        return process
    }

    /// Starts one and waits for it to listen; returns its wire (or only) port.
    func start(_ name: String, _ arguments: [String], niceness: Int = 0) async throws -> (process: ManagedProcess, port: Int) {
        let process = try launch(name, arguments, niceness: niceness)
        return (process, try await process.listening())
    }

    func stopAll() {
        for process in started.withLock({ $0 }).reversed() { _ = process.terminate(grace: .seconds(5)) }
    }

    /// The last lines each process logged, for a benchmark that failed.
    func recentLogs(_ lines: Int = 5) -> String {
        started.withLock { $0 }.map { $0.recentLog(lines) }.joined(separator: "\n")
    }
}
