import Foundation
import TurnoutRuntime
import TurnoutTransport

/// Starts `turnout echo-server` processes on free ports, as real, separately killable servers.
public enum EchoProcesses {
    public struct Running: Sendable {
        public let process: ManagedProcess
        public let port: UInt16
        public var target: HostPort { HostPort(host: "127.0.0.1", port: port) }
    }

    public static func start(extraArguments: [String] = []) async throws -> Running {
        let process = try ManagedProcess(
            executable: TestPaths.executable("turnout"),
            arguments: ["echo-server", "--listen", "127.0.0.1:0"] + extraArguments)
        do {
            let port = try await process.listening()
            return Running(process: process, port: UInt16(port))
        } catch {
            process.killHard()
            throw error
        }
    }
}
