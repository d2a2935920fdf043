/// How much of a request's text is routed on.
///
/// The encoder reads a text's first 256 tokens and nothing after them, so routing on more than
/// that buys nothing, and a text over the embedder's 1 MiB frame could not be routed at all:
/// it took the default route, to the strong model, the most expensive way to answer the
/// biggest prompts. The dispatcher sends the embedder the text's first 16 KiB of UTF-8, cut at
/// a Unicode scalar. 256 tokens of ordinary text (prose, code, mathematics: 3 to 6 bytes a
/// token) are 1 to 2 KiB, so the cut changes what the encoder reads only for a text whose first
/// 256 tokens average more than 64 bytes (runs of whitespace, words longer than 64 letters,
/// which the tokenizer reads as one unknown token each).
public enum RoutedText {
    public static let maxBytes = 16 * 1024

    /// The text routed on, and whether it was cut.
    public static func cut(_ text: String) -> (text: String, truncated: Bool) {
        guard text.utf8.count > maxBytes else { return (text, false) }
        return (Redactor.cut(text, toBytes: maxBytes), true)
    }
}
