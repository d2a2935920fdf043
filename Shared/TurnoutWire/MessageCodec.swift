/// How one message type becomes a JSON body and back: the serializer and deserializer pair
/// that grpc-swift attaches to each method.
///
/// Most messages use `json`, the `Codable` form. A message on the routed hot path (hundreds
/// of floats per call) gets a hand-written codec beside its type instead, which writes and
/// reads the same JSON as its `Codable` twin, so peers of either kind interoperate.
public struct MessageCodec<Message: Sendable>: Sendable {
    /// Writes one JSON value. Throws INTERNAL: a message we cannot encode is our fault.
    public let encode: @Sendable (Message) throws(RPCError) -> [UInt8]
    /// Reads one JSON value. Throws INVALID_ARGUMENT naming the field: the server answers it
    /// as is, and a client turns it into INTERNAL ("malformed response").
    public let decode: @Sendable ([UInt8]) throws(RPCError) -> Message

    public init(encode: @escaping @Sendable (Message) throws(RPCError) -> [UInt8],
                decode: @escaping @Sendable ([UInt8]) throws(RPCError) -> Message) {
        self.encode = encode
        self.decode = decode
    }
}

extension MessageCodec where Message: Codable {
    /// `JSONEncoder` and `JSONDecoder`, with errors that name the field.
    public static var json: MessageCodec<Message> {
        MessageCodec(encode: { (message: Message) throws(RPCError) in try WireCoding.encode(message) },
                     decode: { (bytes: [UInt8]) throws(RPCError) in try WireCoding.decode(Message.self, from: bytes) })
    }
}

extension MessageCodec where Message == [UInt8] {
    /// The body as it came: for methods that pass JSON through untouched (`Echo/Echo`). The
    /// envelope parser has already checked that it is one JSON value.
    public static var rawJSON: MessageCodec<[UInt8]> {
        MessageCodec(encode: { (bytes: [UInt8]) throws(RPCError) in bytes }, decode: { (bytes: [UInt8]) throws(RPCError) in bytes })
    }
}

/// A message that writes and reads its own JSON, by hand, for a hot path. Its JSON must be
/// exactly its `Codable` twin's, which the codec tests check field by field.
public protocol HandCodedMessage: Sendable {
    /// - Throws: INTERNAL when the message cannot be written.
    func encoded() throws(RPCError) -> [UInt8]
    /// - Throws: INVALID_ARGUMENT naming the field that is malformed or missing.
    static func decoded(from bytes: [UInt8]) throws(RPCError) -> Self
}

extension MessageCodec where Message: HandCodedMessage {
    /// The message's own `encoded()` and `decoded(from:)`.
    public static var handCoded: MessageCodec<Message> {
        MessageCodec(encode: { (message: Message) throws(RPCError) in try message.encoded() },
                     decode: { (bytes: [UInt8]) throws(RPCError) in try Message.decoded(from: bytes) })
    }
}
