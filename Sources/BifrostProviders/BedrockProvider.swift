import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// AWS Bedrock through the Converse API (`/model/{id}/converse`) and ConverseStream
/// (`/converse-stream`, AWS event-stream framing), signed with Signature Version 4 (service
/// `bedrock`). Model ids may be inference-profile ARNs. See ``BedrockSettings`` for credentials.
public struct BedrockProvider: Provider {
    public let name: String
    private let config: ProviderConfig
    private let settings: BedrockSettings
    private let upstream: UpstreamCall

    public init(name: String = "bedrock", client: HTTPClient, config: ProviderConfig) {
        self.init(name: name, client: client, config: config, settings: BedrockSettings(config: config))
    }

    init(name: String, client: HTTPClient, config: ProviderConfig, settings: BedrockSettings) {
        self.name = name
        self.config = config
        self.settings = settings
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .signed(settings.signer(provider: name)),
                                errors: { status, body, headers in
                                    BedrockResponseCodec.upstreamError(status: status, body: body, headers: headers, provider: name)
                                },
                                streamAccept: "application/vnd.amazon.eventstream")
    }

    private func endpoint(_ request: BifrostRequest, stream: Bool) throws(BifrostError) -> ParsedURL {
        try settings.checkCredentials(provider: name)
        return try upstream.endpoint(try settings.url(model: request.model, stream: stream, provider: name)).get()
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let endpoint = try endpoint(request, stream: false)
        let body = try BedrockRequestCodec.requestBody(request, provider: name)
        let (value, latency) = try await upstream.json(body, to: endpoint, key: key, context: context)
        var result = try BedrockResponseCodec.response(value, request: request, provider: name, now: Int(Date().timeIntervalSince1970))
        result.extraFields.latency = UpstreamCall.milliseconds(latency)
        if config.sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let endpoint = try endpoint(request, stream: true)
        let body = try BedrockRequestCodec.requestBody(request, provider: name)
        let provider = name
        return try await upstream.stream(body, to: endpoint, key: key, context: context, framer: AWSEventStreamFramer(provider: name)) {
            BedrockStreamTranslator(provider: provider, model: request.model, created: Int(Date().timeIntervalSince1970))
        }
    }
}
