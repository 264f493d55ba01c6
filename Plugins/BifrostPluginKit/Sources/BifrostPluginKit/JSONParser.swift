/// A small, strict RFC 8259 parser from bytes straight to ``JSONValue``: one pass, no Foundation
/// objects to bridge, errors with the byte offset.
public struct JSONParser {
    /// Why bytes are not JSON, and where.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        @usableFromInline init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Parses one JSON value filling all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 128) throws(Failure) -> JSONValue {
        do {
            return try JSONReader.read(bytes, maxDepth: maxDepth) { try $0.readValue() }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(offset: 0, reason: "\(error)")  // readValue throws only Failure
        }
    }
}
