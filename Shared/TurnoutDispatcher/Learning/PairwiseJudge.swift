import TurnoutJSON

/// The judge's prompt and how its verdicts are read, after MT-Bench's pairwise judge
/// (`pair-v2`): the judge sees the question and two answers, explains, and ends with
/// `[[A]]`, `[[B]]` or `[[C]]` (a tie).
///
/// Every battle is judged twice with the answers' places swapped, because judges favour a
/// position; when the two verdicts disagree the battle is a tie. A reply with no verdict, or
/// with two different ones, yields no battle at all.
public enum PairwiseJudge {
    public static let systemPrompt = """
        Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question \
        displayed below. You should choose the assistant that follows the user's instructions and answers the user's question better. \
        Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of \
        their responses. Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases \
        and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the \
        responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After \
        providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, \
        "[[B]]" if assistant B is better, and "[[C]]" for a tie.
        """

    /// The user message: the question, then answer A and answer B between markers.
    public static func userPrompt(question: String, answerA: String, answerB: String) -> String {
        """
        [User Question]
        \(question)

        [The Start of Assistant A's Answer]
        \(answerA)
        [The End of Assistant A's Answer]

        [The Start of Assistant B's Answer]
        \(answerB)
        [The End of Assistant B's Answer]
        """
    }

    /// The chat completion request sent to the judge upstream, at temperature 0.
    public static func requestBody(model: String, question: String, answerA: String, answerB: String, maxTokens: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"model\":", to: &bytes)
        JSONWriter.appendString(model, to: &bytes)
        JSONWriter.appendRaw(",\"temperature\":0,\"max_tokens\":", to: &bytes)
        JSONWriter.appendInteger(maxTokens, to: &bytes)
        JSONWriter.appendRaw(",\"messages\":[{\"role\":\"system\",\"content\":", to: &bytes)
        JSONWriter.appendString(systemPrompt, to: &bytes)
        JSONWriter.appendRaw("},{\"role\":\"user\",\"content\":", to: &bytes)
        JSONWriter.appendString(userPrompt(question: question, answerA: answerA, answerB: answerB), to: &bytes)
        JSONWriter.appendRaw("}]}", to: &bytes)
        return bytes
    }

    /// One verdict, about positions.
    public enum Verdict: String, Sendable, Equatable {
        case a = "[[A]]"
        case b = "[[B]]"
        case tie = "[[C]]"
    }

    /// The verdict a judge's reply gives: the one of `[[A]]`, `[[B]]`, `[[C]]` it holds
    /// (any number of times). Nil when it holds none, or more than one kind, which makes the
    /// battle unparseable.
    public static func verdict(in reply: String) -> Verdict? {
        let given = [Verdict.a, .b, .tie].filter { reply.contains($0.rawValue) }
        return given.count == 1 ? given[0] : nil
    }

    /// Who won, from the two verdicts: the first with the strong model's answer as A, the
    /// second with it as B. Agreement decides; disagreement is a tie.
    public enum Outcome: String, Sendable, Equatable {
        case strong, weak, tie
    }

    public static func outcome(strongFirst: Verdict, strongSecond: Verdict) -> Outcome {
        let first: Outcome = strongFirst == .a ? .strong : strongFirst == .b ? .weak : .tie
        let second: Outcome = strongSecond == .b ? .strong : strongSecond == .a ? .weak : .tie
        return first == second ? first : .tie
    }
}
