import Testing
@testable import TurnoutEmbedding

/// Embeddings against float64 references computed from the same weights.
@Suite("MiniLM parity")
struct ParityTests {
    static let minimumCosine = 0.99999
    static let maximumDifference = 1e-4

    @Test("each reference sentence, alone and all in one batch, matches its reference vector")
    func referenceSentences() throws {
        let model = try TestResources.loadedModel()
        let reference = try TestResources.decode(SentenceReference.self, from: "minilm_l6_v2_reference.json")
        let singles = reference.sentences.map { model.encode([model.tokenize($0)])[0] }
        let batched = model.encode(reference.sentences.map(model.tokenize))
        #expect(batched.count == reference.sentences.count)
        for index in reference.sentences.indices {
            #expect(singles[index].count == 384)
            for (label, vector) in [("alone", singles[index]), ("batched", batched[index])] {
                let (cosine, difference) = compare(vector, reference.embeddings[index])
                #expect(cosine >= Self.minimumCosine, "sentence \(index) \(label): cosine \(cosine)")
                #expect(difference <= Self.maximumDifference, "sentence \(index) \(label): max |diff| \(difference)")
            }
            let drift = zip(singles[index], batched[index]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(drift <= 1e-5, "sentence \(index): batched differs from unbatched by \(drift)")
        }
    }

    @Test("ref_embeddings.json vectors match")
    func smallReference() throws {
        let model = try TestResources.loadedModel()
        let reference = try TestResources.decode(SmallReference.self, from: "ref_embeddings.json")
        let vectors = model.embed(reference.sentences)
        for (index, vector) in vectors.enumerated() {
            let (cosine, difference) = compare(vector, reference.embeddings[index])
            #expect(cosine >= Self.minimumCosine, "sentence \(index): cosine \(cosine)")
            #expect(difference <= Self.maximumDifference, "sentence \(index): max |diff| \(difference)")
        }
    }

    @Test("a text far over 256 tokens is truncated and matches ref_long.json")
    func longText() throws {
        let model = try TestResources.loadedModel()
        let reference = try TestResources.decode(LongReference.self, from: "ref_long.json")
        let encoding = model.tokenizer.encode(reference.text)
        #expect(encoding.ids.count == 256)
        #expect(encoding.isTruncated)
        let vector = try #require(model.embed([reference.text]).first)
        let (cosine, difference) = compare(vector, reference.embedding)
        #expect(cosine >= Self.minimumCosine, "cosine \(cosine)")
        #expect(difference <= Self.maximumDifference, "max |diff| \(difference)")
    }
}

/// The int8 encoder against the float64 references: it trades a little accuracy for speed,
/// within the bound docs/embedding.md states (and the routing figures there were measured at).
@Suite("MiniLM int8 parity")
struct QuantizedParityTests {
    static let minimumCosine = 0.999

    @Test("every reference text, alone and batched, keeps a cosine of at least 0.999 with its reference")
    func referenceTexts() throws {
        let model = try TestResources.loadedInt8Model()
        #expect(model.encoder.precision == .int8)
        let sentences = try TestResources.decode(SentenceReference.self, from: "minilm_l6_v2_reference.json")
        let small = try TestResources.decode(SmallReference.self, from: "ref_embeddings.json")
        let long = try TestResources.decode(LongReference.self, from: "ref_long.json")
        let texts = sentences.sentences + small.sentences + [long.text]
        let references = sentences.embeddings + small.embeddings + [long.embedding]
        let batched = model.embed(texts)
        var worst = 1.0
        for (index, text) in texts.enumerated() {
            let single = model.embed([text])[0]
            let (cosine, _) = compare(single, references[index])
            worst = min(worst, cosine)
            #expect(cosine >= Self.minimumCosine, "text \(index) \(text.prefix(60).debugDescription): cosine \(cosine)")
            let drift = zip(single, batched[index]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(drift <= 1e-5, "text \(index): batched differs from alone by \(drift)")
        }
        print("int8 parity: lowest cosine \(worst) over \(texts.count) reference texts")
    }
}

