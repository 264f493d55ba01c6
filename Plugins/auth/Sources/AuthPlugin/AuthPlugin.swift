import BifrostPluginKit

/// Virtual keys: every request must carry one of the configured keys (`x-bf-vk`,
/// `Authorization: Bearer`, or `x-api-key`), and may only call the models its key allows.
///
/// - Missing or unknown key: 401 short-circuit, fallbacks not allowed.
/// - Model not allowed for the key: 403 short-circuit, fallbacks not allowed.
/// - Otherwise the key's name goes into the context under ``AuthPlugin/virtualKeyContextKey``
///   (a `String`) for later plugins (rate limit, logging) and metrics.
///
/// Keys are compared in constant time, and every configured key is compared on every request.
public final class AuthPlugin: Plugin {
    /// The context key holding the authenticated key's name (`String`).
    public static let virtualKeyContextKey = "bifrost.virtual_key"

    public let name = "auth"
    public let keys: [VirtualKey]

    /// Direct instantiation.
    public init(keys: [VirtualKey]) {
        self.keys = keys
    }

    /// `Init` from the plugin's `config` JSON: `{"keys": [{"name", "value", "models"}]}`.
    public convenience init(config: JSONValue) throws {
        self.init(keys: try VirtualKey.parse(config))
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        guard let presented = Self.presentedKey(context) else {
            return (request, .fail(Self.denied(401, "missing virtual key: send it as x-bf-vk, Authorization: Bearer or x-api-key",
                                               type: "authentication_error", code: "missing_virtual_key")))
        }
        guard let key = find(Array(presented.utf8)) else {
            return (request, .fail(Self.denied(401, "invalid virtual key", type: "authentication_error", code: "invalid_virtual_key")))
        }
        context.set(Self.virtualKeyContextKey, key.name)
        guard key.allows(provider: request.provider, model: request.model) else {
            return (request, .fail(Self.denied(403, "virtual key \(key.name) may not use model \(request.provider)/\(request.model)",
                                               type: "permission_error", code: "model_not_allowed")))
        }
        return (request, nil)
    }

    /// The key, compared against every configured key without stopping at a match.
    private func find(_ candidate: [UInt8]) -> VirtualKey? {
        var found: VirtualKey?
        for key in keys where key.matches(candidate) { found = key }
        return found
    }

    /// The presented key: `x-bf-vk`, else a Bearer token, else `x-api-key` (the Anthropic SDK's header).
    static func presentedKey(_ context: BifrostContext) -> String? {
        if let value = context.header("x-bf-vk"), !value.isEmpty { return value }
        if let authorization = context.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingSpaces
                if !token.isEmpty { return token }
            }
        }
        if let value = context.header("x-api-key"), !value.isEmpty { return value }
        return nil
    }

    static func denied(_ status: Int, _ message: String, type: String, code: String) -> BifrostError {
        BifrostError(message: message, type: type, code: code, statusCode: status, allowFallbacks: false)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (on the UTF-8 bytes: this runs on every request).
    var trimmingSpaces: String {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
