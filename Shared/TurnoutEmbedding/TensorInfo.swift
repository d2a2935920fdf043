/// Where one tensor lives in a safetensors file, as its header declares it (already validated).
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range relative to the start of the data region (just after the header).
    public let byteRange: Range<Int>

    /// Number of elements (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
}
