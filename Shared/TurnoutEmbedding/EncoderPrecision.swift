import CTurnoutKernels

/// The arithmetic the encoder's linear projections run in.
///
/// The projections are nearly all of a forward pass's work. `int8` quantizes each weight
/// column and each token's activations to 8 bits and multiplies them with AVX-512 VNNI's byte
/// dot products, four times the multiply-adds per instruction of fp32; the attention scores,
/// LayerNorm, GELU and pooling stay in fp32. Its vectors keep a cosine of at least 0.999
/// with the references (0.99936 at worst on the 26 reference texts; see docs/embedding.md),
/// so `float32` stays the reference the parity tests pin, and selectable.
public enum EncoderPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = "fp32"
    case int8

    /// The fastest precision this CPU runs natively: int8 with AVX-512 VNNI, fp32 otherwise
    /// (without VNNI, int8 would fall back to a portable loop slower than OpenBLAS's fp32).
    public static var fastest: EncoderPrecision {
        turnout_qgemm_vnni_available() == 1 ? .int8 : .float32
    }

    /// `auto`, `fp32` or `int8` as a configuration value; `auto` is `fastest`.
    public init?(option: String) {
        if option == "auto" {
            self = .fastest
        } else {
            self.init(rawValue: option)
        }
    }

    /// The kernels behind this precision on this CPU, as benchmarks and logs report it:
    /// `fp32-openblas`, `int8-avx512vnni` or `int8-portable`.
    public var kernel: String {
        switch self {
        case .float32: "fp32-openblas"
        case .int8: turnout_qgemm_vnni_available() == 1 ? "int8-avx512vnni" : "int8-portable"
        }
    }

    /// The precision as cache namespaces name it, with the version of its arithmetic: bumped
    /// whenever the int8 path's numbers change (2: the [CLS] and [SEP] rows by remainders
    /// instead of bf16 weights; 3: those terms only where they pay), so an upgraded embedder never
    /// serves what the old one cached.
    public var cacheTag: String {
        switch self {
        case .float32: rawValue
        case .int8: "int8.3"
        }
    }

    public var description: String { rawValue }
}
