import Foundation

/// One upstream LLM: where it lives, how it is paid for, how hard it may be pushed.
///
/// The API key itself is read from the environment variable `apiKeyEnv` names, so the
/// configuration file can be committed and shared; the key never appears in logs or errors.
public struct UpstreamConfiguration: Sendable, Equatable {
    public var name: String
    /// OpenAI-compatible base URL, up to and including `/v1` (e.g. `https://api.openai.com/v1`).
    public var baseURL: String
    /// The model id sent upstream; the configured `name` when nil.
    public var model: String?
    public var apiKeyEnv: String?
    /// US dollars per million tokens.
    public var inputPricePerMillion: Double
    public var outputPricePerMillion: Double
    /// The whole upstream exchange, including reading a stream to its end.
    public var timeout: Duration
    /// Time until the response headers arrive; past it the call counts as failed before the first byte.
    public var firstByteTimeout: Duration
    public var maxConcurrency: Int

    public init(name: String, baseURL: String, model: String? = nil, apiKeyEnv: String? = nil, inputPricePerMillion: Double = 0,
                outputPricePerMillion: Double = 0, timeout: Duration = .seconds(120), firstByteTimeout: Duration = .seconds(30), maxConcurrency: Int = 256) {
        self.name = name
        self.baseURL = baseURL
        self.model = model
        self.apiKeyEnv = apiKeyEnv
        self.inputPricePerMillion = inputPricePerMillion
        self.outputPricePerMillion = outputPricePerMillion
        self.timeout = timeout
        self.firstByteTimeout = firstByteTimeout
        self.maxConcurrency = maxConcurrency
    }

    public var upstreamModel: String { model ?? name }

    public var chatCompletionsURL: String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions"
    }

    /// Cost in US dollars of a call with this usage.
    public func cost(promptTokens: Int, completionTokens: Int) -> Double {
        (Double(promptTokens) * inputPricePerMillion + Double(completionTokens) * outputPricePerMillion) / 1_000_000
    }
}
