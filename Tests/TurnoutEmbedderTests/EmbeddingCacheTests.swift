import Foundation
import Testing
import TurnoutEmbedder
import TurnoutTelemetry
import TurnoutTestSupport

@Suite struct EmbeddingCacheTests {
    let logger = Logger(service: "test", sink: MemoryLogSink())

    func path() -> String {
        TestPaths.temporaryDirectory("cache").appendingPathComponent("embeddings.sqlite").path
    }

    @Test func hitsSurviveARestart() throws {
        let file = path()
        do {
            let cache = try EmbeddingCache(path: file, maxEntries: 100, logger: logger)
            cache.store(model: "m", entries: [(EmbeddingCache.key(for: "hello"), [0.6, 0.8])])
            #expect(cache.statistics.entries == 1)
        }
        let reopened = try EmbeddingCache(path: file, maxEntries: 100, logger: logger)
        let found = reopened.vectors(model: "m", keys: [EmbeddingCache.key(for: "hello"), EmbeddingCache.key(for: "other")])
        #expect(found[0] == [0.6, 0.8])
        #expect(found[1] == nil)
        // Another model's vectors are separate.
        #expect(reopened.vectors(model: "other-model", keys: [EmbeddingCache.key(for: "hello")]) == [nil])
        let statistics = reopened.statistics
        #expect(statistics.hits == 1)
        #expect(statistics.misses == 2)
    }

    @Test func leastRecentlyUsedEntriesAreEvicted() throws {
        let cache = try EmbeddingCache(path: path(), maxEntries: 10, logger: logger)
        for index in 0..<10 {
            cache.store(model: "m", entries: [(EmbeddingCache.key(for: "t\(index)"), [Float(index)])])
        }
        // Touch t0 so it becomes the most recently used.
        #expect(cache.vectors(model: "m", keys: [EmbeddingCache.key(for: "t0")]) == [[0]])
        cache.store(model: "m", entries: [(EmbeddingCache.key(for: "t10"), [10])])
        let statistics = cache.statistics
        #expect(statistics.entries <= 10)
        #expect(statistics.evictions >= 1)
        let survivors = cache.vectors(model: "m", keys: [EmbeddingCache.key(for: "t0"), EmbeddingCache.key(for: "t1"), EmbeddingCache.key(for: "t10")])
        #expect(survivors[0] == [0])
        #expect(survivors[1] == nil)
        #expect(survivors[2] == [10])
    }

    /// A store is served at once, before the writer has written it; storing a key again
    /// replaces its vector and still counts one entry, in memory and in the file.
    @Test func aStoredVectorIsServedAtOnceAndAReplacementCountsOnce() throws {
        let file = path()
        let key = EmbeddingCache.key(for: "again")
        do {
            let cache = try EmbeddingCache(path: file, maxEntries: 100, logger: logger)
            cache.store(model: "m", entries: [(key, [1, 0])])
            cache.store(model: "m", entries: [(key, [0, 1])])
            #expect(cache.vectors(model: "m", keys: [key]) == [[0, 1]])
            cache.flush()
            #expect(cache.vectors(model: "m", keys: [key]) == [[0, 1]])
            #expect(cache.statistics.entries == 1)
            #expect(cache.statistics.hits == 2)
        }
        let reopened = try EmbeddingCache(path: file, maxEntries: 100, logger: logger)
        #expect(reopened.statistics.entries == 1)
        #expect(reopened.vectors(model: "m", keys: [key]) == [[0, 1]])
    }

    @Test func aCorruptFileIsMovedAsideAndTheCacheKeepsWorking() throws {
        let file = path()
        try Data(repeating: 0x42, count: 16384).write(to: URL(fileURLWithPath: file))
        let sink = MemoryLogSink()
        let cache = try EmbeddingCache(path: file, maxEntries: 10, logger: Logger(service: "test", sink: sink))
        #expect(sink.recorded.contains { $0.contains("embedding cache was damaged") })
        cache.store(model: "m", entries: [(EmbeddingCache.key(for: "x"), [1])])
        #expect(cache.vectors(model: "m", keys: [EmbeddingCache.key(for: "x")]) == [[1]])
    }
}
