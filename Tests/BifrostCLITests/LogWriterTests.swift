import BifrostCLI
import Foundation
import Glibc
import Logging
import Testing

@Suite("Log writer: lines leave the logging thread, in order, bounded")
struct LogWriterTests {
    /// A pipe whose read end the test drains.
    final class Pipe {
        let readEnd: Int32
        let writeEnd: Int32

        init() {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            readEnd = fds[0]
            writeEnd = fds[1]
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        /// Fills the pipe's kernel buffer so that the next blocking write waits for a reader.
        func fill() -> Int {
            let flags = fcntl(writeEnd, F_GETFL)
            _ = fcntl(writeEnd, F_SETFL, flags | O_NONBLOCK)
            var filled = 0
            let chunk = [UInt8](repeating: 0x2E, count: 4096)
            while true {
                let written = chunk.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                filled += written
            }
            _ = fcntl(writeEnd, F_SETFL, flags)
            return filled
        }

        /// Reads until `count` bytes arrived or nothing more comes for a second.
        func read(atLeast count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while bytes.count < count {
                var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 1000) == 1 else { break }
                let got = buffer.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
                if got <= 0 { break }
                bytes += buffer[..<got]
            }
            return bytes
        }
    }

    @Test func linesArriveInOrderAndFlushWaitsForThem() {
        let pipe = Pipe()
        let writer = LogWriter(fileDescriptor: pipe.writeEnd)
        for index in 0..<1000 { writer.write(line: "line \(index)") }
        writer.flush()
        let expected = (0..<1000).map { "line \($0)\n" }.joined()
        #expect(String(decoding: pipe.read(atLeast: expected.utf8.count), as: UTF8.self) == expected)
    }

    @Test func aStalledDescriptorDropsLinesBeyondTheBufferAndReportsHowMany() {
        let pipe = Pipe()
        let filler = pipe.fill()
        let writer = LogWriter(fileDescriptor: pipe.writeEnd, capacity: 100)
        // The writer thread takes the first line and blocks on the full pipe; the buffer then holds
        // what fits in 100 bytes and the rest is dropped, without the logging thread ever waiting.
        writer.write(line: "first")
        #expect(eventuallyTrue { writer.bufferedBytes == 0 })
        for index in 0..<50 { writer.write(line: "line \(index) ...") }
        #expect(writer.droppedLines > 0)
        let dropped = writer.droppedLines
        let output = String(decoding: pipe.read(atLeast: filler + 2000).dropFirst(filler), as: UTF8.self)
        #expect(output.hasPrefix("first\nline 0 ...\n"))
        #expect(output.contains("\(dropped) log lines dropped: standard error was too slow\n"))
        #expect(!output.contains("line 49 ..."))
    }

    @Test func handlerWritesSwiftLogsStreamFormat() {
        let pipe = Pipe()
        let writer = LogWriter(fileDescriptor: pipe.writeEnd)
        var handler = LineLogHandler(label: "bifrost.test", writer: writer)
        handler.metadata = ["zone": "a"]
        let logger = Logger(label: "bifrost.test") { _ in handler }
        logger.info("hello", metadata: ["b": "2", "a": "1"])
        logger.debug("hidden")
        writer.flush()
        let line = String(decoding: pipe.read(atLeast: 1), as: UTF8.self)
        #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info bifrost\.test: a=1 b=2 zone=a \[\w+\] hello\n$"#,
                           options: .regularExpression) != nil, "\(line)")
    }

    @Test func aPreformattedLineMatchesTheHandlersLine() {
        let pipe = Pipe()
        let writer = LogWriter(fileDescriptor: pipe.writeEnd)
        let handler = LineLogHandler(label: "bifrost", writer: writer)
        let logger = Logger(label: "bifrost") { _ in handler }
        logger.info("request", metadata: ["status": "200", "method": "POST", "latency_ms": "1.5"])
        LineLogHandler.writeLine(level: .info, label: "bifrost", source: "BifrostCLITests", message: "request", writer: writer) { line in
            line.field("latency_ms", tenths: 15)
            line.field("method", "POST")
            line.field("status", 200)
        }
        writer.flush()
        var text = ""
        for _ in 0..<20 where text.filter({ $0 == "\n" }).count < 2 {
            text += String(decoding: pipe.read(atLeast: 1), as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map { $0.drop { $0 != " " } }  // without the timestamps
        #expect(lines.count == 2 && lines[0] == lines[1], "\(text)")
        #expect(lines.first == " info bifrost: latency_ms=1.5 method=POST status=200 [BifrostCLITests] request")
    }

    private func eventuallyTrue(_ condition: () -> Bool) -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            usleep(5_000)
        }
        return false
    }
}
