import Foundation
import TurnoutHTTPClient
import TurnoutCollectorAPI
import TurnoutEmbedderAPI
import TurnoutRuntime
import TurnoutScorerAPI
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// Configuration and assembly of `turnout-dispatcher`.
public enum DispatcherProgram {
    public static let serviceName = "turnout-dispatcher"

    public static let spec = CommandSpec(
        name: serviceName,
        summary: "The dispatcher: an OpenAI-compatible front door that routes each chat completion to the strong or weak upstream and relays the answer.",
        options: ServerOptions.specs(prefix: "TURNOUT_DISPATCHER", defaultListen: "0.0.0.0:7103") + [
            OptionSpec("http-listen", env: "TURNOUT_DISPATCHER_HTTP_LISTEN", default: "0.0.0.0:6060", value: "HOST:PORT", help: "Address of the OpenAI-compatible HTTP API"),
            OptionSpec("config", env: "TURNOUT_DISPATCHER_CONFIG", default: "", value: "FILE", help: "Upstreams and routing as JSON (docs/operations.md); empty: built from the --strong-*/--weak-* options"),
            OptionSpec("strong-model", env: "TURNOUT_STRONG_MODEL", default: "gpt-4-1106-preview", value: "NAME", help: "Strong upstream's model name (without --config)"),
            OptionSpec("strong-base-url", env: "TURNOUT_STRONG_BASE_URL", default: "https://api.openai.com/v1", value: "URL", help: "Strong upstream's OpenAI-compatible base URL (without --config)"),
            OptionSpec("strong-api-key-env", env: "TURNOUT_STRONG_API_KEY_ENV", default: "OPENAI_API_KEY", value: "VAR", help: "Environment variable holding the strong upstream's key"),
            OptionSpec("strong-price", env: "TURNOUT_STRONG_PRICE", default: "10,30", value: "IN,OUT", help: "Strong upstream's US dollars per million input and output tokens"),
            OptionSpec("weak-model", env: "TURNOUT_WEAK_MODEL", default: "mixtral-8x7b-instruct-v0.1", value: "NAME", help: "Weak upstream's model name (without --config)"),
            OptionSpec("weak-base-url", env: "TURNOUT_WEAK_BASE_URL", default: "https://api.openai.com/v1", value: "URL", help: "Weak upstream's OpenAI-compatible base URL (without --config)"),
            OptionSpec("weak-api-key-env", env: "TURNOUT_WEAK_API_KEY_ENV", default: "OPENAI_API_KEY", value: "VAR", help: "Environment variable holding the weak upstream's key"),
            OptionSpec("weak-price", env: "TURNOUT_WEAK_PRICE", default: "0.24,0.24", value: "IN,OUT", help: "Weak upstream's US dollars per million input and output tokens"),
            OptionSpec("default-strong-fraction", env: "TURNOUT_DEFAULT_STRONG_FRACTION", default: "0.3", value: "F", help: "Share of strong calls router-<name> aims at (the artifact's calibrated threshold; without --config)"),
            OptionSpec("unavailable-route", env: "TURNOUT_UNAVAILABLE_ROUTE", default: "strong", value: "strong|weak|split", help: "Route taken when the embedder or scorer cannot answer; split: strong at random with the target share (without --config)"),
            OptionSpec("api-keys", env: "TURNOUT_DISPATCHER_API_KEYS", default: "", value: "KEY,...", help: "Bearer keys clients must send, KEY or NAME:KEY (added to the config's); empty with none configured: no authentication"),
            OptionSpec("api-keys-file", env: "TURNOUT_DISPATCHER_API_KEYS_FILE", default: "", value: "FILE",
                       help: "More client keys, one per line or comma-separated ('#' starts a comment), each KEY or NAME:KEY [rpm=N] [budget_usd=N]: a mounted secret such as /run/secrets/turnout_api_keys"),
            OptionSpec("budget-usd-per-hour", env: "TURNOUT_BUDGET_USD_PER_HOUR", default: "", value: "USD",
                       help: "Lower share targets while the last hour's spend, over every dispatcher, is above this (over the config's budget_usd_per_hour)"),
            .flag("allow-unauthenticated", env: "TURNOUT_DISPATCHER_ALLOW_UNAUTHENTICATED",
                  help: "Serve without client keys on an address other machines can reach; without it the dispatcher refuses to start"),
            OptionSpec("live-calibration", env: "TURNOUT_LIVE_CALIBRATION", default: "", value: "true|false",
                       help: "Hold share targets on live traffic (docs/dispatcher.md); empty: the config's routing.live_calibration, on by default"),
            OptionSpec("embedder", env: "TURNOUT_EMBEDDER", default: "127.0.0.1:7101", value: "HOST:PORT,...", help: "Embedding service"),
            OptionSpec("scorer", env: "TURNOUT_SCORER", default: "127.0.0.1:7102", value: "HOST:PORT,...", help: "Scoring service replicas (a DNS name resolving to all of them works too)"),
            OptionSpec("max-body-bytes", env: "TURNOUT_DISPATCHER_MAX_BODY_BYTES", default: String(8 << 20), value: "N", help: "Largest request body accepted (413 above)"),
            OptionSpec("shadow-fraction", env: "TURNOUT_SHADOW_FRACTION", default: "", value: "F",
                       help: "Share of routed requests shadow-judged, over the config's shadow.fraction (docs/learning.md; needs --shadow-judge and --collector)"),
            OptionSpec("shadow-judge", env: "TURNOUT_SHADOW_JUDGE", default: "", value: "UPSTREAM", help: "The upstream that judges shadow battles, over the config's shadow.judge"),
            OptionSpec("shadow-budget-usd-per-hour", env: "TURNOUT_SHADOW_BUDGET_USD_PER_HOUR", default: "", value: "USD",
                       help: "Shadow and judge calls stop for the hour once they cost this, over the config's (default 1)"),
            OptionSpec("record-buffer", env: "TURNOUT_DISPATCHER_RECORD_BUFFER", default: "100000", value: "N", help: "Routing records held while the collector is unreachable; older ones are dropped past this"),
        ]
    )

