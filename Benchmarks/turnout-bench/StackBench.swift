import Foundation
import TurnoutHTTPClient
import TurnoutRuntime

/// What the benchmarks that run the services as processes share: their processes and HTTP
/// client, stopped however the run ends; a temporary state directory; the report, as one
/// JSON object or a table; and, on failure, the services' last log lines.
struct StackBench {
    /// What one run ends with.
    struct Report {
        var figures: [String: Double]
        var flags: [String: Bool] = [:]
    }

    let options: ParsedOptions
    let processes: BenchProcesses
    let http: HTTPClient
    /// Removed when the run ends.
    let state: URL

    /// Parses `arguments`, runs `body`, prints its report; exit status 0, or 1 with the error.
    static func run(_ spec: CommandSpec, _ arguments: [String], _ body: (StackBench) async throws -> Report) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        let name = spec.name.split(separator: " ").last.map(String.init) ?? "bench"
        let bench = StackBench(options: options, processes: BenchProcesses(), http: HTTPClient(),
                               state: FileManager.default.temporaryDirectory.appendingPathComponent("turnout-bench-\(name)-\(UUID().uuidString)"))
        defer {
            bench.http.shutdown()
            bench.processes.stopAll()
            try? FileManager.default.removeItem(at: bench.state)
        }
        BenchSupport.warnIfDebug()
        do {
            try FileManager.default.createDirectory(at: bench.state, withIntermediateDirectories: true)
            let report = try await body(bench)
            if options.flag("json") {
                print(BenchSupport.json(report.figures, flags: report.flags))
            } else {
                let rows = report.figures.sorted { $0.key < $1.key }.map { [$0.key, String(format: "%.4g", $0.value)] }
                    + report.flags.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
                print(BenchSupport.table(header: ["figure", "value"], rows: rows))
            }
            return 0
        } catch {
            printError("\(spec.name): \(error)")
            printError(bench.processes.recentLogs())
            return 1
        }
    }

    /// A directory under the state directory, made now.
    func directory(_ name: String) throws -> URL {
        let url = state.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
