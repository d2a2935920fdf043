/// A query embedding as the int8 similarity kernels read it: normalised, then rounded to int16
/// as finely as the kernels' int32 sums allow (`128 * dimensions * limit < 2^31`), so the
/// similarities' rounding is the stored rows' own, not the query's.
struct QuantizedQuery {
    /// Component j of the unit query is about `codes[j] * scale`.
    let codes: [Int16]
    /// 0 for a zero vector, which then weighs every row alike.
    let scale: Float
    /// The embedding's length and largest absolute component, for passes that quantise it their own way.
    let norm: Float
    let largest: Float

    /// Nil for a non-finite embedding, which has no direction to compare.
    init?(_ embedding: [Float]) {
        norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm.isFinite else { return nil }
        largest = embedding.reduce(Float(0)) { max($0, abs($1)) }
        let limit = Float(min(32767, Int(Int32.max) / (128 * max(1, embedding.count))))
        var codes = [Int16](repeating: 0, count: embedding.count)
        var scale: Float = 0
        if norm > 0, largest > 0 {
            scale = largest / norm / limit
            let inverse = limit / largest
            for index in embedding.indices { codes[index] = Int16(max(-limit, min(limit, (embedding[index] * inverse).rounded()))) }
        }
        self.codes = codes
        self.scale = scale
    }
}
