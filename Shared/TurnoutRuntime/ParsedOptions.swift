import TurnoutTransport

/// Option values after flags, environment and defaults were merged, with typed accessors
/// whose errors name the option.
public struct ParsedOptions: Sendable {
    public let command: String
    public let values: [String: String]
    public let positional: [String]

    public func string(_ name: String) -> String? {
        values[name]
    }

    public func require(_ name: String) throws(ConfigurationError) -> String {
        guard let value = values[name], !value.isEmpty else { throw .invalid("--\(name) is required") }
        return value
    }

    public func flag(_ name: String) -> Bool {
        guard let value = values[name] else { return false }
        return ["1", "true", "yes", "on"].contains(value.lowercased())
    }

    /// A comma- or newline-separated list (keys, paths), blanks dropped.
    public func list(_ name: String) -> [String] {
        Self.splitList(string(name) ?? "")
    }

    /// Comma- or newline-separated entries, trimmed, blanks dropped.
    public static func splitList(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func int(_ name: String, range: ClosedRange<Int> = Int.min...Int.max) throws(ConfigurationError) -> Int {
        let text = try require(name)
        guard let value = Int(text), range.contains(value) else {
            throw .invalid("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    public func double(_ name: String) throws(ConfigurationError) -> Double {
        let text = try require(name)
        guard let value = Double(text), value.isFinite else { throw .invalid("--\(name) must be a number, got \"\(text)\"") }
        return value
    }

    /// Reads `250ms`, `2s`, `1.5s`, `5m` or a bare number of seconds.
    public func duration(_ name: String) throws(ConfigurationError) -> Duration {
        let text = try require(name)
        guard let duration = Self.parseDuration(text) else {
            throw .invalid("--\(name) must be a duration like 250ms, 2s or 5m, got \"\(text)\"")
        }
        return duration
    }

    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Double(text)
        var scale = 1.0
        for (suffix, unitScale) in units where text.hasSuffix(suffix) {
            number = Double(text.dropLast(suffix.count))
            scale = unitScale
            break
        }
        guard let number, number >= 0 else { return nil }
        let nanoseconds = (number * scale * 1e9).rounded()
        // Beyond about 290 years Int64 nanoseconds overflow; such input is a mistake, not a wish.
        guard nanoseconds.isFinite, nanoseconds < 9e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    public func hostPort(_ name: String) throws(ConfigurationError) -> HostPort {
        let text = try require(name)
        do {
            return try HostPort(parsing: text)
        } catch {
            throw .invalid("--\(name): \(error)")
        }
    }

    /// A comma-separated list of `host:port`.
    public func hostPorts(_ name: String) throws(ConfigurationError) -> [HostPort] {
        let text = try require(name)
        var result: [HostPort] = []
        for part in text.split(separator: ",") where !part.isEmpty {
            do {
                result.append(try HostPort(parsing: String(part)))
            } catch {
                throw .invalid("--\(name): \(error)")
            }
        }
        guard !result.isEmpty else { throw .invalid("--\(name) lists no address") }
        return result
    }
}
