#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the last reference goes.
///
/// Mapping instead of reading keeps start-up fast and memory low: the 47 MB word-embedding
/// table is used in place, and only the rows of tokens actually seen are ever paged in.
final class FileMapping: @unchecked Sendable {
    // @unchecked Sendable: the mapping is PROT_READ and is never written, moved or unmapped
    // while a reference exists (munmap runs only in deinit), so reads from any thread are safe.
    let base: UnsafeRawPointer
    let length: Int

    /// Maps the file at `path`, rejecting files shorter than `minimumLength` before mapping.
    init(path: String, minimumLength: Int) throws(SafetensorsError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw SafetensorsError(path: path, kind: code == ENOENT ? .fileNotFound : .unreadable(reason: Self.message(code)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafetensorsError(path: path, kind: .unreadable(reason: Self.message(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError(path: path, kind: .unreadable(reason: "not a regular file"))
        }
        let size = Int(status.st_size)
        guard size >= minimumLength else {
            throw SafetensorsError(path: path, kind: .tooSmall(fileSize: size))
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw SafetensorsError(path: path, kind: .unreadable(reason: "mmap: " + Self.message(errno)))
        }
        base = UnsafeRawPointer(address)
        length = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }

    private static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
