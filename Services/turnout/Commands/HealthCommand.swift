import Foundation
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout health`: asks a server's `Health/Check`; exit 0 only when it is SERVING.
enum HealthCommand {
    static let spec = CommandSpec(
        name: "turnout health",
        summary: "Call Health/Check on a wire server. Exits 0 when SERVING, 1 otherwise (usable as a container probe).",
        options: [
            OptionSpec("target", env: "TURNOUT_TARGET", default: "127.0.0.1:7102", value: "HOST:PORT", help: "Server to ask"),
            OptionSpec("service", default: "", value: "NAME", help: "Ask about one service (e.g. Scorer) instead of the whole server"),
            OptionSpec("timeout", default: "2s", value: "DURATION", help: "Give up after this long"),
        ]
    )

    static let subcommand = Subcommand(name: "health", summary: "Check whether a wire server is SERVING") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let target = try options.hostPort("target")
            let timeout = try options.duration("timeout")
            var configuration = ClientConfiguration(targets: [target])
            configuration.maxAttempts = 1
            configuration.connectTimeout = timeout
            let client = try WireClient(configuration: configuration, logger: Logger(service: "turnout", minimumLevel: .error))
            defer { client.shutdown() }
            let service = options.string("service") ?? ""
            let response = try await client.call(
                HealthAPI.check, HealthCheckRequest(service: service.isEmpty ? nil : service), deadline: .after(timeout))
            print(response.status.rawValue)
            return response.status == .serving ? 0 : 1
        } catch {
            printError("turnout health: \(error)")
            return 1
        }
    }
}
