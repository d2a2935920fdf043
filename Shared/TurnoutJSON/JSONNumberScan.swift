/// One JSON number read in a single pass: its grammar checked and its digits accumulated
/// together. Embeddings arrive as hundreds of numbers per request; validating each number and
/// then reading its digits again had been a third of `Scorer/Score`'s CPU time.
struct JSONNumberScan {
    let range: Range<Int>
    let negative: Bool
    /// The first 18 significant digits; the rest only move `exponent`.
    let mantissa: UInt64
    /// The value is `mantissa * 10^exponent` (the exponent's digits saturate at 100,000).
    let exponent: Int

    /// The number starting at `start`, or nil when the bytes there are not one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> JSONNumberScan? {
        scan(bytes, from: start, accumulating: true)
    }

    /// Where the number starting at `start` ends, checking its grammar only (values skipped
    /// over, such as a request's body in its envelope, need no digits: a third of the work).
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        scan(bytes, from: start, accumulating: false)?.range.upperBound
    }

    @inline(__always)
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, accumulating: Bool) -> JSONNumberScan? {
        let end = bytes.count
        var index = start
        let negative = index < end && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < end, isDigit(bytes[index]) else { return nil }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < end, isDigit(bytes[index]) {
                if !accumulating {
                    // Grammar only.
                } else if significant < 18 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] &- 48)
                    significant += 1
                } else {
                    exponent += 1
                }
                index += 1
            }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else { return nil }
            // Eight digits at a time while the mantissa has room for them: an embedding's
            // components are mostly "0.", then 7 to 9 digits.
            while significant <= 10, let block = eightDigits(bytes, at: index) {
                if accumulating {
                    mantissa = mantissa &* 100_000_000 &+ block.value
                    significant = mantissa == 0 ? 0 : (significant == 0 ? 8 - block.leadingZeros : significant + 8)
                    exponent -= 8
                }
                index += 8
            }
            while index < end, isDigit(bytes[index]) {
                if accumulating, significant < 18 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] &- 48)
                    // Leading zeros of a fraction (0.000123) are not significant.
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                }
                index += 1
            }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < end, isDigit(bytes[index]) else { return nil }
            var written = 0
            while index < end, isDigit(bytes[index]) {
                written = min(written * 10 + Int(bytes[index] &- 48), 100_000)
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        return JSONNumberScan(range: start..<index, negative: negative, mantissa: mantissa, exponent: exponent)
    }

    /// The value, or nil outside the exponents where `mantissa * 10^exponent` in doubles is
    /// accurate enough for the floats it feeds (the caller then parses the text instead).
    var fastValue: Double? {
        guard exponent >= -300, exponent <= 300 else { return nil }
        var value = Double(mantissa)
        let magnitude = exponent.magnitude
        // Powers up to 10^22 are exact doubles, so the common case is one correctly rounded step.
        let power = magnitude < Self.exactPowers.count ? Self.exactPowers[Int(magnitude)] : Self.power(Int(magnitude))
        if exponent > 0 { value *= power } else if exponent < 0 { value /= power }
        return negative ? -value : value
    }

    private static let exactPowers: [Double] = (0...22).map { Self.power($0) }

    private static func power(_ exponent: Int) -> Double {
        var result = 1.0
        var base = 10.0
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result *= base }
            base *= base
            remaining >>= 1
        }
        return result
    }

    /// The eight bytes at `index` as a number when all are digits (SWAR: one load, a digit test
    /// on all eight lanes, and three multiplies that combine them in pairs, fours and eights).
    @inline(__always)
    private static func eightDigits(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt64, leadingZeros: Int)? {
        guard index + 8 <= bytes.count, let base = bytes.baseAddress else { return nil }
        // Little-endian: the first character is the lowest byte.
        let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
        // Every byte is 0x30...0x39: its high nibble is 3, and adding 6 does not carry out of it.
        guard word & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
              (word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 else { return nil }
        var digits = word &- 0x3030_3030_3030_3030
        let leadingZeros = digits == 0 ? 8 : digits.trailingZeroBitCount / 8
        digits = digits &* 10 &+ (digits >> 8)
        let pairs = digits & 0x0000_00FF_0000_00FF, quads = (digits >> 16) & 0x0000_00FF_0000_00FF
        let value = (pairs &* (100 &+ (1_000_000 << 32)) &+ quads &* (1 &+ (10_000 << 32))) >> 32
        return (value, leadingZeros)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}

extension JSONScanner {
    /// Reads any JSON number as a `Double`, exactly as `Double(String)` would.
    public mutating func readDouble() throws(JSONError) -> Double {
        skipWhitespace()
        let start = position
        try skipNumber()
        let range = start..<position
        let text = String(decoding: bytes[range], as: UTF8.self)
        guard let value = Double(text) else { throw JSONError(.invalidNumber, at: range.lowerBound) }
        return value
    }

    /// Reads an array of numbers as `Float`s without building strings: embeddings arrive as
    /// hundreds of numbers per request, and this is the hot path of `Scorer/Score`.
    public mutating func readFloatArray() throws(JSONError) -> [Float] {
        try expect(UInt8(ascii: "["))
        var values: [Float] = []
        values.reserveCapacity(512)
        if peek() == UInt8(ascii: "]") {
            position += 1
            return values
        }
        while true {
            let number = try scanNumber()
            if let value = number.fastValue {
                values.append(Float(value))
            } else {
                guard let value = Double(String(decoding: bytes[number.range], as: UTF8.self)) else {
                    throw JSONError(.invalidNumber, at: number.range.lowerBound)
                }
                values.append(Float(value))
            }
            skipWhitespace()
            guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return values }
            throw JSONError(.unexpectedByte(bytes[position], expected: UInt8(ascii: "]")), at: position)
        }
    }

    /// Reads the number after any whitespace.
    mutating func scanNumber() throws(JSONError) -> JSONNumberScan {
        skipWhitespace()
        let start = position
        let scanned = bytes.withUnsafeBufferPointer { JSONNumberScan.parse($0, from: start) }
        guard let scanned else { throw JSONError(.invalidNumber, at: start) }
        position = scanned.range.upperBound
        return scanned
    }

    /// Validates the number after any whitespace and moves past it.
    mutating func skipNumber() throws(JSONError) {
        skipWhitespace()
        let start = position
        guard let end = bytes.withUnsafeBufferPointer({ JSONNumberScan.validate($0, from: start) }) else {
            throw JSONError(.invalidNumber, at: start)
        }
        position = end
    }
}
