import BifrostCore
import BifrostPluginKit

/// A request the gateway could not accept: 400 with the field named.
struct RequestValidationError: Error {
    let message: String
    let param: String?

    var bifrostError: BifrostError {
        BifrostError(message: message, type: "invalid_request_error", param: param, statusCode: 400, allowFallbacks: false)
    }
}

/// Reads completion request bodies: OpenAI's format (`model: "provider/model"`, `fallbacks:
/// ["provider/model"]`, parameters at the top level) and Bifrost's original one (`provider`,
/// `model`, `params`, `fallbacks: [{provider, model}]`). Unknown top-level fields become
/// provider-specific parameters, passed through untouched.
enum CompletionRequestDecoder {
    static func decode(_ body: [UInt8], kind: RequestKind, defaultProvider: String? = nil,
                       knownProviders: Set<String> = []) throws(RequestValidationError) -> BifrostRequest {
        let fields = try TopLevelFields(body, kind: kind)
        let (provider, model) = try target(model: fields.model, provider: fields.provider, defaultProvider: defaultProvider,
                                           knownProviders: knownProviders)
        let input = try self.input(fields, kind: kind)
        var params = try MessageConversion.parameters(fields.known, extra: fields.extra)
        if case .object(let nested)? = fields.params {
            params = try merge(fields.known, extra: fields.extra, with: nested)
        }
        var stream = false
        if let value = fields.stream {
            guard case .bool(let flag) = value else { throw RequestValidationError(message: "stream must be true or false", param: "stream") }
            stream = flag
        }
        return BifrostRequest(provider: provider, model: model, input: input, params: params,
                              fallbacks: try fallbacks(fields.fallbacks), stream: stream)
    }

    /// The top level of an OpenAI-style body, read in one pass. A chat request's messages are decoded
    /// on the way (by ``ChatMessageReader``); their validation error, if any, is kept and reported
    /// only after the whole body proved valid JSON and `model` was checked.
    private struct TopLevelFields {
        let kind: RequestKind
        var model: JSONValue?
        var provider: JSONValue?
        var stream: JSONValue?
        var messages: Result<[BifrostMessage], RequestValidationError>?
        var prompt: JSONValue?
        var text: JSONValue?
        var input: JSONValue?
        var fallbacks: JSONValue?
        var params: JSONValue?
        var known = KnownParameters()
        var extra: [String: JSONValue] = [:]

        init(_ body: [UInt8], kind: RequestKind) throws(RequestValidationError) {
            self = try CompletionRequestDecoder.readingBody(body) {
                try JSONReader.read(body) { reader in
                    guard reader.next == .object else {
                        try reader.skipValue()  // invalid JSON is reported as such first
                        throw CompletionRequestDecoder.notAnObject
                    }
                    var fields = TopLevelFields(kind: kind)
                    fields.known.reserveCapacity(8)
                    try reader.readObject { reader, key in try fields.read(key, from: &reader) }
                    return fields
                }
            }
        }

        private init(kind: RequestKind) { self.kind = kind }

        private mutating func read(_ key: JSONReader.Key, from reader: inout JSONReader) throws {
            if key.is("model") { model = try reader.readValue() }
            else if key.is("messages") {
                if kind == .chatCompletion { messages = try ChatMessageReader.messages(&reader) } else { try reader.skipValue() }
            }
            else if key.is("provider") { provider = try reader.readValue() }
            else if key.is("stream") { stream = try reader.readValue() }
            else if key.is("prompt") { prompt = try reader.readValue() }
            else if key.is("text") { text = try reader.readValue() }
            else if key.is("input") { input = try reader.readValue() }
            else if key.is("fallbacks") { fallbacks = try reader.readValue() }
            else if key.is("params") { params = try reader.readValue() }
            else if key.is("stream_options") { try reader.skipValue() }
            else if let parameter = KnownParameter(key) { known.add(parameter, try reader.readValue()) }
            else { extra[key.string] = try reader.readValue() }
        }
    }

    /// The body as a JSON object, or a 400 saying what is wrong with it.
    static func object(_ body: [UInt8]) throws(RequestValidationError) -> [String: JSONValue] {
        try readingBody(body) {
            guard case .object(let members) = try JSONParser.parse(body) else { throw notAnObject }
            return members
        }
    }

    /// Runs `read` over `body`: a ``RequestValidationError`` passes through, anything else (a JSON
    /// syntax error) becomes the 400 for an empty or invalid body.
    static func readingBody<T>(_ body: [UInt8], _ read: () throws -> T) throws(RequestValidationError) -> T {
        do {
            return try read()
        } catch let error as RequestValidationError {
            throw error
        } catch {
            throw RequestValidationError(message: body.isEmpty ? "the request body is empty; send a JSON object"
                                                               : "the request body is not valid JSON", param: nil)
        }
    }

    static let notAnObject = RequestValidationError(message: "the request body must be a JSON object", param: nil)

    /// `provider/model`, or `provider` + `model`, or a default provider for drop-in routes (where a
    /// prefix that is not a configured provider belongs to the model name).
    static func target(_ root: [String: JSONValue], defaultProvider: String?,
                       knownProviders: Set<String> = []) throws(RequestValidationError) -> (String, String) {
        try target(model: root["model"], provider: root["provider"], defaultProvider: defaultProvider, knownProviders: knownProviders)
    }

