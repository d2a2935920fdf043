import TurnoutJSON

/// Token counts an upstream reported.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Reads a raw `usage` value; nil for `null` or anything unreadable.
    static func parse(_ raw: ArraySlice<UInt8>?) -> TokenUsage? {
        guard let raw, raw.first == UInt8(ascii: "{") else { return nil }
        var scanner = JSONScanner(bytes: Array(raw))
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        var found = false
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "prompt_tokens":
                    usage.promptTokens = Int(clamping: try scanner.readUInt64())
                    found = true
                case "completion_tokens":
                    usage.completionTokens = Int(clamping: try scanner.readUInt64())
                    found = true
                default:
                    try scanner.skipValue()
                }
            }
        } catch {
            return nil
        }
        return found ? usage : nil
    }
}
