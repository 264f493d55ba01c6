import BifrostPluginKit
import Logging

/// Runs plugin hooks around one provider attempt, exactly as the plugin specification says.
///
/// Rules, including the ones for misbehaving plugins:
/// - PreHooks run in registration order; a short-circuit stops the walk and skips the provider.
/// - PostHooks run in reverse order over exactly the plugins whose PreHook ran (a PreHook that
///   threw still ran).
/// - A hook that throws is logged with the plugin's name; the chain continues with the values it
///   had before that hook.
/// - A short-circuit (or PostHook result) carrying both a response and an error resolves to the
///   error (a response that a plugin also declared failed is not served); one carrying neither is
///   ignored. Both cases are logged.
struct PluginPipeline: Sendable {
    let plugins: [any Plugin]
    let logger: Logger
    /// For each plugin, its synchronous hooks when it has them (found once, here).
    private let synchronousHooks: [(any SynchronousPluginHooks)?]
    /// True when every plugin has synchronous hooks (the usual case: only built-in plugins), so the
    /// engine can run the hooks with ``runPreHooksNow(_:context:)`` and ``runPostHooksNow(ran:response:error:context:)``.
    let allSynchronous: Bool

    init(plugins: [any Plugin], logger: Logger) {
        self.plugins = plugins
        self.logger = logger
        synchronousHooks = plugins.map { $0 as? any SynchronousPluginHooks }
        allSynchronous = synchronousHooks.allSatisfy { $0 != nil }
    }

    /// What the PreHooks decided.
    struct PreHookOutcome: Sendable {
        var request: BifrostRequest
        /// How many plugins' PreHooks ran (their PostHooks will run).
        var ran: Int
        var shortCircuit: PluginShortCircuit?
    }

    func runPreHooks(_ request: BifrostRequest, context: BifrostContext) async -> PreHookOutcome {
        var current = request
        for (index, plugin) in plugins.enumerated() {
            let result: Result<(BifrostRequest, PluginShortCircuit?), any Error>
            if let hooks = synchronousHooks[index] {
                result = Result { try hooks.preHookNow(context, current) }
            } else {
                do { result = .success(try await plugin.preHook(context, current)) } catch { result = .failure(error) }
            }
            if let outcome = afterPreHook(result, index: index, current: &current) { return outcome }
        }
        return PreHookOutcome(request: current, ran: plugins.count, shortCircuit: nil)
    }

    /// ``runPreHooks(_:context:)`` when ``allSynchronous``: the same walk without an async call.
    func runPreHooksNow(_ request: BifrostRequest, context: BifrostContext) -> PreHookOutcome {
        var current = request
        for (index, hooks) in synchronousHooks.enumerated() {
            let result = Result { try hooks!.preHookNow(context, current) }
            if let outcome = afterPreHook(result, index: index, current: &current) { return outcome }
        }
        return PreHookOutcome(request: current, ran: plugins.count, shortCircuit: nil)
    }

    /// Takes in one PreHook's result: the request it changed, or the outcome when it short-circuited.
    private func afterPreHook(_ result: Result<(BifrostRequest, PluginShortCircuit?), any Error>, index: Int,
                              current: inout BifrostRequest) -> PreHookOutcome? {
        switch result {
        case .success(let (changed, shortCircuit)):
            current = changed
            if let shortCircuit, let valid = validate(shortCircuit, from: plugins[index]) {
                return PreHookOutcome(request: current, ran: index + 1, shortCircuit: valid)
            }
        case .failure(let error):
            logHookFailure("plugin PreHook failed; continuing without its changes", plugin: plugins[index], error: error)
        }
        return nil
    }

    func runPostHooks(ran: Int, response: BifrostResponse?, error: BifrostError?, context: BifrostContext) async
        -> Result<BifrostResponse, BifrostError> {
        var response = response
        var error = error
        for index in (0..<ran).reversed() {
            let result: Result<(BifrostResponse?, BifrostError?), any Error>
            if let hooks = synchronousHooks[index] {
                result = Result { try hooks.postHookNow(context, response, error) }
            } else {
                do { result = .success(try await plugins[index].postHook(context, response, error)) } catch { result = .failure(error) }
            }
            afterPostHook(result, index: index, response: &response, error: &error)
        }
        return Self.finalResult(response, error)
    }

