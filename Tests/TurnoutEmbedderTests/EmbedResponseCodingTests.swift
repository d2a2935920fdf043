import Foundation
import Testing
import TurnoutEmbedder
import TurnoutWire

@Suite struct EmbedResponseCodingTests {
    @Test func handWrittenJSONMatchesCodableBothWays() throws {
        let response = EmbedderAPI.EmbedResponse(model: "m \"quoted\"", dims: 3, vectors: [[0.1, -2.5e-8, 1], [Float.leastNonzeroMagnitude, 0.33333334, -0]])
        let decoded = try JSONDecoder().decode(EmbedderAPI.EmbedResponse.self, from: Data(response.encoded()))
        #expect(decoded.model == response.model && decoded.dims == 3)
        #expect(decoded.vectors == response.vectors, "floats survive exactly")
        let parsed = try EmbedderAPI.EmbedResponse.parse(Array(try JSONEncoder().encode(response)))
        #expect(parsed.vectors == response.vectors && parsed.model == response.model)
    }

    @Test func malformedAnswersAreInternalErrors() {
        for text in [#"{"vectors":[[1,"x"]]}"#, #"{"vectors":[1]}"#, "[]", #"{"model":"m""#] {
            do {
                _ = try EmbedderAPI.EmbedResponse.parse(Array(text.utf8))
                Issue.record("\(text) must be refused")
            } catch {
                #expect(error.code == .internal)
            }
        }
    }
}
