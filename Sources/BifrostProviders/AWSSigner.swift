import BifrostTLS
import Glibc

/// AWS Signature Version 4, header form, as the AWS SDKs sign a request: the canonical request
/// (method, doubly URI-encoded path, sorted query, sorted lowercase headers, payload SHA-256), the
/// string to sign for `date/region/service/aws4_request`, and the `Authorization` header made with
/// the derived signing key. HMAC and SHA-256 come from libcrypto (``Digest``).
struct AWSSigner: Sendable {
    struct Credentials: Sendable {
        var accessKeyID: String
        var secretAccessKey: String
        /// For temporary credentials (`x-amz-security-token`).
        var sessionToken: String?
    }

    let credentials: Credentials
    let region: String
    let service: String

    /// The headers to add to a request: `X-Amz-Date`, `X-Amz-Security-Token` (with temporary
    /// credentials) and `Authorization`. `path` is the path as sent (already URI-encoded once);
    /// `headers` are the request's own headers that should be signed (e.g. `Content-Type`).
    func sign(method: String, host: String, path: String, query: String = "", headers: [(name: String, value: String)],
              body: [UInt8], at time: Int) -> [(name: String, value: String)] {
        let (amzDate, day) = Self.timestamps(time)
        var signed: [(name: String, value: String)] = headers.map { ($0.name.lowercased(), Self.trim($0.value)) }
        signed.append(("host", host))
        signed.append(("x-amz-date", amzDate))
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        signed.sort { $0.name < $1.name }
        let signedHeaders = signed.map(\.name).joined(separator: ";")
        let canonical = [
            method,
            Self.canonicalPath(path),
            Self.canonicalQuery(query),
            signed.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            Digest.hex(Digest.sha256(body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Digest.hex(Digest.sha256(Array(canonical.utf8)))].joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] { key = Digest.hmacSHA256(key: key, Array(part.utf8)) }
        let signature = Digest.hex(Digest.hmacSHA256(key: key, Array(stringToSign.utf8)))
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                          + "SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return added
    }

    /// `YYYYMMDDTHHMMSSZ` and `YYYYMMDD` (UTC) for seconds since 1970.
    static func timestamps(_ time: Int) -> (amzDate: String, day: String) {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let day = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return ("\(day)T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z", day)
    }

    /// Each segment of the path as sent, URI-encoded again (all services but S3 sign it twice).
    static func canonicalPath(_ path: String) -> String {
        path.isEmpty ? "/" : path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(String($0)) }.joined(separator: "/")
    }

    /// Query parameters sorted by name, names and values URI-encoded.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]) : ""
            pairs.append((uriEncode(removingPercentEncoding(String(parts[0]))), uriEncode(removingPercentEncoding(value))))
        }
        pairs.sort { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        return pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding: unreserved characters kept, every other byte `%XX` (upper-case hex).
    static func uriEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `A-Z a-z 0-9 - _ . ~`.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2E, 0x7E: true
        default: false
        }
    }

    private static func removingPercentEncoding(_ text: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "%"), bytes.count >= 2,
               let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(value)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Header values: outer whitespace trimmed, inner runs of spaces collapsed to one.
    private static func trim(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
