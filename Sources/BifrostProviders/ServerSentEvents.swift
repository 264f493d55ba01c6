/// Splits a byte stream into Server-Sent Event `data:` payloads (one per event), across chunk boundaries.
struct ServerSentEventParser {
    private var buffer: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false

    /// Feeds bytes; returns the data of every event completed by them.
    mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var events: [[UInt8]] = []
        var lineStart = 0
        var index = 0
        while index < buffer.count {
            if buffer[index] == 0x0A {
                var lineEnd = index
                if lineEnd > lineStart && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = buffer[lineStart..<lineEnd]
                if line.isEmpty {
                    if hasData { events.append(data) }
                    data = []
                    hasData = false
                } else if line.starts(with: Self.dataPrefix) {
                    var value = line.dropFirst(5)
                    if value.first == 0x20 { value = value.dropFirst() }
                    if hasData { data.append(0x0A) }
                    data.append(contentsOf: value)
                    hasData = true
                }
                lineStart = index + 1
            }
            index += 1
        }
        buffer.removeFirst(lineStart)
        return events
    }

    private static let dataPrefix: [UInt8] = Array("data:".utf8)
}
