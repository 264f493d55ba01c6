/// Encodes commands the way Redis clients send them: an array of bulk strings.
public enum RESPEncoder {
    /// Appends `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` for each argument.
    public static func encode(_ command: [[UInt8]], into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "*"))
        appendDecimal(command.count, into: &buffer)
        buffer.append(contentsOf: crlf)
        for argument in command {
            buffer.append(UInt8(ascii: "$"))
            appendDecimal(argument.count, into: &buffer)
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

    static func appendDecimal(_ value: Int, into buffer: inout [UInt8]) {
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
        }
    }
}
