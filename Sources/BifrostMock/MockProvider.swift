import BifrostHTTP
import Glibc

/// A fake LLM provider: answers the OpenAI and Anthropic APIs from memory, with injectable faults.
///
/// Routes: `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/embeddings`, `GET /v1/models`,
/// `POST /v1/messages` (the same paths without `/v1` work too, and the OpenAI ones under Azure's
/// `/openai/deployments/{deployment}/`) and `GET /mock/stats`
/// (see ``MockStatistics``). Bodies are validated as JSON but only `model`, `stream`, `tools` and `input`
/// are read; answers are assembled from bytes prepared at start-up.
///
/// Per request, headers adjust the behaviour:
/// - `x-mock-latency-ms`: delay before the response (default ``MockOptions/latencyMilliseconds``);
/// - `x-mock-fault`: a ``MockFault`` by name (also selectable with the model `mock-fault-<name>`);
/// - `x-mock-stall-ms`, `x-mock-drip-ms`: timings of the stall and drip faults;
/// - `x-mock-chunks`: content deltas of a stream, or the number of transfer chunks of a JSON body.
///
/// A model whose name contains `tool`, sent with a non-empty `tools` array, gets a call of the first
/// tool (arguments `{}`) instead of text.
public struct MockProvider: HTTPHandler {
    /// The defaults this provider runs with.
    public let options: MockOptions
    /// Request and connection counters, also served as `GET /mock/stats`.
    public let statistics: MockStatistics
    private let templates: ReplyTemplates

    private static let statsHeaders = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")])

    /// A provider with its own fresh ``MockStatistics``.
    public init(options: MockOptions = MockOptions()) {
        self.options = options
        statistics = MockStatistics()
        templates = ReplyTemplates(options: options)
    }