    static func target(model modelValue: JSONValue?, provider providerValue: JSONValue?, defaultProvider: String?,
                       knownProviders: Set<String> = []) throws(RequestValidationError) -> (String, String) {
        guard let modelValue else { throw RequestValidationError(message: "model is required", param: "model") }
        guard case .string(let model) = modelValue, !model.isEmpty else {
            throw RequestValidationError(message: "model must be a non-empty string", param: "model")
        }
        if case .string(let provider)? = providerValue, !provider.isEmpty { return (provider.lowercased(), model) }
        if let (provider, name) = splitAtSlash(model) {
            if let defaultProvider, !knownProviders.contains(provider) { return (defaultProvider, model) }
            guard !provider.isEmpty, !name.isEmpty else {
                throw RequestValidationError(message: "model must look like provider/model, e.g. openai/gpt-4o-mini", param: "model")
            }
            return (provider, name)
        }
        if let defaultProvider { return (defaultProvider, model) }
        throw RequestValidationError(message: "model must name its provider, like openai/\(model) (or send \"provider\")", param: "model")
    }

    /// `provider/model` cut at the first slash, the provider part lowercased; nil without a slash.
    /// Works on the bytes: the `String` index and `lowercased()` route cost ten times more.
    static func splitAtSlash(_ model: String) -> (provider: String, name: String)? {
        var model = model
        return model.withUTF8 { bytes -> (String, String)? in
            guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return nil }
            let head = UnsafeBufferPointer(rebasing: bytes[..<slash])
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(slash + 1)...]), as: UTF8.self)
            guard head.allSatisfy({ $0 < 0x80 }) else {
                return (String(decoding: head, as: UTF8.self).lowercased(), name)  // Unicode rules for the rare non-ASCII name
            }
            let provider = String(unsafeUninitializedCapacity: head.count) { out in
                for (offset, byte) in head.enumerated() {
                    out[offset] = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
                }
                return head.count
            }
            return (provider, name)
        }
    }

    private static func input(_ fields: TopLevelFields, kind: RequestKind) throws(RequestValidationError) -> RequestInput {
        switch kind {
        case .chatCompletion:
            guard let messages = fields.messages else { throw RequestValidationError(message: "messages is required", param: "messages") }
            return .chat(try messages.get())
        case .textCompletion:
            guard let prompt = fields.prompt ?? fields.text else { throw RequestValidationError(message: "prompt is required", param: "prompt") }
            switch prompt {
            case .string(let text): return .text(text)
            case .array(let parts) where parts.count == 1: if case .string(let text) = parts[0] { return .text(text) }
            default: break
            }
            throw RequestValidationError(message: "prompt must be a string", param: "prompt")
        case .embedding:
            guard let value = fields.input else { throw RequestValidationError(message: "input is required", param: "input") }
            switch value {
            case .string(let text): return .embedding([text])
            case .array(let items):
                var texts: [String] = []
                for item in items {
                    guard case .string(let text) = item else { throw RequestValidationError(message: "input must be a string or an array of strings", param: "input") }
                    texts.append(text)
                }
                guard !texts.isEmpty else { throw RequestValidationError(message: "input must not be empty", param: "input") }
                return .embedding(texts)
            default:
                throw RequestValidationError(message: "input must be a string or an array of strings", param: "input")
            }
        }
    }

    /// Bifrost's original body: parameters nested under `params`, which win over top-level ones of the
    /// same name (the others stay).
    private static func merge(_ topLevel: KnownParameters, extra: [String: JSONValue],
                              with nested: [String: JSONValue]) throws(RequestValidationError) -> ModelParameters {
        var known = topLevel
        known.add(contentsOf: KnownParameters(nested))
        let extra = extra.merging(nested.filter { KnownParameter(name: $0.key) == nil }) { _, fromParams in fromParams }
        return try MessageConversion.parameters(known, extra: extra)
    }

    static func fallbacks(_ value: JSONValue?) throws(RequestValidationError) -> [Fallback] {
        guard let value else { return [] }
        guard case .array(let items) = value else { throw RequestValidationError(message: "fallbacks must be an array", param: "fallbacks") }
        var result: [Fallback] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let text):
                guard let (provider, model) = splitAtSlash(text), !provider.isEmpty, !model.isEmpty else {
                    throw RequestValidationError(message: "fallbacks[\(index)] must look like provider/model", param: "fallbacks[\(index)]")
                }
                result.append(Fallback(provider: provider, model: model))
            case .object:
                guard let provider = item["provider"]?.stringValue, let model = item["model"]?.stringValue else {
                    throw RequestValidationError(message: "fallbacks[\(index)] needs provider and model", param: "fallbacks[\(index)]")
                }
                result.append(Fallback(provider: provider.lowercased(), model: model))
            default:
                throw RequestValidationError(message: "fallbacks[\(index)] must be \"provider/model\" or {provider, model}", param: "fallbacks[\(index)]")
            }
        }
        return result
    }
}
