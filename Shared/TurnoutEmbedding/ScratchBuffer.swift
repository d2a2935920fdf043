extension UnsafeMutablePointer {
    /// Frees this scratch buffer and points it at a fresh one of `count` elements, filled with
    /// `value` when given: the encoder's buffers only ever grow, and keep nothing across.
    mutating func replace(count: Int, filledWith value: Pointee? = nil) {
        deallocate()
        self = .allocate(capacity: count)
        if let value { initialize(repeating: value, count: count) }
    }
}
