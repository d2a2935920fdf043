import Foundation
import TurnoutJSON
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout call`: sends one request to any method and prints the response body, like grpcurl.
enum CallCommand {
    static let spec = CommandSpec(
        name: "turnout call",
        summary: "Call one method on a wire server and print the response body as JSON.",
        options: [
            OptionSpec("target", env: "TURNOUT_TARGET", default: "127.0.0.1:7102", value: "HOST:PORT", help: "Server to call"),
            OptionSpec("method", value: "SERVICE/METHOD", help: "Method to call, e.g. Reflection/List"),
            OptionSpec("body", default: "{}", value: "JSON", help: "Request body"),
            OptionSpec("metadata", default: "", value: "K=V,...", help: "Request metadata"),
            OptionSpec("timeout", default: "10s", value: "DURATION", help: "Deadline for the call"),
        ]
    )

    static let subcommand = Subcommand(name: "call", summary: "Call a method on a wire server and print the response") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let target = try options.hostPort("target")
            let methodName = try options.require("method")
            let parts = methodName.split(separator: "/")
            guard parts.count == 2 else { throw ConfigurationError.invalid("--method must look like Service/Method") }
            var metadata: [String: String] = [:]
            for pair in (options.string("metadata") ?? "").split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { throw ConfigurationError.invalid("--metadata entries must be key=value") }
                metadata[String(kv[0])] = String(kv[1])
            }
            let body = Array((options.string("body") ?? "{}").utf8)
            var validator = JSONScanner(bytes: body)
            try validator.skipValue()
            validator.skipWhitespace()
            guard validator.isAtEnd else { throw ConfigurationError.invalid("--body must be exactly one JSON value") }
            var configuration = ClientConfiguration(targets: [target])
            configuration.maxAttempts = 1
            let client = try WireClient(configuration: configuration, logger: Logger(service: "turnout", minimumLevel: .error))
            defer { client.shutdown() }
            let method = MethodDescriptor(service: String(parts[0]), method: String(parts[1]), idempotent: false)
            let response = try await client.unary(method, body: body, metadata: metadata, deadline: .after(try options.duration("timeout")))
            print(String(decoding: response, as: UTF8.self))
            return 0
        } catch {
            printError("turnout call: \(error)")
            return 1
        }
    }
}
