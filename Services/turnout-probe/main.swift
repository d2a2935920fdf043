import Foundation
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

// `turnout-probe`: a container health check. Calls `Health/Check` once on a wire server and
// exits 0 only when the answer is SERVING: 1 for NOT_SERVING, an unknown service, a refused
// connection, a timeout or any other error; 2 for bad arguments.
//
// It is `turnout health` without the rest of the CLI: it links only the wire protocol and
// its transport, so it starts in milliseconds and needs neither the model, SQLite nor libcurl.

let usage = """
    Call Health/Check on a Turnout wire server. Exits 0 when SERVING, 1 otherwise, 2 for bad arguments.

    Usage: turnout-probe HOST:PORT [options]

    Options:
      --timeout DURATION    Connect timeout and deadline of the call, e.g. 500ms, 2s (default: 2s)
      --service NAME        Ask about one service (e.g. Scorer) instead of the whole server (default: "")
      -h, --help            Show this help

    """

/// The parsed command line.
struct ProbeArguments {
    var target: HostPort
    var timeout: Duration = .seconds(2)
    var service: String?

    /// Parses the arguments after the program name.
    /// - Returns: `nil` when help was asked for.
    /// - Throws: a message naming the bad argument.
    static func parse(_ arguments: [String]) throws(ProbeUsageError) -> ProbeArguments? {
        var target: String?
        var timeout = Duration.seconds(2)
        var service: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" { return nil }
            guard argument.hasPrefix("--") else {
                guard target == nil else { throw ProbeUsageError("unexpected argument \"\(argument)\": give one HOST:PORT") }
                target = argument
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard name == "timeout" || name == "service" else { throw ProbeUsageError("unknown option --\(name)") }
            if value == nil {
                guard index < arguments.count else { throw ProbeUsageError("option --\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            let text = value ?? ""
            if name == "timeout" {
                guard let parsed = parseDuration(text), parsed > .zero else {
                    throw ProbeUsageError("--timeout must be a positive duration like 500ms or 2s, got \"\(text)\"")
                }
                timeout = parsed
            } else {
                service = text.isEmpty ? nil : text
            }
        }
        guard let target else { throw ProbeUsageError("missing HOST:PORT") }
        do {
            return ProbeArguments(target: try HostPort(parsing: target), timeout: timeout, service: service)
        } catch {
            throw ProbeUsageError("bad address \"\(target)\": \(error)")
        }
    }

    /// Reads `250ms`, `2s`, `1.5s`, `5m`, `1h`, `100us` or a bare number of seconds
    /// (the services' duration syntax, `docs/operations.md`).
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Double(text)
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = Double(text.dropLast(unit.suffix.count))
            scale = unit.seconds
            break
        }
        guard let number, number >= 0 else { return nil }
        let nanoseconds = (number * scale * 1e9).rounded()
        guard nanoseconds.isFinite, nanoseconds < 9e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }
}

/// A command line the probe cannot use.
struct ProbeUsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Asks the server once; returns the exit code.
func probe(_ arguments: ProbeArguments) async -> Int32 {
    var configuration = ClientConfiguration(targets: [arguments.target])
    configuration.maxAttempts = 1
    configuration.connectTimeout = arguments.timeout
    do {
        let client = try WireClient(configuration: configuration, logger: Logger(service: "turnout-probe", minimumLevel: .error))
        defer { client.shutdown() }
        let response = try await client.call(
            HealthAPI.check, HealthCheckRequest(service: arguments.service), deadline: .after(arguments.timeout))
        print(response.status.rawValue)
        return response.status == .serving ? 0 : 1
    } catch {
        printError("turnout-probe: \(error)")
        return 1
    }
}

let code: Int32
do {
    if let arguments = try ProbeArguments.parse(Array(CommandLine.arguments.dropFirst())) {
        code = await probe(arguments)
    } else {
        print(usage, terminator: "")
        code = 0
    }
} catch {
    printError("turnout-probe: \(error.message)\n\n\(usage)")
    code = 2
}
exit(code)
