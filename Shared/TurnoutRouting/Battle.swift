/// One pairwise comparison of two models on a prompt: a human vote from Chatbot Arena, or two
/// judge scores from MT-Bench turned into a win, a loss or a tie.
///
/// Battles name arbitrary models; the routers are two-model, so `ModelPairing` decides which
/// battles speak for the strong model against the weak one and turns those into labels.
public struct Battle: Sendable, Equatable {
    /// Arena's vote values, spelled as its JSON exports spell them.
    public enum Winner: String, Sendable, CaseIterable {
        case modelA = "model_a"
        case modelB = "model_b"
        case tie = "tie"
        case tieBothBad = "tie (bothbad)"
    }

    /// The text routed on: the first turn of the conversation.
    public var prompt: String
    public var modelA: String
    public var modelB: String
    public var winner: Winner

    public init(prompt: String, modelA: String, modelB: String, winner: Winner) {
        self.prompt = prompt
        self.modelA = modelA
        self.modelB = modelB
        self.winner = winner
    }
}

/// The battles read from one file or directory, and what was left out while reading it.
public struct BattleSource: Sendable {
    /// The file or directory read, for messages.
    public var path: String
    public var battles: [Battle]
    /// Battles whose first turn is shorter than `BattleSource.minimumPromptLength`.
    public var shortPromptsDropped: Int

    /// RouteLLM drops Arena prompts under 16 characters ("hi", "test"): they say nothing about
    /// which model a question needs, and there are many of them.
    public static let minimumPromptLength = 16

    public init(path: String, battles: [Battle], shortPromptsDropped: Int = 0) {
        self.path = path
        self.battles = battles
        self.shortPromptsDropped = shortPromptsDropped
    }

    /// Whether a first turn is long enough to train on, counting Unicode scalars as Python's
    /// `len` does.
    public static func isLongEnough(_ prompt: String) -> Bool {
        prompt.unicodeScalars.count >= minimumPromptLength
    }
}
