/// A plugin: hooks around every provider call (the seed's `Plugin` interface).
///
/// - PreHooks run in registration order before the provider; one may change the request or
///   short-circuit (answer or fail without calling the provider).
/// - PostHooks run in reverse order, over exactly the plugins whose PreHook ran; one may change
///   the response, turn an error into a response (recovery) or a response into an error.
/// - A hook that throws is logged with the plugin's name and the chain goes on as if it had
///   returned its input unchanged: a plugin never takes a request down.
/// - `cleanup()` runs once when the gateway shuts down.
public protocol Plugin: AnyObject, Sendable {
    /// A unique name, used in logs and configuration.
    var name: String { get }

    /// Called before the provider. Return the (possibly changed) request, and a short-circuit to
    /// skip the provider.
    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?)

    /// Called after the provider (or a short-circuit). Exactly one of `response` and `error` is set.
    /// Return what the next PostHook (and finally the client) should see.
    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?)

    /// Releases what the plugin holds. Called once, on shutdown.
    func cleanup() async throws
}

extension Plugin {
    // Inlinable so that a plugin keeping a default hook pays no call into the (resilient) API library.
    @inlinable
    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        (request, nil)
    }

    @inlinable
    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        (response, error)
    }

    @inlinable
    public func cleanup() async throws {}
}

/// A PreHook's decision to skip the provider: answer with a response, fail with an error, or (for a
/// streaming request) answer with a stream. Exactly one should be set; the engine resolves
/// anything else by a fixed rule (an error wins over a response; nothing set is ignored).
@frozen public struct PluginShortCircuit: Sendable {
    public var response: BifrostResponse?
    public var error: BifrostError?
    public var stream: BifrostStream?

    public init(response: BifrostResponse? = nil, error: BifrostError? = nil, stream: BifrostStream? = nil) {
        self.response = response
        self.error = error
        self.stream = stream
    }

    public static func respond(_ response: BifrostResponse) -> PluginShortCircuit { PluginShortCircuit(response: response) }
    public static func fail(_ error: BifrostError) -> PluginShortCircuit { PluginShortCircuit(error: error) }
    public static func stream(_ stream: BifrostStream) -> PluginShortCircuit { PluginShortCircuit(stream: stream) }
}
