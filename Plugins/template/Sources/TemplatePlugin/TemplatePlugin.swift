import BifrostPluginKit

/// A starting point for a plugin: it tags every request with a header, blocks one model with a
/// 403 (no fallbacks) and answers a "ping" model itself. Replace the logic, keep the shape.
///
/// Configuration (`config` of its `config.json` entry, `env.NAME` already substituted):
/// ```json
/// {"tag": "team-a", "blocked_model": "gpt-4", "ping_model": "ping"}
/// ```
public final class TemplatePlugin: Plugin {
    /// Used in logs; keep it equal to the `name` of the config entry.
    public let name = "template"
    let tag: String
    let blockedModel: String?
    let pingModel: String?

    /// The Swift form of Bifrost's `Init(config)`: validate everything here and throw
    /// `PluginConfigurationError` on a bad config; the gateway stops with
    /// `plugin initialization failed: <message>` (exit 2) instead of failing requests later.
    public init(config: JSONValue) throws {
        guard case .object = config else { throw PluginConfigurationError("config must be an object") }
        if let tag = config["tag"], tag.stringValue == nil { throw PluginConfigurationError("\"tag\" must be a string") }
        tag = config["tag"]?.stringValue ?? "template"
        blockedModel = config["blocked_model"]?.stringValue
        pingModel = config["ping_model"]?.stringValue
    }

    /// Runs before the provider, in the order plugins are listed. Return the request (changed or
    /// not) and, to skip the provider, a short-circuit: `.respond(response)` or `.fail(error)`.
    /// Values put in the context are visible to later hooks of the same request.
    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        // Shared with later hooks of this request (and other plugins): any Sendable value.
        context.set("template.team", context.header("x-team") ?? "unknown")
        if request.model == blockedModel {
            // allowFallbacks: false stops the engine from trying the request's fallbacks;
            // nil or true would let them run (e.g. for a rate limit on one provider).
            let error = BifrostError(message: "model \(request.model) is blocked", type: "forbidden",
                                     statusCode: 403, allowFallbacks: false)
            return (request, .fail(error))
        }
        if request.model == pingModel {
            let response = BifrostResponse(
                id: "template-ping", object: "chat.completion", created: 0, model: request.model,
                choices: [Choice(message: .text("assistant", "pong"), finishReason: "stop")],
                extraFields: ExtraFields(provider: request.provider, model: request.model))
            return (request, .respond(response))
        }
        return (request, nil)
    }

    /// Runs after the provider (or a short-circuit), in reverse order, for every plugin whose
    /// PreHook ran. Exactly one of `response` and `error` is set; return what the client should get
    /// (an error may be turned into a response and the other way round).
    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        context.addResponseHeader("x-template-tag", tag)
        let team = context.value("template.team", as: String.self) ?? "unknown"
        context.addResponseHeader("x-template-team", team)
        // What the engine measured for this attempt, e.g. the time spent waiting in the queue.
        if let wait = context.measurements.queueWait { context.set("template.queue_wait", wait) }
        return (response, error)
    }

    /// Called once on shutdown: flush buffers, close connections.
    public func cleanup() async throws {}
}

// The two C symbols the gateway looks up after dlopen. Keep them as they are; change only the
// closure that builds the plugin.

/// The plugin API version this library was compiled against (checked before anything else runs).
@_cdecl("bifrost_plugin_abi_version")
public func bifrostPluginABIVersion() -> UInt32 { BifrostPluginABI.version }

/// Creates the plugin from its `config` JSON; on failure returns nil and the error message.
@_cdecl("bifrost_plugin_init")
public func bifrostPluginInit(_ config: UnsafePointer<CChar>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
    BifrostPluginABI.initialize(config: config, error: error) { try TemplatePlugin(config: $0) }
}
