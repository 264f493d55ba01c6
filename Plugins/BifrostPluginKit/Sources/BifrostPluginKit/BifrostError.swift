/// A failure, in Bifrost's error shape: `{is_bifrost_error, status_code, error{type, code, message, param}}`.
///
/// `allowFallbacks` says whether fallback providers may be tried (`nil` means yes); it is never serialized.
@frozen public struct BifrostError: Error, Sendable, Hashable, Codable {
    public var eventID: String?
    public var type: String?
    /// True when the gateway produced the error itself; false when a provider did.
    public var isBifrostError: Bool
    /// The HTTP status to answer with; when nil, 500 for gateway faults and 400 otherwise.
    public var statusCode: Int?
    public var error: ErrorField
    /// Whether fallbacks may be tried after this error; nil means true.
    public var allowFallbacks: Bool?
    /// Seconds the provider asked to wait (`Retry-After`); never serialized.
    public var retryAfter: Double?

    public init(message: String, type: String? = nil, code: String? = nil, param: String? = nil, statusCode: Int? = nil,
                isBifrostError: Bool = true, allowFallbacks: Bool? = nil, retryAfter: Double? = nil) {
        self.isBifrostError = isBifrostError
        self.statusCode = statusCode
        error = ErrorField(type: type, code: code, message: message, param: param)
        self.allowFallbacks = allowFallbacks
        self.retryAfter = retryAfter
    }

    /// The status an HTTP transport answers with.
    public var httpStatus: Int { statusCode ?? (isBifrostError ? 500 : 400) }

    /// True unless fallbacks were explicitly forbidden.
    public var fallbacksAllowed: Bool { allowFallbacks ?? true }

    enum CodingKeys: String, CodingKey {
        case type, error
        case eventID = "event_id", isBifrostError = "is_bifrost_error", statusCode = "status_code"
    }
}

/// The `error` object inside a ``BifrostError``.
@frozen public struct ErrorField: Sendable, Hashable, Codable {
    public var type: String?
    public var code: String?
    public var message: String
    public var param: String?

    public init(type: String? = nil, code: String? = nil, message: String, param: String? = nil) {
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }
}
