import Foundation
import TurnoutRuntime
import TurnoutWire

/// Reads the dispatcher's JSON configuration file.
///
/// String values may name environment variables, `${VAR}` or `${VAR:-default}`, so one file
/// serves every environment and secrets stay in the environment:
///
/// ```json
/// {
///   "upstreams": [
///     {"name": "gpt-4-1106-preview", "base_url": "${STRONG_BASE_URL:-https://api.openai.com/v1}",
///      "api_key_env": "OPENAI_API_KEY", "input_price_per_million": 10, "output_price_per_million": 30,
///      "timeout": "120s", "first_byte_timeout": "30s", "max_concurrency": 64}
///   ],
///   "routing": {"strong": "gpt-4-1106-preview", "weak": "mixtral", "default_strong_fraction": 0.3,
///               "fallback": true, "unavailable_route": "strong", "timeout": "2s"},
///   "max_retry_after": "10s", "request_timeout": "300s", "breaker_failures": 5, "breaker_cooldown": "10s",
///   "api_keys_env": "TURNOUT_API_KEYS"
/// }
/// ```
public enum ConfigurationFile {
    struct Upstream: Decodable {
        var name: String
        var baseURL: String
        var model: String?
        var apiKeyEnv: String?
        var inputPricePerMillion: Double?
        var outputPricePerMillion: Double?
        var timeout: String?
        var firstByteTimeout: String?
        var maxConcurrency: Int?

        enum CodingKeys: String, CodingKey {
            case name, model, timeout
            case baseURL = "base_url"
            case apiKeyEnv = "api_key_env"
            case inputPricePerMillion = "input_price_per_million"
            case outputPricePerMillion = "output_price_per_million"
            case firstByteTimeout = "first_byte_timeout"
            case maxConcurrency = "max_concurrency"
        }
    }

    struct Routing: Decodable {
        var strong: String
        var weak: String
        var defaultThreshold: Double?
        var defaultStrongFraction: Double?
        var fallback: Bool?
        var unavailableRoute: String?
        var timeout: String?

        enum CodingKeys: String, CodingKey {
            case strong, weak, fallback, timeout
            case defaultThreshold = "default_threshold"
            case defaultStrongFraction = "default_strong_fraction"
            case unavailableRoute = "unavailable_route"
        }
    }

    struct File: Decodable {
        var upstreams: [Upstream]
        var routing: Routing
        var maxRetryAfter: String?
        var requestTimeout: String?
        var apiKeysEnv: String?
        var breakerFailures: Int?
        var breakerCooldown: String?

        enum CodingKeys: String, CodingKey {
            case upstreams, routing
            case maxRetryAfter = "max_retry_after"
            case requestTimeout = "request_timeout"
            case breakerFailures = "breaker_failures"
            case breakerCooldown = "breaker_cooldown"
            case apiKeysEnv = "api_keys_env"
        }
    }

    /// Loads and validates the file at `path`.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> DispatcherConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalid("dispatcher config \(path): cannot read: \(error.localizedDescription)")
        }
        return try parse(data, source: path, environment: environment)
    }

    public static func parse(_ data: Data, source: String, environment: [String: String]) throws(ConfigurationError) -> DispatcherConfiguration {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let error as DecodingError {
            // The wire's description of decoding errors names the field; JSON that does not parse says so.
            if case .dataCorrupted = error { throw .invalid("dispatcher config \(source): invalid JSON: \(WireCoding.describe(error))") }
            throw .invalid("dispatcher config \(source): \(WireCoding.describe(error))")
        } catch {
            throw .invalid("dispatcher config \(source): \(error)")
        }
        func expand(_ text: String) throws(ConfigurationError) -> String {
            try expandVariables(text, environment: environment, source: source)
        }
        func duration(_ text: String?, _ field: String, default value: Duration) throws(ConfigurationError) -> Duration {
            guard let text else { return value }
            guard let parsed = ParsedOptions.parseDuration(try expand(text)) else {
                throw .invalid("dispatcher config \(source): \(field) \"\(text)\" is not a duration (like 500ms, 30s, 2m)")
            }
            return parsed
        }
        var upstreams: [UpstreamConfiguration] = []
        for entry in file.upstreams {
            upstreams.append(UpstreamConfiguration(
                name: try expand(entry.name), baseURL: try expand(entry.baseURL), model: try entry.model.map { text throws(ConfigurationError) in try expand(text) },
                apiKeyEnv: entry.apiKeyEnv, inputPricePerMillion: entry.inputPricePerMillion ?? 0, outputPricePerMillion: entry.outputPricePerMillion ?? 0,
                timeout: try duration(entry.timeout, "upstreams[\(entry.name)].timeout", default: .seconds(120)),
                firstByteTimeout: try duration(entry.firstByteTimeout, "upstreams[\(entry.name)].first_byte_timeout", default: .seconds(30)),
                maxConcurrency: entry.maxConcurrency ?? 256))
        }
        let routing = file.routing
        var unavailable = DispatcherConfiguration.Route.strong
        if let text = routing.unavailableRoute {
            guard let route = DispatcherConfiguration.Route(rawValue: try expand(text)) else {
                throw .invalid("dispatcher config \(source): routing.unavailable_route must be strong or weak, got \"\(text)\"")
            }
            unavailable = route
        }
        var keys: [String] = []
        if let variable = file.apiKeysEnv {
            keys = splitKeys(environment[variable] ?? "")
        }
        var configuration = DispatcherConfiguration(
            upstreams: upstreams, strong: try expand(routing.strong), weak: try expand(routing.weak), defaultThreshold: routing.defaultThreshold,
            defaultStrongFraction: routing.defaultStrongFraction ?? 0.3, fallback: routing.fallback ?? true, unavailableRoute: unavailable,
            routingTimeout: try duration(routing.timeout, "routing.timeout", default: .seconds(2)),
            maxRetryAfter: try duration(file.maxRetryAfter, "max_retry_after", default: .seconds(10)),
            requestTimeout: try duration(file.requestTimeout, "request_timeout", default: .seconds(300)), apiKeys: keys)
        configuration.breakerFailures = file.breakerFailures ?? 5
        configuration.breakerCooldown = try duration(file.breakerCooldown, "breaker_cooldown", default: .seconds(10))
        return try configuration.validated()
    }

    /// Comma- or newline-separated keys, blanks dropped.
    public static func splitKeys(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Replaces `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error.
    static func expandVariables(_ text: String, environment: [String: String], source: String) throws(ConfigurationError) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw .invalid("dispatcher config \(source): unterminated ${ in \"\(text)\"")
            }
            let inner = rest[open.upperBound..<close]
            let name: Substring
            var fallback: Substring?
            if let marker = inner.range(of: ":-") {
                name = inner[..<marker.lowerBound]
                fallback = inner[marker.upperBound...]
            } else {
                name = inner
            }
            if let value = environment[String(name)], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw .invalid("dispatcher config \(source): environment variable \(name) is not set (write ${\(name):-default} for a default)")
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