    /// Answers one request (called on the connection's loop; never blocks: delayed answers run in a task).
    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let route = MockRoute(path: request.path)
        if route == .stats {
            responder.send(HTTPResponse(status: .ok, headers: Self.statsHeaders, body: statistics.json()))
            return
        }
        let sequence = statistics.record(route)
        let style = route == .unknown && request.path.hasSuffix("/messages") ? ErrorStyle.anthropic : route.errorStyle
        let controls: MockControls
        do {
            controls = try MockControls(headers: request.headers, options: options)
        } catch {
            ProviderError.response(style, status: 400, message: error.message)
                .deliver(DeliveryPlan(initialDelayMilliseconds: options.latencyMilliseconds), to: responder)
            return
        }
        var plan = DeliveryPlan(initialDelayMilliseconds: controls.latencyMilliseconds)
        let reply = answer(request, route: route, style: style, controls: controls, sequence: sequence, plan: &plan)
        reply.deliver(plan, to: responder)
    }

    /// The reply to `request`, faults applied; `plan` receives the fault's timing.
    private func answer(_ request: HTTPRequest, route: MockRoute, style: ErrorStyle, controls: MockControls,
                        sequence: Int, plan: inout DeliveryPlan) -> MockReply {
        guard route != .unknown else {
            return ProviderError.response(style, status: 404, message: "Unknown request URL: \(request.method) \(request.path).",
                                          code: "unknown_url")
        }
        guard request.method == route.method || (route.method == "GET" && request.head.isHead) else {
            var reply = ProviderError.response(style, status: 405, message: "\(request.method) is not allowed on \(request.path); use \(route.method).")
            reply.headers.add(name: "Allow", value: route.method == "GET" ? "GET, HEAD" : route.method)
            return reply
        }
        var fields = RequestFields()
        var fault = controls.fault
        if route.takesBody {
            guard let scanned = RequestScanner.scan(request.body) else { return ProviderError.invalidJSON(style) }
            fields = scanned
            if let model = MockRoute.pathModel(path: request.path) {
                // Bedrock, Gemini and Vertex name the model in the path.
                fields.model = model[...]
                if route == .converse || route == .converseStream {
                    // Bedrock's tools are under toolConfig.tools[].toolSpec.
                    fields.hasTools = request.body.firstRange(of: Array(#""toolSpec""#.utf8)) != nil
                    fields.firstToolName = Self.firstToolSpecName(request.body)
                }
            }
            guard let model = fields.model else {
                let message = style == .anthropic ? "model: Field required" : "You must provide a model parameter."
                return ProviderError.response(style, status: 400, message: message)
            }
            if fault == nil, model.hasPrefix("mock-fault-") {
                let name = String(decoding: model.dropFirst(11), as: UTF8.self)
                guard let named = MockFault(name: name) else {
                    return ProviderError.response(style, status: 400,
                                                  message: "unknown mock fault model \"mock-fault-\(name)\"; faults: \(MockFault.names)")
                }
                fault = named
            }
        }

        switch fault {
        case .status(let code):
            return ProviderError.response(style, status: code, message: "Mock fault: status \(code).")
        case .rateLimited:
            return ProviderError.rateLimited(style)
        default:
            break
        }

        let streamsByPath: Set<MockRoute> = [.converseStream, .streamGenerateContent, .streamRawPredict]
        let streams = streamsByPath.contains(route) || route.canStream && (fields.stream || fault == .stallStream || fault == .slowDrip)
        var reply = success(route, fields: fields, streams: streams, controls: controls, sequence: sequence,
                            promptBytes: request.body.count)
        if fault == .malformedJSON { reply.truncateJSON() }
        if !streams, let chunks = controls.chunks { reply.split(into: chunks) }
        switch fault {
        case .reset:
            if !reply.streamed { reply.split(into: 2) }
            plan.resetAfterFirstPieceMilliseconds = options.resetDelayMilliseconds
        case .stallHeaders:
            plan.initialDelayMilliseconds += controls.stallMilliseconds
        case .stallStream:
            if !reply.streamed { reply.split(into: 2) }
            plan.pauseAfterFirstPieceMilliseconds = controls.stallMilliseconds
        case .slowDrip:
            if !reply.streamed { reply.split(into: 4) }
            plan.pauseBetweenPiecesMilliseconds = controls.dripMilliseconds
        case .gzip:
            reply.compress(.gzip)
        case .deflate:
            reply.compress(.deflate)
        case .status, .rateLimited, .malformedJSON, nil:
            break
        }
        return reply
    }

    /// The normal `200` answer for `route`.
    private func success(_ route: MockRoute, fields: RequestFields, streams: Bool, controls: MockControls,
                         sequence: Int, promptBytes: Int) -> MockReply {
        let callsTool = fields.hasTools && (fields.model?.contains("tool") ?? false)
        let context = ReplyContext(
            sequence: sequence, created: time(nil), model: fields.model ?? [],
            promptTokens: max(1, promptBytes / 4),
            toolName: callsTool ? (fields.firstToolName ?? Array("tool".utf8)[...]) : nil,
            deltaCount: controls.chunks ?? templates.wordCount)
        switch route {
        case .chatCompletions:
            return streams ? MockReply(events: OpenAIReplies.chatCompletionEvents(context, templates))
                : .json(OpenAIReplies.chatCompletion(context, templates))
        case .completions:
            return streams ? MockReply(events: OpenAIReplies.completionEvents(context, templates))
                : .json(OpenAIReplies.completion(context, templates))
        case .messages:
            return streams ? MockReply(events: AnthropicReplies.messageEvents(context, templates))
                : .json(AnthropicReplies.message(context, templates))
        case .converse:
            return .json(BedrockReplies.converse(context, templates))
        case .converseStream:
            var reply = MockReply(events: BedrockReplies.converseFrames(context, templates))
            reply.headers = MockReply.awsEventStreamHeaders
            return reply
        case .generateContent:
            return .json(GeminiReplies.response(context, templates))
        case .streamGenerateContent:
            return MockReply(events: GeminiReplies.events(context, templates))
        case .cohereChat:
            return streams ? MockReply(events: CohereReplies.events(context, templates)) : .json(CohereReplies.response(context, templates))
        case .rawPredict:
            return .json(AnthropicReplies.message(context, templates))
        case .streamRawPredict:
            return MockReply(events: AnthropicReplies.messageEvents(context, templates))
        case .token:
            return .json(GeminiReplies.token)
        case .embeddings:
            guard fields.inputCount > 0 else {
                return ProviderError.response(.openAI, status: 400, message: "'input' must be a non-empty string or array.",
                                              code: "invalid_input")
            }
            return .json(OpenAIReplies.embeddings(context, inputs: fields.inputCount, templates))
        case .models:
            return .json(templates.modelsBody)
        case .stats, .unknown:
            preconditionFailure("\(route) is answered before success(_:)")
        }
    }
}

extension MockProvider {
    /// The `name` of the first `toolSpec` in a Converse body (raw bytes), found by a plain search.
    static func firstToolSpecName(_ body: [UInt8]) -> ArraySlice<UInt8>? {
        guard let spec = body.firstRange(of: Array(#""toolSpec""#.utf8)),
              let key = body[spec.upperBound...].firstRange(of: Array(#""name""#.utf8)),
              let open = body[key.upperBound...].firstIndex(of: UInt8(ascii: "\"")),
              let close = body[(open + 1)...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return body[(open + 1)..<close]
    }
}

extension MockReply {
    /// A `200` JSON reply.
    static func json(_ body: [UInt8]) -> MockReply {
        MockReply(status: .ok, headers: ProviderError.jsonHeaders, body: body)
    }
}
