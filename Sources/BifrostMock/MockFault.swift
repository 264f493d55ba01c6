/// A misbehaviour a request can ask for, with the header `x-mock-fault: <name>` or the model
/// name `mock-fault-<name>` (the header wins).
public enum MockFault: Sendable, Equatable {
    /// `status-<code>`: that status (400-599) with an error body in the provider's shape.
    case status(Int)
    /// `429`: `429 Too Many Requests`, `Retry-After: 1` and a rate-limit error body.
    case rateLimited
    /// `reset`: the head and part of the body, a short pause, then a TCP reset.
    case reset
    /// `stall-headers`: nothing at all for the stall time, then the normal response.
    case stallHeaders
    /// `stall-stream`: the head and first event (or first half of a JSON body), a stall, then the rest.
    case stallStream
    /// `malformed-json`: `200` with a truncated JSON body (or, when streaming, a truncated first event).
    case malformedJSON
    /// `gzip`: the normal body gzip-compressed, `Content-Encoding: gzip`.
    case gzip
    /// `deflate`: the normal body zlib-compressed, `Content-Encoding: deflate`.
    case deflate
    /// `slow-drip`: the events (or pieces of a JSON body) one by one with the drip time between them.
    case slowDrip

    /// Parses a fault name such as `status-503`, `429` or `slow-drip`; nil when unknown.
    public init?<Name: StringProtocol>(name: Name) {
        switch name {
        case "429", "rate-limit": self = .rateLimited
        case "reset": self = .reset
        case "stall-headers": self = .stallHeaders
        case "stall-stream": self = .stallStream
        case "malformed-json": self = .malformedJSON
        case "gzip": self = .gzip
        case "deflate": self = .deflate
        case "slow-drip": self = .slowDrip
        default:
            guard name.hasPrefix("status-"), let code = Int(name.dropFirst(7)), (400...599).contains(code) else {
                return nil
            }
            self = .status(code)
        }
    }

    /// The names accepted by ``init(name:)``, for error messages.
    static let names = "status-<400..599>, 429, reset, stall-headers, stall-stream, malformed-json, gzip, deflate, slow-drip"
}
