/// Where part of a router's training data came from: what an artifact records of each
/// source, so anyone serving it can tell what it learnt from and under which licence.
public struct TrainingSource: Codable, Sendable, Equatable {
    /// The path or URL it was read from.
    public var name: String
    /// `benchmark` (golden labels), `battles` (battle JSONL: Arena, or the deployment's own),
    /// `arena` (Chatbot Arena CSV), `mt_bench` (judge scores).
    public var kind: String
    /// Examples it gave, after labelling.
    public var items: Int
    public var strongWins: Int
    public var weakWins: Int
    public var ties: Int
    public var licence: String
    /// How much each of its examples counts in training, against 1 for base sources.
    public var weight: Double
    /// The time its battles span, Unix ms, for battles that carry times.
    public var fromMs: Int64?
    public var toMs: Int64?

    public init(name: String, kind: String, items: Int, strongWins: Int, weakWins: Int, ties: Int, licence: String, weight: Double = 1,
                fromMs: Int64? = nil, toMs: Int64? = nil) {
        self.name = name
        self.kind = kind
        self.items = items
        self.strongWins = strongWins
        self.weakWins = weakWins
        self.ties = ties
        self.licence = licence
        self.weight = weight
        self.fromMs = fromMs
        self.toMs = toMs
    }

    /// A source of `items` with their outcome counts.
    public init(name: String, kind: String, items: [BenchmarkItem], licence: String, weight: Double = 1, fromMs: Int64? = nil, toMs: Int64? = nil) {
        let outcomes = items.map(SimilarityWeightedRanking.Outcome.init)
        let strong = outcomes.filter { $0 == .strongWins }.count, weak = outcomes.filter { $0 == .weakWins }.count
        self.init(name: name, kind: kind, items: items.count, strongWins: strong, weakWins: weak, ties: items.count - strong - weak, licence: licence,
                  weight: weight, fromMs: fromMs, toMs: toMs)
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, items
        case strongWins = "strong_wins"
        case weakWins = "weak_wins"
        case ties, licence, weight
        case fromMs = "from_ms"
        case toMs = "to_ms"
    }

    /// The licence of a source Turnout knows by its path, `unknown` otherwise (give it with
    /// `turnout train --licence PATH=LICENCE`).
    public static func knownLicence(of path: String) -> String {
        let name = path.lowercased()
        if name.hasSuffix("/mmlu") || name.contains("/mmlu/") || name.hasSuffix("/gsm8k") || name.contains("/gsm8k/") {
            return "MIT (questions); model outcomes from lm-sys/RouteLLM, Apache-2.0"
        }
        if name.contains("alpaca_eval") { return "CC-BY-NC-4.0" }
        return "unknown"
    }
}
