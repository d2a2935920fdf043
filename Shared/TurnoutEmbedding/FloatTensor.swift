/// A tensor's values as 32-bit floats, read-only, with whatever keeps that memory alive.
///
/// F32 tensors at an aligned offset are views straight into the mapped file (no copy);
/// F16/BF16 tensors, or F32 ones at an odd offset, are widened or copied into private storage.
/// Either way the memory stays valid for as long as this value (or a copy of it) exists, which
/// is why the raw pointer is only lent out inside `withUnsafeValues`.
public struct FloatTensor: @unchecked Sendable {
    // @unchecked Sendable: `base` points at memory nobody writes after construction (a
    // PROT_READ mapping or a private buffer filled before init returns), and `owner` keeps it alive.
    public let name: String
    public let shape: [Int]
    /// First element; never nil, even for an empty tensor. Valid only while this value is alive.
    let base: UnsafePointer<Float>
    /// Number of elements (the product of `shape`).
    public let count: Int
    private let owner: AnyObject

    init(name: String, shape: [Int], base: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.name = name
        self.shape = shape
        self.base = base
        self.count = count
        self.owner = owner
    }

    /// Lends the values to `body`; the buffer must not escape it.
    public func withUnsafeValues<Result, Failure: Error>(_ body: (UnsafeBufferPointer<Float>) throws(Failure) -> Result) throws(Failure) -> Result {
        defer { withExtendedLifetime(owner) {} }
        return try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// A copy of the values.
    public var elements: [Float] {
        withUnsafeValues { Array($0) }
    }

    /// A tensor in new private storage, filled once by `fill` before anyone can read it.
    static func filled(name: String, shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> FloatTensor {
        let count = shape.reduce(1, *)
        let storage = FloatStorage(count: count)
        fill(UnsafeMutableBufferPointer(start: storage.base, count: count))
        return FloatTensor(name: name, shape: shape, base: UnsafePointer(storage.base), count: count, owner: storage)
    }

    /// Widens (F16, BF16) or copies (F32 at an unaligned offset) little-endian values at `source`.
    static func converting(name: String, shape: [Int], dtype: SafetensorsDType, source: UnsafeRawPointer) -> FloatTensor {
        filled(name: name, shape: shape) { output in
            switch dtype {
            case .f16:
                for index in output.indices {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    output[index] = Float(Float16(bitPattern: bits))
                }
            case .bf16:
                for index in output.indices {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    output[index] = Float(bitPattern: UInt32(bits) << 16)
                }
            default:
                for index in output.indices {
                    let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                    output[index] = Float(bitPattern: bits)
                }
            }
        }
    }
}

/// Heap storage for a built or converted tensor, freed with its last reference.
private final class FloatStorage {
    let base: UnsafeMutablePointer<Float>

    init(count: Int) {
        base = .allocate(capacity: max(count, 1))
    }

    deinit {
        base.deallocate()
    }
}
