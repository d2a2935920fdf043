/// How BERT's BasicTokenizer treats each Unicode scalar, as HuggingFace's `_is_control`,
/// `_is_whitespace`, `_is_chinese_char` and `_is_punctuation` define it.
///
/// ASCII is decided by table-free comparisons so the common case never touches Unicode
/// property tables; everything else goes through `Unicode.Scalar.Properties`.
enum BertCharacterClass: Equatable {
    /// Dropped by `_clean_text`: U+0000, U+FFFD and every "C*" category except tab, LF and CR.
    case removed
    /// Separates words: tab, LF, CR, space and "Zs"; also "Zl"/"Zp", which Python's
    /// `str.split()` splits on when HuggingFace tokenizes on whitespace.
    case whitespace
    /// A CJK ideograph: always a word of its own.
    case ideograph
    /// Part of a word (punctuation is split off later, after accents are stripped).
    case wordCharacter

    init(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 0x80 {
            switch value {
            case 0x09, 0x0A, 0x0D, 0x20: self = .whitespace
            case 0x00..<0x20, 0x7F: self = .removed
            default: self = .wordCharacter
            }
            return
        }
        if value == 0xFFFD {
            self = .removed
            return
        }
        if Self.isIdeograph(value) {
            self = .ideograph
            return
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned:
            self = .removed
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            self = .whitespace
        default:
            self = .wordCharacter
        }
    }

    /// The CJK Unified Ideograph blocks HuggingFace's `_is_chinese_char` lists (not Hangul or kana).
    static func isIdeograph(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII symbols 33-47, 58-64, 91-96 and 123-126 (so `$`, `+`, `^` split too), plus every "P*" category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
