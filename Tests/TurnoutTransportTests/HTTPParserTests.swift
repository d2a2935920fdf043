import Testing
import TurnoutTransport

@Suite struct HTTPParserTests {
    private func parse(_ text: String, maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20) throws(HTTPParseError) -> [HTTPServerRequest] {
        var parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        parser.append(contentsOf: Array(text.utf8))
        var requests: [HTTPServerRequest] = []
        while let request = try parser.nextRequest() { requests.append(request) }
        return requests
    }

    @Test func parsesContentLengthChunkedAndPipelinedRequests() throws {
        let text = "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Key:  spaced value \r\n\r\nhello"
            + "POST /two HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
            + "GET /three HTTP/1.0\r\n\r\n"
        let requests = try parse(text)
        #expect(requests.count == 3)
        #expect(requests[0].method == "POST" && requests[0].path == "/v1/chat/completions")
        #expect(requests[0].body == Array("hello".utf8))
        #expect(requests[0].header("x-key") == "spaced value")
        #expect(requests[0].keepAlive)
        #expect(requests[1].body == Array("abcde".utf8))
        #expect(requests[2].minorVersion == 0 && !requests[2].keepAlive)
    }

    @Test func byteAtATimeGivesTheSameRequests() throws {
        let text = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        var parser = HTTPRequestParser()
        var requests: [HTTPServerRequest] = []
        for byte in Array(text.utf8) {
            parser.append(contentsOf: [byte])
            while let request = try parser.nextRequest() { requests.append(request) }
        }
        #expect(requests.map(\.target) == ["/a", "/b"])
        #expect(requests[0].body == Array("wxyz".utf8))
        #expect(!requests[1].keepAlive)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET /\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded: x\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413),
    ])
    func badRequestsMapToStatuses(text: String, status: Int) {
        do {
            _ = try parse(text)
            Issue.record("should be refused: \(text.debugDescription)")
        } catch {
            #expect(error.status == status, "\(error)")
        }
    }

    @Test func oversizeHeadersAreRefusedWithoutWaitingForTheEnd() {
        var parser = HTTPRequestParser(maxHeaderBytes: 1024)
        parser.append(contentsOf: Array(("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 2000)).utf8))
        #expect(throws: HTTPParseError.headersTooLarge(limit: 1024)) { try parser.nextRequest() }
    }

    @Test func chunkedBodiesAreLimitedToo() {
        let chunk = String(repeating: "z", count: 600)
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
        do {
            _ = try parse(text, maxBodyBytes: 1000)
            Issue.record("should be refused")
        } catch {
            #expect(error.status == 413)
        }
    }

    @Test func randomBytesNeverCrashTheParser() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var parser = HTTPRequestParser(maxHeaderBytes: 512, maxBodyBytes: 512)
            let seedText = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            var bytes = Array(seedText.utf8)
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            parser.append(contentsOf: bytes)
            _ = try? parser.nextRequest()
        }
    }
}
