import Foundation
import Testing
import TurnoutStorage

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(SHA256.hex(SHA256.hash(input)) == expected)
    }

    @Test func millionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(SHA256.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() {
        let text = Array("Turnout routes each prompt to one of two models. ".utf8) + Array(repeating: 7, count: 130)
        var hasher = SHA256()
        hasher.update(text[0..<3])
        hasher.update(text[3..<64])
        hasher.update(text[64...])
        #expect(hasher.finalize() == SHA256.hash(text))
    }

    /// Whole blocks are hashed straight from the input and partial ones buffered: every split,
    /// and a collection without contiguous storage, must give the one-shot digest.
    @Test(arguments: [1, 7, 63, 64, 65, 200])
    func everySplitGivesTheSameDigest(chunk: Int) {
        let text = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = SHA256()
        for start in stride(from: 0, to: text.count, by: chunk) { hasher.update(text[start..<min(text.count, start + chunk)]) }
        let digest = hasher.finalize()
        #expect(digest == SHA256.hash(text))
        #expect(SHA256.hash(text.lazy.map { $0 }) == digest)
        // hashlib.sha256(bytes((i * 31 + 7) & 0xff for i in range(1000))).hexdigest()
        #expect(SHA256.hex(digest) == "5097e7d587352f5097062ae679f37bda5802d9f875aba14c8cb4d1a188ada179")
    }
}

@Suite struct SQLiteTests {
    func temporaryPath() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-sqlite-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("test.sqlite").path
    }

    @Test func walModeRoundTripAndTransactions() throws {
        let path = temporaryPath()
        let database = try SQLiteDatabase(path: path)
        let mode = try database.prepare("PRAGMA journal_mode")
        #expect(try mode.step())
        #expect(mode.string(at: 0) == "wal")
        mode.reset()
        try database.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB, n INTEGER, d REAL)")
        let insert = try database.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        try database.transaction { () throws(StorageError) in
            for i in 0..<10 {
                insert.bind("key\(i)", at: 1)
                insert.bind(blob: [UInt8(i), 0, 255], at: 2)
                insert.bind(Int64(i * 1000), at: 3)
                insert.bind(Double(i) / 4, at: 4)
                try insert.run()
            }
        }
        #expect(throws: StorageError.self) {
            try database.transaction { () throws(StorageError) in
                insert.bind("key-rolled-back", at: 1)
                try insert.run()
                throw StorageError(code: 1, message: "boom", path: path)
            }
        }
        let query = try database.prepare("SELECT k, v, n, d FROM t ORDER BY n")
        var rows: [(String?, [UInt8], Int64, Double)] = []
        while try query.step() {
            rows.append((query.string(at: 0), query.blob(at: 1), query.int64(at: 2), query.double(at: 3)))
        }
        #expect(rows.count == 10)
        #expect(rows[3].0 == "key3")
        #expect(rows[3].1 == [3, 0, 255])
        #expect(rows[9].2 == 9000)
        #expect(rows[2].3 == 0.5)
        #expect(database.quickCheck() == nil)
    }

    @Test func constraintViolationsCarryContext() throws {
        let database = try SQLiteDatabase(path: temporaryPath())
        try database.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try database.execute("INSERT INTO t VALUES ('a')")
        do {
            try database.execute("INSERT INTO t VALUES ('a')")
            Issue.record("duplicate insert should fail")
        } catch {
            #expect(error.message.contains("UNIQUE"))
            #expect(error.sql?.contains("INSERT") == true)
            #expect(!error.isCorruption)
        }
        #expect(throws: StorageError.self) { try database.prepare("SELEC nonsense") }
    }

    @Test func aDamagedFileIsMovedAsideAndRecreated() throws {
        let path = temporaryPath()
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        var recovered: [String] = []
        let database = try SQLiteDatabase.openRecovering(path: path) { recovered.append($0) }
        #expect(recovered.count == 1)
        #expect(recovered.first?.contains("moved the damaged file") == true)
        try database.execute("CREATE TABLE ok (x INTEGER)")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains { $0.hasPrefix("test.sqlite.corrupt-") })
    }

    @Test func aSoundFileIsKept() throws {
        let path = temporaryPath()
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (42)")
        }
        var recovered: [String] = []
        let reopened = try SQLiteDatabase.openRecovering(path: path) { recovered.append($0) }
        #expect(recovered.isEmpty)
        let query = try reopened.prepare("SELECT x FROM kept")
        #expect(try query.step())
        #expect(query.int64(at: 0) == 42)
    }
}
