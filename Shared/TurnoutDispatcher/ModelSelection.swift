/// What the `model` field of a request asks for, read as RouteLLM's server reads it, plus a
/// share form of Turnout's own.
///
/// The spellings (docs/dispatcher.md):
/// - `router-<router>`: the configured default threshold or strong share;
/// - `router-<router>-<threshold>`: a threshold on the win rate, 0 to 1 (RouteLLM's form);
/// - `router-<router>@<percent>%`: the threshold that sends about this share of calls strong;
/// - an upstream's name: that upstream, not routed.
public enum ModelSelection: Sendable, Equatable {
    /// `router-<router>-<threshold>`: route with this router at this threshold.
    case routed(router: String, threshold: Double)
    /// `router-<router>`: route with the configured default threshold or strong fraction.
    case routedDefault(router: String)
    /// `router-<router>@<percent>%`: route with the threshold for this share of strong calls (0 to 1).
    case routedShare(router: String, strongShare: Double)
    /// A configured upstream's name: call it directly.
    case passthrough(upstream: String)

    /// Parses `model` against the known routers and upstreams.
    /// - Throws: `OpenAIError` 404 `model_not_found` for an unknown model or router, 400 for a
    ///   malformed threshold or share.
    public static func parse(_ model: String, routers: Set<String>, upstreams: Set<String>) throws(OpenAIError) -> ModelSelection {
        if upstreams.contains(model) { return .passthrough(upstream: model) }
        guard model.hasPrefix("router-") else {
            throw .modelNotFound("The model \"\(model)\" does not exist: it is neither a configured upstream (\(upstreams.sorted().joined(separator: ", "))) nor router-<router>[-<threshold>|@<percent>%]")
        }
        let (router, form) = split(model.dropFirst("router-".count), routers: routers)
        guard routers.contains(router) else {
            throw .modelNotFound("The model \"\(model)\" does not exist: unknown router \"\(router)\"; known routers: \(routers.sorted().joined(separator: ", "))")
        }
        switch form {
        case .none:
            return .routedDefault(router: router)
        case let .threshold(text):
            guard let threshold = Double(text), threshold.isFinite, (0...1).contains(threshold) else {
                throw .invalidRequest("threshold \"\(text)\" in \"\(model)\" must be a number between 0 and 1", param: "model", code: "invalid_value")
            }
            return .routed(router: router, threshold: threshold)
        case let .share(text):
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent.isFinite, (0...100).contains(percent) else {
                throw .invalidRequest("strong share \"\(text)\" in \"\(model)\" must be a percentage from 0% to 100%, as in router-\(router)@30%", param: "model", code: "invalid_value")
            }
            return .routedShare(router: router, strongShare: percent / 100)
        }
    }

    enum Form: Equatable {
        case none
        case threshold(Substring)
        case share(Substring)
    }

    /// Splits what follows `router-` into the router's name and what qualifies it. A known
    /// router's name is taken whole, the longest first, so `mf--0.1` is router `mf` with the
    /// threshold `-0.1` (refused as out of range) and `my-router-0.5` is `my-router`. An unknown
    /// one ends at the first dash followed by a number, so the error names what was meant.
    static func split(_ rest: Substring, routers: Set<String>) -> (router: String, form: Form) {
        if let at = rest.lastIndex(of: "@") {
            return (String(rest[..<at]), .share(rest[rest.index(after: at)...]))
        }
        if routers.contains(String(rest)) { return (String(rest), .none) }
        for name in routers.sorted(by: { $0.count > $1.count }) where rest.hasPrefix(name + "-") {
            return (name, .threshold(rest.dropFirst(name.count + 1)))
        }
        var index = rest.startIndex
        while let dash = rest[index...].firstIndex(of: "-") {
            let suffix = rest[rest.index(after: dash)...]
            if Double(suffix) != nil { return (String(rest[..<dash]), .threshold(suffix)) }
            index = rest.index(after: dash)
        }
        return (String(rest), .none)
    }

    /// The router this names, if any, without checking that it exists.
    public var router: String? {
        switch self {
        case let .routed(router, _), let .routedDefault(router), let .routedShare(router, _): router
        case .passthrough: nil
        }
    }

    /// The router named in `model`, as far as its spelling tells, with no list to check it
    /// against (before any scorer has answered).
    public static func routerName(in model: String) -> String? {
        guard model.hasPrefix("router-") else { return nil }
        return split(model.dropFirst("router-".count), routers: []).router
    }
}
