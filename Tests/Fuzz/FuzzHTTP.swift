// libFuzzer entry point for the HTTP/1.1 request parser (Shared/TurnoutTransport/HTTP/HTTPRequestParser.swift).
// Built by scripts/fuzz.sh; never part of the package. A crash or sanitizer report is a bug.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Whole input at once, then split at a point the first byte chooses: both must agree.
    var whole = HTTPRequestParser(maxHeaderBytes: 1024, maxBodyBytes: 2048)
    whole.append(contentsOf: bytes)
    var first: [String] = []
    var firstError: HTTPParseError?
    do {
        while let request = try whole.nextRequest() { first.append("\(request.method) \(request.target) \(request.body.count)") }
    } catch {
        firstError = error
    }
    var split = HTTPRequestParser(maxHeaderBytes: 1024, maxBodyBytes: 2048)
    let cut = Int(bytes[0]) % (bytes.count + 1)
    var second: [String] = []
    var secondError: HTTPParseError?
    do {
        split.append(contentsOf: bytes[0..<cut])
        while let request = try split.nextRequest() { second.append("\(request.method) \(request.target) \(request.body.count)") }
        split.append(contentsOf: bytes[cut...])
        while let request = try split.nextRequest() { second.append("\(request.method) \(request.target) \(request.body.count)") }
    } catch {
        secondError = error
    }
    // Feeding bytes in two pieces must never yield different requests than feeding them at once.
    if firstError == nil, secondError == nil, first != second {
        fatalError("split input parsed differently: \(first) vs \(second)")
    }
    return 0
}
