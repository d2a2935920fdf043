import Foundation
import TurnoutRouting
import TurnoutRuntime

/// The options `turnout train` and `turnout eval` share for reading training data: which
/// models are strong and weak, and how battles between other models count.
enum TrainingOptions {
    static let specs: [OptionSpec] = [
        OptionSpec("strong-model", default: ModelPairing.defaultStrongModel, value: "NAME",
                   help: "The strong model in battle data (Arena, MT-Bench); names match case-insensitively, without an org/ prefix"),
        OptionSpec("weak-model", default: ModelPairing.defaultWeakModel, value: "NAME", help: "The weak model in battle data"),
        OptionSpec("pairing", default: ModelPairing.Mode.tiers.rawValue, value: "tiers|exact",
                   help: "Which battles train: tiers keeps battles between the strong model's Elo tier and the weak model's (RouteLLM), exact only the two models"),
        OptionSpec("tiers", default: "10", value: "N", help: "Elo tiers models are grouped into with --pairing tiers"),
        OptionSpec("licence", default: "", value: "PATH=LICENCE,...", help: "Licences of training sources Turnout cannot tell (recorded in the artifact; MMLU and GSM8K are known)"),
    ]

    /// `--licence PATH=LICENCE,...`, by standardised path.
    static func licences(_ options: ParsedOptions) throws -> [String: String] {
        var licences: [String: String] = [:]
        for entry in options.list("licence") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ConfigurationError.invalid("--licence takes PATH=LICENCE, got \"\(entry)\"") }
            licences[URL(fileURLWithPath: String(parts[0])).standardizedFileURL.path] = String(parts[1])
        }
        return licences
    }

    /// The pairing the options describe.
    static func pairing(_ options: ParsedOptions) throws -> ModelPairing {
        let text = options.string("pairing") ?? ModelPairing.Mode.tiers.rawValue
        guard let mode = ModelPairing.Mode(rawValue: text) else {
            throw ConfigurationError.invalid("--pairing must be tiers or exact, got \"\(text)\"")
        }
        let pairing = ModelPairing(strongModel: try options.require("strong-model"), weakModel: try options.require("weak-model"),
                                   mode: mode, tierCount: try options.int("tiers", range: 2...100))
        guard ModelPairing.normalizedName(pairing.strongModel) != ModelPairing.normalizedName(pairing.weakModel) else {
            throw ConfigurationError.invalid("--strong-model and --weak-model name the same model")
        }
        return pairing
    }

    /// The comma-separated paths of a list option, empty entries left out.
    static func paths(_ options: ParsedOptions, _ name: String) -> [URL] {
        (options.string(name) ?? "").split(separator: ",").map { URL(fileURLWithPath: String($0)).standardizedFileURL }
    }

    /// The training corpus of `paths`, with a line per source on standard error.
    static func corpus(_ paths: [URL], _ options: ParsedOptions) throws -> TrainingData.Corpus {
        let corpus = try TrainingData.corpus(paths, pairing: pairing(options), licences: licences(options))
        for note in corpus.notes { printError(note) }
        return corpus
    }
}
