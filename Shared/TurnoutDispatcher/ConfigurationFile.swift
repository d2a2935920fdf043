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
///               "fallback": true, "unavailable_route": "strong", "timeout": "2s", "live_calibration": true},
///   "max_retry_after": "10s", "request_timeout": "300s", "breaker_failures": 5, "breaker_cooldown": "10s",
///   "api_keys_env": "TURNOUT_API_KEYS",
///   "shadow": {"fraction": 0.05, "routers": {"gain": 0.2}, "judge": "gpt-4-1106-preview", "budget_usd_per_hour": 2,
///              "max_concurrency": 4, "max_pending": 1000, "reserve_slots": 4, "timeout": "60s", "judge_max_tokens": 512},
///   "feedback": {"max_age": "24h", "capacity": 100000, "store_prompts": true},
///   "redact": ["[0-9]{13,19}", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"]
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
        var liveCalibration: Bool?
        var adaptiveFirstByteFloor: String?

        enum CodingKeys: String, CodingKey {
            case strong, weak, fallback, timeout
            case liveCalibration = "live_calibration"
            case adaptiveFirstByteFloor = "adaptive_first_byte_floor"
            case defaultThreshold = "default_threshold"
            case defaultStrongFraction = "default_strong_fraction"
            case unavailableRoute = "unavailable_route"
        }
    }

    struct Shadow: Decodable {
        var fraction: Double?
        var routers: [String: Double]?
        var judge: String?
        var budgetUSDPerHour: Double?
        var maxConcurrency: Int?
        var maxPending: Int?
        var reserveSlots: Int?
        var timeout: String?
        var judgeMaxTokens: Int?

        enum CodingKeys: String, CodingKey {
            case fraction, routers, judge, timeout
            case budgetUSDPerHour = "budget_usd_per_hour"
            case maxConcurrency = "max_concurrency"
            case maxPending = "max_pending"
            case reserveSlots = "reserve_slots"
            case judgeMaxTokens = "judge_max_tokens"
        }
    }

    struct Feedback: Decodable {
        var maxAge: String?
        var capacity: Int?
        var storePrompts: Bool?

        enum CodingKeys: String, CodingKey {
            case capacity
            case maxAge = "max_age"
            case storePrompts = "store_prompts"
        }
    }

    struct File: Decodable {
        var upstreams: [Upstream]
        var routing: Routing
        var shadow: Shadow?
        var feedback: Feedback?
        var redact: [String]?
        var maxRetryAfter: String?
        var requestTimeout: String?
        var apiKeysEnv: String?
        var budgetUSDPerHour: Double?
        var breakerFailures: Int?
        var breakerCooldown: String?

        enum CodingKeys: String, CodingKey {
            case upstreams, routing, shadow, feedback, redact
            case maxRetryAfter = "max_retry_after"
            case requestTimeout = "request_timeout"
            case breakerFailures = "breaker_failures"
            case breakerCooldown = "breaker_cooldown"
            case apiKeysEnv = "api_keys_env"
            case budgetUSDPerHour = "budget_usd_per_hour"
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
                throw .invalid("dispatcher config \(source): routing.unavailable_route must be strong, weak or split, got \"\(text)\"")
            }
            unavailable = route
        }
        var keys: [String] = []
        if let variable = file.apiKeysEnv {
            keys = ParsedOptions.splitList(environment[variable] ?? "")
        }
        var configuration = DispatcherConfiguration(
            upstreams: upstreams, strong: try expand(routing.strong), weak: try expand(routing.weak), defaultThreshold: routing.defaultThreshold,
            defaultStrongFraction: routing.defaultStrongFraction ?? 0.3, fallback: routing.fallback ?? true, unavailableRoute: unavailable,
            routingTimeout: try duration(routing.timeout, "routing.timeout", default: .seconds(2)),
            maxRetryAfter: try duration(file.maxRetryAfter, "max_retry_after", default: .seconds(10)),
            requestTimeout: try duration(file.requestTimeout, "request_timeout", default: .seconds(300)), apiKeys: keys)
        configuration.liveCalibration = routing.liveCalibration ?? true
        configuration.budgetUSDPerHour = file.budgetUSDPerHour
        configuration.breakerFailures = file.breakerFailures ?? 5
        configuration.breakerCooldown = try duration(file.breakerCooldown, "breaker_cooldown", default: .seconds(10))
        if let floor = routing.adaptiveFirstByteFloor, floor == "off" {
            configuration.adaptiveFirstByteFloor = nil
        } else {
            configuration.adaptiveFirstByteFloor = try duration(routing.adaptiveFirstByteFloor, "routing.adaptive_first_byte_floor", default: .seconds(1))
        }
        var learning = LearningConfiguration()
        if let shadow = file.shadow {
            learning.shadow.fraction = shadow.fraction ?? 0
            learning.shadow.fractions = shadow.routers ?? [:]
            learning.shadow.judge = try shadow.judge.map { text throws(ConfigurationError) in try expand(text) }
            learning.shadow.budgetUSDPerHour = shadow.budgetUSDPerHour ?? learning.shadow.budgetUSDPerHour
            learning.shadow.maxConcurrency = shadow.maxConcurrency ?? learning.shadow.maxConcurrency
            learning.shadow.maxPending = shadow.maxPending ?? learning.shadow.maxPending
            learning.shadow.reserveSlots = shadow.reserveSlots ?? learning.shadow.reserveSlots
            learning.shadow.timeout = try duration(shadow.timeout, "shadow.timeout", default: learning.shadow.timeout)
            learning.shadow.judgeMaxTokens = shadow.judgeMaxTokens ?? learning.shadow.judgeMaxTokens
        }
        if let feedback = file.feedback {
            learning.feedback.maxAge = try duration(feedback.maxAge, "feedback.max_age", default: learning.feedback.maxAge)
            learning.feedback.capacity = feedback.capacity ?? learning.feedback.capacity
            learning.feedback.storePrompts = feedback.storePrompts ?? learning.feedback.storePrompts
        }
        learning.redactions = file.redact ?? []
        configuration.learning = learning
        return try configuration.validated()
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
