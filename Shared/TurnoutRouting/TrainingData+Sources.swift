import Foundation

extension TrainingData {
    /// Training examples from several sources, and one line per source saying what it gave.
    public struct Corpus: Sendable {
        public var items: [BenchmarkItem] = []
        public var notes: [String] = []
        /// One per path, in order, for the artifact's provenance.
        public var sources: [TrainingSource] = []

        public init() {}

        /// Adds another corpus after this one.
        public mutating func append(_ other: Corpus) {
            items += other.items
            notes += other.notes
            sources += other.sources
        }
    }

    /// Reads every path as the kind of training data it holds, decided by its shape:
    /// - a benchmark directory (MMLU's `responses/`, GSM8K's CSV): golden labels of the
    ///   benchmark's own strong and weak model, whatever `pairing` names;
    /// - an MT-Bench directory (`question.jsonl` and `judgements.jsonl`): judge-score battles;
    /// - a `.csv` file: Chatbot Arena's CSV; a `.jsonl` file: battles one per line.
    ///
    /// Battles are labelled by `pairing` one source at a time, so each source's tiers come from
    /// its own battles (human votes and judge scores rate models on different footings).
    /// Nothing is decontaminated: that guards evaluation, not training.
    /// - Throws: `BenchmarkDataError` naming the path (and line) that cannot be used.
    /// - Parameter licences: licences by path, for sources whose licence Turnout cannot tell.
    public static func corpus(_ paths: [URL], pairing: ModelPairing, licences: [String: String] = [:]) throws(BenchmarkDataError) -> Corpus {
        var corpus = Corpus()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                throw BenchmarkDataError(path: path.path, message: "does not exist")
            }
            let source: BattleSource
            let kind: String
            if isDirectory.boolValue {
                kind = "mt_bench"
                if MTBench.holdsData(path) {
                    source = try MTBench.battles(directory: path)
                } else {
                    guard FileManager.default.fileExists(atPath: path.appendingPathComponent("responses").path)
                        || FileManager.default.fileExists(atPath: path.appendingPathComponent("gsm8k_responses.csv").path) else {
                        throw BenchmarkDataError(path: path.path, message: "holds neither responses/mmlu_*.csv, gsm8k_responses.csv nor MT-Bench's \(MTBench.questionFile) and \(MTBench.judgementFile)")
                    }
                    let items = try benchmarkItems([path])
                    corpus.items += items
                    corpus.notes.append("\(path.path): \(items.count) golden labels (\(summary(items)))")
                    corpus.sources.append(TrainingSource(name: path.path, kind: "benchmark", items: items,
                                                         licence: licences[path.path] ?? TrainingSource.knownLicence(of: path.path)))
                    continue
                }
            } else {
                switch path.pathExtension.lowercased() {
                case "csv":
                    source = try ArenaBattles.csv(path)
                    kind = "arena"
                case "jsonl":
                    source = try ArenaBattles.jsonl(path)
                    kind = "battles"
                default:
                    throw BenchmarkDataError(path: path.path, message: "is neither a directory nor a .csv or .jsonl battle file")
                }
            }
            let labelled = try pairing.label(source)
            corpus.items += labelled.items
            corpus.notes.append(note(source, labelled, pairing: pairing))
            corpus.sources.append(TrainingSource(name: path.path, kind: kind, items: labelled.items,
                                                 licence: licences[path.path] ?? TrainingSource.knownLicence(of: path.path)))
        }
        return corpus
    }

    /// "N battles (M short prompts dropped); K between [strong side] and [weak side]: ...".
    static func note(_ source: BattleSource, _ labelled: ModelPairing.Labelled, pairing: ModelPairing) -> String {
        func side(_ models: [String]) -> String {
            models.count <= 4 ? models.joined(separator: ", ") : models.prefix(4).joined(separator: ", ") + " and \(models.count - 4) more"
        }
        let dropped = source.shortPromptsDropped > 0 ? " (\(source.shortPromptsDropped) short prompts dropped)" : ""
        let sides = pairing.mode == .tiers ? "the strong tier [\(side(labelled.strongSide))] and the weak tier [\(side(labelled.weakSide))]"
            : "\(pairing.strongModel) and \(pairing.weakModel)"
        return "\(source.path): \(labelled.battles) battles\(dropped); \(labelled.items.count) between \(sides): \(summary(labelled.items))"
    }

    /// "a strong wins, b weak wins, c ties".
    static func summary(_ items: [BenchmarkItem]) -> String {
        let outcomes = items.map(SimilarityWeightedRanking.Outcome.init)
        let strong = outcomes.filter { $0 == .strongWins }.count, weak = outcomes.filter { $0 == .weakWins }.count
        return "\(strong) strong wins, \(weak) weak wins, \(outcomes.count - strong - weak) ties"
    }
}
