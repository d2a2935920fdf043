import Foundation
import Testing
import TurnoutRouting

@Suite struct TrainingSourcesTests {
    static let strong = "gpt-4-1106-preview"
    static let weak = "mixtral-8x7b-instruct-v0.1"

    /// One of each kind of training data: a GSM8K directory (2 golden labels), an Arena CSV
    /// (2 strong-weak battles of 3), a battle JSONL (1 of 2) and an MT-Bench directory (2).
    func sources(_ directory: TemporaryDirectory) throws -> [URL] {
        let gsm8k = "prompt,\(BenchmarkData.weakModel),\(BenchmarkData.strongModel)\n\"What is 2 + 2?\nAnswer briefly.\",False,True\nWhat is 3 + 3?,True,True\n"
        try directory.write("gsm8k/gsm8k_responses.csv", gsm8k)
        try directory.write("arena.csv", "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"
            + "1,\(Self.strong),\(Self.weak),\"[\"\"Explain how vaccines work\"\"]\",\"Long\nanswer\",short,1,0,0\n"
            + "2,\(Self.weak),\(Self.strong),\"[\"\"Write a limerick about cats\"\"]\",a,b,1,0,0\n"
            + "3,claude-2.1,\(Self.weak),\"[\"\"Explain how vaccines work\"\"]\",a,b,0,1,0\n")
        try directory.writeLines("battles.jsonl", [
            ["prompt": "Plan a three-day trip to Rome", "model_a": Self.strong, "model_b": Self.weak, "winner": "tie"],
            ["prompt": "Plan a three-day trip to Rome", "model_a": "claude-2.1", "model_b": Self.strong, "winner": "model_a"],
        ])
        try directory.writeLines("mt-bench/question.jsonl", [["question_id": 1, "turns": ["Describe the water cycle simply.", "Now for a child."]]])
        try directory.writeLines("mt-bench/judgements.jsonl", [
            ["question_id": 1, "model": Self.strong, "score": 9, "turn": 1], ["question_id": 1, "model": Self.weak, "score": 9, "turn": 1],
            ["question_id": 1, "model": Self.strong, "score": 4, "turn": 2], ["question_id": 1, "model": Self.weak, "score": 8, "turn": 2],
        ])
        return ["gsm8k", "arena.csv", "battles.jsonl", "mt-bench"].map { directory.url.appendingPathComponent($0) }
    }

