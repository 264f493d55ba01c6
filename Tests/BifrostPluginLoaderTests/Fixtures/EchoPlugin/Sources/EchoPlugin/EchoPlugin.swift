import BifrostPluginKit
#if canImport(Glibc)
import Glibc
#endif

/// Config: `{"greeting": "hi", "short_circuit_model": "echo", "fail": "message", "not_a_plugin": true}`.
/// - PreHook: keeps the `x-fixture-tag` request header in the context, adds `x-echo-greeting`
///   to the response, answers requests for `short_circuit_model` itself.
/// - PostHook: adds `x-echo-tag` (the value kept by the PreHook) and `x-echo-provider-called`.
final class EchoPlugin: Plugin {
    let name = "echo"
    let greeting: String
    let shortCircuitModel: String?

    init(config: JSONValue) throws {
        if let failure = config["fail"]?.stringValue { throw PluginConfigurationError(failure) }
        greeting = config["greeting"]?.stringValue ?? "hello"
        shortCircuitModel = config["short_circuit_model"]?.stringValue
    }

    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        context.set("echo.tag", context.header("x-fixture-tag") ?? "none")
        context.addResponseHeader("x-echo-greeting", greeting)
        guard request.model == shortCircuitModel else { return (request, nil) }
        let response = BifrostResponse(
            id: "echo-1", object: "chat.completion", created: 0, model: request.model,
            choices: [Choice(message: .text("assistant", "\(greeting) from the echo plugin"), finishReason: "stop")],
            extraFields: ExtraFields(provider: request.provider, model: request.model))
        return (request, .respond(response))
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        context.addResponseHeader("x-echo-tag", context.value("echo.tag", as: String.self) ?? "missing")
        return (response, error)
    }
}

/// An object that is not a Plugin, for the loader's "not a Plugin" check.
final class NotAPlugin {}

@_cdecl("bifrost_plugin_abi_version")
public func bifrostPluginABIVersion() -> UInt32 { BifrostPluginABI.version }

@_cdecl("bifrost_plugin_init")
public func bifrostPluginInit(_ config: UnsafePointer<CChar>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
    if let config, String(cString: config).contains("\"not_a_plugin\":true") {
        return Unmanaged.passRetained(NotAPlugin()).toOpaque()
    }
    return BifrostPluginABI.initialize(config: config, error: error) { try EchoPlugin(config: $0) }
}