    /// ``runPostHooks(ran:response:error:context:)`` when ``allSynchronous``: the same walk without an async call.
    func runPostHooksNow(ran: Int, response: BifrostResponse?, error: BifrostError?, context: BifrostContext)
        -> Result<BifrostResponse, BifrostError> {
        var response = response
        var error = error
        for index in (0..<ran).reversed() {
            let result = Result { try synchronousHooks[index]!.postHookNow(context, response, error) }
            afterPostHook(result, index: index, response: &response, error: &error)
        }
        return Self.finalResult(response, error)
    }

    /// Takes in one PostHook's result by the rules above.
    private func afterPostHook(_ result: Result<(BifrostResponse?, BifrostError?), any Error>, index: Int,
                               response: inout BifrostResponse?, error: inout BifrostError?) {
        let plugin = plugins[index]
        switch result {
        case .success((nil, nil)):
            logOddResult("plugin PostHook returned neither a response nor an error; keeping the previous result", plugin: plugin)
        case .success((.some, let newError?)):
            logOddResult("plugin PostHook returned both a response and an error; the error wins", plugin: plugin)
            response = nil
            error = newError
        case .success(let (newResponse, newError)):
            response = newResponse
            error = newError
        case .failure(let failure):
            logHookFailure("plugin PostHook failed; continuing with the previous result", plugin: plugin, error: failure)
        }
    }

    private static func finalResult(_ response: BifrostResponse?, _ error: BifrostError?) -> Result<BifrostResponse, BifrostError> {
        if let error { return .failure(error) }
        if let response { return .success(response) }
        return .failure(noResponse())
    }

    // Cold paths live in synchronous functions of their own: whatever an async function builds
    // (log metadata, interpolated strings) is laid out in its frame, which every request allocates.

    @inline(never)
    private func logHookFailure(_ message: Logger.Message, plugin: any Plugin, error: any Error) {
        logger.error(message, metadata: ["plugin": "\(plugin.name)", "error": "\(error)"])
    }

    @inline(never)
    private func logOddResult(_ message: Logger.Message, plugin: any Plugin) {
        logger.warning(message, metadata: ["plugin": "\(plugin.name)"])
    }

    @inline(never)
    private static func noResponse() -> BifrostError {
        BifrostError(message: "no response was produced", type: "internal_error", statusCode: 500)
    }

    /// Applies the short-circuit rules; nil when the short-circuit is to be ignored.
    private func validate(_ shortCircuit: PluginShortCircuit, from plugin: any Plugin) -> PluginShortCircuit? {
        let count = (shortCircuit.response != nil ? 1 : 0) + (shortCircuit.error != nil ? 1 : 0) + (shortCircuit.stream != nil ? 1 : 0)
        if count == 0 {
            logger.warning("plugin short-circuited with nothing; ignoring the short-circuit", metadata: ["plugin": "\(plugin.name)"])
            return nil
        }
        if count > 1, let error = shortCircuit.error {
            logger.warning("plugin short-circuited with an error and something else; the error wins", metadata: ["plugin": "\(plugin.name)"])
            return PluginShortCircuit(error: error)
        }
        return shortCircuit
    }
}

/// A plugin whose hooks never suspend (the built-in ones) can also offer them as synchronous
/// functions, which the pipeline then calls instead: a call through an async protocol requirement
/// costs an async frame and an executor hop back afterwards, a fair share of such a plugin's cost.
/// They must behave exactly as ``Plugin/preHook(_:_:)`` and ``Plugin/postHook(_:_:_:)`` do.
public protocol SynchronousPluginHooks: Plugin {
    /// What ``Plugin/preHook(_:_:)`` does, synchronously.
    func preHookNow(_ context: BifrostContext, _ request: BifrostRequest) throws -> (BifrostRequest, PluginShortCircuit?)
    /// What ``Plugin/postHook(_:_:_:)`` does, synchronously.
    func postHookNow(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) throws
        -> (BifrostResponse?, BifrostError?)
}
