import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostPluginKit

/// One upstream HTTP call as the Anthropic and Azure adapters make it: JSON body, the adapter's
/// auth headers, the configured extra headers, timeouts from `network_config` and the request's
/// deadline, on the inbound connection's event loop. Failures become ``BifrostError``s (see
/// ``ProviderErrors``); keys never appear in them.
struct UpstreamCall {
    let provider: String
    let url: String
    let client: HTTPClient
    let config: ProviderConfig

    /// Sends the request; returns once the response head arrived (whatever its status).
    func send(_ body: [UInt8], headers authHeaders: HTTPHeaders, context: BifrostContext, stream: Bool) async throws
        -> HTTPClientResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: stream ? "text/event-stream" : "application/json")
        for (name, value) in authHeaders { headers.add(name: name, value: value) }
        for (name, value) in config.network.extraHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let request: HTTPClientRequest
        do {
            request = try HTTPClientRequest(method: "POST", url: url, headers: headers, body: body,
                                            timeouts: timeouts(context: context, stream: stream))
        } catch {
            throw BifrostError(message: "invalid base URL for \(provider): \(error)", type: "configuration_error", statusCode: 500)
        }
        do {
            return try await client.execute(request, on: context.executor as? EventLoop)
        } catch {
            throw ProviderErrors.transport(error, provider: provider, host: request.origin.authority)
        }
    }

    /// The whole body of `response`.
    func collect(_ response: HTTPClientResponse) async throws -> [UInt8] {
        do {
            return try await response.body.collect()
        } catch {
            throw ProviderErrors.transport(error, provider: provider, host: HTTPOriginName(url: url))
        }
    }

    /// `default_request_timeout_in_seconds` for the head and between chunks (and in total unless
    /// streaming), never past the request's deadline.
    private func timeouts(context: BifrostContext, stream: Bool) -> HTTPClientTimeouts {
        var timeouts = HTTPClientTimeouts()
        let limit = config.network.defaultRequestTimeout
        timeouts.responseHeaders = limit
        timeouts.idleBetweenChunks = limit
        if !stream { timeouts.total = limit }
        if let deadline = context.deadline {
            let remaining = deadline - ContinuousClock.now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            timeouts.total = min(timeouts.total ?? .infinity, max(0.001, seconds))
        }
        return timeouts
    }
}
