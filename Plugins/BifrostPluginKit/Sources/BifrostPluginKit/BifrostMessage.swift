/// One chat message: text or multi-part content (text and images), tool calls, or a tool result.
public struct BifrostMessage: Sendable, Hashable, Codable {
    /// `system`, `user`, `assistant` or `tool` (other roles pass through).
    public var role: String
    public var content: MessageContent?
    public var name: String?
    /// Calls the assistant asked for.
    public var toolCalls: [ToolCall]?
    /// For `role: tool`: the call this message answers.
    public var toolCallID: String?

    public init(role: String, content: MessageContent? = nil, name: String? = nil, toolCalls: [ToolCall]? = nil,
                toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A message with plain text content.
    public static func text(_ role: String, _ text: String) -> BifrostMessage {
        BifrostMessage(role: role, content: .text(text))
    }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCalls = "tool_calls", toolCallID = "tool_call_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decodeIfPresent(String.self, forKey: .role) ?? ""
        content = try container.decodeIfPresent(MessageContent.self, forKey: .content)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        toolCalls = try container.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
        toolCallID = try container.decodeIfPresent(String.self, forKey: .toolCallID)
    }

    /// An empty role (a stream delta after the first) is left out, as OpenAI does.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !role.isEmpty { try container.encode(role, forKey: .role) }
        try container.encodeIfPresent(content, forKey: .content)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(toolCalls, forKey: .toolCalls)
        try container.encodeIfPresent(toolCallID, forKey: .toolCallID)
    }
}

/// Message content: a string, or parts.
@frozen public enum MessageContent: Sendable, Hashable, Codable {
    case text(String)
    case parts([ContentPart])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ContentPart].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .parts(let parts): try container.encode(parts)
        }
    }

    /// The text of the content, parts joined, images left out.
    public var plainText: String {
        switch self {
        case .text(let text): return text
        case .parts(let parts):
            return parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
        }
    }
}

/// A part of multi-part content.
@frozen public enum ContentPart: Sendable, Hashable, Codable {
    case text(String)
    /// An image by URL; base64 images are `data:<media type>;base64,<data>` URLs.
    case image(url: String, detail: String?)

    enum CodingKeys: String, CodingKey { case type, text, imageURL = "image_url" }
    enum ImageKeys: String, CodingKey { case url, detail }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "text":
            self = .text(try container.decode(String.self, forKey: .text))
        case "image_url":
            if let url = try? container.decode(String.self, forKey: .imageURL) {
                self = .image(url: url, detail: nil)
            } else {
                let image = try container.nestedContainer(keyedBy: ImageKeys.self, forKey: .imageURL)
                self = .image(url: try image.decode(String.self, forKey: .url), detail: try image.decodeIfPresent(String.self, forKey: .detail))
            }
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unsupported content part type \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .image(let url, let detail):
            try container.encode("image_url", forKey: .type)
            var image = container.nestedContainer(keyedBy: ImageKeys.self, forKey: .imageURL)
            try image.encode(url, forKey: .url)
            try image.encodeIfPresent(detail, forKey: .detail)
        }
    }

    /// For a base64 image: its media type and data.
    public var base64Image: (mediaType: String, data: String)? {
        guard case .image(let url, _) = self, url.hasPrefix("data:"),
              let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else { return nil }
        let mediaType = url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7)
        return (String(mediaType), String(url[url.index(after: comma)...]))
    }
}

/// A function call requested by the model.
public struct ToolCall: Sendable, Hashable, Codable {
    public var id: String
    public var type: String
    public var function: FunctionCall
    /// The call's position among the message's tool calls, set on stream deltas (OpenAI's
    /// `choices[].delta.tool_calls[].index`, which SDKs use to join a call's pieces); nil otherwise.
    public var index: Int?

    public init(id: String, name: String, arguments: String, index: Int? = nil) {
        self.id = id
        type = "function"
        function = FunctionCall(name: name, arguments: arguments)
        self.index = index
    }
}

/// The function and its JSON-encoded arguments.
public struct FunctionCall: Sendable, Hashable, Codable {
    public var name: String
    public var arguments: String

    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}
