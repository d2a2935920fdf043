import Foundation
import Synchronization

/// A structured logger: one JSON object per line on standard error.
///
/// Log shippers (Loki, Fluent Bit, CloudWatch) parse JSON lines without configuration, and
/// a fixed shape (`ts`, `level`, `service`, `msg`, then fields) keeps queries simple.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let service: String
    public var minimumLevel: Level
    /// Fields added to every line, such as the instance name.
    public var baseFields: [String: LogValue]
    private let sink: any LogSink

    public init(service: String, minimumLevel: Level = .info, baseFields: [String: LogValue] = [:], sink: any LogSink = StandardErrorSink.shared) {
        self.service = service
        self.minimumLevel = minimumLevel
        self.baseFields = baseFields
        self.sink = sink
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.debug, message(), fields)
    }

    public func info(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.info, message(), fields)
    }

    public func warning(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.warning, message(), fields)
    }

    public func error(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.error, message(), fields)
    }

    /// Logs at info level whatever the minimum level: for the few lifecycle events (listening,
    /// draining, stopped) that supervisors and `turnout up` read to learn ports and state.
    public func lifecycle(_ message: String, _ fields: [String: LogValue] = [:]) {
        write(.info, message, fields)
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        guard level >= minimumLevel else { return }
        write(level, message(), fields)
    }

    private func write(_ level: Level, _ message: String, _ fields: [String: LogValue]) {
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(level.name)\",\"service\":\(LogValue.string(service).json),\"msg\":\(LogValue.string(message).json)"
        let merged = baseFields.merging(fields) { _, new in new }
        for key in merged.keys.sorted() {
            if let value = merged[key] {
                line += ",\(LogValue.string(key).json):\(value.json)"
            }
        }
        line += "}\n"
        sink.write(line)
    }

    /// RFC 3339 UTC with milliseconds, formatted by hand: this runs on every log line.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(spec.tv_nsec / 1_000_000), 3))Z"
    }
}
