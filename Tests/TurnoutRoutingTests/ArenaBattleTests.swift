import Foundation
import Testing
import TurnoutRouting

@Suite struct CSVMultiLineTests {
    /// Arena rows quote whole multi-paragraph responses: line breaks (LF and CRLF), commas and
    /// doubled quotes inside several fields of one row.
    @Test func multiLineFieldsStayInTheirRowAndRowsKnowTheirLine() throws {
        let text = "id,response_a,response_b\n"
            + "1,\"First paragraph.\n\nSecond, with \"\"quotes\"\".\",\"one\r\ntwo\r\nthree\"\n"
            + "2,plain,\"x\ny\"\n"
        var cursor = CSVReader.Cursor(text)
        #expect(try cursor.next()?.line == 1)
        let first = try #require(try cursor.next())
        #expect(first.line == 2)
        #expect(first.fields == ["1", "First paragraph.\n\nSecond, with \"quotes\".", "one\r\ntwo\r\nthree"])
        let second = try #require(try cursor.next())
        // Row 1 spans lines 2-6, so row 2 starts on line 7.
        #expect(second.line == 7)
        #expect(second.fields == ["2", "plain", "x\ny"])
        #expect(try cursor.next() == nil)
    }

    @Test func errorsNameTheLineTheRowStartsOn() {
        let wide = #expect(throws: CSVReader.Failure.self) { try CSVReader.records("a,b\n\"1\n2\",3\n4,5,6\n") }
        #expect(wide?.line == 4)
        let open = #expect(throws: CSVReader.Failure.self) { try CSVReader.rows("a,b\n1,2\n3,\"never closed\n\n") }
        #expect(open?.line == 3)
    }

    @Test func aRepeatedHeaderNameDoesNotTrap() throws {
        let records = try CSVReader.records("a,a\n1,2\n")
        #expect(records == [["a": "1"]])
    }
}

@Suite struct ArenaCSVTests {
    static let header = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"

    @Test func readsVotesFirstTurnsAndDropsShortPrompts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("arena.csv", Self.header
            + "1,gpt-4-1106-preview,mixtral-8x7b-instruct-v0.1,\"[\"\"What is the capital of France, and why?\"\", \"\"And Spain?\"\"]\",\"Paris.\n\nBecause, history.\",\"Paris\",1,0,0\n"
            + "2,mixtral-8x7b-instruct-v0.1,gpt-4-1106-preview,\"[\"\"Write a haiku about the sea\"\"]\",\"Waves\nfall\",\"Blue\",0,1,0\n"
            + "3,claude-2.1,llama-2-70b-chat,\"[\"\"hi\"\"]\",a,b,0,0,1\n"
            + "4,claude-2.1,gpt-4-1106-preview,\"[null, \"\"second turn only\"\"]\",a,b,0,0,1\n"
            + "5,claude-2.1,llama-2-70b-chat,\"[\"\"Explain quicksort in two lines\"\"]\",a,b,0,0,1\n")
        let source = try ArenaBattles.csv(file)
        #expect(source.shortPromptsDropped == 2, "\"hi\" and a null first turn")
        #expect(source.battles == [
            Battle(prompt: "What is the capital of France, and why?", modelA: "gpt-4-1106-preview", modelB: "mixtral-8x7b-instruct-v0.1", winner: .modelA),
            Battle(prompt: "Write a haiku about the sea", modelA: "mixtral-8x7b-instruct-v0.1", modelB: "gpt-4-1106-preview", winner: .modelB),
            Battle(prompt: "Explain quicksort in two lines", modelA: "claude-2.1", modelB: "llama-2-70b-chat", winner: .tie),
        ])
    }

    @Test func aMissingColumnIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("arena.csv", "id,model_a,model_b,prompt,winner_model_a,winner_model_b\n1,a,b,\"[\"\"long enough prompt here\"\"]\",1,0\n")
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.csv(file) }
        #expect(error?.path == file.path)
        #expect(error?.message.contains("line 1: missing column winner_tie") == true)
    }

    @Test func votesMustHoldExactlyOneOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("arena.csv", Self.header
            + "1,a,b,\"[\"\"a prompt that is long enough\"\"]\",\"two\nlines\",x,1,0,0\n"
            + "2,a,b,\"[\"\"another prompt long enough\"\"]\",x,y,1,1,0\n")
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.csv(file) }
        // The first row spans lines 2-3, so the bad row starts on line 4.
        #expect(error?.description == "\(file.path): line 4: winner_model_a, winner_model_b and winner_tie must be 0 or 1 with exactly one 1")
    }

    @Test func aBrokenPromptListIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("arena.csv", Self.header + "1,a,b,\"[\"\"never closed\",x,y,1,0,0\n")
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.csv(file) }
        #expect(error?.message.hasPrefix("line 2: prompt is neither a JSON list") == true)
    }

    @Test func aRowOfTheWrongWidthIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("arena.csv", Self.header + "1,a,b,\"[\"\"long enough prompt here\"\"]\",x,1,0,0\n")
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.csv(file) }
        #expect(error?.message == "line 2: row has 8 fields, the header 9")
    }
}

@Suite struct BattleJSONLTests {
    @Test func readsEveryWinnerAndListPrompts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("battles.jsonl", """
            {"prompt": "Summarise the French revolution", "model_a": "s", "model_b": "w", "winner": "model_a"}

            {"prompt": ["Prove that sqrt(2) is irrational", "Now for sqrt(3)"], "model_a": "w", "model_b": "s", "winner": "model_b"}\r
            {"prompt": "short", "model_a": "s", "model_b": "w", "winner": "tie"}
            {"prompt": "Name three prime numbers over 100", "model_a": "s", "model_b": "w", "winner": "tie"}
            {"prompt": "Tell me a joke about databases", "model_a": "s", "model_b": "w", "winner": "tie (bothbad)"}

            """)
        let source = try ArenaBattles.jsonl(file)
        #expect(source.shortPromptsDropped == 1)
        #expect(source.battles.map(\.winner) == [.modelA, .modelB, .tie, .tieBothBad])
        #expect(source.battles[1].prompt == "Prove that sqrt(2) is irrational")
        #expect(source.battles[1].modelA == "w")
    }

    @Test func aBadJSONLineIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("battles.jsonl", """
            {"prompt": "Summarise the French revolution", "model_a": "s", "model_b": "w", "winner": "model_a"}
            {"prompt": "Summarise the French revolution", "model_a": "s",

            """)
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.jsonl(file) }
        #expect(error?.description == "\(file.path): line 2 is not a JSON object")
    }

    @Test func anUnknownWinnerIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("battles.jsonl", """
            {"prompt": "Summarise the French revolution", "model_a": "s", "model_b": "w", "winner": "model_c"}
            """)
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.jsonl(file) }
        #expect(error?.message.hasPrefix("line 1: unknown winner \"model_c\" (expected one of \"model_a\", \"model_b\", \"tie\", \"tie (bothbad)\")") == true)
    }

    @Test func aMissingModelIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("battles.jsonl", """
            {"prompt": "Summarise the French revolution", "model_a": "s", "winner": "model_a"}
            """)
        let error = #expect(throws: BenchmarkDataError.self) { try ArenaBattles.jsonl(file) }
        #expect(error?.message == "line 1: \"model_a\" and \"model_b\" must name models")
    }
}
