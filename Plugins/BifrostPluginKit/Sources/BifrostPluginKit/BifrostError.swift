/// A failure, in Bifrost's error shape: `{is_bifrost_error, status_code, error{type, code, message, param}}`.
///
/// `allowFallbacks` says whether fallback providers may be tried (`nil` means yes); it is never serialized.
@frozen public struct BifrostError: Error, Sendable, Hashable, Codable {
    // One box for the fields (copy on write): errors travel through every hook result and
    // `Result`, and an 8-byte value moves for free where ~150 bytes of fields would be copied.
    private var box: CopyOnWriteBox<Fields>

    public var eventID: String? {
        get { box.value.eventID }
        _modify { yield &CopyOnWriteBox.unique(&box).value.eventID }
    }
    public var type: String? {
        get { box.value.type }
        _modify { yield &CopyOnWriteBox.unique(&box).value.type }
    }
    /// True when the gateway produced the error itself; false when a provider did.
    public var isBifrostError: Bool {
        get { box.value.isBifrostError }
        _modify { yield &CopyOnWriteBox.unique(&box).value.isBifrostError }
    }
    /// The HTTP status to answer with; when nil, 500 for gateway faults and 400 otherwise.
    public var statusCode: Int? {
        get { box.value.statusCode }
        _modify { yield &CopyOnWriteBox.unique(&box).value.statusCode }
    }
    public var error: ErrorField {
        get { box.value.error }
        _modify { yield &CopyOnWriteBox.unique(&box).value.error }
    }
    /// Whether fallbacks may be tried after this error; nil means true.
    public var allowFallbacks: Bool? {
        get { box.value.allowFallbacks }
        _modify { yield &CopyOnWriteBox.unique(&box).value.allowFallbacks }
    }
    /// Seconds the provider asked to wait (`Retry-After`); never serialized.
    public var retryAfter: Double? {
        get { box.value.retryAfter }
        _modify { yield &CopyOnWriteBox.unique(&box).value.retryAfter }
    }

    public init(message: String, type: String? = nil, code: String? = nil, param: String? = nil, statusCode: Int? = nil,
                isBifrostError: Bool = true, allowFallbacks: Bool? = nil, retryAfter: Double? = nil) {
        box = CopyOnWriteBox(Fields(isBifrostError: isBifrostError, statusCode: statusCode,
                                    error: ErrorField(type: type, code: code, message: message, param: param),
                                    allowFallbacks: allowFallbacks, retryAfter: retryAfter))
    }

    /// The status an HTTP transport answers with.
    public var httpStatus: Int { statusCode ?? (isBifrostError ? 500 : 400) }

    /// True unless fallbacks were explicitly forbidden.
    public var fallbacksAllowed: Bool { allowFallbacks ?? true }

    public static func == (lhs: BifrostError, rhs: BifrostError) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    public func hash(into hasher: inout Hasher) {
        box.value.hash(into: &hasher)
    }

    public init(from decoder: any Decoder) throws {
        box = CopyOnWriteBox(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try box.value.encode(to: encoder)
    }

    @usableFromInline struct Fields: Sendable, Hashable, Codable {
        var eventID: String?
        var type: String?
        var isBifrostError: Bool
        var statusCode: Int?
        var error: ErrorField
        var allowFallbacks: Bool?
        var retryAfter: Double?

        init(isBifrostError: Bool, statusCode: Int?, error: ErrorField, allowFallbacks: Bool?, retryAfter: Double?) {
            self.isBifrostError = isBifrostError
            self.statusCode = statusCode
            self.error = error
            self.allowFallbacks = allowFallbacks
            self.retryAfter = retryAfter
        }

        enum CodingKeys: String, CodingKey {
            case type, error
            case eventID = "event_id", isBifrostError = "is_bifrost_error", statusCode = "status_code"
        }
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
