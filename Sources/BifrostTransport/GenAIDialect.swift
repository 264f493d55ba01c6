import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Gemini's shape for the GenAI drop-in route (`POST /genai/v1beta/models/{model}:generateContent` and
/// `:streamGenerateContent`), so Google's GenAI SDKs can use the gateway as their base URL: a
/// `GenerateContentResponse` out (streamed as Server-Sent Events of partial responses, no end marker),
/// failures as Google's `{"error": {code, message, status}}`. Any provider can answer behind it.
struct GenAIDialect: RouteDialect {
    let model: String
    let stream: Bool
    let knownProviders: Set<String>

    /// The model and method from a path under `/genai/v1beta/models/` (`gemini-2.0-flash:generateContent`,
    /// `openai/gpt-4o-mini:streamGenerateContent`); nil when the method is not one of the two.
    static func target(path: Substring) -> (model: String, stream: Bool)? {
        let rest = path.dropFirst(GenAIDialect.prefix.count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let model = String(rest[..<colon])
        switch rest[rest.index(after: colon)...] {
        case "generateContent": return model.isEmpty ? nil : (model, false)
        case "streamGenerateContent": return model.isEmpty ? nil : (model, true)
        default: return nil
        }
    }

    static let prefix = "/genai/v1beta/models/"

    func decode(_ body: [UInt8]) throws(BifrostError) -> BifrostRequest {
        do throws(RequestValidationError) {
            return try GenAIRequestDecoder.decode(body, model: model, stream: stream, knownProviders: knownProviders)
        } catch {
            throw error.bifrostError
        }
    }

    func response(_ response: BifrostResponse) -> HTTPResponse {
        var writer = JSONWriter(capacity: 512)
        GenAIWire.response(response, into: &writer)
        return .json(.ok, writer.bytes)
    }

    func error(_ error: BifrostError) -> HTTPResponse {
        var response = HTTPResponse.json(HTTPStatus(code: error.httpStatus), GenAIWire.error(error))
        if let retryAfter = error.retryAfter, [429, 503].contains(error.httpStatus) {
            response.headers.add(name: "Retry-After", value: String(Int(retryAfter.rounded(.up))))
        }
        return response
    }

    func events(for request: BifrostRequest) -> GenAIEvents { GenAIEvents() }
}

/// Gemini's JSON, written from Bifrost's values.
enum GenAIWire {
    /// A `GenerateContentResponse`: one candidate (text parts, then function calls), finish reason, usage.
    static func response(_ response: BifrostResponse, into writer: inout JSONWriter) {
        let choice = response.choices.first
        let message = choice?.message ?? choice?.delta
        let text = message?.content?.plainText ?? choice?.text ?? ""
        let calls = (message?.toolCalls ?? []).map { (name: $0.function.name, arguments: $0.function.arguments) }
        write(text: text, calls: calls, finish: choice?.finishReason, usage: response.usage, model: response.model,
              id: response.id, into: &writer)
    }

    static func write(text: String, calls: [(name: String, arguments: String)], finish: String?, usage: Usage?, model: String,
                      id: String, into writer: inout JSONWriter) {
        var parts: [JSONValue] = text.isEmpty ? [] : [.object(["text": .string(text)])]
        for call in calls {
            let args = (try? JSONParser.parse(Array(call.arguments.utf8))) ?? .object([:])
            parts.append(.object(["functionCall": .object(["name": .string(call.name), "args": args])]))
        }
        var candidate: [String: JSONValue] = ["content": .object(["role": .string("model"), "parts": .array(parts)]), "index": .number(0)]
        if let reason = finishReason(finish) { candidate["finishReason"] = .string(reason) }
        var body: [String: JSONValue] = ["candidates": .array([.object(candidate)]), "modelVersion": .string(model)]
        if !id.isEmpty { body["responseId"] = .string(id) }
        if let usage {
            body["usageMetadata"] = .object([
                "promptTokenCount": .number(Double(usage.promptTokens)), "candidatesTokenCount": .number(Double(usage.completionTokens)),
                "totalTokenCount": .number(Double(usage.totalTokens)),
            ])
        }
        writer.json(.object(body))
    }

    /// OpenAI's `finish_reason` as Gemini's `finishReason`.
    static func finishReason(_ reason: String?) -> String? {
        switch reason {
        case nil: nil
        case "length": "MAX_TOKENS"
        case "content_filter": "SAFETY"
        default: "STOP"
        }
    }

    /// `{"error": {"code", "message", "status"}}`.
    static func error(_ error: BifrostError) -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.json(.object(["error": .object([
            "code": .number(Double(error.httpStatus)), "message": .string(error.error.message), "status": .string(status(error.httpStatus)),
        ])]))
        return writer.bytes
    }

    /// Google's canonical status names by HTTP status.
    static func status(_ code: Int) -> String {
        switch code {
        case 400, 422: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 503, 529: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        default: "INTERNAL"
        }
    }
}

/// Gemini's streamed form: `data: {partial GenerateContentResponse}` per text delta; function calls
/// (which Gemini sends whole) are assembled from their pieces and sent with the finish reason and the
/// usage in the last event, at the end.
struct GenAIEvents: StreamEventEncoder {
    private var calls: [(key: String, name: String, arguments: String)] = []
    private var finish: String?
    private var usage: Usage?
    private var model = ""
    private var id = ""

    mutating func chunk(_ chunk: BifrostResponse) -> [UInt8] {
        if model.isEmpty { model = chunk.model }
        if id.isEmpty { id = chunk.id }
        if let usage = chunk.usage { self.usage = usage }
        guard let choice = chunk.choices.first else { return [] }
        if let reason = choice.finishReason { finish = reason }
        let delta = choice.delta ?? choice.message
        for call in delta?.toolCalls ?? [] {
            let key = call.index.map { "#\($0)" } ?? call.id
            if let index = calls.lastIndex(where: { $0.key == key && !key.isEmpty }) ?? (call.function.name.isEmpty ? calls.indices.last : nil) {
                calls[index].arguments += call.function.arguments
            } else {
                calls.append((key, call.function.name, call.function.arguments))
            }
        }
        let text = delta?.content?.plainText ?? choice.text ?? ""
        guard !text.isEmpty else { return [] }
        return event { GenAIWire.write(text: text, calls: [], finish: nil, usage: nil, model: model, id: id, into: &$0) }
    }

    mutating func end() -> [UInt8] {
        let calls = self.calls.map { (name: $0.name, arguments: $0.arguments) }
        let finish = self.finish ?? "stop"
        let (usage, model, id) = (self.usage, self.model, self.id)
        return event { GenAIWire.write(text: "", calls: calls, finish: finish, usage: usage, model: model, id: id, into: &$0) }
    }

    mutating func failure(_ error: BifrostError) -> [UInt8] {
        Array("data: ".utf8) + GenAIWire.error(error) + Array("\r\n\r\n".utf8)
    }

    private func event(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        body(&writer)
        return Array("data: ".utf8) + writer.bytes + Array("\r\n\r\n".utf8)
    }
}
