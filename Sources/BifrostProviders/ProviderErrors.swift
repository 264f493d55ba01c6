import BifrostHTTP
import BifrostPluginKit

/// Maps upstream and transport failures to ``BifrostError``s: upstream statuses and messages are
/// kept; network failures become 502, timeouts 504, cancellation 499. Never includes keys.
enum ProviderErrors {
    static func upstream(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> BifrostError {
        var message = "\(provider) returned HTTP \(status)"
        var type: String?
        var code: String?
        var param: String?
        // OpenAI's `{"error": {message, type, param, code}}`; Anthropic-style bodies share the first two.
        if let detail = (try? JSONParser.parse(body))?["error"], case .object = detail {
            message = detail["message"]?.stringValue ?? message
            type = detail["type"]?.stringValue
            param = detail["param"]?.stringValue
            switch detail["code"] {
            case .string(let text)?: code = text
            case .number(let number)?: code = String(Int(number))
            default: break
            }
        }
        let retryAfter = headers["retry-after"].flatMap(Double.init)
        return BifrostError(message: message, type: type, code: code, param: param, statusCode: status, isBifrostError: false,
                            retryAfter: retryAfter)
    }

    static func transport(_ error: any Error, provider: String, host: String) -> BifrostError {
        if let error = error as? BifrostError { return error }
        guard let client = error as? HTTPClientError else {
            if error is CancellationError {
                return BifrostError(message: "request to \(provider) cancelled", type: "cancelled", statusCode: 499, allowFallbacks: false)
            }
            return BifrostError(message: "request to \(provider) failed: \(error)", type: "network", statusCode: 502)
        }
        switch client.kind {
        case .cancelled:
            return BifrostError(message: "request to \(provider) cancelled", type: "cancelled", statusCode: 499, allowFallbacks: false)
        case .timeoutHeaders, .timeoutIdle, .timeoutTotal:
            return BifrostError(message: "\(provider) timed out: \(client.message)", type: "timeout", code: client.kind.rawValue,
                                statusCode: 504)
        default:
            return BifrostError(message: "cannot reach \(provider): \(client.message)", type: "network", code: client.kind.rawValue,
                                statusCode: 502)
        }
    }
}

extension RequestInput {
    /// The conversation for a chat-shaped upstream API: chat messages as they are, a text prompt as
    /// one user message. Embeddings throw `unsupported` (400, fallbacks allowed).
    func chatMessages(unsupported: @autoclosure () -> BifrostError) throws(BifrostError) -> [BifrostMessage] {
        switch self {
        case .chat(let messages): return messages
        case .text(let prompt): return [.text("user", prompt)]
        case .embedding: throw unsupported()
        }
    }
}

extension BifrostError {
    /// An operation the provider's API does not have (400; another provider may have it).
    static func unsupported(_ message: String) -> BifrostError {
        BifrostError(message: message, type: "unsupported_operation", statusCode: 400, allowFallbacks: true)
    }
}
