import Foundation
import TurnoutRuntime

/// Helpers every benchmark shares.
enum BenchSupport {
    /// The `turnout` executable that is running now, to launch servers from the same build.
    static var turnoutExecutable: String { executable("turnout") }

    /// A sibling executable of the same build (`turnout-collector`, ...).
    static func executable(_ name: String) -> String {
        ManagedProcess.currentExecutableDirectory.appendingPathComponent(name).path
    }

    /// CPU seconds (user and system) process `pid` has used so far, from `/proc/PID/stat`
    /// (ticks of 1/100 s, Linux's USER_HZ); nil when it cannot be read.
    static func cpuSeconds(pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After the command name: state is field 3, utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / 100
    }

    static func warnIfDebug() {
        #if DEBUG
        printError("warning: this is a debug build; benchmark with `swift build -c release` and .build/release/turnout")
        #endif
    }

    /// One JSON object with sorted keys; integers print without a fraction, flags as
    /// `true`/`false`.
    static func json(_ values: [String: Double], flags: [String: Bool] = [:], strings: [String: String] = [:]) -> String {
        var fields = values.keys.map { key -> (String, String) in
            let value = values[key] ?? 0
            let text: String
            if value == value.rounded(), abs(value) < 1e15 {
                text = String(Int64(value))
            } else if abs(value) >= 100 {
                text = String(format: "%.1f", value)
            } else if abs(value) < 0.001 {
                // Small differences (a win rate against its exact value) would print as 0.0000.
                text = String(format: "%.3e", value)
            } else {
                text = String(format: "%.4f", value)
            }
            return (key, text)
        }
        fields += flags.map { ($0.key, $0.value ? "true" : "false") }
        fields += strings.map { ($0.key, "\"\($0.value)\"") }
        return "{" + fields.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n")
    }
}
