import BifrostHTTP

/// When the pieces of a ``MockReply`` go out.
struct DeliveryPlan: Sendable {
    /// Before anything is sent (latency, `stall-headers`).
    var initialDelayMilliseconds = 0
    /// Between the first and second piece (`stall-stream`).
    var pauseAfterFirstPieceMilliseconds = 0
    /// Between every two pieces (`slow-drip`).
    var pauseBetweenPiecesMilliseconds = 0
    /// Send only the first piece, wait this long, then reset the connection (`reset`).
    var resetAfterFirstPieceMilliseconds: Int?

    var isPaced: Bool { pauseAfterFirstPieceMilliseconds > 0 || pauseBetweenPiecesMilliseconds > 0 }
}

extension MockReply {
    /// Sends the reply. With nothing to wait for, a non-streamed reply goes out at once on the loop;
    /// everything else runs in a task that the client's disconnect cancels.
    func deliver(_ plan: DeliveryPlan, to responder: HTTPResponder) {
        if !streamed && plan.initialDelayMilliseconds == 0 && plan.resetAfterFirstPieceMilliseconds == nil {
            responder.send(HTTPResponse(status: status, headers: headers, body: body))
            return
        }
        let reply = self
        // On the connection's loop: no hop to the cooperative pool for each write.
        let task = Task(executorPreference: responder.eventLoop) { await reply.send(plan, to: responder) }
        responder.onCancel { task.cancel() }
    }

    private func send(_ plan: DeliveryPlan, to responder: HTTPResponder) async {
        do {
            try await pause(plan.initialDelayMilliseconds)
            if !streamed && plan.resetAfterFirstPieceMilliseconds == nil {
                responder.send(HTTPResponse(status: status, headers: headers, body: body))
                return
            }
            let writer = responder.startStream(HTTPResponseHead(status: status, headers: headers))
            if let resetDelay = plan.resetAfterFirstPieceMilliseconds {
                if let first = pieces.first { try await writer.write(first) }
                try await pause(resetDelay)
                responder.abort()
                return
            }
            if coalesces && !plan.isPaced {
                try await writer.write(body)
            } else {
                for (index, piece) in pieces.enumerated() {
                    if index > 0 {
                        let stall = index == 1 ? plan.pauseAfterFirstPieceMilliseconds : 0
                        try await pause(stall + plan.pauseBetweenPiecesMilliseconds)
                    }
                    try await writer.write(piece)
                }
            }
            writer.finish()
        } catch {
            // The client went away (write failed) or the task was cancelled by its disconnect: nothing left to do.
        }
    }

    private func pause(_ milliseconds: Int) async throws {
        if milliseconds > 0 { try await Task.sleep(for: .milliseconds(milliseconds)) }
    }
}
