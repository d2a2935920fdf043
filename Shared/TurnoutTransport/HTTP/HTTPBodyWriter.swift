/// Writes a streamed response body. Safe from any task; writes after the client left are dropped.
public final class HTTPBodyWriter: Sendable {
    private let connection: HTTPServerConnection
    private let chunked: Bool

    init(connection: HTTPServerConnection, chunked: Bool) {
        self.connection = connection
        self.chunked = chunked
    }

    /// False once the client has gone; producers should stop (and cancel upstream work).
    public var isOpen: Bool { !connection.isClosing }

    /// Sends `bytes` now. Returns false if the client has gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return isOpen }
        guard isOpen else { return false }
        if chunked {
            var framed = Array(String(bytes.count, radix: 16).utf8)
            framed.append(contentsOf: [0x0D, 0x0A])
            framed.append(contentsOf: bytes)
            framed.append(contentsOf: [0x0D, 0x0A])
            connection.send(framed)
        } else {
            connection.send(bytes)
        }
        return isOpen
    }

    @discardableResult
    public func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Ends the response as broken: the connection closes at once, without the last chunk,
    /// so the client sees a truncated transfer, never a short success. For a producer that
    /// fails after the head has gone; writes after it are dropped.
    public func abort() {
        connection.close(.protocolViolation("the response body could not be completed"))
    }
}
