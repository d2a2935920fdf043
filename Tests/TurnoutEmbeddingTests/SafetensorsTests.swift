import Foundation
import Testing
@testable import TurnoutEmbedding

/// Damaged and unusual safetensors files must give a specific `SafetensorsError`, never a crash.
@Suite("SafetensorsFile")
struct SafetensorsTests {
    /// A scratch directory removed when the test value goes away.
    final class Scratch {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(at: directory)
        }

        func write(_ bytes: [UInt8], name: String = "model.safetensors") throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
    }

    /// A file with `header` as its JSON and `data` after it; `declaredLength` overrides the prefix.
    static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        return withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + data
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    private func openError(_ bytes: [UInt8]) throws -> SafetensorsError.Kind? {
        let scratch = try Scratch()
        let path = try scratch.write(bytes)
        do {
            _ = try SafetensorsFile(path: path)
            return nil
        } catch {
            #expect(error.path == path)
            #expect(error.description.contains(path))
            #expect(error.description.contains("scripts/setup.sh"))
            return error.kind
        }
    }

    @Test("a valid file with metadata reads F32, F16 and BF16 tensors")
    func validFile() throws {
        let header = """
        {"__metadata__":{"format":"pt","anything":"goes"},\
        "a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},\
        "h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},\
        "b":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]},\
        "i":{"dtype":"I64","shape":[1],"data_offsets":[24,32]}}
        """
        // Pad the header to a multiple of 8 so F32 data is aligned, as real files are.
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        var data = Self.floatBytes([1, -2, 3.5, 0.25])
        data += [0x00, 0x3C, 0x00, 0xC0]  // F16 1.0, -2.0
        data += [0x80, 0x3F, 0x40, 0xC0]  // BF16 1.0, -3.0
        data += [UInt8](repeating: 7, count: 8)
        let scratch = try Scratch()
        let file = try SafetensorsFile(path: scratch.write(Self.file(header: padded, data: data)))
        #expect(file.tensorNames == ["a", "b", "h", "i"])
        #expect(try file.floats("a", shape: [2, 2]).elements == [1, -2, 3.5, 0.25])
        #expect(try file.floats("h").elements == [1, -2])
        #expect(try file.floats("b").elements == [1, -3])
        #expect(file.info("i")?.dtype == .i64)
    }

    @Test("an unaligned F32 tensor is copied, not misread")
    func unalignedTensor() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        let scratch = try Scratch()
        let file = try SafetensorsFile(path: scratch.write(Self.file(header: header, data: [0] + Self.floatBytes([1.5, -4]))))
        #expect(try file.floats("a").elements == [1.5, -4])
    }

    @Test("a missing file and a directory are reported, not crashed on")
    func missingAndDirectory() throws {
        let scratch = try Scratch()
        let missing = scratch.directory.appendingPathComponent("absent.safetensors").path
        #expect(throws: SafetensorsError(path: missing, kind: .fileNotFound)) { try SafetensorsFile(path: missing) }
        do {
            _ = try SafetensorsFile(path: scratch.directory.path)
            Issue.record("opening a directory succeeded")
        } catch {
            guard case .unreadable = error.kind else { throw error }
        }
    }

    @Test("files shorter than the length prefix are too small")
    func tooSmall() throws {
        #expect(try openError([]) == .tooSmall(fileSize: 0))
        #expect(try openError([1, 2, 3, 4, 5]) == .tooSmall(fileSize: 5))
    }

    @Test("a header length beyond the file, zero, or huge is out of range")
    func headerLengthOutOfRange() throws {
        let beyond = Self.file(header: "{}", declaredLength: 1000)
        #expect(try openError(beyond) == .headerLengthOutOfRange(headerLength: 1000, fileSize: beyond.count))
        let zero = Self.file(header: "{}", declaredLength: 0)
        #expect(try openError(zero) == .headerLengthOutOfRange(headerLength: 0, fileSize: zero.count))
        let huge = Self.file(header: "{}", declaredLength: .max)
        #expect(try openError(huge) == .headerLengthOutOfRange(headerLength: .max, fileSize: huge.count))
    }

    @Test("garbage, a JSON array, or malformed entries are invalid headers")
    func invalidHeaders() throws {
        for header in ["not json at all", "[1,2,3]", #"{"a":{"dtype":"F32","shape":[1]}}"#,
                       #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, #"{"a":"x"}"#] {
            guard case .invalidHeader = try openError(Self.file(header: header, data: [0, 0, 0, 0])) else {
                Issue.record("header \(header) was not rejected as invalid")
                continue
            }
        }
    }

    @Test("offsets out of bounds, inconsistent with the shape, or overlapping are rejected")
    func badOffsets() throws {
        let cases: [(String, [UInt8])] = [
            (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, [UInt8](repeating: 0, count: 8)),
            (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8)),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, [UInt8](repeating: 0, count: 8)),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [UInt8](repeating: 0, count: 8)),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, [UInt8](repeating: 0, count: 8)),
            (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, [UInt8](repeating: 0, count: 8)),
        ]
        for (header, data) in cases {
            guard case .invalidTensor(name: "a", _) = try openError(Self.file(header: header, data: data)) else {
                Issue.record("header \(header) was not rejected as an invalid tensor")
                continue
            }
        }
        let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(try openError(Self.file(header: overlapping, data: [UInt8](repeating: 0, count: 12))) == .overlappingTensors(first: "a", second: "b"))
    }

    @Test("unknown dtypes fail at open; non-float dtypes, missing tensors and wrong shapes fail on read")
    func dtypesAndShapes() throws {
        #expect(try openError(Self.file(header: #"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0])) == .unknownDType(name: "a", dtype: "Q4"))
        let scratch = try Scratch()
        let path = try scratch.write(Self.file(header: #"{"i":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 1, count: 8)))
        let file = try SafetensorsFile(path: path)
        #expect(throws: SafetensorsError(path: path, kind: .unsupportedDType(name: "i", dtype: "I32"))) { try file.floats("i") }
        #expect(throws: SafetensorsError(path: path, kind: .tensorNotFound(name: "w"))) { try file.floats("w") }
        let floatPath = try scratch.write(Self.file(header: #"{"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: Self.floatBytes([1, 2])), name: "f.safetensors")
        #expect(throws: SafetensorsError(path: floatPath, kind: .shapeMismatch(name: "f", expected: [1, 2], actual: [2]))) {
            try SafetensorsFile(path: floatPath).floats("f", shape: [1, 2])
        }
    }

    @Test("the real model cut short (an interrupted download) is rejected with a clear error")
    func truncatedRealModel() throws {
        let source = try TestResources.modelDirectory().appendingPathComponent("model.safetensors")
        let handle = try FileHandle(forReadingFrom: source)
        defer { try? handle.close() }
        let prefix = try #require(try handle.read(upToCount: 1 << 20))
        guard case .invalidTensor(_, let reason) = try openError(Array(prefix)) else {
            Issue.record("a 1 MiB prefix of the model was not rejected as truncated")
            return
        }
        #expect(reason.contains("past the"))
        #expect(try openError(Array(prefix.prefix(5000))) == .headerLengthOutOfRange(headerLength: 11408, fileSize: 5000))
    }
}
