import BifrostPluginKit

extension Bifrost {
    /// Runs a streaming request. Fallbacks and retries apply until a stream opens; after that the
    /// chunks flow to the caller as the provider sends them, and when the stream ends the PostHooks
    /// see the assembled response (or the error that ended it). A failure mid-stream is thrown by
    /// the returned stream, never hidden behind a clean end.
    public func stream(_ request: BifrostRequest, context: BifrostContext = BifrostContext()) async throws(BifrostError)
        -> BifrostStream {
        var primaryError: BifrostError?
        for (index, target) in ([Fallback(provider: request.provider, model: request.model)] + request.fallbacks).enumerated() {
            if index > 0 && !isConfigured(target.provider) {
                logger.warning("skipping fallback to an unconfigured provider", metadata: ["provider": "\(target.provider)"])
                continue
            }
            var attempt = request
            attempt.provider = target.provider
            attempt.model = target.model
            switch await openStream(attempt, context: context) {
            case .success(let stream):
                return stream
            case .failure(let error):
                if index == 0 { primaryError = error } else {
                    logger.warning("fallback failed", metadata: ["provider": "\(target.provider)", "error": "\(error.error.message)"])
                }
                if !error.fallbacksAllowed || context.isCancelled { throw primaryError ?? error }
            }
        }
        throw primaryError ?? BifrostError(message: "no provider could serve the request", type: "internal_error", statusCode: 500)
    }

    /// PreHooks, then a provider stream (or a short-circuit); PostHooks run when the stream ends,
    /// or at once when there is nothing to stream.
    private func openStream(_ request: BifrostRequest, context: BifrostContext) async -> Result<BifrostStream, BifrostError> {
        let outcome = await pipeline.runPreHooks(request, context: context)
        let upstream: BifrostStream
        var ticket: ProviderQueue.Ticket?
        if let shortCircuit = outcome.shortCircuit {
            if let stream = shortCircuit.stream {
                upstream = stream
            } else {
                let result = await pipeline.runPostHooks(ran: outcome.ran, response: shortCircuit.response,
                                                         error: shortCircuit.error, context: context)
                return result.map { response in AsyncThrowingStream { continuation in
                    continuation.yield(response)
                    continuation.finish()
                } }
            }
        } else {
            switch await openProviderStream(outcome.request, context: context) {
            case .success(let opened):
                upstream = opened.stream
                ticket = opened.ticket
            case .failure(let error):
                // A PostHook may still recover (a cached answer, say): it becomes a one-chunk stream.
                switch await pipeline.runPostHooks(ran: outcome.ran, response: nil, error: error, context: context) {
                case .success(let recovered):
                    return .success(AsyncThrowingStream { continuation in
                        continuation.yield(recovered)
                        continuation.finish()
                    })
                case .failure(let final):
                    return .failure(final)
                }
            }
        }
        return .success(relay(upstream, ran: outcome.ran, request: outcome.request, ticket: ticket, context: context))
    }

    /// Forwards chunks, assembling them; runs the PostHooks and frees the provider turn at the end.
    private func relay(_ upstream: BifrostStream, ran: Int, request: BifrostRequest, ticket: ProviderQueue.Ticket?,
                       context: BifrostContext) -> BifrostStream {
        let pipeline = self.pipeline
        let logger = self.logger
        return AsyncThrowingStream { continuation in
            let task = Task {
                var accumulator = StreamAccumulator()
                var failure: BifrostError?
                do {
                    for try await chunk in upstream {
                        accumulator.add(chunk)
                        continuation.yield(chunk)
                    }
                } catch {
                    failure = Bifrost.bifrostError(error, provider: request.provider)
                }
                ticket?.release()
                let assembled = failure == nil ? accumulator.response(provider: request.provider, fallbackModel: request.model) : nil
                let result = await pipeline.runPostHooks(ran: ran, response: assembled, error: failure, context: context)
                switch result {
                case .success:
                    continuation.finish()
                case .failure(let error):
                    if failure == nil {
                        logger.warning("a PostHook rejected a stream that was already delivered", metadata: ["error": "\(error.error.message)"])
                    }
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { reason in
                if case .cancelled = reason {
                    task.cancel()
                    context.cancel()
                }
            }
        }
    }
}
