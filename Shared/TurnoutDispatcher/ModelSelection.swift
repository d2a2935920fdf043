/// What the `model` field of a request asks for, read as RouteLLM's server reads it.
public enum ModelSelection: Sendable, Equatable {
    /// `router-<router>-<threshold>`: route with this router at this threshold.
    case routed(router: String, threshold: Double)
    /// `router-<router>`: route with the configured default threshold or strong fraction.
    case routedDefault(router: String)
    /// A configured upstream's name: call it directly.
    case passthrough(upstream: String)

    /// Parses `model` against the known routers and upstreams.
    /// - Throws: `OpenAIError` 400 naming what is wrong (unknown router, malformed threshold, unknown model).
    public static func parse(_ model: String, routers: Set<String>, upstreams: Set<String>) throws(OpenAIError) -> ModelSelection {
        if upstreams.contains(model) { return .passthrough(upstream: model) }
        guard model.hasPrefix("router-") else {
            throw .invalidRequest("model \"\(model)\" is neither a configured upstream (\(upstreams.sorted().joined(separator: ", "))) nor router-<router>[-<threshold>]",
                                  param: "model", code: "model_not_found")
        }
        let rest = String(model.dropFirst("router-".count))
        if routers.contains(rest) { return .routedDefault(router: rest) }
        guard let dash = rest.lastIndex(of: "-") else {
            throw .invalidRequest("unknown router \"\(rest)\"; known routers: \(routers.sorted().joined(separator: ", "))", param: "model", code: "model_not_found")
        }
        let router = String(rest[..<dash])
        let thresholdText = rest[rest.index(after: dash)...]
        guard routers.contains(router) else {
            throw .invalidRequest("unknown router \"\(router)\"; known routers: \(routers.sorted().joined(separator: ", "))", param: "model", code: "model_not_found")
        }
        guard let threshold = Double(thresholdText), threshold.isFinite, (0...1).contains(threshold) else {
            throw .invalidRequest("threshold \"\(thresholdText)\" in \"\(model)\" must be a number between 0 and 1", param: "model")
        }
        return .routed(router: router, threshold: threshold)
    }
}
