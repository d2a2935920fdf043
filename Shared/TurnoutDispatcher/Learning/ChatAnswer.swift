import TurnoutJSON

/// The text of an answer: the first choice's message (a whole completion) or the deltas of
/// its stream, which is what a judge compares.
public enum ChatAnswer {
    /// `choices[0].message.content` of a chat completion's members; nil when there is none.
    public static func content(of members: JSONObjectMembers) -> String? {
        firstChoice(members, "message")
    }

    /// `choices[0].delta.content` of one streamed chunk's members; nil when it has none.
    public static func delta(of members: JSONObjectMembers) -> String? {
        firstChoice(members, "delta")
    }

    /// `choices[0].<field>.content`: the client is shown the first choice.
    private static func firstChoice(_ members: JSONObjectMembers, _ field: String) -> String? {
        guard let choices = members["choices"] else { return nil }
        var scanner = JSONScanner(bytes: Array(choices))
        var text: String?
        var index = 0
        do throws(JSONError) {
            try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in
                defer { index += 1 }
                guard index == 0 else {
                    try scanner.skipValue()
                    return
                }
                try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                    guard key == field else {
                        try scanner.skipValue()
                        return
                    }
                    text = try content(&scanner)
                }
            }
        } catch {
            return nil
        }
        return text
    }

    /// The `content` string of a message or delta object; nil for null or none.
    private static func content(_ scanner: inout JSONScanner) throws(JSONError) -> String? {
        var text: String?
        if try scanner.consumeNull() { return nil }
        try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
            if key == "content", try !scanner.consumeNull(), scanner.peek() == UInt8(ascii: "\"") {
                text = try scanner.readString()
            } else {
                try scanner.skipValue()
            }
        }
        return text
    }
}