    /// Without client keys, anyone who reaches the dispatcher spends the upstreams' money: it
    /// listens beyond this machine only when told to in so many words.
    static func refuseUnauthenticated(listening addresses: [HostPort], allowed: Bool) throws(ConfigurationError) {
        guard !allowed, let open = addresses.first(where: { !$0.isLoopback }) else { return }
        throw .invalid("no client API keys are configured and \(open) can be reached from other machines: set --api-keys or --api-keys-file "
            + "(TURNOUT_DISPATCHER_API_KEYS, TURNOUT_DISPATCHER_API_KEYS_FILE), listen on 127.0.0.1, or pass --allow-unauthenticated")
    }

    /// The configuration from `--config`, or from the `--strong-*`/`--weak-*` options.
    public static func configuration(_ options: ParsedOptions, environment: [String: String]) throws(ConfigurationError) -> DispatcherConfiguration {
        var configuration: DispatcherConfiguration
        if let path = options.string("config"), !path.isEmpty {
            configuration = try ConfigurationFile.load(path: path, environment: environment)
        } else {
            func upstream(_ role: String) throws(ConfigurationError) -> UpstreamConfiguration {
                let prices = try options.require("\(role)-price").split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard prices.count == 2, let input = prices[0], let output = prices[1] else {
                    throw .invalid("--\(role)-price must be IN,OUT in US dollars per million tokens, e.g. 10,30")
                }
                return UpstreamConfiguration(name: try options.require("\(role)-model"), baseURL: try options.require("\(role)-base-url"),
                                             apiKeyEnv: options.string("\(role)-api-key-env"), inputPricePerMillion: input, outputPricePerMillion: output)
            }
            let strong = try upstream("strong")
            let weak = try upstream("weak")
            let fraction = try options.double("default-strong-fraction")
            guard let unavailable = DispatcherConfiguration.Route(rawValue: options.string("unavailable-route") ?? "") else {
                throw .invalid("--unavailable-route must be strong, weak or split")
            }
            configuration = try DispatcherConfiguration(upstreams: [strong, weak], strong: strong.name, weak: weak.name,
                                                        defaultStrongFraction: fraction, unavailableRoute: unavailable).validated()
        }
        configuration.apiKeys += options.list("api-keys")
        switch options.string("live-calibration") ?? "" {
        case "": break
        case "true": configuration.liveCalibration = true
        case "false": configuration.liveCalibration = false
        case let text: throw .invalid("--live-calibration must be true or false, got \"\(text)\"")
        }
        if let path = options.string("api-keys-file"), !path.isEmpty {
            configuration.apiKeys += try SecretFile.keys(at: path, option: "--api-keys-file")
        }
        if let text = options.string("shadow-fraction"), !text.isEmpty {
            guard let fraction = Double(text) else { throw .invalid("--shadow-fraction must be a number between 0 and 1, got \"\(text)\"") }
            configuration.learning.shadow.fraction = fraction
        }
        if let judge = options.string("shadow-judge"), !judge.isEmpty { configuration.learning.shadow.judge = judge }
        if let text = options.string("budget-usd-per-hour"), !text.isEmpty {
            guard let budget = Double(text) else { throw .invalid("--budget-usd-per-hour must be a number, got \"\(text)\"") }
            configuration.budgetUSDPerHour = budget
        }
        try configuration.resolveTenants()
        if let text = options.string("shadow-budget-usd-per-hour"), !text.isEmpty {
            guard let budget = Double(text) else { throw .invalid("--shadow-budget-usd-per-hour must be a number, got \"\(text)\"") }
            configuration.learning.shadow.budgetUSDPerHour = budget
        }
        return try configuration.validated()
    }

