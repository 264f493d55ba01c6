import BifrostTLS
import Foundation

/// SHA-256 over text and source trees, for the compile cache key.
struct SourceHasher {
    private let stream = SHA256Stream()

    /// Adds `text` followed by a NUL separator (so "ab"+"c" and "a"+"bc" differ).
    func add(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0)
        add(bytes)
    }

    func add(_ bytes: [UInt8]) {
        stream.update(bytes)
    }

    /// Adds every regular file under `directory` (path relative to it, then contents), in path
    /// order. Hidden entries (`.build`, `.git`, `.swiftpm`, …) are skipped: they are build output or
    /// metadata, not sources.
    func addTree(_ directory: String) throws {
        for path in try Self.files(under: directory) {
            add(path)
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(path)") else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: "\(directory)/\(path)"])
            }
            add(Array(data))
        }
    }

    /// The digest as lowercase hex; the hasher is spent afterwards.
    func finish() -> String {
        Digest.hex(stream.finish())
    }

    /// SHA-256 of `text`, hex.
    static func digest(_ text: String) -> String {
        let hasher = SourceHasher()
        hasher.add(text)
        return hasher.finish()
    }

    /// Regular files under `directory`, relative paths, sorted; hidden files and folders skipped.
    static func files(under directory: String) throws -> [String] {
        var result: [String] = []
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? directory : "\(directory)/\(relative)"
            for entry in try FileManager.default.contentsOfDirectory(atPath: absolute).sorted() where !entry.hasPrefix(".") {
                let path = relative.isEmpty ? entry : "\(relative)/\(entry)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: "\(directory)/\(path)", isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue { try walk(path) } else { result.append(path) }
            }
        }
        try walk("")
        return result
    }
}
