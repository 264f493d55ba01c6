/// Encodes commands the way Redis clients send them: an array of bulk strings.
public enum RESPEncoder {
    /// Appends `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` for each argument.
    public static func encode(_ command: [[UInt8]], into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "*"))
        buffer.appendDecimal(command.count)
        buffer.append(contentsOf: crlf)
        for argument in command {
            buffer.append(UInt8(ascii: "$"))
            buffer.appendDecimal(argument.count)
            buffer.append(contentsOf: crlf)
            buffer.append(contentsOf: argument)
            buffer.append(contentsOf: crlf)
        }
    }

    /// The encoding of one command.
    public static func encode(_ command: [String]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 + command.reduce(0) { $0 + $1.utf8.count + 16 })
        encode(command.map { Array($0.utf8) }, into: &buffer)
        return buffer
    }

    static let crlf: [UInt8] = [13, 10]
}
