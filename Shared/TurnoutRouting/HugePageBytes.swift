import Foundation

/// Read-only bytes in memory the kernel may back with 2 MiB pages.
///
/// The 4-bit similarity pass streams its whole array once per query (19 MB at 100,000 rows of
/// 384). Over 4 KiB pages that is about 4,700 pages, twice as many as Zen 3's second-level TLB
/// holds, so every query walks the page tables again; over 2 MiB pages it is ten. In a C
/// harness on this machine the pass took 10 to 25% less time in four runs of five.
/// `madvise(MADV_HUGEPAGE)` is advice: where transparent huge pages are off, this is an
/// ordinary aligned allocation and nothing else changes.
final class HugePageBytes: @unchecked Sendable {
    // @unchecked Sendable: the bytes are written in `init` only and read-only afterwards.
    private let base: UnsafeMutableRawPointer?
    let count: Int

    private static let hugePage = 2 << 20

    init(_ bytes: [UInt8]) {
        count = bytes.count
        guard !bytes.isEmpty else {
            base = nil
            return
        }
        // Whole huge pages, so the advice covers every byte.
        let length = (bytes.count + Self.hugePage - 1) / Self.hugePage * Self.hugePage
        var allocation: UnsafeMutableRawPointer?
        guard posix_memalign(&allocation, Self.hugePage, length) == 0, let allocation else {
            fatalError("out of memory allocating \(length) bytes for similarity rows")
        }
        // Before the first write, so the pages are faulted in huge.
        _ = madvise(allocation, length, Int32(MADV_HUGEPAGE))
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { allocation.copyMemory(from: start, byteCount: source.count) }
        }
        base = allocation
    }

    deinit { free(base) }

    /// The bytes, or nil when there are none.
    var pointer: UnsafePointer<UInt8>? { base.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } }
}
