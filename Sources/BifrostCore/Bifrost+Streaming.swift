import BifrostPluginKit

extension Bifrost {
    /// Runs a streaming request. Fallbacks and retries apply until a stream opens; after that the
    /// chunks flow to the caller as the provider sends them, and when the stream ends the PostHooks
    /// see the assembled response (or the error that ended it). A failure mid-stream is thrown by
    /// the returned stream, never hidden behind a clean end.
    public func stream(_ request: BifrostRequest, context: BifrostContext = BifrostContext()) async throws(BifrostError)
        -> BifrostStream {
        // A stream counts as in flight until it ends, so shutdown waits for it.
        try enter()
        do {
            return try await withFallbacks(request, context: context) { attempt in
                await openStream(attempt, context: context)
            }
        } catch {
            leave()
            throw error
        }
    }

    /// PreHooks, then a provider stream (or a short-circuit); PostHooks run when the stream ends,
    /// or at once when there is nothing to stream.
    private func openStream(_ request: BifrostRequest, context: BifrostContext) async -> Result<BifrostStream, BifrostError> {
        context.record { $0 = BifrostMeasurements() }
        let outcome = await pipeline.runPreHooks(request, context: context)
        let upstream: BifrostStream
        var ticket: ProviderQueue.Ticket?
        if let shortCircuit = outcome.shortCircuit {
            if let stream = shortCircuit.stream {
                upstream = stream
            } else {
                let result = await pipeline.runPostHooks(ran: outcome.ran, response: shortCircuit.response,
                                                         error: shortCircuit.error, context: context)
                return result.map(completedStream)
            }
        } else {
            switch await openProviderStream(outcome.request, context: context) {
            case .success(let opened):
                upstream = opened.stream
                ticket = opened.ticket
            case .failure(let error):
                // A PostHook may still recover (a cached answer, say): it becomes a one-chunk stream.
                return await pipeline.runPostHooks(ran: outcome.ran, response: nil, error: error, context: context)
                    .map(completedStream)
            }
        }
        return .success(relay(upstream, ran: outcome.ran, request: outcome.request, ticket: ticket, context: context))
    }

    /// A stream of one already-final response: the request is over, so it stops counting as in flight.
    private func completedStream(_ response: BifrostResponse) -> BifrostStream {
        leave()
        return AsyncThrowingStream { continuation in
            continuation.yield(response)
            continuation.finish()
        }
    }

    /// Forwards chunks, assembling them; runs the PostHooks and frees the provider turn at the end.
    private func relay(_ upstream: BifrostStream, ran: Int, request: BifrostRequest, ticket: ProviderQueue.Ticket?,
                       context: BifrostContext) -> BifrostStream {
        let pipeline = self.pipeline
        let logger = self.logger
        let engine = self
        return AsyncThrowingStream { continuation in
            let task = Task(executorPreference: context.executor) {
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
                engine.leave()
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