    @Test func everyKindOfSourceTrains() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corpus = try TrainingData.corpus(try sources(directory), pairing: ModelPairing(mode: .exact))
        #expect(corpus.items.map(SimilarityWeightedRanking.Outcome.init) == [
            .strongWins, .tie,                 // GSM8K: only the strong model right, then both right
            .strongWins, .weakWins,            // Arena CSV: claude's battle left out
            .tie,                              // JSONL
            .tie, .weakWins,                   // MT-Bench turns 1 and 2, both routed on turn 1
        ])
        #expect(corpus.items[0].prompt == "What is 2 + 2?\nAnswer briefly.")
        #expect(corpus.items[6].prompt == "Describe the water cycle simply.")
        #expect(corpus.notes.count == 4)
        #expect(corpus.notes[1].hasSuffix("arena.csv: 3 battles; 2 between \(Self.strong) and \(Self.weak): 1 strong wins, 1 weak wins, 0 ties"))
        // Benchmark labels fingerprint as before, so existing artifacts keep their provenance.
        let gsm8kOnly = try TrainingData.corpus([directory.url.appendingPathComponent("gsm8k")], pairing: ModelPairing())
        #expect(TrainingData.fingerprint(gsm8kOnly.items) == TrainingData.fingerprint(try TrainingData.benchmarkItems([directory.url.appendingPathComponent("gsm8k")])))
    }

    @Test func unusablePathsAreNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = try directory.write("notes.txt", "hello\n")
        let kind = #expect(throws: BenchmarkDataError.self) { try TrainingData.corpus([text], pairing: ModelPairing()) }
        #expect(kind?.description == "\(text.path): is neither a directory nor a .csv or .jsonl battle file")
        let missing = directory.url.appendingPathComponent("absent.csv")
        let absent = #expect(throws: BenchmarkDataError.self) { try TrainingData.corpus([missing], pairing: ModelPairing()) }
        #expect(absent?.description == "\(missing.path): does not exist")
        let empty = directory.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let shape = #expect(throws: BenchmarkDataError.self) { try TrainingData.corpus([empty], pairing: ModelPairing()) }
        #expect(shape?.message.contains("question.jsonl") == true)
    }

    /// `turnout calibrate --prompts` reads every form the routers train on, first turns only.
    @Test func calibrationReadsPromptsFromEveryKindOfSource() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let paths = try sources(directory)
        #expect(try TrainingData.prompts(at: paths[0]) == ["What is 2 + 2?\nAnswer briefly.", "What is 3 + 3?"])
        #expect(try TrainingData.prompts(at: paths[1]) == ["Explain how vaccines work", "Write a limerick about cats", "Explain how vaccines work"])
        #expect(try TrainingData.prompts(at: paths[2]) == ["Plan a three-day trip to Rome", "Plan a three-day trip to Rome"])
        #expect(try TrainingData.prompts(at: paths[3]) == ["Describe the water cycle simply."])
        #expect(try TrainingData.prompts(at: paths[3].appendingPathComponent("question.jsonl")) == ["Describe the water cycle simply."])
        let log = try directory.writeLines("log.jsonl", [["prompt": ["First turn here", "second"]], ["prompt": "Plain prompt"]])
        #expect(try TrainingData.prompts(at: log) == ["First turn here", "Plain prompt"])
        let text = try directory.write("prompts.txt", "one\r\n\n  \ntwo\n")
        #expect(try TrainingData.prompts(at: text) == ["one", "two"])
    }

    @Test func calibrationPromptsNameWhatIsWrong() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bad = try directory.writeLines("bad.jsonl", [["prompt": "fine"], ["text": "no prompt here"]])
        do {
            _ = try TrainingData.prompts(at: bad)
            Issue.record("a line without a prompt must fail")
        } catch {
            #expect(error.description.contains("bad.jsonl") && error.description.contains("line 2"))
        }
        #expect(throws: BenchmarkDataError.self) { try TrainingData.prompts(at: directory.url.appendingPathComponent("missing.txt")) }
        #expect(throws: BenchmarkDataError.self) { try TrainingData.prompts(at: directory.url) }
    }
}

/// Decontamination guards every evaluation: prompts listed in `contaminated_prompts.jsonl`
/// (they also occur in router training data) never reach the benchmark.
@Suite struct DecontaminationTests {
    @Test func gsm8kAndMMLUDropListedPrompts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let header = "prompt,\(BenchmarkData.weakModel),\(BenchmarkData.strongModel)\n"
        try directory.write("gsm8k/gsm8k_responses.csv", header + "\"Seen in training,\nverbatim\",False,True\nFresh question,True,True\n")
        try directory.writeLines("gsm8k/contaminated_prompts.jsonl", [["eval_prompt": "Seen in training,\nverbatim", "train_prompt": "x"]])
        try directory.write("mmlu/responses/mmlu_algebra.csv", header + "Q1,True,True\nQ2,False,True\n")
        try directory.write("mmlu/responses/mmlu_biology.csv", header + "Q3,False,False\n")
        try directory.write("mmlu/contaminated_prompts.jsonl", "{\"eval_prompt\": \"Q3\"}\r\n\r\n{\"eval_prompt\": \"Q1\"}\r\n")

        let gsm8k = try BenchmarkData.gsm8k(directory: directory.url.appendingPathComponent("gsm8k"))
        #expect(gsm8k.items.map(\.prompt) == ["Fresh question"])
        #expect(try BenchmarkData.gsm8k(directory: directory.url.appendingPathComponent("gsm8k"), decontaminate: false).items.count == 2)
        // CRLF lines and a blank line in the list are read too.
        let mmlu = try BenchmarkData.mmlu(directory: directory.url.appendingPathComponent("mmlu"))
        #expect(mmlu.items.map(\.prompt) == ["Q2"])
    }

    @Test func aBadListLineIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("contaminated_prompts.jsonl", "{\"eval_prompt\": \"a\"}\n\n{\"prompt\": \"b\"}\n")
        let error = #expect(throws: BenchmarkDataError.self) { try BenchmarkData.contaminatedPrompts(file) }
        #expect(error?.description == "\(file.path): line 3 is not {\"eval_prompt\": ...}")
    }
}
