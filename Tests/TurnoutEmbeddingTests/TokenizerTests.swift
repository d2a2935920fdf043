import Testing
@testable import TurnoutEmbedding

@Suite("BertTokenizer")
struct TokenizerTests {
    private func tokenizer() throws -> BertTokenizer {
        let directory = try TestResources.modelDirectory()
        let vocabulary = try WordPieceVocabulary(contentsOf: directory.appendingPathComponent("vocab.txt").path)
        return BertTokenizer(vocabulary: vocabulary, maxLength: 256)
    }

    @Test("token ids and untruncated counts equal the reference for every sentence")
    func referenceTokenIDs() throws {
        let reference = try TestResources.decode(SentenceReference.self, from: "minilm_l6_v2_reference.json")
        #expect(reference.maxSeqLength == 256)
        #expect(reference.sentences.count == reference.tokenIDs.count)
        let tokenizer = try tokenizer()
        for (index, sentence) in reference.sentences.enumerated() {
            let encoding = tokenizer.encode(sentence)
            #expect(encoding.ids == reference.tokenIDs[index], "sentence \(index): \(sentence.debugDescription)")
            #expect(encoding.untruncatedCount == reference.untruncatedTokenCount[index], "sentence \(index)")
        }
    }

    @Test("ids of the small reference set match too")
    func smallReferenceIDs() throws {
        let reference = try TestResources.decode(SmallReference.self, from: "ref_embeddings.json")
        let tokenizer = try tokenizer()
        for (sentence, ids) in zip(reference.sentences, reference.inputIDs) {
            #expect(tokenizer.encode(sentence).ids == ids, "\(sentence.debugDescription)")
        }
    }
}
