import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// Google Vertex AI, signed in with a service account (``GoogleTokenSource``):
///
/// ```json
/// "vertex": {"meta_config": {"project_id": "my-project", "region": "us-central1",
///                            "auth_credentials": "env.VERTEX_CREDENTIALS"}}
/// ```
///
/// `auth_credentials` is the service-account JSON key itself or a path to it. Claude models (`claude-*`)
/// go to the Anthropic publisher endpoint (`:rawPredict` / `:streamRawPredict`, Anthropic's body with
/// `anthropic_version: vertex-2023-10-16`); every other model to Vertex's OpenAI-compatible endpoint
/// as `google/<model>`. `network_config.base_url` replaces `https://{region}-aiplatform.googleapis.com`.
public struct VertexProvider: Provider {
    public let name: String
    private let config: ProviderConfig
    private let upstream: UpstreamCall
    private let setup: Result<Setup, BifrostError>

    /// Vertex's Anthropic API version.
    static let anthropicVersion = "vertex-2023-10-16"

    private struct Setup: Sendable {
        let tokens: GoogleTokenSource
        let base: String
        let project: String
        let region: String
    }

    public init(name: String = "vertex", client: HTTPClient, config: ProviderConfig) {
        self.name = name
        self.config = config
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .bearer)
        setup = Result { () throws(BifrostError) -> Setup in try Self.setup(name: name, client: client, config: config) }
    }

    private static func setup(name: String, client: HTTPClient, config: ProviderConfig) throws(BifrostError) -> Setup {
        guard var credentials = config.meta["auth_credentials"]?.stringValue, !credentials.isEmpty else {
            throw BifrostError(message: "\(name) needs providers.\(name).meta_config.auth_credentials (a service-account JSON key or its path)",
                               type: "configuration_error", statusCode: 500)
        }
        if !credentials.hasPrefix("{") {
            guard let contents = FileManager.default.contents(atPath: credentials) else {
                throw BifrostError(message: "\(name): cannot read the service-account key at \(credentials)", type: "configuration_error",
                                   statusCode: 500)
            }
            credentials = String(decoding: contents, as: UTF8.self)
        }
        let account = try GoogleTokenSource.ServiceAccount(json: credentials)
        guard let project = config.meta["project_id"]?.stringValue ?? account.projectID else {
            throw BifrostError(message: "\(name) needs providers.\(name).meta_config.project_id", type: "configuration_error",
                               statusCode: 500)
        }
        let region = config.meta["region"]?.stringValue ?? "us-central1"
        let base = config.network.baseURL ?? "https://\(region)-aiplatform.googleapis.com"
        return Setup(tokens: try GoogleTokenSource(account: account, client: client),
                     base: base.hasSuffix("/") ? String(base.dropLast()) : base, project: project, region: region)
    }

    private func isClaude(_ model: String) -> Bool { model.hasPrefix("claude") }

    /// The URL for `model`: the Anthropic publisher endpoint for Claude, the OpenAI-compatible one otherwise.
    func url(model: String, stream: Bool) throws(BifrostError) -> String {
        let setup = try setup.get()
        let location = "\(setup.base)/v1/projects/\(setup.project)/locations/\(setup.region)"
        if isClaude(model) {
            return "\(location)/publishers/anthropic/models/\(AWSSigner.uriEncode(model)):\(stream ? "streamRawPredict" : "rawPredict")"
        }
        return "\(setup.base)/v1beta1/projects/\(setup.project)/locations/\(setup.region)/endpoints/openapi/chat/completions"
    }

    /// The access token, as the key the upstream call sends (`Authorization: Bearer`).
    private func bearer(_ context: BifrostContext) async throws -> ProviderKey {
        ProviderKey(value: try await setup.get().tokens.token(context: context))
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let endpoint = try upstream.endpoint(try url(model: request.model, stream: false)).get()
        let token = try await bearer(context)
        if isClaude(request.model) {
            return try await upstream.anthropicCompletion(request, to: endpoint, key: token, context: context,
                                                          sendBackRawResponse: config.sendBackRawResponse, vertexVersion: Self.anthropicVersion)
        }
        return try await upstream.openAICompletion(googleModel(request), to: endpoint, key: token, context: context,
                                                   sendBackRawResponse: config.sendBackRawResponse)
            .withModel(request.model)
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let endpoint = try upstream.endpoint(try url(model: request.model, stream: true)).get()
        let token = try await bearer(context)
        if isClaude(request.model) {
            return try await upstream.anthropicStream(request, to: endpoint, key: token, context: context,
                                                      vertexVersion: Self.anthropicVersion)
        }
        return try await upstream.openAIStream(googleModel(request), to: endpoint, key: token, context: context,
                                               reportedModel: request.model)
    }

    /// Vertex's OpenAI-compatible endpoint names Google's models `google/<model>`.
    private func googleModel(_ request: BifrostRequest) -> BifrostRequest {
        guard !request.model.contains("/") else { return request }
        var copy = request
        copy.model = "google/\(request.model)"
        return copy
    }
}

extension BifrostResponse {
    /// The response with `extra_fields.model` set to the model the client asked for.
    func withModel(_ model: String) -> BifrostResponse {
        var copy = self
        copy.extraFields.model = model
        return copy
    }
}
