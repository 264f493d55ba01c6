/// A shell-style pattern over `provider/model`: `*` matches any run of characters (slashes
/// included), `?` exactly one; everything else matches itself, case-sensitively.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    private let pattern: [UInt8]

    public init(_ pattern: String) {
        description = pattern
        self.pattern = Array(pattern.utf8)
    }

    /// True when the whole of `text` matches.
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Self.match(pattern, $0) }
    }

    /// Iterative wildcard matching with one backtrack point (linear in practice, no recursion).
    private static func match(_ pattern: [UInt8], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0, t = 0
        var star = -1, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
