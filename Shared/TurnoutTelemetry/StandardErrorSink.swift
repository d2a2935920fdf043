import Glibc

/// Writes whole lines to standard error with one `write(2)` each, so lines from threads never interleave.
public final class StandardErrorSink: LogSink {
    public static let shared = StandardErrorSink()

    public func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
