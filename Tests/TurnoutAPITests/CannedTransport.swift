import Synchronization
import TurnoutWire

/// A transport that answers every call with one fixed body and remembers what was sent:
/// enough to test a typed client's codecs without a server.
final class CannedTransport: ClientTransport {
    private let answer: [UInt8]
    private let sent = Mutex<[UInt8]>([])

    init(answer: String) {
        self.answer = Array(answer.utf8)
    }

    var lastBody: String {
        String(decoding: sent.withLock { $0 }, as: UTF8.self)
    }

    func unary(_ method: MethodDescriptor, body: [UInt8], metadata: [String: String], deadline: Deadline?) async throws(RPCError) -> [UInt8] {
        sent.withLock { $0 = body }
        return answer
    }
}
