import Foundation
import TurnoutCollectorAPI
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport

/// Turnout services started as real processes on free loopback ports.
public struct RunningService: Sendable {
    public let process: ManagedProcess
    public let wirePort: Int
    public let httpPort: Int?

    public var wireTarget: HostPort { HostPort(host: "127.0.0.1", port: UInt16(wirePort)) }
    public var httpBase: String { "http://127.0.0.1:\(httpPort ?? 0)" }

    /// Starts `executable` with `--listen 127.0.0.1:0` (and `--http-listen 127.0.0.1:0` when `http`).
    /// `environment` is added to this process's own.
    public static func start(_ executable: String, stateDirectory: URL, http: Bool = false, arguments: [String] = [],
                             environment: [String: String] = [:]) async throws -> RunningService {
        var all = ["--listen", "127.0.0.1:0", "--state-dir", stateDirectory.path]
        if http { all += ["--http-listen", "127.0.0.1:0"] }
        let merged = environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let process = try ManagedProcess(executable: TestPaths.executable(executable), arguments: all + arguments, environment: merged)
        do {
            let wire = try await process.listening()
            let httpPort = http ? try await process.port(loggedAs: "http listening") : nil
            return RunningService(process: process, wirePort: wire, httpPort: httpPort)
        } catch {
            process.killHard()
            throw error
        }
    }
}

extension RoutingRecord {
    /// A record with the given id and route, for tests.
    public static func sample(id: String, timeMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000), router: String = "mf", threshold: Double? = 0.5,
                              route: String = "weak", cost: Double = 0.001, strongCost: Double = 0.01, totalMs: Double = 100,
                              fellBack: Bool = false, status: Int = 200) -> RoutingRecord {
        RoutingRecord(id: id, timeMs: timeMs, requestID: "req-\(id)", router: router, threshold: threshold, winRate: 0.4, route: route,
                      chosenModel: route == "strong" ? "strong-model" : "weak-model", answeringModel: route == "strong" ? "strong-model" : "weak-model",
                      fellBack: fellBack, defaultRoute: false, embedMs: 3, scoreMs: 0.1, upstreamFirstByteMs: 50, totalMs: totalMs,
                      promptTokens: 10, completionTokens: 20, costUSD: cost, strongCostUSD: strongCost, status: status, stream: false)
    }
}
