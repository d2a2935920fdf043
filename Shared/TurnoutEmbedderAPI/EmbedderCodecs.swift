import TurnoutJSON
import TurnoutWire

// `Embedder/Embed`'s messages, written and read by hand as the same JSON as `Codable`'s: a
// 384-float vector through `JSONEncoder` and `JSONDecoder` costs more than the scoring that
// follows it, and every routed request pays for one.

extension EmbedderAPI.EmbedRequest: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + texts.reduce(0) { $0 + $1.utf8.count + 3 })
        JSONWriter.appendRaw("{\"texts\":[", to: &bytes)
        for (index, text) in texts.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(text, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        if let model {
            JSONWriter.appendRaw(",\"model\":", to: &bytes)
            JSONWriter.appendString(model, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> Self {
        let what = "Embedder/Embed request"
        var texts: [String]?
        var model: String?
        try WireCoding.scan(what, bytes) { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "texts":
                    var read: [String] = []
                    try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in read.append(try scanner.readString()) }
                    texts = read
                case "model": model = try scanner.consumeNull() ? nil : scanner.readString()
                default: try scanner.skipValue()
                }
            }
        }
        guard let texts else { throw WireCoding.missingField("texts", in: what) }
        return Self(texts: texts, model: model)
    }
}

extension EmbedderAPI.EmbedResponse: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + vectors.count * dims * 12)
        JSONWriter.appendRaw("{\"model\":", to: &bytes)
        JSONWriter.appendString(model, to: &bytes)
        JSONWriter.appendRaw(",\"dims\":", to: &bytes)
        JSONWriter.appendInteger(dims, to: &bytes)
        JSONWriter.appendRaw(",\"vectors\":[", to: &bytes)
        for (index, vector) in vectors.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendFloats(vector, to: &bytes)
        }
        JSONWriter.appendRaw("]}", to: &bytes)
        return bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> Self {
        let what = "Embedder/Embed response"
        var model: String?
        var dims: Int?
        var vectors: [[Float]]?
        try WireCoding.scan(what, bytes) { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "model": model = try scanner.readString()
                case "dims": dims = Int(clamping: try scanner.readUInt64())
                case "vectors":
                    var read: [[Float]] = []
                    try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in read.append(try scanner.readFloatArray()) }
                    vectors = read
                default: try scanner.skipValue()
                }
            }
        }
        guard let model else { throw WireCoding.missingField("model", in: what) }
        guard let dims else { throw WireCoding.missingField("dims", in: what) }
        guard let vectors else { throw WireCoding.missingField("vectors", in: what) }
        return Self(model: model, dims: dims, vectors: vectors)
    }
}