    public static func makeService(_ context: ServiceRunner.Context) throws -> ServiceRunner.Service {
        let options = context.options
        let configuration = try configuration(options, environment: ProcessInfo.processInfo.environment)
        let environment = try SecretFile.resolving(ProcessInfo.processInfo.environment, variables: configuration.upstreams.compactMap(\.apiKeyEnv))
        let logger = context.logger
        if configuration.apiKeys.isEmpty {
            try refuseUnauthenticated(listening: [try options.hostPort("http-listen"), try options.hostPort("listen")], allowed: options.flag("allow-unauthenticated"))
            logger.warning("no client API keys are configured: anyone who can reach the HTTP port can spend upstream tokens")
        }
        for upstream in configuration.upstreams where upstream.apiKeyEnv.map({ (environment[$0] ?? "").isEmpty }) ?? false {
            logger.warning("the upstream's API key variable is not set; calls go out without a key", ["upstream": .string(upstream.name), "variable": .string(upstream.apiKeyEnv ?? "")])
        }
        var embedderConfiguration = ClientConfiguration(targets: try options.hostPorts("embedder"))
        embedderConfiguration.defaultTimeout = configuration.routingTimeout
        let embedder = try WireClient(configuration: embedderConfiguration, logger: logger)
        var scorerConfiguration = ClientConfiguration(targets: try options.hostPorts("scorer"))
        scorerConfiguration.defaultTimeout = configuration.routingTimeout
        let scorer = try WireClient(configuration: scorerConfiguration, logger: logger)
        var shipping = ShippingConfiguration()
        shipping.maxBuffered = try options.int("record-buffer", range: 1...100_000_000)
        let collectorConnection: WireClient? = try collectorClient(options, logger: logger)
        let collector = collectorConnection.map(CollectorClient.init)
        let routingRecords = collector.map { RecordShipper<RoutingRecord>(collector: $0, configuration: shipping, metrics: context.metrics, logger: logger) }
        // Battles and ratings hold prompts: far fewer of them wait for a collector that is away.
        var learningShipping = shipping
        learningShipping.maxBuffered = min(shipping.maxBuffered, 10_000)
        let battles = collector.map { RecordShipper<BattleRecord>(collector: $0, configuration: learningShipping, metrics: context.metrics, logger: logger) }
        let ratings = collector.map { RecordShipper<FeedbackRecord>(collector: $0, configuration: learningShipping, metrics: context.metrics, logger: logger) }
        let learning = configuration.learning
        let shadowing = learning.shadow.isEnabled && collector != nil
        if learning.shadow.isEnabled, collector == nil {
            logger.warning("shadow judging is configured but no --collector is set to keep its battles: it is off")
        }
        let redactor = try Redactor(patterns: learning.redactions, maxBytes: learning.maxStoredPromptBytes)
        let recent = RecentRequests(capacity: learning.feedback.capacity, maxAge: learning.feedback.maxAge)
        let http = HTTPClient()
        let tenants = configuration.apiKeys.isEmpty && configuration.budgetUSDPerHour == nil ? nil
            : TenantGate(tenants: configuration.tenants, hourlyBudgetUSD: configuration.budgetUSDPerHour, collector: collector, metrics: context.metrics)
        let calibrator = configuration.liveCalibration ? LiveCalibrator(collector: collector, metrics: context.metrics) : nil
        var shareScale: (@Sendable () -> Double)?
        if configuration.budgetUSDPerHour != nil, let gate = tenants {
            shareScale = { gate.shareScale }
        }
        let decider = RouteDecider(configuration: configuration, embedder: EmbedderClient(embedder), scorer: ScorerClient(scorer), calibrator: calibrator,
                                   shareScale: shareScale, metrics: context.metrics, logger: logger)
        let caller = UpstreamCaller(upstreams: configuration.upstreams, client: http, maxRetryAfter: configuration.maxRetryAfter, environment: environment,
                                    breakerThreshold: configuration.breakerFailures, breakerCooldown: configuration.breakerCooldown,
                                    adaptiveFirstByteFloor: configuration.adaptiveFirstByteFloor, metrics: context.metrics, logger: logger)
        // Learning calls have an HTTP client (a curl thread) of their own, apart from the clients'.
        let learningHTTP: HTTPClient? = shadowing ? HTTPClient() : nil
        let shadow = learningHTTP.map { client in
            ShadowJudge(configuration: learning.shadow, dispatcher: configuration, caller: caller, client: client, battles: battles, redactor: redactor,
                        metrics: context.metrics, logger: logger)
        }
        let feedback = FeedbackReceiver(recent: recent, redactor: redactor, dispatcher: configuration, ratings: ratings, battles: battles, metrics: context.metrics)
        let dispatcher = Dispatcher(configuration: configuration, decider: decider, caller: caller,
                                    recorder: DispatchRecorder(configuration: configuration, shipper: routingRecords, metrics: context.metrics, recent: recent, tenants: tenants),
                                    learning: DispatcherLearning(shadow: shadow, feedback: feedback, recent: recent, redactor: redactor, storePrompts: learning.feedback.storePrompts),
                                    tenants: tenants)
        let frontEnd = DispatcherFrontEnd(dispatcher: dispatcher) {
            await readiness(embedder: embedder, scorer: scorer, decider: decider)
        }
        var registry = HandlerRegistry()
        DispatcherAPI.register(frontEnd, dispatcher: dispatcher, in: &registry)
        var httpConfiguration = HTTPServerConfiguration(listen: try options.hostPort("http-listen"))
        httpConfiguration.drainTimeout = try options.duration("drain-timeout")
        httpConfiguration.maxBodyBytes = try options.int("max-body-bytes", range: 1024...(1 << 30))
        httpConfiguration.errorBody = { status, message in
            .json(status, OpenAIError(status: status, message: message, type: status >= 500 ? "api_error" : "invalid_request_error").body)
        }
        let server = try HTTPServer(configuration: httpConfiguration, logger: logger) { request in
            await frontEnd.handle(request)
        }
        let refresher = Task.detached {
            while !Task.isCancelled {
                await decider.refreshRouters()
                try? await Task.sleep(for: .seconds(5))
            }
        }
        // The month's spend per tenant and the last hour's, pooled over every dispatcher.
        let spending = tenants.map { tenants in
            Task.detached {
                while !Task.isCancelled {
                    await tenants.refresh()
                    try? await Task.sleep(for: .seconds(10))
                }
            }
        }
        // The win rates pooled over every dispatcher, for live calibration.
        let pooling = calibrator.map { calibrator in
            Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    await calibrator.refreshPooled()
                }
            }
        }
        return ServiceRunner.Service(registry: registry, http: server, stop: {
            refresher.cancel()
            pooling?.cancel()
            spending?.cancel()
            await shadow?.shutdown()
            learningHTTP?.shutdown()
            await routingRecords?.shutdown()
            await battles?.shutdown()
            await ratings?.shutdown()
            collectorConnection?.shutdown()
            http.shutdown()
            embedder.shutdown()
            scorer.shutdown()
        })
    }

    /// The one connection to the collector every kind of record travels on; nil without `--collector`.
    static func collectorClient(_ options: ParsedOptions, logger: Logger) throws -> WireClient? {
        guard let targets = options.string("collector"), !targets.isEmpty else { return nil }
        var configuration = ClientConfiguration(targets: try options.hostPorts("collector"))
        configuration.defaultTimeout = .seconds(10)
        return try WireClient(configuration: configuration, logger: logger)
    }

    /// Ready when the embedder and a scorer answer `Health/Check` and a router is loaded.
    static func readiness(embedder: WireClient, scorer: WireClient, decider: RouteDecider) async -> (ready: Bool, detail: [String: String]) {
        func check(_ client: WireClient) async -> String {
            do throws(RPCError) {
                let reply = try await client.call(HealthAPI.check, HealthCheckRequest(), deadline: .after(.seconds(1)))
                return reply.status.rawValue
            } catch {
                return error.code.rawValue
            }
        }
        let embedderStatus = await check(embedder)
        let scorerStatus = await check(scorer)
        let listed = await decider.refreshRouters(deadline: .after(.seconds(1)))
        let routers = decider.knownRouters.sorted()
        let ready = embedderStatus == "SERVING" && scorerStatus == "SERVING" && listed && !routers.isEmpty
        return (ready, ["embedder": embedderStatus, "scorer": scorerStatus, "routers": routers.isEmpty ? "none" : routers.joined(separator: ",")])
    }
}
