import TurnoutWire

/// `Embedder/Embed` answers written and read without `Codable`.
///
/// A 384-float vector through `JSONEncoder` and `JSONDecoder` costs more than the scoring that
/// follows it; every routed request pays for one answer, so both ends take the fast path.
/// The JSON is the same as `Codable`'s, so clients of either kind interoperate.
extension EmbedderAPI.EmbedResponse {
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

    /// - Throws: `RPCError` INTERNAL naming what is malformed.
    public static func parse(_ body: [UInt8]) throws(RPCError) -> EmbedderAPI.EmbedResponse {
        var scanner = JSONScanner(bytes: body)
        var response = EmbedderAPI.EmbedResponse(model: "", dims: 0, vectors: [])
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "model": response.model = try scanner.readString()
                case "dims": response.dims = Int(clamping: try scanner.readUInt64())
                case "vectors": try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in response.vectors.append(try scanner.readFloatArray()) }
                default: try scanner.skipValue()
                }
            }
        } catch {
            throw RPCError(.internal, "malformed Embedder/Embed response: \(error)")
        }
        return response
    }
}
