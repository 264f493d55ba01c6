import BifrostPluginKit
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one request logs. Built on the request path from values already at hand; turned into JSON
/// on the writer thread. Never holds keys or headers.
public struct LogRecord: Sendable {
    /// Wall-clock start of the request, in seconds and nanoseconds since the Unix epoch.
    public var time: (seconds: Int, nanoseconds: Int)
    public var requestID: String
    /// The authenticated virtual key's name (set by the `auth` plugin).
    public var virtualKey: String?
    public var provider: String
    public var model: String
    public var kind: String
    public var stream: Bool
    public var status: Int
    /// From the first PreHook to the last PostHook, all attempts included.
    public var latency: Duration
    public var usage: Usage?
    /// True when a fallback (not the primary provider/model) produced this outcome.
    public var fallback: Bool
    public var primaryProvider: String
    public var primaryModel: String
    /// `"hit"`, `"miss"` or `"bypass"` when the `cache` plugin ran.
    public var cache: String?
    public var errorType: String?
    public var errorMessage: String?
    /// Only with `include_bodies`.
    public var request: BifrostRequest?
    public var response: BifrostResponse?

    /// One JSON line, newline included.
    public func jsonLine() -> [UInt8] {
        var out = JSONLine()
        out.field("time", Self.rfc3339(time))
        out.field("request_id", requestID)
        if let virtualKey { out.field("virtual_key", virtualKey) }
        out.field("provider", provider)
        out.field("model", model)
        out.field("kind", kind)
        out.raw("stream", stream ? "true" : "false")
        out.raw("status", "\(status)")
        let micros = latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000
        out.raw("latency_ms", "\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())")
        if let usage {
            out.raw("usage", "{\"prompt_tokens\":\(usage.promptTokens),\"completion_tokens\":\(usage.completionTokens),\"total_tokens\":\(usage.totalTokens)}")
        }
        out.raw("fallback", fallback ? "true" : "false")
        if fallback {
            out.field("primary_provider", primaryProvider)
            out.field("primary_model", primaryModel)
        }
        if let cache { out.field("cache", cache) }
        if let errorType { out.field("error_type", errorType) }
        if let errorMessage { out.field("error", errorMessage) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        if let request, let body = Self.input(request, encoder) { out.raw("request", body) }
        if let response, let body = try? encoder.encode(response) { out.raw("response", String(decoding: body, as: UTF8.self)) }
        return out.finish()
    }

    private static func input(_ request: BifrostRequest, _ encoder: JSONEncoder) -> String? {
        let data: Data?
        switch request.input {
        case .chat(let messages): data = try? encoder.encode(["messages": messages])
        case .text(let prompt): data = try? encoder.encode(["prompt": prompt])
        case .embedding(let inputs): data = try? encoder.encode(["input": inputs])
        @unknown default: data = nil
        }
        return data.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `2025-01-31T12:34:56.789Z`.
    static func rfc3339(_ time: (seconds: Int, nanoseconds: Int)) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = time.nanoseconds / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }

    /// The wall clock now.
    static func now() -> (seconds: Int, nanoseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec))
    }
}

/// A one-line JSON object writer with RFC 8259 string escaping.
struct JSONLine {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    mutating func field(_ name: String, _ value: String) {
        key(name)
        Self.quote(value, into: &bytes)
    }

    mutating func raw(_ name: String, _ json: String) {
        key(name)
        bytes.append(contentsOf: json.utf8)
    }

    mutating func finish() -> [UInt8] {
        bytes.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return bytes
    }

    private mutating func key(_ name: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        Self.quote(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    static func quote(_ text: String, into bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20: bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
