import TurnoutJSON
import TurnoutWire

/// The answer of `POST /v1/route` and `Dispatcher/Route`: the decision and what it took.
public struct RouteAnswer: Codable, Sendable, Equatable {
    public struct Timings: Codable, Sendable, Equatable {
        public var embedMs: Double?
        public var scoreMs: Double?
        public var totalMs: Double?

        enum CodingKeys: String, CodingKey {
            case embedMs = "embed_ms"
            case scoreMs = "score_ms"
            case totalMs = "total_ms"
        }
    }

    /// Empty for a pass-through model name.
    public var router: String
    public var threshold: Double?
    public var winRate: Double?
    /// `strong`, `weak` or `passthrough`.
    public var route: String
    public var model: String
    public var defaultRoute: Bool
    public var routerVersion: String?
    public var timings: Timings

    enum CodingKeys: String, CodingKey {
        case router, threshold
        case winRate = "win_rate"
        case route, model
        case defaultRoute = "default_route"
        case routerVersion = "router_version"
        case timings
    }

    public init(_ decision: RouteDecision, totalMs: Double) {
        router = decision.router
        threshold = decision.threshold
        winRate = decision.winRate
        route = decision.route
        model = decision.model
        defaultRoute = decision.defaultRoute
        routerVersion = decision.routerVersion
        timings = Timings(embedMs: decision.embedMs, scoreMs: decision.scoreMs, totalMs: totalMs)
    }
}

/// Written by hand: `/v1/route` is called as often as routing itself. Absent numbers and
/// versions are written as `null`, which `Codable` reads as absent.
extension RouteAnswer: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"router\":", to: &bytes)
        JSONWriter.appendString(router, to: &bytes)
        JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
        Self.append(threshold, to: &bytes)
        JSONWriter.appendRaw(",\"win_rate\":", to: &bytes)
        Self.append(winRate, to: &bytes)
        JSONWriter.appendRaw(",\"route\":", to: &bytes)
        JSONWriter.appendString(route, to: &bytes)
        JSONWriter.appendRaw(",\"model\":", to: &bytes)
        JSONWriter.appendString(model, to: &bytes)
        JSONWriter.appendRaw(",\"default_route\":", to: &bytes)
        JSONWriter.appendRaw(defaultRoute ? "true" : "false", to: &bytes)
        JSONWriter.appendRaw(",\"router_version\":", to: &bytes)
        if let routerVersion { JSONWriter.appendString(routerVersion, to: &bytes) } else { JSONWriter.appendRaw("null", to: &bytes) }
        JSONWriter.appendRaw(",\"timings\":{\"embed_ms\":", to: &bytes)
        Self.append(timings.embedMs, to: &bytes)
        JSONWriter.appendRaw(",\"score_ms\":", to: &bytes)
        Self.append(timings.scoreMs, to: &bytes)
        JSONWriter.appendRaw(",\"total_ms\":", to: &bytes)
        Self.append(timings.totalMs, to: &bytes)
        JSONWriter.appendRaw("}}", to: &bytes)
        return bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> RouteAnswer {
        let what = "Dispatcher/Route response"
        var router: String?
        var route: String?
        var model: String?
        var defaultRoute: Bool?
        var sawTimings = false
        var answer = RouteAnswer(RouteDecision(router: "", route: "", model: "", defaultRoute: false, embedMs: 0, scoreMs: 0), totalMs: 0)
        answer.timings = Timings()
        func number(_ scanner: inout JSONScanner) throws(JSONError) -> Double? {
            try scanner.consumeNull() ? nil : scanner.readDouble()
        }
        try WireCoding.scan(what, bytes) { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "router": router = try scanner.readString()
                case "threshold": answer.threshold = try number(&scanner)
                case "win_rate": answer.winRate = try number(&scanner)
                case "route": route = try scanner.readString()
                case "model": model = try scanner.readString()
                case "default_route": defaultRoute = try scanner.readBool()
                case "router_version": answer.routerVersion = try scanner.consumeNull() ? nil : scanner.readString()
                case "timings":
                    sawTimings = true
                    try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                        switch key {
                        case "embed_ms": answer.timings.embedMs = try number(&scanner)
                        case "score_ms": answer.timings.scoreMs = try number(&scanner)
                        case "total_ms": answer.timings.totalMs = try number(&scanner)
                        default: try scanner.skipValue()
                        }
                    }
                default: try scanner.skipValue()
                }
            }
        }
        guard let router else { throw WireCoding.missingField("router", in: what) }
        guard let route else { throw WireCoding.missingField("route", in: what) }
        guard let model else { throw WireCoding.missingField("model", in: what) }
        guard let defaultRoute else { throw WireCoding.missingField("default_route", in: what) }
        guard sawTimings else { throw WireCoding.missingField("timings", in: what) }
        answer.router = router
        answer.route = route
        answer.model = model
        answer.defaultRoute = defaultRoute
        return answer
    }

    private static func append(_ value: Double?, to bytes: inout [UInt8]) {
        guard let value, value.isFinite else {
            JSONWriter.appendRaw("null", to: &bytes)
            return
        }
        bytes.append(contentsOf: String(value).utf8)
    }
}
