/// The element types the safetensors format defines.
///
/// All are known so that every tensor's byte size can be checked when the file is opened
/// (the MiniLM file carries an I64 `position_ids` buffer next to its F32 weights); only the
/// floating-point ones can be read as `Float`.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }

    /// Whether `SafetensorsFile.floats` can read this dtype: F32 as is, F16 and BF16 widened exactly.
    public var isReadableAsFloat: Bool {
        self == .f32 || self == .f16 || self == .bf16
    }
}
