import Foundation
import TurnoutEmbedding
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutWire

/// Configuration and assembly of `turnout-embedder`: everything its `main` does besides serving.
public enum EmbedderProgram {
    public static let serviceName = "turnout-embedder"

    public static let spec = CommandSpec(
        name: serviceName,
        summary: "The embedding service: texts to unit vectors with all-MiniLM-L6-v2 in Swift (or an OpenAI-compatible API), batched and cached.",
        options: ServerOptions.specs(prefix: "TURNOUT_EMBEDDER", defaultListen: "0.0.0.0:7101") + [
            OptionSpec("backend", env: "TURNOUT_EMBEDDER_BACKEND", default: "local", value: "local|remote", help: "Embed in-process with the native model, or call an OpenAI-compatible /embeddings API"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Local model directory (model.safetensors, vocab.txt) from scripts/setup.sh"),
            OptionSpec("encoder-precision", env: "TURNOUT_EMBEDDER_ENCODER_PRECISION", default: "auto", value: "auto|fp32|int8",
                       help: "The local encoder's arithmetic: auto (int8 where the CPU has AVX-512 VNNI, else fp32), fp32 (the reference), or int8"),
            OptionSpec("remote-url", env: "TURNOUT_EMBEDDER_REMOTE_URL", default: "https://api.openai.com/v1", value: "URL", help: "Remote API base URL, including the version path"),
            OptionSpec("remote-model", env: "TURNOUT_EMBEDDER_REMOTE_MODEL", default: "text-embedding-3-small", value: "NAME", help: "Remote embedding model"),
            OptionSpec("remote-dims", env: "TURNOUT_EMBEDDER_REMOTE_DIMS", default: "1536", value: "N", help: "Dimensions of the remote model's vectors"),
            OptionSpec("remote-api-key-env", env: "TURNOUT_EMBEDDER_REMOTE_API_KEY_ENV", default: "OPENAI_API_KEY", value: "VAR", help: "Environment variable that holds the remote API key"),
            OptionSpec("remote-timeout", env: "TURNOUT_EMBEDDER_REMOTE_TIMEOUT", default: "10s", value: "DURATION", help: "Timeout per remote call"),
            OptionSpec("cache-entries", env: "TURNOUT_EMBEDDER_CACHE_ENTRIES", default: "200000", value: "N", help: "Cached vectors kept (least recently used evicted); 0 disables the cache"),
            OptionSpec("max-texts", env: "TURNOUT_EMBEDDER_MAX_TEXTS", default: "256", value: "N", help: "Texts per request"),
            OptionSpec("max-total-bytes", env: "TURNOUT_EMBEDDER_MAX_TOTAL_BYTES", default: "1048576", value: "N", help: "UTF-8 bytes of all texts per request"),
            OptionSpec("max-tokens", env: "TURNOUT_EMBEDDER_MAX_TOKENS", default: "256", value: "N",
                       help: "Tokens of each text the local model reads, [CLS] and [SEP] included; the rest is cut (see docs/embedding.md)"),
            OptionSpec("batch-wait", env: "TURNOUT_EMBEDDER_BATCH_WAIT", default: "0ms", value: "DURATION",
                       help: "How long a forward pass waits for more requests to join; 0 starts one as soon as a worker is free, and requests arriving meanwhile share the next"),
            OptionSpec("batch-workers", env: "TURNOUT_EMBEDDER_BATCH_WORKERS", default: "2", value: "N", help: "Forward passes run at once, each on its own thread"),
            OptionSpec("batch-tokens", env: "TURNOUT_EMBEDDER_BATCH_TOKENS", default: "8192", value: "N", help: "Padded tokens per forward pass"),
        ]
    )

    /// What the local model is loaded with.
    public struct LocalModel: Sendable {
        public let directory: URL
        public let precision: EncoderPrecision
        /// Ids per text, `[CLS]` and `[SEP]` included.
        public let maxTokens: Int
    }

    /// Builds the service from parsed options.
    /// - Throws: `ConfigurationError` for bad options, or the model loader's error naming the missing file.
    public static func makeService(_ context: ServiceRunner.Context, loadEncoder: (LocalModel) throws -> any SentenceEncoder) throws -> ServiceRunner.Service {
        let options = context.options
        let logger = context.logger
        let metrics = context.metrics
        let backendName = options.string("backend") ?? "local"
        var limits = EmbeddingService.Limits()
        limits.maxTexts = try options.int("max-texts", range: 1...100_000)
        limits.maxTotalBytes = try options.int("max-total-bytes", range: 1...(1 << 30))
        let passes = metrics.histogram("turnout_embedder_batch_size", help: "Sequences per forward pass.", buckets: [1, 2, 4, 8, 16, 32, 64, 128])
        let passSeconds = metrics.histogram("turnout_embedder_forward_seconds", help: "Time per forward pass.")
        let queueWait = metrics.histogram("turnout_embedder_queue_wait_seconds", help: "How long the earliest sequence of each forward pass waited for it.")
        let queued = metrics.gauge("turnout_embedder_queued_sequences", help: "Sequences waiting for a forward pass when the latest one ended.")
        let backend: any EmbeddingBackend
        var stop: (@Sendable () async -> Void)?
        switch backendName {
        case "local":
            let directory = URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2")
            let precisionOption = options.string("encoder-precision") ?? "auto"
            guard let precision = EncoderPrecision(option: precisionOption) else {
                throw ConfigurationError.invalid("--encoder-precision must be auto, fp32 or int8, got \"\(precisionOption)\"")
            }
            let encoder = try loadEncoder(LocalModel(directory: directory, precision: precision, maxTokens: try options.int("max-tokens", range: 3...512)))
            var batching = DynamicBatcher.Configuration()
            batching.maxWait = try options.duration("batch-wait")
            batching.workers = try options.int("batch-workers", range: 1...64)
            batching.tokenBudget = try options.int("batch-tokens", range: 256...1_000_000)
            let local = LocalEmbeddingBackend(encoder: encoder, batching: batching) { report in
                passes.observe(Double(report.sequences))
                passSeconds.observe(report.seconds)
                queueWait.observe(report.waitedSeconds)
                queued.set(Double(report.queued))
            }
            backend = local
            stop = { local.shutdown() }
            logger.info("loaded the local model", ["model": .string(encoder.modelID), "dims": .int(encoder.dimensions), "dir": .string(directory.path),
                                                   "encoder": .string(precision.kernel)])
        case "remote":
            let keyVariable = options.string("remote-api-key-env") ?? "OPENAI_API_KEY"
            var configuration = RemoteEmbeddingBackend.Configuration(
                baseURL: try options.require("remote-url"), model: try options.require("remote-model"),
                dimensions: try options.int("remote-dims", range: 1...65536),
                apiKey: ProcessInfo.processInfo.environment[keyVariable])
            configuration.timeout = try options.duration("remote-timeout")
            let client = HTTPClient()
            backend = RemoteEmbeddingBackend(configuration: configuration, client: client, logger: logger)
            stop = { client.shutdown() }
        default:
            throw ConfigurationError.invalid("--backend must be local or remote, got \"\(backendName)\"")
        }
        var cache: EmbeddingCache?
        let entries = try options.int("cache-entries", range: 0...100_000_000)
        if entries > 0 {
            let directory = try ServerOptions.stateDirectory(options)
            cache = try EmbeddingCache(path: directory.appendingPathComponent("embedding-cache.sqlite").path, maxEntries: entries, logger: logger, metrics: metrics)
        }
        let service = EmbeddingService(backend: backend, backendName: backendName, cache: cache, limits: limits, logger: logger)
        var registry = HandlerRegistry()
        service.register(in: &registry)
        // The cache's queued writes reach the file before the process exits.
        let stopBackend = stop
        return ServiceRunner.Service(registry: registry, stop: { [cache] in
            await stopBackend?()
            cache?.flush()
        })
    }
}
