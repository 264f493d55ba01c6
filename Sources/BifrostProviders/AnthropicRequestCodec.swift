import BifrostCore
import BifrostPluginKit

/// Writes Anthropic Messages API request bodies (`POST /v1/messages`) from a ``BifrostRequest``,
/// without Codable.
///
/// System messages are lifted into the top-level `system`; tool results become `user` messages of
/// `tool_result` blocks (consecutive results merged); `max_tokens` is defaulted because Anthropic
/// requires it. Parameters in `params.extra` are written untouched and win over a field of the same
/// name that the gateway would derive (so an Anthropic-shaped `system` or `tool_choice` passes as sent).
enum AnthropicRequestCodec {
    /// `max_tokens` sent when the request does not set one.
    static let defaultMaxTokens = 4096

    /// The request body; throws a 400 ``BifrostError`` for input Anthropic cannot take (embeddings,
    /// tool-call arguments that are not JSON).
    /// - Parameter vertexVersion: for Claude on Vertex AI: the model goes in the URL, not the body,
    ///   and `anthropic_version` (e.g. `vertex-2023-10-16`) goes in the body.
    static func requestBody(_ request: BifrostRequest, stream: Bool, vertexVersion: String? = nil) throws(BifrostError) -> [UInt8] {
        let messages = try request.input.chatMessages(unsupported: AnthropicProvider.embeddingsUnsupported)
        let conversation = try AnthropicMessageBuilder.build(messages)
        let params = request.params
        let extra = params.extra
        var writer = JSONWriter(capacity: 512)
        writer.open()
        if let vertexVersion {
            writer.member("anthropic_version", vertexVersion)
        } else {
            writer.member("model", request.model)
        }
        if extra["max_tokens"] == nil { writer.member("max_tokens", params.maxTokens ?? defaultMaxTokens) }
        if let system = conversation.system, extra["system"] == nil { writer.member("system", system) }
        writer.key("messages")
        writer.array(conversation.messages) { $1.write(to: &$0) }
        if let stop = params.stop, !stop.isEmpty, extra["stop_sequences"] == nil {
            writer.key("stop_sequences")
            writer.array(stop) { $0.string($1) }
        }
        if let temperature = params.temperature, extra["temperature"] == nil {
            writer.key("temperature")
            writer.number(temperature)
        }
        if let topP = params.topP, extra["top_p"] == nil {
            writer.key("top_p")
            writer.number(topP)
        }
        if let topK = params.topK, extra["top_k"] == nil { writer.member("top_k", topK) }
        let tools = params.tools ?? []
        if !tools.isEmpty, extra["tools"] == nil {
            writer.key("tools")
            writer.array(tools) { writer, tool in
                writer.open()
                writer.member("name", tool.function.name)
                if let description = tool.function.description { writer.member("description", description) }
                writer.key("input_schema")
                writer.json(tool.function.parameters ?? .object(["type": .string("object"), "properties": .object([:])]))
                writer.close()
            }
        }
        // Anthropic rejects tool_choice without tools, so it only goes with them.
        if !tools.isEmpty || extra["tools"] != nil, extra["tool_choice"] == nil,
           let choice = toolChoice(params.toolChoice, parallel: params.parallelToolCalls) {
            writer.key("tool_choice")
            writer.json(choice)
        }
        if let user = params.user, extra["metadata"] == nil {
            writer.key("metadata")
            writer.json(.object(["user_id": .string(user)]))
        }
        if stream, extra["stream"] == nil {
            writer.key("stream")
            writer.raw("true")
        }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
            writer.key(named: name)
            writer.json(value)
        }
        writer.close()
        return writer.bytes
    }

    /// OpenAI's `tool_choice` in Anthropic's shape: auto → `auto`, required → `any`,
    /// a function → `tool` with its name, none → `none`. `parallel_tool_calls: false` becomes
    /// `disable_parallel_tool_use` (with `auto` when no choice was given).
    static func toolChoice(_ choice: ToolChoice?, parallel: Bool?) -> JSONValue? {
        var members: [String: JSONValue]
        switch choice {
        case nil:
            guard parallel == false else { return nil }
            members = ["type": .string("auto")]
        case .auto?: members = ["type": .string("auto")]
        case .required?: members = ["type": .string("any")]
        case .function(let name)?: members = ["type": .string("tool"), "name": .string(name)]
        case .none?: return .object(["type": .string("none")])
        }
        if parallel == false { members["disable_parallel_tool_use"] = .bool(true) }
        return .object(members)
    }
}
