import Foundation

/// Which battles speak for the strong model against the weak one, and the golden labels they give.
///
/// The routers are two-model: each training example is a prompt and whether the strong model
/// won, lost or tied against the weak one. Preference data holds battles between many models,
/// so a battle is kept only when one side stands for the strong model and the other for the
/// weak one: in `.exact` mode that means the two models themselves, in `.tiers` mode (the
/// default, after RouteLLM's `sw_ranking`) any model in the strong model's tier against any
/// model in the weak model's tier. Every other battle is left out.
public struct ModelPairing: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case exact, tiers
    }

    /// RouteLLM's pair, as Chatbot Arena names them.
    public static let defaultStrongModel = "gpt-4-1106-preview"
    public static let defaultWeakModel = "mixtral-8x7b-instruct-v0.1"

    public var strongModel: String
    public var weakModel: String
    public var mode: Mode
    /// How many tiers the models are grouped into in `.tiers` mode (RouteLLM uses 10).
    public var tierCount: Int

    public init(strongModel: String = defaultStrongModel, weakModel: String = defaultWeakModel, mode: Mode = .tiers, tierCount: Int = 10) {
        self.strongModel = strongModel
        self.weakModel = weakModel
        self.mode = mode
        self.tierCount = tierCount
    }

    /// How model names are compared: case-insensitively and without an organisation prefix,
    /// so the benchmarks' `mistralai/Mixtral-8x7B-Instruct-v0.1` is Arena's `mixtral-8x7b-instruct-v0.1`.
    public static func normalizedName(_ name: String) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let base = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        return base.lowercased()
    }

    /// One source's battles turned into labelled items, and which models stood for each side.
    public struct Labelled: Sendable {
        /// One item per kept battle: the winner scores 1 and the loser 0; a tie scores 0.5 each,
        /// a tie in which both answers were bad 0 each. Either way the label is a tie.
        public var items: [BenchmarkItem]
        /// Normalised names of the models counted as the strong (weak) model.
        public var strongSide: [String]
        public var weakSide: [String]
        /// Battles read from the source (after short prompts were dropped).
        public var battles: Int
    }

    /// Labels the battles of `source`.
    /// - Throws: `BenchmarkDataError` naming the source when the strong or weak model never
    ///   appears in it, when both fall in the same tier, or when no battle is left: all signs
    ///   of a misspelt model name, which would otherwise train a router on nothing.
    public func label(_ source: BattleSource) throws(BenchmarkDataError) -> Labelled {
        let strong = Self.normalizedName(strongModel), weak = Self.normalizedName(weakModel)
        let battles = source.battles.map {
            Battle(prompt: "", modelA: Self.normalizedName($0.modelA), modelB: Self.normalizedName($0.modelB), winner: $0.winner)
        }
        let present = Set(battles.flatMap { [$0.modelA, $0.modelB] })
        guard present.contains(strong) else { throw absent(strongModel, "--strong-model", battles, source) }
        guard present.contains(weak) else { throw absent(weakModel, "--weak-model", battles, source) }
        var strongSide: Set<String> = [strong], weakSide: Set<String> = [weak]
        if mode == .tiers {
            let tiers = ModelTiers.tiers(ratings: ModelTiers.ratings(battles), count: tierCount)
            guard let strongTier = tiers[strong], let weakTier = tiers[weak] else {
                throw BenchmarkDataError(path: source.path, message: "\(strongModel) or \(weakModel) was given no tier")
            }
            guard strongTier != weakTier else {
                throw BenchmarkDataError(path: source.path, message: "\(strongModel) and \(weakModel) fall in the same tier (\(strongTier)) of its battles, so no battle tells them apart; use --pairing exact or more tiers")
            }
            strongSide = Set(tiers.filter { $0.value == strongTier }.keys)
            weakSide = Set(tiers.filter { $0.value == weakTier }.keys)
        }
        var items: [BenchmarkItem] = []
        for (original, battle) in zip(source.battles, battles) {
            let strongIsA: Bool
            if strongSide.contains(battle.modelA) && weakSide.contains(battle.modelB) {
                strongIsA = true
            } else if strongSide.contains(battle.modelB) && weakSide.contains(battle.modelA) {
                strongIsA = false
            } else {
                continue
            }
            let (strongScore, weakScore): (Double, Double)
            switch battle.winner {
            case .modelA: (strongScore, weakScore) = strongIsA ? (1, 0) : (0, 1)
            case .modelB: (strongScore, weakScore) = strongIsA ? (0, 1) : (1, 0)
            case .tie: (strongScore, weakScore) = (0.5, 0.5)
            case .tieBothBad: (strongScore, weakScore) = (0, 0)
            }
            items.append(BenchmarkItem(prompt: original.prompt, strongScore: strongScore, weakScore: weakScore))
        }
        guard !items.isEmpty else {
            let sides = mode == .exact ? "\(strongModel) and \(weakModel)" : "the tiers of \(strongModel) and \(weakModel)"
            throw BenchmarkDataError(path: source.path, message: "none of its \(battles.count) battles is between \(sides)")
        }
        return Labelled(items: items, strongSide: strongSide.sorted(), weakSide: weakSide.sorted(), battles: battles.count)
    }

    /// The error for a model that never fights in `source`, naming the most frequent models.
    private func absent(_ model: String, _ flag: String, _ battles: [Battle], _ source: BattleSource) -> BenchmarkDataError {
        var counts: [String: Int] = [:]
        for battle in battles {
            counts[battle.modelA, default: 0] += 1
            counts[battle.modelB, default: 0] += 1
        }
        let frequent = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8).map(\.key)
        let known = frequent.isEmpty ? "it holds no battles" : "its most frequent models: \(frequent.joined(separator: ", "))"
        return BenchmarkDataError(path: source.path, message: "\(model) (\(flag)) never appears in its battles; \(known)")
    }
}
