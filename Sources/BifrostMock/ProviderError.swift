import BifrostHTTP

/// Whose error body shape a route answers with.
enum ErrorStyle: Sendable {
    /// `{"error":{"message","type","param","code"}}`
    case openAI
    /// `{"type":"error","error":{"type","message"}}`
    case anthropic
    /// `{"message"}` with the exception name in `x-amzn-ErrorType` (Bedrock).
    case bedrock
}

/// Error responses in the shape the real providers use.
enum ProviderError {
    static let jsonHeaders = HTTPHeaders([("Content-Type", "application/json")])

    /// A complete error response; `type` defaults to what the provider sends for `status`.
    static func response(_ style: ErrorStyle, status: Int, message: String, type: String? = nil,
                         code: String? = nil) -> MockReply {
        var headers = jsonHeaders
        if style == .bedrock {
            headers.add(name: "x-amzn-ErrorType", value: "\(type ?? bedrockType(status)):http://internal.amazon.com/coral/com.amazon.bedrock/")
        }
        return MockReply(status: HTTPStatus(code: status), headers: headers,
                         body: body(style, status: status, message: message, type: type, code: code))
    }

    static func body(_ style: ErrorStyle, status: Int, message: String, type: String? = nil,
                     code: String? = nil) -> [UInt8] {
        switch style {
        case .openAI:
            let codeValue = code.map(JSONString.quote) ?? "null"
            let text = "{\"error\":{\"message\":\(JSONString.quote(message)),\"type\":\(JSONString.quote(type ?? openAIType(status))),"
                + "\"param\":null,\"code\":\(codeValue)}}"
            return Array(text.utf8)
        case .anthropic:
            let text = "{\"type\":\"error\",\"error\":{\"type\":\(JSONString.quote(type ?? anthropicType(status))),"
                + "\"message\":\(JSONString.quote(message))}}"
            return Array(text.utf8)
        case .bedrock:
            return Array("{\"message\":\(JSONString.quote(message))}".utf8)
        }
    }

    /// `429` with `Retry-After: 1`, as a rate-limited provider answers.
    static func rateLimited(_ style: ErrorStyle) -> MockReply {
        var reply: MockReply
        switch style {
        case .openAI:
            reply = response(.openAI, status: 429, message: "Rate limit reached for requests (mock fault 429).",
                             type: "requests", code: "rate_limit_exceeded")
            reply.headers.add(name: "x-ratelimit-remaining-requests", value: "0")
        case .anthropic:
            reply = response(.anthropic, status: 429, message: "Number of requests has exceeded your rate limit (mock fault 429).")
        case .bedrock:
            reply = response(.bedrock, status: 429, message: "Too many requests, please wait before trying again. (mock fault 429)")
        }
        reply.headers.add(name: "Retry-After", value: "1")
        return reply
    }

    /// The 400 for a body that is not a JSON object.
    static func invalidJSON(_ style: ErrorStyle) -> MockReply {
        response(style, status: 400, message: "We could not parse the JSON body of your request: the body must be a JSON object.")
    }

    private static func openAIType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 500...599: "server_error"
        default: "invalid_request_error"
        }
    }

    private static func bedrockType(_ status: Int) -> String {
        switch status {
        case 403: "AccessDeniedException"
        case 404: "ResourceNotFoundException"
        case 408: "ModelTimeoutException"
        case 429: "ThrottlingException"
        case 503: "ServiceUnavailableException"
        case 500...599: "InternalServerException"
        default: "ValidationException"
        }
    }

    private static func anthropicType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 504: "timeout_error"
        case 529: "overloaded_error"
        case 500...599: "api_error"
        default: "invalid_request_error"
        }
    }
}
