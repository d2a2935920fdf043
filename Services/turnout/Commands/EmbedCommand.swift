import Foundation
import TurnoutEmbedderAPI
import TurnoutEmbedding
import TurnoutRuntime
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// `turnout embed TEXT...`: vectors as JSON, from a running embedder or computed in-process.
enum EmbedCommand {
    static let spec = CommandSpec(
        name: "turnout embed",
        summary: "Print the embedding of each TEXT as JSON: through the embedding service when one answers at --target, in-process with the local model otherwise.",
        options: [
            OptionSpec("target", env: "TURNOUT_EMBEDDER", default: "127.0.0.1:7101", value: "HOST:PORT", help: "Embedding service to ask first"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Local model for the in-process fallback"),
            OptionSpec("encoder-precision", env: "TURNOUT_EMBEDDER_ENCODER_PRECISION", default: "auto", value: "auto|fp32|int8",
                       help: "The in-process encoder's arithmetic, as the embedder's option of the same name (auto: int8 with AVX-512 VNNI)"),
            .flag("local", help: "Skip the service and compute in-process"),
        ],
        positionalUsage: "TEXT..."
    )

    struct Output: Encodable {
        let model: String
        let dims: Int
        let source: String
        let vectors: [[Float]]
    }

    static let subcommand = Subcommand(name: "embed", summary: "Embed texts (via the service, or in-process)") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        guard !options.positional.isEmpty else {
            printError("turnout embed: give at least one TEXT (see turnout embed --help)")
            return 2
        }
        do {
            var output: Output?
            if !options.flag("local") {
                output = try await viaService(options)
            }
            if output == nil {
                let text = options.string("encoder-precision") ?? "auto"
                guard let precision = EncoderPrecision(option: text) else {
                    throw ConfigurationError.invalid("--encoder-precision must be auto, fp32 or int8, got \"\(text)\"")
                }
                let model = try MiniLM(directory: URL(fileURLWithPath: options.string("model-dir") ?? "models/all-MiniLM-L6-v2"), precision: precision)
                output = Output(model: model.modelID, dims: model.dimensions, source: "in-process", vectors: model.embed(options.positional))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            return 0
        } catch {
            printError("turnout embed: \(error)")
            return 1
        }
    }

    /// The service's answer, or nil when no service answers (so the caller computes in-process).
    static func viaService(_ options: ParsedOptions) async throws -> Output? {
        var configuration = ClientConfiguration(targets: [try options.hostPort("target")])
        configuration.maxAttempts = 1
        configuration.connectTimeout = .milliseconds(300)
        let client = try WireClient(configuration: configuration, logger: Logger(service: "turnout", minimumLevel: .error))
        defer { client.shutdown() }
        do {
            let response = try await EmbedderClient(client).embed(EmbedderAPI.EmbedRequest(texts: options.positional), deadline: .after(.seconds(30)))
            return Output(model: response.model, dims: response.dims, source: "service \(options.string("target") ?? "")", vectors: response.vectors)
        } catch {
            // Nothing listening: the caller computes in-process. Anything else is a real answer.
            guard error.code == .unavailable else { throw error }
            return nil
        }
    }
}
