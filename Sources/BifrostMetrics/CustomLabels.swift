import BifrostHTTP

/// The configured custom labels: each becomes a label on every metric (upstream and HTTP), its
/// value taken from the inbound request header `x-bf-prom-<name>` (empty when absent). Headers
/// `x-bf-prom-*` for names not configured are ignored, so clients cannot add label names.
///
/// Names are trimmed and lowercased; characters a Prometheus label name cannot hold become `_`
/// (`team-id` is exposed as `team_id`, still read from `x-bf-prom-team-id`). Names that are empty,
/// repeated, start with `__` (reserved by Prometheus) or collide with a built-in label
/// (``reserved``) are left out and listed in ``ignored``.
public struct CustomLabels: Sendable, Equatable {
    /// The built-in label names of the upstream and HTTP metrics, plus Prometheus's own.
    public static let reserved: Set<String> = ["provider", "model", "method", "status_code", "path", "status", "le", "quantile"]
    /// The header prefix that carries custom label values.
    public static let headerPrefix = "x-bf-prom-"

    /// Label names as exposed, in configuration order.
    public let names: [String]
    /// The header each label's value is read from (`x-bf-prom-<configured name>`), lowercase.
    public let headerNames: [String]
    /// Configured names left out, with the reason.
    public let ignored: [(name: String, reason: String)]

    public init(_ configured: [String]) {
        var names: [String] = []
        var headerNames: [String] = []
        var ignored: [(name: String, reason: String)] = []
        for raw in configured {
            let name = Self.trimmed(raw).lowercased()
            guard !name.isEmpty else {
                ignored.append((raw, "empty label name"))
                continue
            }
            let label = Self.labelName(name)
            if label.hasPrefix("__") {
                ignored.append((raw, "label names starting with __ are reserved by Prometheus"))
            } else if Self.reserved.contains(label) {
                ignored.append((raw, "\(label) is a built-in label"))
            } else if names.contains(label) {
                ignored.append((raw, "\(label) is configured twice"))
            } else {
                names.append(label)
                headerNames.append(Self.headerPrefix + name)
            }
        }
        self.names = names
        self.headerNames = headerNames
        self.ignored = ignored
    }

    public static func == (lhs: CustomLabels, rhs: CustomLabels) -> Bool {
        lhs.names == rhs.names && lhs.headerNames == rhs.headerNames
    }

    public var isEmpty: Bool { names.isEmpty }

    /// The labels' values from HTTP request headers (first field of each name; empty when absent).
    public func values(from headers: HTTPHeaders) -> [String] {
        headerNames.map { headers.first($0) ?? "" }
    }

    /// The labels' values from the headers a ``BifrostContext`` carries (first match; empty when absent).
    public func values(from headers: [(name: String, value: String)]) -> [String] {
        var values = [String](repeating: "", count: headerNames.count)
        var found = [Bool](repeating: false, count: headerNames.count)
        for header in headers where Self.hasHeaderPrefix(header.name) {
            for (index, wanted) in headerNames.enumerated() where !found[index] && Self.equalsIgnoringCase(header.name, wanted) {
                values[index] = header.value
                found[index] = true
            }
        }
        return values
    }

    /// The Prometheus label name for a configured (lowercased) name: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func labelName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_": scalars.append(scalar)
            default: scalars.append("_")
            }
        }
        if let first = scalars.first, ("0"..."9").contains(first) { scalars.insert("_", at: scalars.startIndex) }
        return String(scalars)
    }

    private static func trimmed(_ value: String) -> String {
        var view = Substring(value)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }

    private static func hasHeaderPrefix(_ name: String) -> Bool {
        let prefix = headerPrefix.utf8
        guard name.utf8.count > prefix.count else { return false }
        return zip(name.utf8, prefix).allSatisfy { lowercased($0) == $1 }
    }

    /// `value` equals the lowercase ASCII `lowercase`, ignoring ASCII case.
    private static func equalsIgnoringCase(_ value: String, _ lowercase: String) -> Bool {
        value.utf8.count == lowercase.utf8.count && zip(value.utf8, lowercase.utf8).allSatisfy { lowercased($0) == $1 }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
